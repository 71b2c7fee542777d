//! The periods an export lists, every expected one with or without data,
//! and the times written in its files.

use crate::aggregate::{period, Level, Zone};
use crate::columns::Columns;
use crate::view::format_date;
use pelm_model::civil::DAY;

/// One expected period of an export: its bounds, and the index of its data
/// in the columns, or `None` when the utility sent nothing for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub start: i64,
    pub end: i64,
    pub index: Option<usize>,
}

/// Every period expected from the first to the last period with data in
/// `[from, to)`, with or without data: a gap is rows of its own, not
/// missing rows. Before the first reading nothing was expected, and after
/// the last one the utility has not sent more yet, so neither end is padded.
#[derive(Debug, Clone)]
pub struct Slots<'a, Z> {
    columns: &'a Columns,
    level: Level,
    zone: &'a Z,
    /// The next period with data, and the instant the next slot starts at.
    next: usize,
    at: i64,
    to: i64,
    /// The length of an interval, at `Raw`: the most common one.
    pub(super) step: i64,
}

impl<'a, Z: Zone> Slots<'a, Z> {
    pub fn new(columns: &'a Columns, level: Level, from: i64, to: i64, zone: &'a Z) -> Self {
        let lo = columns.end.partition_point(|&e| e <= from);
        let hi = columns.start.partition_point(|&s| s < to).max(lo);
        let (at, to) = if hi > lo { (columns.start[lo], columns.end[hi - 1]) } else { (0, 0) };
        Self { columns, level, zone, next: lo, at, to, step: typical_step(columns, lo..hi) }
    }

    /// How many slots there are, for progress.
    pub fn estimate(&self) -> usize {
        let data = self.columns.start.partition_point(|&s| s < self.to) - self.next;
        let expected = match self.level {
            Level::Raw => ((self.to - self.at) / self.step.max(1)) as usize,
            _ => data,
        };
        expected.max(data).max(1)
    }
}

impl<Z: Zone> Iterator for Slots<'_, Z> {
    type Item = Slot;

    fn next(&mut self) -> Option<Slot> {
        if self.at >= self.to {
            return None;
        }
        let c = self.columns;
        let upcoming = c.start.get(self.next).copied().unwrap_or(i64::MAX);
        let slot = if upcoming <= self.at {
            self.next += 1;
            Slot { start: upcoming, end: c.end[self.next - 1], index: Some(self.next - 1) }
        } else {
            // The period expected here, cut short where the data picks up.
            let end = match self.level {
                Level::Raw => self.at + self.step,
                level => period(level, self.zone, self.at, self.at + 1).1 .1,
            };
            Slot { start: self.at, end: end.min(upcoming), index: None }
        };
        self.at = slot.end.max(self.at + 1);
        Some(slot)
    }
}

/// The most common length of the periods in `range`, from at most the first
/// thousand of them: meters keep one interval length.
fn typical_step(columns: &Columns, range: std::ops::Range<usize>) -> i64 {
    let mut seen: Vec<(i64, usize)> = Vec::new();
    for i in range.take(1000) {
        let length = columns.end[i] - columns.start[i];
        match seen.iter_mut().find(|(l, _)| *l == length) {
            Some((_, n)) => *n += 1,
            None => seen.push((length, 1)),
        }
    }
    seen.into_iter().max_by_key(|&(length, n)| (n, -length)).map_or(3600, |(length, _)| length)
}

/// `2024-11-03T01:00:00-07:00`: the local time with its offset, ISO 8601.
pub fn iso_local(utc: i64, offset: i64) -> String {
    let mut out = iso_utc(utc + offset);
    out.pop();
    if offset == 0 {
        out.push('Z');
    } else {
        let sign = if offset < 0 { '-' } else { '+' };
        let abs = offset.abs();
        out += &format!("{sign}{:02}:{:02}", abs / 3600, abs % 3600 / 60);
    }
    out
}

/// `2024-11-03T08:00:00Z`.
pub fn iso_utc(utc: i64) -> String {
    let secs = utc.rem_euclid(DAY);
    format!("{}T{:02}:{:02}:{:02}Z", format_date(utc.div_euclid(DAY)), secs / 3600, secs % 3600 / 60, secs % 60)
}

#[cfg(test)]
pub(super) mod tests {
    use pelm_model::pelm::Interval;

    use super::*;
    use pelm_model::civil::{days_from_civil, HOUR, PACIFIC};

    pub(in crate::export) fn intervals(spans: &[(i64, i64)], usage: f64) -> Columns {
        Columns::from_intervals(
            spans.iter().map(|&(start, end)| Interval { start, end, usage, ghg_emissions: None }).collect(),
        )
    }

    #[test]
    fn slots_fill_gaps_with_expected_periods_but_not_the_ends() {
        // 15-minute data with 45 minutes missing, asked for over a wider range.
        let columns = intervals(&[(0, 900), (900, 1800), (4500, 5400)], 1.0);
        let slots: Vec<Slot> = Slots::new(&columns, Level::Raw, -DAY, DAY, &PACIFIC).collect();
        let got: Vec<(i64, i64, bool)> = slots.iter().map(|s| (s.start, s.end, s.index.is_some())).collect();
        assert_eq!(
            got,
            [
                (0, 900, true),
                (900, 1800, true),
                (1800, 2700, false),
                (2700, 3600, false),
                (3600, 4500, false),
                (4500, 5400, true)
            ]
        );
        assert!(Slots::new(&columns, Level::Raw, DAY, 2 * DAY, &PACIFIC).next().is_none());
    }

    #[test]
    fn hourly_slots_on_the_autumn_day_are_25_with_the_gap_kept() {
        let day = days_from_civil(2024, 11, 3);
        let (from, to) = (PACIFIC.midnight_utc(day), PACIFIC.midnight_utc(day + 1));
        let spans: Vec<(i64, i64)> =
            (0..25).map(|h| (from + h * HOUR, from + (h + 1) * HOUR)).filter(|&(s, _)| s != from + 5 * HOUR).collect();
        let columns = intervals(&spans, 1.0);
        let slots: Vec<Slot> = Slots::new(&columns, Level::Hourly, from, to, &PACIFIC).collect();
        assert_eq!(slots.len(), 25);
        assert_eq!(slots.iter().filter(|s| s.index.is_none()).count(), 1);
        assert_eq!(slots[5], Slot { start: from + 5 * HOUR, end: from + 6 * HOUR, index: None });
    }

    #[test]
    fn iso_times_carry_their_offset() {
        let t = days_from_civil(2024, 11, 3) * DAY + 8 * HOUR;
        assert_eq!(iso_local(t, -7 * HOUR), "2024-11-03T01:00:00-07:00");
        assert_eq!(iso_local(t + HOUR, -8 * HOUR), "2024-11-03T01:00:00-08:00");
        assert_eq!(iso_local(t, 5 * HOUR + 1800), "2024-11-03T13:30:00+05:30");
        assert_eq!(iso_local(t, 0), "2024-11-03T08:00:00Z");
        assert_eq!(iso_utc(t), "2024-11-03T08:00:00Z");
    }
}
