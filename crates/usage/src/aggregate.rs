//! Summing intervals into hours, days, weeks and months of the user's local
//! calendar. A day with a daylight saving change is 23 or 25 hours long, and
//! the repeated hour of an autumn change is two hours, not one.

use serde::{Deserialize, Serialize};

use crate::columns::{Columns, Sums};
use pelm_model::civil::{civil_from_days, days_from_civil, next_month_start, UsZone, DAY, HOUR};

/// Local time: seconds to add to a UTC instant to get wall-clock time. The
/// browser answers from `Date`; tests and the sandbox use [`UsZone`].
pub trait Zone {
    fn offset_at(&self, utc: i64) -> i64;
}

impl Zone for UsZone {
    fn offset_at(&self, utc: i64) -> i64 {
        UsZone::offset_at(self, utc)
    }
}

/// A zone that asks the one it wraps at most twice per local day: offsets
/// change at most a few times a year, and asking the browser costs a `Date`
/// each time, which a million intervals would feel.
pub struct DailyZone<Z> {
    zone: Z,
    /// The UTC span `[from, to)` known to have `offset`.
    known: std::cell::Cell<(i64, i64, i64)>,
}

impl<Z: Zone> DailyZone<Z> {
    pub fn new(zone: Z) -> Self {
        Self { zone, known: std::cell::Cell::new((0, 0, 0)) }
    }
}

impl<Z: Zone> Zone for DailyZone<Z> {
    fn offset_at(&self, utc: i64) -> i64 {
        let (from, to, offset) = self.known.get();
        if (from..to).contains(&utc) {
            return offset;
        }
        // The UTC day around it; if both ends agree, so does all of it (no
        // zone changes offset twice within a day).
        let from = utc.div_euclid(DAY) * DAY;
        let (start, end) = (self.zone.offset_at(from), self.zone.offset_at(from + DAY - 1));
        if start == end {
            self.known.set((from, from + DAY, start));
            start
        } else {
            self.zone.offset_at(utc)
        }
    }
}

/// A zone without daylight saving, such as UTC (`FixedOffset(0)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedOffset(pub i64);

impl Zone for FixedOffset {
    fn offset_at(&self, _utc: i64) -> i64 {
        self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Level {
    #[default]
    #[serde(rename = "interval")]
    Raw,
    #[serde(rename = "hour")]
    Hourly,
    #[serde(rename = "day")]
    Daily,
    /// Weeks start on Monday (ISO 8601).
    #[serde(rename = "week")]
    Weekly,
    #[serde(rename = "month")]
    Monthly,
}

impl Level {
    /// Every level, finest first.
    pub const ALL: [Level; 5] = [Level::Raw, Level::Hourly, Level::Daily, Level::Weekly, Level::Monthly];

    /// The level's name in a URL, in the companion's `level` parameter and
    /// in words ("usage per day"): `interval`, `hour`, `day`, `week`, `month`.
    pub fn name(self) -> &'static str {
        match self {
            Level::Raw => "interval",
            Level::Hourly => "hour",
            Level::Daily => "day",
            Level::Weekly => "week",
            Level::Monthly => "month",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.name() == name)
    }
}

/// The usage of one local hour, day, week or month.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bin {
    /// UTC instants of the local period's start and end.
    pub start: i64,
    pub end: i64,
    pub usage: f64,
    /// Summed where intervals have them; `None` when the data has none.
    pub emissions: Option<f64>,
    /// How many intervals fell in the period: fewer than expected means a gap.
    pub intervals: usize,
    /// When the period's largest interval started, and its usage.
    pub peak: (i64, f64),
}

