//! Calendar dates and the US time zones the sandbox's utilities are in.
//!
//! Every utility Pelm serves is in the United States, where daylight saving
//! time has run from the second Sunday of March to the first Sunday of
//! November, switching at 02:00 local time, since 2007. That rule is all the
//! sandbox needs, so it carries no time zone database.

pub const DAY: i64 = 86_400;
pub const HOUR: i64 = 3_600;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub const fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The day number of the first of the month after `month` of `year`.
pub const fn next_month_start(year: i64, month: u32) -> i64 {
    if month == 12 {
        days_from_civil(year + 1, 1, 1)
    } else {
        days_from_civil(year, month + 1, 1)
    }
}

/// The date of a day number from [`days_from_civil`].
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The months' short English names, as HTTP dates, bills and axis labels
/// write them.
pub const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// An HTTP date (RFC 1123), as the seed's bills carry: `Wed, 15 Dec 2021 08:00:00 GMT`.
pub fn rfc1123(utc: i64) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    let days = utc.div_euclid(DAY);
    let secs = utc.rem_euclid(DAY);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{}, {d:02} {} {y} {:02}:{:02}:{:02} GMT",
        DAYS[weekday(days) as usize],
        MONTHS[m as usize - 1],
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// 0 = Sunday … 6 = Saturday.
pub fn weekday(days: i64) -> u32 {
    (days + 4).rem_euclid(7) as u32
}

/// The day number of the `nth` (1-based) Sunday of a month.
fn nth_sunday(year: i64, month: u32, nth: i64) -> i64 {
    let first = days_from_civil(year, month, 1);
    let to_sunday = (7 - weekday(first) as i64) % 7;
    first + to_sunday + 7 * (nth - 1)
}

/// A US time zone: its standard offset from UTC, with US daylight saving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsZone {
    pub name: &'static str,
    pub standard_offset_hours: i64,
}

pub const PACIFIC: UsZone = UsZone { name: "America/Los_Angeles", standard_offset_hours: -8 };
pub const EASTERN: UsZone = UsZone { name: "America/New_York", standard_offset_hours: -5 };

impl UsZone {
    /// UTC instants (Unix seconds) at which daylight saving starts and ends in `year`.
    pub fn dst_bounds(&self, year: i64) -> (i64, i64) {
        let standard = self.standard_offset_hours * HOUR;
        // 02:00 standard time, and 02:00 daylight time (= 01:00 standard).
        let start = nth_sunday(year, 3, 2) * DAY + 2 * HOUR - standard;
        let end = nth_sunday(year, 11, 1) * DAY + 2 * HOUR - (standard + HOUR);
        (start, end)
    }

    /// Seconds to add to a UTC instant to get local wall-clock time.
    pub fn offset_at(&self, utc: i64) -> i64 {
        let (year, _, _) = civil_from_days(utc.div_euclid(DAY));
        let (start, end) = self.dst_bounds(year);
        let dst = (start..end).contains(&utc);
        (self.standard_offset_hours + i64::from(dst)) * HOUR
    }

    /// Local wall-clock seconds since the epoch for a UTC instant.
    pub fn local(&self, utc: i64) -> i64 {
        utc + self.offset_at(utc)
    }

    /// The UTC instant of local midnight starting the local day `days`.
    pub fn midnight_utc(&self, days: i64) -> i64 {
        // Guess with standard time. US transitions happen at 02:00 local, so
        // the guess lies at most an hour off and on the same side of every
        // transition as midnight itself: its offset is midnight's offset.
        let guess = days * DAY - self.standard_offset_hours * HOUR;
        days * DAY - self.offset_at(guess)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trips_and_knows_weekdays() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
        assert_eq!(weekday(days_from_civil(2026, 11, 22)), 0, "2026-11-22 is a Sunday");
        for days in -1000..40_000 {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn rfc1123_matches_the_seeds_bill_dates() {
        assert_eq!(rfc1123(days_from_civil(2021, 12, 15) * DAY + 8 * HOUR), "Wed, 15 Dec 2021 08:00:00 GMT");
        assert_eq!(rfc1123(days_from_civil(2022, 1, 13) * DAY + 8 * HOUR), "Thu, 13 Jan 2022 08:00:00 GMT");
    }

    #[test]
    fn us_daylight_saving_2024_in_both_zones() {
        // 2024: starts Sunday 10 March, ends Sunday 3 November, at 02:00 local.
        let (start, end) = PACIFIC.dst_bounds(2024);
        assert_eq!(start, days_from_civil(2024, 3, 10) * DAY + 10 * HOUR);
        assert_eq!(end, days_from_civil(2024, 11, 3) * DAY + 9 * HOUR);
        let (start, end) = EASTERN.dst_bounds(2024);
        assert_eq!(start, days_from_civil(2024, 3, 10) * DAY + 7 * HOUR);
        assert_eq!(end, days_from_civil(2024, 11, 3) * DAY + 6 * HOUR);
        assert_eq!(PACIFIC.offset_at(start - 1), -8 * HOUR);
        assert_eq!(PACIFIC.offset_at(days_from_civil(2024, 7, 1) * DAY), -7 * HOUR);
    }

    #[test]
    fn local_midnight_is_found_on_every_kind_of_day() {
        for zone in [PACIFIC, EASTERN] {
            for (y, m, d) in [(2024, 3, 10), (2024, 3, 11), (2024, 11, 3), (2024, 11, 4), (2024, 1, 15), (2024, 7, 4)] {
                let days = days_from_civil(y, m, d);
                let midnight = zone.midnight_utc(days);
                assert_eq!(zone.local(midnight), days * DAY, "{} {y}-{m}-{d}", zone.name);
            }
        }
    }
}
