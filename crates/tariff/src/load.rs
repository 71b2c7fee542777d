//! Intervals placed once in the account's local time. A time-of-use
//! schedule asks of each interval its local month, hour and whether the day
//! is a weekday; a daily tier asks which days a billing period has. Those
//! answers do not depend on the plan, so they are worked out once here and
//! every plan (and every step of the shift slider) reuses them.

use pelm_model::civil::{civil_from_days, weekday, DAY};

/// A billing period: local days `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cycle {
    pub from: i64,
    pub to: i64,
}

impl Cycle {
    pub fn days(&self) -> i64 {
        self.to - self.from
    }

    /// Calendar months from the month of local day `from` to that of `to`,
    /// each whole or cut at the ends.
    pub fn months(from: i64, to: i64) -> Vec<Cycle> {
        let mut out = Vec::new();
        let mut start = from;
        while start < to {
            let (y, m, _) = civil_from_days(start);
            let next = pelm_model::civil::next_month_start(y, m);
            out.push(Cycle { from: start, to: next.min(to) });
            start = next;
        }
        out
    }
}

/// The intervals of one meter, in time order, with where each falls.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Load {
    /// Local day of each interval's start.
    pub day: Vec<i64>,
    /// `month × 24 + hour`, plus [`WEEKEND`] on weekends and holidays.
    pub slot: Vec<u16>,
    /// Use in the interval; below zero, energy sent to the grid.
    pub usage: Vec<f64>,
}

/// The flag in a slot for a weekend day or a holiday.
pub const WEEKEND: u16 = 512;

impl Load {
    /// `start` (UTC seconds) and `usage` of each interval, oldest first;
    /// `local` turns UTC seconds into local wall-clock seconds; `holidays`
    /// are local days priced on the weekend schedule. Each interval is
    /// priced at the hour it starts in: URDB schedules are hourly, and
    /// intervals of an hour or less never straddle two hours.
    pub fn new(start: &[i64], usage: &[f64], local: impl Fn(i64) -> i64, holidays: &[i64]) -> Load {
        let n = start.len().min(usage.len());
        let mut load = Load { day: Vec::with_capacity(n), slot: Vec::with_capacity(n), usage: Vec::with_capacity(n) };
        // Months are asked of each day only once.
        let mut last_day = i64::MIN;
        let mut day_slot = 0u16;
        for i in 0..n {
            let local = local(start[i]);
            let day = local.div_euclid(DAY);
            if day != last_day {
                let (_, month, _) = civil_from_days(day);
                let weekend = matches!(weekday(day), 0 | 6) || holidays.contains(&day);
                day_slot = (month as u16 - 1) * 24 + if weekend { WEEKEND } else { 0 };
                last_day = day;
            }
            let hour = (local.rem_euclid(DAY) / 3600) as u16;
            load.day.push(day);
            load.slot.push(day_slot + hour);
            load.usage.push(usage[i]);
        }
        load
    }

    pub fn len(&self) -> usize {
        self.usage.len()
    }

    pub fn is_empty(&self) -> bool {
        self.usage.is_empty()
    }

    /// The local days the intervals cover, `[first, last + 1)`.
    pub fn span(&self) -> Option<(i64, i64)> {
        Some((*self.day.first()?, *self.day.last()? + 1))
    }
}

/// Month (0–11), hour (0–23) and whether the slot is a weekend's.
pub fn slot_parts(slot: u16) -> (usize, usize, bool) {
    let base = slot & !WEEKEND;
    ((base / 24) as usize, (base % 24) as usize, slot & WEEKEND != 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pelm_model::civil::{days_from_civil, PACIFIC};

    #[test]
    fn hours_are_local_so_daylight_saving_moves_them() {
        // 2025-07-01 00:00 UTC is 17:00 the day before in Los Angeles (UTC−7 in summer);
        // 2025-01-01 00:00 UTC is 16:00 (UTC−8 in winter).
        let july = days_from_civil(2025, 7, 1) * DAY;
        let january = days_from_civil(2025, 1, 1) * DAY;
        let load = Load::new(&[july, january], &[1.0, 1.0], |t| PACIFIC.local(t), &[]);
        assert_eq!(slot_parts(load.slot[0]), (5, 17, false)); // Monday 30 June
        assert_eq!(slot_parts(load.slot[1]), (11, 16, false)); // Tuesday 31 December
    }

    #[test]
    fn weekends_and_holidays_take_the_weekend_flag() {
        let saturday = days_from_civil(2025, 7, 5);
        let friday = days_from_civil(2025, 7, 4);
        let at = |d: i64| d * DAY + 12 * 3600;
        let load = Load::new(&[at(friday), at(saturday)], &[1.0, 1.0], |t| t, &[]);
        assert!(!slot_parts(load.slot[0]).2 && slot_parts(load.slot[1]).2);
        let holiday = Load::new(&[at(friday)], &[1.0], |t| t, &[friday]);
        assert!(slot_parts(holiday.slot[0]).2);
    }

    #[test]
    fn months_cut_a_span_at_calendar_months() {
        let from = days_from_civil(2025, 1, 15);
        let to = days_from_civil(2025, 3, 10);
        let months = Cycle::months(from, to);
        assert_eq!(months.len(), 3);
        assert_eq!(months[0], Cycle { from, to: days_from_civil(2025, 2, 1) });
        assert_eq!(months[2].to, to);
    }
}
