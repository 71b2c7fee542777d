//! Decimation for drawing: the M4 method (first, min, max, last per pixel
//! column), answered from a min/max pyramid.
//!
//! The pyramid is built once in O(n): level k holds, for each aligned block of
//! 2^(k+1) values, where its minimum and maximum are. Any index range is then
//! covered by O(log n) blocks, so drawing W pixel columns costs O(W log n)
//! whatever the zoom, and never more than 4 W points.

use crate::columns::Columns;

#[derive(Debug, Clone, Default)]
pub struct Pyramid {
    /// `levels[k][j]`: indices of the minimum and maximum of values
    /// `[j * 2^(k+1), (j + 1) * 2^(k+1))`. Single values need no level.
    levels: Vec<Vec<(u32, u32)>>,
}

/// The earliest index wins ties, in the pyramid as in a plain scan.
fn merge(values: &[f64], a: (u32, u32), b: (u32, u32)) -> (u32, u32) {
    let min = if values[b.0 as usize] < values[a.0 as usize] { b.0 } else { a.0 };
    let max = if values[b.1 as usize] > values[a.1 as usize] { b.1 } else { a.1 };
    (min, max)
}

impl Pyramid {
    /// Bytes held, for the benchmark's memory figures.
    pub fn heap_bytes(&self) -> usize {
        self.levels.iter().map(|l| l.capacity() * std::mem::size_of::<(u32, u32)>()).sum()
    }

    pub fn build(values: &[f64]) -> Self {
        assert!(values.len() < u32::MAX as usize, "at most 4 billion intervals");
        let mut levels: Vec<Vec<(u32, u32)>> = Vec::new();
        let pairs: Vec<(u32, u32)> = (0..values.len().div_ceil(2) as u32)
            .map(|j| {
                let (a, b) = (2 * j, 2 * j + 1);
                if (b as usize) < values.len() {
                    merge(values, (a, a), (b, b))
                } else {
                    (a, a)
                }
            })
            .collect();
        if values.len() > 1 {
            levels.push(pairs);
        }
        while levels.last().is_some_and(|level| level.len() > 1) {
            let below = levels.last().expect("checked above");
            let next = below
                .chunks(2)
                .map(|pair| match *pair {
                    [a, b] => merge(values, a, b),
                    [a] => a,
                    _ => unreachable!("chunks of at most two"),
                })
                .collect();
            levels.push(next);
        }
        Self { levels }
    }

    /// Indices of the minimum and maximum of `values[lo..hi]` (`lo < hi`).
    pub fn min_max(&self, values: &[f64], lo: usize, hi: usize) -> (usize, usize) {
        debug_assert!(lo < hi && hi <= values.len());
        let mut best = (lo as u32, lo as u32);
        let mut i = lo;
        while i < hi {
            // The largest aligned block that starts at i and fits in the range.
            let mut k = 0;
            while k < self.levels.len() && i.is_multiple_of(2 << k) && i + (2 << k) <= hi {
                k += 1;
            }
            let block = if k == 0 { (i as u32, i as u32) } else { self.levels[k - 1][i >> k] };
            best = merge(values, best, block);
            i += 1 << k;
        }
        (best.0 as usize, best.1 as usize)
    }
}

/// One pixel column's points, as indices into the columns: the first and last
/// intervals in it, and those with the least and the most usage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bucket {
    pub first: usize,
    pub min: usize,
    pub max: usize,
    pub last: usize,
}

/// The M4 buckets for drawing `[from, to)` across `width` pixel columns. An
/// interval belongs to the column its start falls in; columns with no
/// interval are left out (they are gaps or beyond the data).
pub fn decimate(columns: &Columns, pyramid: &Pyramid, from: i64, to: i64, width: usize) -> Vec<Bucket> {
    buckets(columns, from, to, width, |lo, hi| pyramid.min_max(&columns.usage, lo, hi))
}

/// The same buckets by scanning every value once: O(n) rather than
/// O(width log n), but with nothing to build first. The first drawing of
/// new data uses it, so it can appear before the pyramid exists.
pub fn decimate_scan(columns: &Columns, from: i64, to: i64, width: usize) -> Vec<Bucket> {
    buckets(columns, from, to, width, |lo, hi| scan_min_max(&columns.usage, lo, hi))
}

/// Indices of the first minimum and first maximum of `values[lo..hi]`.
pub(crate) fn scan_min_max(values: &[f64], lo: usize, hi: usize) -> (usize, usize) {
    let (mut min, mut max) = (lo, lo);
    for (i, &v) in values.iter().enumerate().take(hi).skip(lo + 1) {
        if v < values[min] {
            min = i;
        }
        if v > values[max] {
            max = i;
        }
    }
    (min, max)
}

