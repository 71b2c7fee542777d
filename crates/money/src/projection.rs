//! The bill of the cycle under way: its usage so far, the usage to come,
//! and what it will cost, as a figure and a range. The range is what the
//! same method missed by on this account's own past cycles, replayed from
//! the same day of the cycle: measured, not guessed. When the data is too
//! short to say, it says that instead.

use crate::cost::{BillFacts, CostModel, FEWEST_BILLS};
use crate::cycle::next_end;
use crate::days::{weekend, Days};

/// A past bill in local days `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PastBill {
    pub start: i64,
    pub end: i64,
    pub amount: f64,
}

/// Why there is no projection yet.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Short {
    /// Fewer than [`FEWEST_BILLS`] bills: nothing to calibrate on.
    FewBills { bills: usize },
    /// The readings so far cover `share` of the cycle's days so far.
    FewReadings { share: f64 },
    /// The newest reading is `days` old: the utility is late.
    Late { days: i64 },
    /// No usage at all: the connection is still collecting, or the usage
    /// could not be read.
    NoReadings,
    /// The bills' periods do not say when this one ends.
    NoCycle,
    /// The method's own past misses at this day of the cycle make a range
    /// wider than `share` of the figure: a figure would mislead.
    Unsure { share: f64 },
}

/// What the cycle under way is expected to cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    /// Local days `[start, end)` of the cycle; `end` as the history says.
    pub start: i64,
    pub end: i64,
    /// The first local day not read yet.
    pub read_to: i64,
    /// Usage of each meter so far, and expected by the cycle's end.
    pub so_far: Vec<f64>,
    pub expected: Vec<f64>,
    pub amount: f64,
    /// From the replays' errors; `None` with fewer than [`FEWEST_REPLAYS`].
    pub range: Option<(f64, f64)>,
    /// Median absolute error of the replays, a share of the bills.
    pub error: Option<f64>,
    pub replays: usize,
    /// Share of the cycle's days so far that have readings.
    pub readings: f64,
    /// Where the model found the prices changed, if it did.
    pub rate_change: Option<i64>,
}

/// Readings must cover this share of the cycle's days so far.
pub const ENOUGH_READINGS: f64 = 0.75;
/// Newest data older than this many days is late.
pub const LATE_AFTER_DAYS: i64 = 3;
/// Fewest replays a range is measured on.
pub const FEWEST_REPLAYS: usize = 4;
/// The days before the newest reading that say how the home lives now.
const RECENT_DAYS: i64 = 21;
/// Half a range wider than this share of the figure (of half a usual bill
/// at least) is not shown.
pub const WIDEST: f64 = 0.5;
/// The share of bills the range is built to hold.
pub const COVERAGE: f64 = 0.85;

#[derive(Debug, Clone, PartialEq)]
pub enum Projection {
    Ready(Forecast),
    Short(Short),
}

/// The projection on local day `today` for the cycle after the newest of
/// `bills`, from each meter's `days` (the bill covers them all).
pub fn project(bills: &[PastBill], meters: &[Days], today: i64) -> Projection {
    let mut bills = bills.to_vec();
    bills.sort_by_key(|b| b.start);
    if bills.len() < FEWEST_BILLS {
        return Projection::Short(Short::FewBills { bills: bills.len() });
    }
    // Every meter's usage is needed: the bill charges them all.
    let Some(read_to) =
        meters.iter().map(Days::end).collect::<Option<Vec<i64>>>().and_then(|ends| ends.into_iter().min())
    else {
        return Projection::Short(Short::NoReadings);
    };
    let read_to = read_to.min(today);
    let start = bills.last().map_or(0, |b| b.end);
    let elapsed = (today - start).max(1);
    if today - read_to > LATE_AFTER_DAYS {
        return Projection::Short(Short::Late { days: today - read_to });
    }
    // The days a reading could be in by now: a utility sends each day a day
    // or so late, and a later one is the late check's to say.
    let readable = (read_to - start).max(0);
    let known = meters.first().map_or(0, |m| m.sum(start, read_to).1);
    // A cycle begun today or yesterday has no day to read yet, and none missing.
    let readings = if readable == 0 { 1.0 } else { known as f64 / readable as f64 };
    if readings < ENOUGH_READINGS {
        return Projection::Short(Short::FewReadings { share: readings });
    }
    let Some(now) = estimate(&bills, meters, read_to) else {
        return Projection::Short(Short::NoCycle);
    };
    // The same method, on each past cycle, from the same day of it and with
    // the same lag, against the bill that came.
    let lag = today - read_to;
    let errors: Vec<(f64, f64)> = (FEWEST_BILLS..bills.len())
        .filter_map(|k| {
            let cut: Vec<Days> = meters.iter().map(|m| m.before(bills[k].start + elapsed - lag)).collect();
            let replay = estimate(&bills[..k], &cut, bills[k].start + elapsed - lag)?;
            (replay.end == bills[k].end).then_some((bills[k].amount - replay.amount, bills[k].amount))
        })
        .collect();
    let replays = errors.len();
    let error = (replays > 0).then(|| {
        let mut shares: Vec<f64> = errors.iter().map(|(e, actual)| (e / actual).abs()).collect();
        quantile(&mut shares, 0.5)
    });
    // Each miss as a share of its bill, but of no less than half a usual
    // bill, so that a solar home's bill near zero does not make it endless.
    let usual = bills.iter().map(|b| b.amount.abs()).sum::<f64>() / bills.len() as f64;
    let scale = |amount: f64| amount.abs().max(0.5 * usual);
    let mut misses: Vec<f64> = errors.iter().map(|(e, actual)| e.abs() / scale(*actual)).collect();
    let half = conformal(&mut misses, COVERAGE).map(|miss| miss * scale(now.amount));
    if let Some(half) = half.filter(|half| *half > WIDEST * scale(now.amount)) {
        return Projection::Short(Short::Unsure { share: half / scale(now.amount) });
    }
    let range = half.map(|half| (now.amount - half, now.amount + half));
    Projection::Ready(Forecast { range, error, replays, readings, ..now })
}