impl Columns {
    /// Aggregated periods as columns of their own, so they are drawn,
    /// decimated and hovered exactly like raw intervals.
    pub fn from_bins(bins: &[Bin]) -> Self {
        let any_emissions = bins.iter().any(|b| b.emissions.is_some());
        Columns {
            start: bins.iter().map(|b| b.start).collect(),
            end: bins.iter().map(|b| b.end).collect(),
            usage: bins.iter().map(|b| b.usage).collect(),
            emissions: any_emissions.then(|| bins.iter().map(|b| b.emissions.unwrap_or(f64::NAN)).collect()),
            sums: Some(Sums {
                count: bins.iter().map(|b| b.intervals as u32).collect(),
                peak: bins.iter().map(|b| b.peak.1).collect(),
                peak_start: bins.iter().map(|b| b.peak.0).collect(),
            }),
        }
    }
}

/// The UTC instant of local midnight starting local day `day`. Zones change
/// offset away from midnight, so the offset a little after it is its own.
pub fn midnight(zone: &impl Zone, day: i64) -> i64 {
    let guess = day * DAY - zone.offset_at(day * DAY);
    day * DAY - zone.offset_at(guess)
}

/// The local period an interval starting at `start` falls in, as a key that
/// changes exactly when the period does, and that period's UTC bounds.
pub(crate) fn period(level: Level, zone: &impl Zone, start: i64, end: i64) -> ((i64, i64), (i64, i64)) {
    let offset = zone.offset_at(start);
    let local = start + offset;
    let day = local.div_euclid(DAY);
    match level {
        Level::Raw => ((start, 0), (start, end)),
        Level::Hourly => {
            // With the offset in the key, the repeated autumn hour is two hours.
            let hour = local.div_euclid(HOUR);
            let from = hour * HOUR - offset;
            ((hour, offset), (from, from + HOUR))
        }
        Level::Daily => ((day, 0), (midnight(zone, day), midnight(zone, day + 1))),
        Level::Weekly => {
            // 1970-01-01 was a Thursday: day + 3 counts from a Monday.
            let monday = day - (day + 3).rem_euclid(7);
            ((monday, 0), (midnight(zone, monday), midnight(zone, monday + 7)))
        }
        Level::Monthly => {
            let (year, month, _) = civil_from_days(day);
            let first = days_from_civil(year, month, 1);
            ((first, 0), (midnight(zone, first), midnight(zone, next_month_start(year, month))))
        }
    }
}

/// Sums `columns` into local periods of `level`, in time order. Periods with
/// no interval are absent, not zero: no data is not no usage. The rows may
/// be periods summed already (days into weeks): their counts add up, and a
/// period's peak is the largest of theirs. Of equal peaks the first is kept.
pub fn aggregate(columns: &Columns, level: Level, zone: &impl Zone) -> Vec<Bin> {
    let mut bins: Vec<Bin> = Vec::new();
    let mut current_key = None;
    for i in 0..columns.len() {
        let (key, (start, end)) = period(level, zone, columns.start[i], columns.end[i]);
        let emissions = columns.emissions.as_ref().map(|e| if e[i].is_nan() { 0.0 } else { e[i] });
        let (intervals, peak) = (columns.count(i) as usize, columns.peak(i));
        if current_key == Some(key) {
            let bin = bins.last_mut().expect("a bin for the current key");
            bin.usage += columns.usage[i];
            bin.emissions = bin.emissions.zip(emissions).map(|(a, b)| a + b);
            bin.intervals += intervals;
            if peak.1 > bin.peak.1 {
                bin.peak = peak;
            }
        } else {
            current_key = Some(key);
            bins.push(Bin { start, end, usage: columns.usage[i], emissions, intervals, peak });
        }
    }
    bins
}

#[cfg(test)]
mod tests {
    use pelm_model::pelm::Interval;
    use rand::{Rng, SeedableRng};

    use super::*;
    use pelm_model::civil::{EASTERN, PACIFIC};

    fn steady(from: i64, to: i64, step: i64) -> Columns {
        let intervals = (0..)
            .map(|i| from + i * step)
            .take_while(|t| t + step <= to)
            .map(|t| Interval { start: t, end: t + step, usage: 1.0, ghg_emissions: Some(0.5) })
            .collect();
        Columns::from_intervals(intervals)
    }

