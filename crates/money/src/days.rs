//! Usage per local day of one meter: the days a bill counts and a
//! projection repeats. A day counts only when its readings cover it, so a
//! gap is "not known", never "no usage".

use pelm_usage::{Columns, Zone};

use pelm_model::civil::weekday;

/// Share of a day's hours that must be read for the day to count.
const COVERED: f64 = 0.95;

/// One meter's usage per local day (days since 1970-01-01, local).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Days {
    first: i64,
    usage: Vec<Option<f64>>,
}

impl Days {
    /// From hourly (or finer) columns, in `zone`.
    pub fn from_columns(columns: &Columns, zone: &impl Zone) -> Days {
        Self::summed(columns, zone, |u| u)
    }

    /// What a meter that runs both ways (a solar home's) took from the grid
    /// and gave back, each a channel of its own: net metering prices them
    /// differently, and the net of the two hides which moved. `None` for a
    /// meter that never ran backwards.
    pub fn imports_and_exports(columns: &Columns, zone: &impl Zone) -> Option<[Days; 2]> {
        columns
            .usage
            .iter()
            .any(|u| *u < 0.0)
            .then(|| [Self::summed(columns, zone, |u| u.max(0.0)), Self::summed(columns, zone, |u| u.min(0.0))])
    }

    fn summed(columns: &Columns, zone: &impl Zone, part: impl Fn(f64) -> f64) -> Days {
        let local_day = |utc: i64| local_day(utc, zone);
        let (Some(&first), Some(&last)) = (columns.start.first(), columns.start.last()) else {
            return Days::default();
        };
        let (first, last) = (local_day(first), local_day(last));
        let span = (last - first + 1) as usize;
        let (mut usage, mut covered) = (vec![0.0; span], vec![0i64; span]);
        for i in 0..columns.len() {
            let day = (local_day(columns.start[i]) - first) as usize;
            usage[day] += part(columns.usage[i]);
            covered[day] += columns.end[i] - columns.start[i];
        }
        // A day's length is 23, 24 or 25 hours: what its midnights say.
        let midnight = |day: i64| pelm_usage::midnight(zone, day);
        let usage = (0..span)
            .map(|i| {
                let day = first + i as i64;
                let length = midnight(day + 1) - midnight(day);
                (covered[i] as f64 >= COVERED * length as f64).then_some(usage[i])
            })
            .collect();
        Days { first, usage }
    }

    /// From usage per day, `None` where a day is not known; for tests and replays.
    pub fn from_daily(first: i64, usage: Vec<Option<f64>>) -> Days {
        Days { first, usage }
    }

    pub fn get(&self, day: i64) -> Option<f64> {
        usize::try_from(day - self.first).ok().and_then(|i| self.usage.get(i).copied().flatten())
    }

    /// The day after the last known one.
    pub fn end(&self) -> Option<i64> {
        self.usage.iter().rposition(Option::is_some).map(|i| self.first + i as i64 + 1)
    }

    /// These days, as they were known before local day `end`.
    pub fn before(&self, end: i64) -> Days {
        let keep = (end - self.first).clamp(0, self.usage.len() as i64) as usize;
        Days { first: self.first, usage: self.usage[..keep].to_vec() }
    }

    /// The usage over days `[from, to)` and how many of them are known.
    pub fn sum(&self, from: i64, to: i64) -> (f64, usize) {
        (from..to).filter_map(|d| self.get(d)).fold((0.0, 0), |(sum, n), u| (sum + u, n + 1))
    }
}

/// Saturday and Sunday, which homes live differently.
pub fn weekend(day: i64) -> bool {
    matches!(weekday(day), 0 | 6)
}

pub use pelm_usage::local_day;

#[cfg(test)]
mod tests {
    use pelm_model::pelm::Interval;
    use pelm_usage::civil::days_from_civil;
    use pelm_usage::civil::PACIFIC;

    use super::*;

    #[test]
    fn a_day_counts_only_when_its_hours_are_read_and_a_short_day_has_23() {
        // 2026-03-08 is 23 hours long in the Pacific zone.
        let day = days_from_civil(2026, 3, 8);
        let start = PACIFIC.midnight_utc(day);
        let hours = |from: i64, n: i64| {
            (0..n).map(move |h| Interval {
                start: from + h * 3600,
                end: from + h * 3600 + 3600,
                usage: 1.0,
                ghg_emissions: None,
            })
        };
        let columns = Columns::from_intervals(hours(start, 23).chain(hours(start + 23 * 3600, 20)).collect());
        let days = Days::from_columns(&columns, &PACIFIC);
        assert_eq!(days.get(day), Some(23.0));
        assert_eq!(days.get(day + 1), None, "20 of 24 hours is not a day");
        assert_eq!(days.end(), Some(day + 1));
        assert_eq!(days.sum(day - 1, day + 2), (23.0, 1));
    }
}