/// The cycle after `bills` and its cost, from what was read before `read_to`.
fn estimate(bills: &[PastBill], meters: &[Days], read_to: i64) -> Option<Forecast> {
    let ends: Vec<i64> = bills.iter().map(|b| b.end).collect();
    let start = *ends.last()?;
    let end = next_end(&ends)?;
    let facts: Vec<BillFacts> = bills.iter().filter_map(|b| facts(b, meters)).collect();
    let model = CostModel::fit(&facts, (start + end) / 2)?;
    let (mut so_far, mut expected) = (Vec::new(), Vec::new());
    for days in meters {
        let (read, whole) = usage(days, start, end, read_to)?;
        so_far.push(read);
        expected.push(whole);
    }
    Some(Forecast {
        start,
        end,
        read_to,
        amount: model.amount((end - start) as f64, &expected),
        so_far,
        expected,
        range: None,
        error: None,
        replays: 0,
        readings: 1.0,
        rate_change: model.rate_change,
    })
}

/// A bill with each meter's usage over its days; `None` when a meter's
/// days are not nearly all read.
pub fn facts(bill: &PastBill, meters: &[Days]) -> Option<BillFacts> {
    let days = bill.end - bill.start;
    let usage = meters
        .iter()
        .map(|m| {
            let (sum, known) = m.sum(bill.start, bill.end);
            (known as f64 >= 0.9 * days as f64).then(|| sum * days as f64 / known as f64)
        })
        .collect::<Option<Vec<f64>>>()?;
    Some(BillFacts { start: bill.start, end: bill.end, amount: bill.amount, usage })
}

/// One meter's usage over `[start, end)`: what was read before `read_to`,
/// and that with the rest expected. Each day to come is the recent weeks'
/// mean of its kind (weekday or weekend), moved by how much the same days
/// a year before differed from that year's recent weeks.
fn usage(days: &Days, start: i64, end: i64, read_to: i64) -> Option<(f64, f64)> {
    let recent = (read_to - RECENT_DAYS)..read_to;
    let by_kind = |range: std::ops::Range<i64>, weekend_days: bool| -> (f64, usize) {
        range
            .filter(|&d| weekend(d) == weekend_days)
            .filter_map(|d| days.get(d))
            .fold((0.0, 0), |(s, n), u| (s + u, n + 1))
    };
    let level = |weekend_days: bool| -> Option<f64> {
        let (sum, n) = by_kind(recent.clone(), weekend_days);
        if n >= 2 {
            return Some(sum / n as f64);
        }
        let (all, n) = days.sum(recent.start, recent.end);
        (n >= 3).then(|| all / n as f64)
    };
    // A year back by whole weeks, so weekdays stay weekdays.
    const YEAR_BACK: i64 = 364;
    let season = |weekend_days: bool| -> f64 {
        let then = by_kind((recent.start - YEAR_BACK)..(recent.end - YEAR_BACK), weekend_days);
        let ahead = by_kind((read_to.max(start) - YEAR_BACK)..(end - YEAR_BACK), weekend_days);
        match (then, ahead) {
            ((s0, n0), (s1, n1)) if n0 >= 2 && n1 >= 1 => s1 / n1 as f64 - s0 / n0 as f64,
            _ => 0.0,
        }
    };
    let mut expected_of = [None, None];
    let mut read = 0.0;
    let mut whole = 0.0;
    for d in start..end {
        match days.get(d).filter(|_| d < read_to) {
            Some(u) => {
                read += u;
                whole += u;
            }
            None => {
                let kind = weekend(d) as usize;
                if expected_of[kind].is_none() {
                    expected_of[kind] = Some(level(kind == 1)? + season(kind == 1));
                }
                whole += expected_of[kind]?;
            }
        }
    }
    Some((read, whole))
}