    #[test]
    fn daylight_saving_days_are_23_and_25_hours_in_two_zones() {
        for zone in [PACIFIC, EASTERN] {
            let spring = days_from_civil(2024, 3, 10);
            let fall = days_from_civil(2024, 11, 3);
            let columns = steady(zone.midnight_utc(spring - 1), zone.midnight_utc(fall + 2), 900);
            let days = aggregate(&columns, Level::Daily, &zone);
            let day = |d: i64| *days.iter().find(|b| b.start == zone.midnight_utc(d)).unwrap();
            assert_eq!(day(spring).end - day(spring).start, 23 * HOUR, "{}", zone.name);
            assert_eq!(day(spring).intervals, 92);
            assert_eq!(day(spring).usage, 92.0);
            assert_eq!(day(fall).end - day(fall).start, 25 * HOUR, "{}", zone.name);
            assert_eq!(day(fall).intervals, 100);
            assert_eq!(day(fall + 1).intervals, 96);

            // The autumn day in hours: 25 of them, two of them 1 a.m.
            let hours: Vec<Bin> = aggregate(&columns, Level::Hourly, &zone)
                .into_iter()
                .filter(|b| b.start >= zone.midnight_utc(fall) && b.start < zone.midnight_utc(fall + 1))
                .collect();
            assert_eq!(hours.len(), 25, "{}", zone.name);
            let one_am = hours.iter().filter(|b| zone.local(b.start).rem_euclid(DAY) == HOUR).count();
            assert_eq!(one_am, 2);
            assert!(hours.windows(2).all(|w| w[0].end == w[1].start), "hours follow each other");
        }
    }

    #[test]
    fn weeks_start_on_monday_and_months_at_local_midnight_of_the_first() {
        let from = PACIFIC.midnight_utc(days_from_civil(2024, 1, 1));
        let columns = steady(from, from + 120 * DAY, 3600);
        for bin in aggregate(&columns, Level::Weekly, &PACIFIC).iter().skip(1) {
            let day = PACIFIC.local(bin.start).div_euclid(DAY);
            assert_eq!(
                pelm_model::civil::weekday(day),
                1,
                "a week started on weekday {}",
                pelm_model::civil::weekday(day)
            );
            assert_eq!(PACIFIC.local(bin.start).rem_euclid(DAY), 0);
        }
        let months = aggregate(&columns, Level::Monthly, &PACIFIC);
        let starts: Vec<_> = months.iter().map(|b| civil_from_days(PACIFIC.local(b.start).div_euclid(DAY))).collect();
        assert_eq!(starts, [(2024, 1, 1), (2024, 2, 1), (2024, 3, 1), (2024, 4, 1)]);
        // March has the spring change: 31 days less an hour.
        assert_eq!(months[2].end - months[2].start, 31 * DAY - HOUR);
        assert_eq!(months[2].intervals, 31 * 24 - 1);
    }

