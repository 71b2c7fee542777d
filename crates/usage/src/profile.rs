//! The typical day: how much is used in each local hour of the day, on
//! average, for weekdays and for weekends apart. Each interval counts in
//! the wall-clock hour it starts in and weighs by its length, so the spring
//! day's missing hour adds nothing and the autumn day's repeated hour adds
//! two hours' use over two hours: the average stays a true hourly rate.

use crate::aggregate::Zone;
use crate::columns::Columns;
use pelm_model::civil::{weekday, DAY, HOUR};

/// Average use per hour in each local hour, 0 to 23; `None` where no data
/// fell. The companion's `GET /api/typical-day` answers it as JSON.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TypicalDay {
    pub weekdays: [Option<f64>; 24],
    pub weekends: [Option<f64>; 24],
}

/// The typical day of the intervals starting in `[from, to)`, or `None`
/// when there are none shorter than an hour to tell the hours apart.
pub fn typical_day(columns: &Columns, from: i64, to: i64, zone: &impl Zone) -> Option<TypicalDay> {
    // Usage and seconds covered, per hour of day, for weekdays then weekends.
    let mut sums = [[(0.0f64, 0i64); 24]; 2];
    let mut any = false;
    for i in columns.index_at(from)..columns.index_at(to) {
        let length = columns.end[i] - columns.start[i];
        if length > HOUR {
            continue;
        }
        let local = columns.start[i] + zone.offset_at(columns.start[i]);
        let weekend = matches!(weekday(local.div_euclid(DAY)), 0 | 6);
        let cell = &mut sums[usize::from(weekend)][(local.rem_euclid(DAY) / HOUR) as usize];
        cell.0 += columns.usage[i];
        cell.1 += length;
        any = true;
    }
    let average =
        |cells: &[(f64, i64); 24]| cells.map(|(usage, secs)| (secs > 0).then(|| usage * HOUR as f64 / secs as f64));
    any.then(|| TypicalDay { weekdays: average(&sums[0]), weekends: average(&sums[1]) })
}

#[cfg(test)]
mod tests {
    use pelm_model::pelm::Interval;

    use super::*;
    use pelm_model::civil::{days_from_civil, EASTERN, PACIFIC};

    /// Every 15 minutes: a quarter of (hour + 1) on weekdays, of 2 × (hour + 1) at weekends.
    fn quarter_hours(zone: &impl Zone, from: i64, to: i64) -> Columns {
        let intervals = (0..)
            .map(|i| from + i * 900)
            .take_while(|&t| t < to)
            .map(|t| {
                let local = t + zone.offset_at(t);
                let hour = (local.rem_euclid(DAY) / HOUR) as f64;
                let weekend = matches!(weekday(local.div_euclid(DAY)), 0 | 6);
                let per_hour = if weekend { 2.0 * (hour + 1.0) } else { hour + 1.0 };
                Interval { start: t, end: t + 900, usage: per_hour / 4.0, ghg_emissions: None }
            })
            .collect();
        Columns::from_intervals(intervals)
    }

    #[test]
    fn each_local_hour_averages_right_through_both_changes_in_two_zones() {
        for zone in [PACIFIC, EASTERN] {
            for (first, last) in [((2024, 3, 4), (2024, 3, 17)), ((2024, 10, 28), (2024, 11, 10))] {
                let from = zone.midnight_utc(days_from_civil(first.0, first.1, first.2));
                let to = zone.midnight_utc(days_from_civil(last.0, last.1, last.2));
                let columns = quarter_hours(&zone, from, to);
                let day = typical_day(&columns, from, to, &zone).unwrap();
                for hour in 0..24 {
                    let h = hour as f64 + 1.0;
                    assert_eq!(day.weekdays[hour], Some(h), "{} weekday {hour}:00", zone.name);
                    assert_eq!(day.weekends[hour], Some(2.0 * h), "{} weekend {hour}:00", zone.name);
                }
            }
        }
    }

    #[test]
    fn a_missing_hour_is_none_and_daily_data_has_no_typical_day() {
        let from = days_from_civil(2024, 1, 1) * DAY; // a Monday
        let columns = Columns::from_intervals(
            (0..24)
                .filter(|&h| h != 5)
                .map(|h| Interval {
                    start: from + h * HOUR,
                    end: from + (h + 1) * HOUR,
                    usage: 1.0,
                    ghg_emissions: None,
                })
                .collect(),
        );
        let day = typical_day(&columns, from, from + DAY, &crate::aggregate::FixedOffset(0)).unwrap();
        assert_eq!((day.weekdays[4], day.weekdays[5]), (Some(1.0), None));
        assert!(day.weekends.iter().all(Option::is_none));
        let daily =
            Columns::from_intervals(vec![Interval { start: from, end: from + DAY, usage: 9.0, ghg_emissions: None }]);
        assert_eq!(typical_day(&daily, from, from + DAY, &crate::aggregate::FixedOffset(0)), None);
    }
}