/// The miss that a new one stays within with probability `coverage`, if
/// the replays' misses are like it: the ⌈(n + 1) × coverage⌉-th smallest
/// of n (split conformal prediction). `None` when n is too few to say.
fn conformal(misses: &mut [f64], coverage: f64) -> Option<f64> {
    misses.sort_by(f64::total_cmp);
    let rank = ((misses.len() + 1) as f64 * coverage).ceil() as usize;
    (misses.len() >= FEWEST_REPLAYS && rank <= misses.len()).then(|| misses[rank - 1])
}

/// The `q` quantile of `xs`, interpolated; sorts them.
fn quantile(xs: &mut [f64], q: f64) -> f64 {
    xs.sort_by(f64::total_cmp);
    let at = q * (xs.len() - 1) as f64;
    let (lo, hi) = (at.floor() as usize, at.ceil() as usize);
    xs[lo] + (xs[hi] - xs[lo]) * (at - lo as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIRST: i64 = 20_000;

    /// A home using 10 units a weekday and 14 a weekend day, billed
    /// 0.4 a day and 0.3 a unit in 30-day periods.
    fn home(periods: i64) -> (Vec<PastBill>, Days) {
        let usage = |d: i64| if weekend(d) { 14.0 } else { 10.0 };
        let days = Days::from_daily(FIRST, (FIRST..FIRST + 30 * periods + 40).map(|d| Some(usage(d))).collect());
        let bills = (0..periods)
            .map(|k| {
                let (start, end) = (FIRST + 30 * k, FIRST + 30 * (k + 1));
                PastBill { start, end, amount: 0.4 * 30.0 + 0.3 * days.sum(start, end).0 }
            })
            .collect();
        (bills, days)
    }

    #[test]
    fn a_steady_home_is_projected_to_the_cent_with_a_range_from_its_replays() {
        let (bills, days) = home(12);
        let start = FIRST + 30 * 12;
        let Projection::Ready(f) = project(&bills, &[days.before(start + 14)], start + 15) else {
            panic!("twelve bills and every reading")
        };
        assert_eq!((f.start, f.end), (start, start + 30));
        let actual = 0.4 * 30.0 + 0.3 * days.sum(start, start + 30).0;
        assert!((f.amount - actual).abs() < 0.01, "{} against {actual}", f.amount);
        let (low, high) = f.range.expect("seven replays");
        assert!(low <= actual && actual <= high);
        assert_eq!(f.replays, 12 - FEWEST_BILLS);
    }

    #[test]
    fn a_cycle_begun_yesterday_is_projected_from_the_weeks_before() {
        let (bills, days) = home(12);
        let start = FIRST + 30 * 12;
        let Projection::Ready(f) = project(&bills, &[days.before(start)], start + 1) else {
            panic!("no reading is due yet, so none is missing")
        };
        assert_eq!(f.so_far, vec![0.0]);
        let actual = 0.4 * 30.0 + 0.3 * days.sum(start, start + 30).0;
        assert!((f.amount - actual).abs() / actual < 0.02, "{} against {actual}", f.amount);
    }

    #[test]
    fn short_data_says_so_instead_of_a_figure() {
        let (bills, days) = home(12);
        let start = FIRST + 30 * 12;
        assert_eq!(
            project(&bills[..2], std::slice::from_ref(&days), start + 10),
            Projection::Short(Short::FewBills { bills: 2 })
        );
        // The newest reading five days old: late.
        assert_eq!(project(&bills, &[days.before(start + 5)], start + 10), Projection::Short(Short::Late { days: 5 }));
        // No usage, or a meter without any: collecting, or not loaded.
        assert_eq!(project(&bills, &[], start + 10), Projection::Short(Short::NoReadings));
        let empty = Days::from_daily(FIRST, Vec::new());
        assert_eq!(project(&bills, &[days.clone(), empty], start + 10), Projection::Short(Short::NoReadings));
        // Half the cycle's days so far unread.
        let mut gappy: Vec<Option<f64>> = (FIRST..start + 10).map(|d| Some(d as f64)).collect();
        let len = gappy.len();
        for day in gappy[len - 10..len - 1].iter_mut().step_by(2) {
            *day = None;
        }
        let Projection::Short(Short::FewReadings { share }) =
            project(&bills, &[Days::from_daily(FIRST, gappy)], start + 10)
        else {
            panic!("gaps")
        };
        assert!(share < ENOUGH_READINGS);
    }
}