    #[test]
    fn every_level_keeps_the_total_and_each_interval_once() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(42);
        for _ in 0..50 {
            let mut t = rng.random_range(1_600_000_000..1_700_000_000) / 900 * 900;
            let intervals: Vec<Interval> = (0..rng.random_range(1..5000))
                .map(|_| {
                    t += if rng.random_bool(0.01) { 900 * rng.random_range(2..200) } else { 900 };
                    let usage = f64::from(rng.random_range(-40..200)) / 64.0;
                    Interval { start: t, end: t + 900, usage, ghg_emissions: None }
                })
                .collect();
            let columns = Columns::from_intervals(intervals);
            let total: f64 = columns.usage.iter().sum();
            for zone in [PACIFIC, EASTERN] {
                for level in [Level::Raw, Level::Hourly, Level::Daily, Level::Weekly, Level::Monthly] {
                    let bins = aggregate(&columns, level, &zone);
                    let sum: f64 = bins.iter().map(|b| b.usage).sum();
                    assert!((sum - total).abs() < 1e-6, "{level:?} in {}: {sum} vs {total}", zone.name);
                    assert_eq!(bins.iter().map(|b| b.intervals).sum::<usize>(), columns.len());
                    assert!(bins.windows(2).all(|w| w[0].end <= w[1].start), "{level:?}: bins overlap");
                    assert!(bins.iter().all(|b| b.emissions.is_none()));
                }
            }
        }
    }

    #[test]
    fn gaps_are_absent_periods_and_emissions_sum() {
        let mut columns = steady(0, 3 * DAY, 3600);
        columns = Columns::from_intervals(
            (0..columns.len())
                .filter(|&i| !(24..48).contains(&i))
                .map(|i| Interval {
                    start: columns.start[i],
                    end: columns.end[i],
                    usage: 1.0,
                    ghg_emissions: Some(0.5),
                })
                .collect(),
        );
        let days = aggregate(&columns, Level::Daily, &FixedOffset(0));
        assert_eq!(days.len(), 2, "the empty day is absent, not zero");
        assert_eq!(days[0].emissions, Some(12.0));
        assert!(aggregate(&Columns::default(), Level::Daily, &FixedOffset(0)).is_empty());
    }

    #[test]
    fn days_summed_into_weeks_count_and_peak_as_the_intervals_would() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let from = PACIFIC.midnight_utc(days_from_civil(2024, 2, 26));
        let intervals = (0..96 * 70)
            .filter_map(|i| {
                let t = from + i * 900;
                let usage = f64::from(rng.random_range(0..400)) / 100.0;
                (!rng.random_bool(0.02)).then_some(Interval { start: t, end: t + 900, usage, ghg_emissions: None })
            })
            .collect();
        let raw = Columns::from_intervals(intervals);
        let days = Columns::from_bins(&aggregate(&raw, Level::Daily, &PACIFIC));
        for level in [Level::Weekly, Level::Monthly] {
            let direct = aggregate(&raw, level, &PACIFIC);
            let via_days = aggregate(&days, level, &PACIFIC);
            assert_eq!(direct.len(), via_days.len());
            for (a, b) in direct.iter().zip(&via_days) {
                assert_eq!((a.start, a.end, a.intervals, a.peak), (b.start, b.end, b.intervals, b.peak), "{level:?}");
                assert!((a.usage - b.usage).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn levels_are_named_as_the_url_and_the_companion_name_them() {
        for level in Level::ALL {
            assert_eq!(Level::from_name(level.name()), Some(level));
        }
        assert_eq!(Level::from_name("daily"), None);
    }

    #[test]
    fn a_daily_zone_answers_as_the_zone_it_wraps() {
        let zone = DailyZone::new(EASTERN);
        let start = pelm_model::civil::days_from_civil(2023, 1, 1) * DAY;
        // Every quarter hour of two years, both changes included, in order and back.
        let instants: Vec<i64> = (0..2 * 365 * 96).map(|i| start + i * 900).collect();
        for &t in instants.iter().chain(instants.iter().rev().step_by(97)) {
            assert_eq!(zone.offset_at(t), EASTERN.offset_at(t), "at {t}");
        }
    }

    #[test]
    fn a_row_counts_and_peaks_as_itself_until_summed() {
        let columns = Columns::from_intervals(vec![
            Interval { start: 0, end: 900, usage: 2.0, ghg_emissions: None },
            Interval { start: 900, end: 1800, usage: 3.0, ghg_emissions: None },
        ]);
        assert_eq!((columns.count(1), columns.peak(1)), (1, (900, 3.0)));
        let bins = aggregate(&columns, Level::Hourly, &FixedOffset(0));
        let summed = Columns::from_bins(&bins);
        assert_eq!((summed.count(0), summed.peak(0), summed.usage[0]), (2, (900, 3.0), 5.0));
        assert_eq!(summed.between(0, 1).sums, summed.sums, "slices keep the sums");
    }
}