/// The columns' periods in each of `width` pixel columns, with whatever
/// `min_max` says of them.
pub(crate) fn buckets(
    columns: &Columns,
    from: i64,
    to: i64,
    width: usize,
    min_max: impl Fn(usize, usize) -> (usize, usize),
) -> Vec<Bucket> {
    if width == 0 || to <= from || columns.is_empty() {
        return Vec::new();
    }
    let span = i128::from(to - from);
    let mut out = Vec::with_capacity(width.min(columns.len()));
    let mut lo = columns.index_at(from);
    for column in 0..width {
        let edge = from + (span * (column as i128 + 1) / width as i128) as i64;
        let hi = columns.index_at(edge);
        if hi > lo {
            let (min, max) = min_max(lo, hi);
            out.push(Bucket { first: lo, min, max, last: hi - 1 });
        }
        lo = hi;
    }
    out
}

#[cfg(test)]
mod tests {
    use pelm_model::pelm::Interval;
    use rand::{Rng, SeedableRng};

    use super::*;

    fn naive(columns: &Columns, from: i64, to: i64, width: usize) -> Vec<Bucket> {
        let span = i128::from(to - from);
        (0..width)
            .filter_map(|c| {
                let left = from + (span * c as i128 / width as i128) as i64;
                let right = from + (span * (c as i128 + 1) / width as i128) as i64;
                let inside: Vec<usize> =
                    (0..columns.len()).filter(|&i| columns.start[i] >= left && columns.start[i] < right).collect();
                let (&first, &last) = (inside.first()?, inside.last()?);
                let mut min = first;
                let mut max = first;
                for &i in &inside {
                    if columns.usage[i] < columns.usage[min] {
                        min = i;
                    }
                    if columns.usage[i] > columns.usage[max] {
                        max = i;
                    }
                }
                Some(Bucket { first, min, max, last })
            })
            .collect()
    }

    fn random_columns(rng: &mut impl Rng, n: usize) -> Columns {
        let mut t = rng.random_range(0..10_000);
        let intervals = (0..n)
            .map(|_| {
                // Mostly 15 minutes apart, with occasional gaps.
                t += if rng.random_bool(0.02) { 900 * rng.random_range(2..50) } else { 900 };
                // Coarse values make ties common, negative ones are solar export.
                let usage = f64::from(rng.random_range(-20..60)) / 8.0;
                Interval { start: t, end: t + 900, usage, ghg_emissions: None }
            })
            .collect();
        Columns::from_intervals(intervals)
    }

    #[test]
    fn decimation_keeps_every_pixel_columns_first_min_max_and_last() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed);
        for case in 0..300 {
            let n = rng.random_range(1..3000);
            let columns = random_columns(&mut rng, n);
            let pyramid = Pyramid::build(&columns.usage);
            let first = columns.start[0];
            let last = *columns.end.last().unwrap();
            let from = rng.random_range(first - 5000..last);
            let to = rng.random_range(from + 1..last + 5000);
            let width = rng.random_range(1..400);
            let expected = naive(&columns, from, to, width);
            let context = format!("case {case}: n {n}, [{from}, {to}) over {width} px");
            assert_eq!(decimate(&columns, &pyramid, from, to, width), expected, "{context}");
            assert_eq!(decimate_scan(&columns, from, to, width), expected, "{context}, scanning");
        }
    }

    #[test]
    fn range_queries_match_a_scan_everywhere() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let columns = random_columns(&mut rng, 777);
        let pyramid = Pyramid::build(&columns.usage);
        for lo in 0..columns.len() {
            for hi in (lo + 1..=columns.len()).step_by(13) {
                let (min, max) = pyramid.min_max(&columns.usage, lo, hi);
                let slice = &columns.usage[lo..hi];
                assert_eq!(columns.usage[min], slice.iter().copied().fold(f64::INFINITY, f64::min));
                assert_eq!(columns.usage[max], slice.iter().copied().fold(f64::NEG_INFINITY, f64::max));
            }
        }
    }

    #[test]
    fn a_million_points_fit_in_four_per_pixel() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let columns = random_columns(&mut rng, 1_051_200);
        let pyramid = Pyramid::build(&columns.usage);
        let buckets = decimate(&columns, &pyramid, columns.start[0], *columns.end.last().unwrap(), 1200);
        assert!(buckets.len() <= 1200);
        let covered: usize = buckets.iter().map(|b| b.last - b.first + 1).sum();
        assert_eq!(covered, columns.len(), "every interval is in exactly one bucket");
    }

    #[test]
    fn tiny_inputs() {
        let empty = Columns::default();
        assert!(decimate(&empty, &Pyramid::build(&empty.usage), 0, 10, 100).is_empty());
        let one = Columns::from_intervals(vec![Interval { start: 5, end: 10, usage: 2.0, ghg_emissions: None }]);
        let buckets = decimate(&one, &Pyramid::build(&one.usage), 0, 100, 10);
        assert_eq!(buckets, [Bucket { first: 0, min: 0, max: 0, last: 0 }]);
    }
}
