use pelm_model::pelm::Interval;

/// Intervals as flat columns (one vector per field, not one object per
/// interval), sorted by start, with no two overlapping. The same columns
/// hold periods summed from intervals (hours, days, ...), which then carry
/// [`Sums`]: what a period holds that its total alone does not say.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Columns {
    pub start: Vec<i64>,
    pub end: Vec<i64>,
    pub usage: Vec<f64>,
    /// `None` when no interval carries emissions; otherwise NaN where one lacks them.
    pub emissions: Option<Vec<f64>>,
    /// `None` for intervals, each of which is its own count and peak.
    pub sums: Option<Sums>,
}

/// For each summed period: how many intervals it holds (fewer than it
/// could means a gap), and its largest interval and when that started, so
/// the peak of a range is known without its intervals.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sums {
    pub count: Vec<u32>,
    pub peak: Vec<f64>,
    pub peak_start: Vec<i64>,
}

impl Sums {
    fn slice(&self, lo: usize, hi: usize) -> Self {
        Sums {
            count: self.count[lo..hi].to_vec(),
            peak: self.peak[lo..hi].to_vec(),
            peak_start: self.peak_start[lo..hi].to_vec(),
        }
    }
}

impl Columns {
    /// Columns of what an API answered, tidied by the model's one rule
    /// ([`pelm_model::interval::tidy`]): invalid rows dropped, sorted, and
    /// no period counted twice.
    pub fn from_intervals(intervals: Vec<Interval>) -> Self {
        let intervals = pelm_model::interval::tidy(intervals);
        let any_emissions = intervals.iter().any(|i| i.ghg_emissions.is_some());
        // Sized once: a million intervals should not leave twice that in spare capacity.
        let n = intervals.len();
        let mut columns = Columns {
            start: Vec::with_capacity(n),
            end: Vec::with_capacity(n),
            usage: Vec::with_capacity(n),
            emissions: any_emissions.then(|| Vec::with_capacity(n)),
            sums: None,
        };
        for interval in intervals {
            columns.start.push(interval.start);
            columns.end.push(interval.end);
            columns.usage.push(interval.usage);
            if let Some(emissions) = &mut columns.emissions {
                emissions.push(interval.ghg_emissions.unwrap_or(f64::NAN));
            }
        }
        columns
    }

    /// A copy of the intervals starting in `[from, to)`.
    pub fn between(&self, from: i64, to: i64) -> Self {
        self.slice(self.index_at(from), self.index_at(to))
    }

    /// A copy of the intervals that lie wholly inside `[from, to)`, as Pelm
    /// answers a span: what an answer for a wider span holds of a narrower one.
    pub fn within(&self, from: i64, to: i64) -> Self {
        let lo = self.index_at(from);
        let hi = self.end.partition_point(|&e| e <= to).max(lo);
        self.slice(lo, hi)
    }

    /// A copy of rows `lo..hi`.
    pub fn slice(&self, lo: usize, hi: usize) -> Self {
        Columns {
            start: self.start[lo..hi].to_vec(),
            end: self.end[lo..hi].to_vec(),
            usage: self.usage[lo..hi].to_vec(),
            emissions: self.emissions.as_ref().map(|e| e[lo..hi].to_vec()),
            sums: self.sums.as_ref().map(|s| s.slice(lo, hi)),
        }
    }

    /// How many intervals row `i` holds: one for an interval.
    pub fn count(&self, i: usize) -> u32 {
        self.sums.as_ref().map_or(1, |s| s.count[i])
    }

    /// When row `i`'s largest interval started, and its usage: for an
    /// interval, itself.
    pub fn peak(&self, i: usize) -> (i64, f64) {
        match &self.sums {
            Some(s) => (s.peak_start[i], s.peak[i]),
            None => (self.start[i], self.usage[i]),
        }
    }

    /// These rows with those of `newer` in place of the ones starting in
    /// `[from, to)`, where all of `newer`'s start: a window of detail
    /// arriving beside what was held. Both must be of one kind (intervals,
    /// or periods of one level).
    pub fn splice(&self, from: i64, to: i64, newer: &Columns) -> Columns {
        let (lo, hi) = (self.index_at(from), self.index_at(to));
        let (before, after) = (self.slice(0, lo), self.slice(hi, self.len()));
        let mut out = Columns::default();
        let emissions = self.emissions.is_some() || newer.emissions.is_some();
        let sums = self.sums.is_some() || newer.sums.is_some();
        out.emissions = emissions.then(Vec::new);
        out.sums = sums.then(Sums::default);
        for part in [&before, newer, &after] {
            for i in 0..part.len() {
                // A row reaching into the next one is the same energy twice.
                if out.end.last().is_some_and(|&last| part.start[i] < last) {
                    continue;
                }
                out.push_row(part, i);
            }
        }
        out
    }

