//! A time zone as the offsets it keeps over a span. This is how the app
//! tells the companion what "local" means, so that both sum the same local
//! hours, days and months: the browser knows the user's zone (or the one the
//! host names), and the companion needs no time zone database of its own.
//!
//! Written as text for a query parameter: the offset in force at the start,
//! then each change as `instant:offset`, all in seconds (offsets east of
//! UTC). `-28800,1710064800:-25200,1730624400:-28800` is Pacific time over
//! 2024; `0` is UTC.

use std::fmt;

use crate::aggregate::Zone;
use pelm_model::civil::{DAY, HOUR};

/// The most changes one span may carry: ten years of twice-yearly daylight
/// saving is 20; this leaves room for zones that changed their rules.
pub const MOST_CHANGES: usize = 100;
/// No zone on Earth is further than this from UTC.
pub const LARGEST_OFFSET: i64 = 18 * HOUR;
/// How far beyond a span the offsets are learned: periods reach past their
/// intervals, a month to its first and its last day.
pub const MARGIN: i64 = 32 * DAY;
/// How often [`ZoneOffsets::learn`] looks: no zone changes twice in a week.
const LOOK_EVERY: i64 = 7 * DAY;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneOffsets {
    first: i64,
    /// `(instant, offset from then on)`, in order.
    changes: Vec<(i64, i64)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZoneError {
    NotANumber(String),
    OffsetTooLarge(i64),
    OutOfOrder(i64),
    TooManyChanges,
}

impl fmt::Display for ZoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ZoneError::NotANumber(part) => write!(f, "\"{part}\" is not a number of seconds"),
            ZoneError::OffsetTooLarge(offset) => {
                write!(f, "an offset of {offset} seconds is more than {} hours from UTC", LARGEST_OFFSET / HOUR)
            }
            ZoneError::OutOfOrder(at) => write!(f, "the change at {at} is not after the one before it"),
            ZoneError::TooManyChanges => write!(f, "more than {MOST_CHANGES} changes of offset"),
        }
    }
}

impl std::error::Error for ZoneError {}

impl ZoneOffsets {
    pub fn fixed(offset: i64) -> Self {
        Self { first: offset, changes: Vec::new() }
    }

    /// The offsets `zone` keeps from `from` to `to` (and [`MARGIN`] either
    /// side), found by looking once a week and narrowing down to the second
    /// wherever the offset moved.
    pub fn learn(zone: &impl Zone, from: i64, to: i64) -> Self {
        let (from, to) = (from - MARGIN, to + MARGIN);
        let first = zone.offset_at(from);
        let mut changes = Vec::new();
        let (mut at, mut offset) = (from, first);
        while at < to && changes.len() < MOST_CHANGES {
            let next = (at + LOOK_EVERY).min(to);
            let then = zone.offset_at(next);
            if then != offset {
                // The first second with the new offset lies in (at, next].
                let (mut lo, mut hi) = (at, next);
                while hi - lo > 1 {
                    let mid = lo + (hi - lo) / 2;
                    match zone.offset_at(mid) == offset {
                        true => lo = mid,
                        false => hi = mid,
                    }
                }
                changes.push((hi, then));
                offset = then;
            }
            at = next;
        }
        Self { first, changes }
    }

    pub fn parse(text: &str) -> Result<Self, ZoneError> {
        let number = |part: &str| part.trim().parse::<i64>().map_err(|_| ZoneError::NotANumber(part.to_owned()));
        let offset = |part: &str| {
            let offset = number(part)?;
            match offset.abs() <= LARGEST_OFFSET {
                true => Ok(offset),
                false => Err(ZoneError::OffsetTooLarge(offset)),
            }
        };
        let mut parts = text.split(',');
        let first = offset(parts.next().unwrap_or_default())?;
        let mut changes: Vec<(i64, i64)> = Vec::new();
        for part in parts {
            if changes.len() == MOST_CHANGES {
                return Err(ZoneError::TooManyChanges);
            }
            let (at, then) = part.split_once(':').ok_or_else(|| ZoneError::NotANumber(part.to_owned()))?;
            let at = number(at)?;
            if changes.last().is_some_and(|&(before, _)| at <= before) {
                return Err(ZoneError::OutOfOrder(at));
            }
            changes.push((at, offset(then)?));
        }
        Ok(Self { first, changes })
    }
}

impl fmt::Display for ZoneOffsets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.first)?;
        for (at, offset) in &self.changes {
            write!(f, ",{at}:{offset}")?;
        }
        Ok(())
    }
}

impl Zone for ZoneOffsets {
    fn offset_at(&self, utc: i64) -> i64 {
        match self.changes.partition_point(|&(at, _)| at <= utc) {
            0 => self.first,
            n => self.changes[n - 1].1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::FixedOffset;
    use pelm_model::civil::{days_from_civil, EASTERN, PACIFIC};

    #[test]
    fn learns_a_zone_to_the_second_and_answers_as_it_does() {
        for zone in [PACIFIC, EASTERN] {
            let (from, to) =
                (zone.midnight_utc(days_from_civil(2019, 1, 1)), zone.midnight_utc(days_from_civil(2024, 12, 31)));
            let learned = ZoneOffsets::learn(&zone, from, to);
            assert_eq!(learned.changes.len(), 12, "two changes a year in {}", zone.name);
            for t in (from - MARGIN..to + MARGIN).step_by(1799) {
                assert_eq!(learned.offset_at(t), zone.offset_at(t), "{} at {t}", zone.name);
            }
            for &(at, _) in &learned.changes {
                assert_eq!(learned.offset_at(at - 1), zone.offset_at(at - 1));
                assert_eq!(learned.offset_at(at), zone.offset_at(at));
            }
        }
    }

    #[test]
    fn reads_back_what_it_writes() {
        let learned = ZoneOffsets::learn(&PACIFIC, 1_700_000_000, 1_760_000_000);
        let text = learned.to_string();
        assert!(text.starts_with("-25200,1699174800:-28800,"), "{text}");
        assert_eq!(ZoneOffsets::parse(&text), Ok(learned));
        let utc = ZoneOffsets::learn(&FixedOffset(0), 0, 10 * 365 * DAY);
        assert_eq!(utc.to_string(), "0");
        assert_eq!(ZoneOffsets::parse("19800"), Ok(ZoneOffsets::fixed(19_800)));
    }

    #[test]
    fn refuses_what_no_zone_keeps() {
        assert_eq!(ZoneOffsets::parse("pacific"), Err(ZoneError::NotANumber("pacific".to_owned())));
        assert_eq!(ZoneOffsets::parse(""), Err(ZoneError::NotANumber(String::new())));
        assert_eq!(ZoneOffsets::parse("90000"), Err(ZoneError::OffsetTooLarge(90_000)));
        assert_eq!(ZoneOffsets::parse("0,100:3600,100:0"), Err(ZoneError::OutOfOrder(100)));
        assert_eq!(ZoneOffsets::parse("0,100"), Err(ZoneError::NotANumber("100".to_owned())));
        let many: String = (1..=MOST_CHANGES as i64 + 1).map(|i| format!(",{i}:0")).collect();
        assert_eq!(ZoneOffsets::parse(&format!("0{many}")), Err(ZoneError::TooManyChanges));
    }
}