    /// Appends row `i` of `from`.
    pub(crate) fn push_row(&mut self, from: &Columns, i: usize) {
        self.start.push(from.start[i]);
        self.end.push(from.end[i]);
        self.usage.push(from.usage[i]);
        if let Some(emissions) = &mut self.emissions {
            emissions.push(from.emissions.as_ref().map_or(f64::NAN, |e| e[i]));
        }
        if let Some(sums) = &mut self.sums {
            let (at, peak) = from.peak(i);
            sums.count.push(from.count(i));
            sums.peak.push(peak);
            sums.peak_start.push(at);
        }
    }

    pub fn len(&self) -> usize {
        self.start.len()
    }

    pub fn is_empty(&self) -> bool {
        self.start.is_empty()
    }

    /// The stretches with no data between two intervals, as `(from, to)`.
    /// A line is never drawn across one.
    pub fn gaps(&self) -> Vec<(i64, i64)> {
        (1..self.len()).filter(|&i| self.start[i] > self.end[i - 1]).map(|i| (self.end[i - 1], self.start[i])).collect()
    }

    /// Index of the first interval starting at or after `t`.
    pub fn index_at(&self, t: i64) -> usize {
        self.start.partition_point(|&s| s < t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interval(start: i64, end: i64, usage: f64) -> Interval {
        Interval { start, end, usage, ghg_emissions: None }
    }

    #[test]
    fn sorts_drops_duplicates_overlaps_and_nonsense() {
        let columns = Columns::from_intervals(vec![
            interval(7200, 10800, 3.0),
            interval(0, 3600, 1.0),
            interval(0, 3600, 9.0),     // duplicate: the first is kept
            interval(1800, 5400, 9.0),  // overlaps the first
            interval(3600, 7200, -2.0), // solar export stays
            interval(9000, 9000, 9.0),  // empty
            interval(10800, 14400, f64::NAN),
        ]);
        assert_eq!(columns.start, [0, 3600, 7200]);
        assert_eq!(columns.usage, [1.0, -2.0, 3.0]);
        assert_eq!(columns.emissions, None);
    }

    #[test]
    fn finds_gaps_and_keeps_missing_emissions_as_nan() {
        let mut with = interval(7200, 10800, 1.0);
        with.ghg_emissions = Some(0.3);
        let columns = Columns::from_intervals(vec![interval(0, 3600, 1.0), with]);
        assert_eq!(columns.gaps(), [(3600, 7200)]);
        let emissions = columns.emissions.unwrap();
        assert!(emissions[0].is_nan());
        assert_eq!(emissions[1], 0.3);
    }

    #[test]
    fn a_window_spliced_in_replaces_its_rows_and_keeps_the_others() {
        let held = Columns::from_intervals((0..6).map(|i| interval(i * 3600, (i + 1) * 3600, 1.0)).collect());
        let mut newer = interval(7200, 9000, 5.0);
        newer.ghg_emissions = Some(0.5);
        let newer = Columns::from_intervals(vec![newer, interval(9000, 10800, 6.0)]);
        let spliced = held.splice(7200, 10800, &newer);
        assert_eq!(spliced.start, [0, 3600, 7200, 9000, 10800, 14400, 18000]);
        assert_eq!(spliced.usage, [1.0, 1.0, 5.0, 6.0, 1.0, 1.0, 1.0]);
        let emissions = spliced.emissions.unwrap();
        assert!(emissions[0].is_nan() && emissions[2] == 0.5, "emissions kept where known: {emissions:?}");
        // An empty window removes what it covers: the companion said nothing is there.
        let emptied = held.splice(3600, 7200, &Columns::default());
        assert_eq!(emptied.start, [0, 7200, 10800, 14400, 18000]);
    }

    #[test]
    fn empty_and_single_point() {
        assert!(Columns::from_intervals(Vec::new()).is_empty());
        let one = Columns::from_intervals(vec![interval(0, 900, 0.5)]);
        assert_eq!((one.len(), one.gaps()), (1, Vec::new()));
    }
}
