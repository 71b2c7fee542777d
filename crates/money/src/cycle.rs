//! Where the cycle under way ends, from the account's own bills. Meters
//! are read on a schedule: most utilities read near the same day each month
//! and on workdays, which makes periods of 27 to 33 days that a mean length
//! would miss by days. Both readings of the history are tried on the
//! history itself, and the one that would have named its past ends better
//! is used.

use pelm_model::civil::{civil_from_days, days_from_civil, next_month_start, weekday};

/// The shortest and longest period taken as a billing cycle.
pub const SHORTEST: i64 = 25;
pub const LONGEST: i64 = 35;

/// The local day the cycle after past ends `ends` (local days, oldest
/// first) will end, by the better of the two readings; `None` with fewer
/// than two ends.
pub fn next_end(ends: &[i64]) -> Option<i64> {
    let last = *ends.last()?;
    if ends.len() < 2 {
        return None;
    }
    // Each reading names each past end from the ends before it; the better
    // one misses by fewer days in all.
    let missed = |guess: fn(&[i64]) -> Option<i64>| -> i64 {
        (2..ends.len()).filter_map(|k| guess(&ends[..k]).map(|g| (g - ends[k]).abs())).sum()
    };
    let by_schedule = by_schedule(ends);
    if by_schedule.is_some() && missed(by_schedule_guess) <= missed(by_length_guess) {
        return by_schedule;
    }
    Some(last + median_length(ends))
}

fn by_schedule_guess(ends: &[i64]) -> Option<i64> {
    by_schedule(ends)
}

fn by_length_guess(ends: &[i64]) -> Option<i64> {
    (ends.len() >= 2).then(|| ends[ends.len() - 1] + median_length(ends))
}

fn median_length(ends: &[i64]) -> i64 {
    let mut lengths: Vec<i64> = ends.windows(2).map(|w| w[1] - w[0]).collect();
    lengths.sort_unstable();
    lengths.get(lengths.len() / 2).copied().unwrap_or(30).clamp(SHORTEST, LONGEST)
}

/// The reading day of the month the history keeps to, and whether it
/// reads on weekends: the next month's reading day, moved to the Monday
/// after when the history never ends on a weekend.
fn by_schedule(ends: &[i64]) -> Option<i64> {
    let last = *ends.last()?;
    let on_weekends = ends.iter().any(|&d| matches!(weekday(d), 0 | 6));
    // Ends on a Monday may have been moved there; the other days say the
    // schedule as it is. The most common of their days of the month.
    let mut counts = [0u32; 32];
    for &end in ends.iter().filter(|&&d| on_weekends || weekday(d) != 1) {
        counts[civil_from_days(end).2 as usize] += 1;
    }
    let day_of_month = (1..32).max_by_key(|&d| (counts[d], std::cmp::Reverse(d)))? as u32;
    if counts[day_of_month as usize] == 0 {
        return None;
    }
    let (year, month, _) = civil_from_days(last);
    let next = next_month_start(year, month);
    let (year, month, _) = civil_from_days(next);
    let month_days = next_month_start(year, month) - next;
    let scheduled = days_from_civil(year, month, day_of_month.min(month_days as u32));
    let earliest = last + SHORTEST;
    let day = scheduled.max(earliest);
    let moved = match (on_weekends, weekday(day)) {
        (false, 6) => day + 2,
        (false, 0) => day + 1,
        _ => day,
    };
    (moved - last <= LONGEST).then_some(moved)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ends on the 14th of each month, or the Monday after.
    fn workday_ends(months: u32) -> Vec<i64> {
        (0..months)
            .map(|m| {
                let d = days_from_civil(2025 + (m / 12) as i64, 1 + m % 12, 14);
                d + match weekday(d) {
                    6 => 2,
                    0 => 1,
                    _ => 0,
                }
            })
            .collect()
    }

    #[test]
    fn a_monthly_reading_day_moved_off_weekends_is_named_to_the_day() {
        let ends = workday_ends(24);
        for k in 4..ends.len() {
            assert_eq!(next_end(&ends[..k]), Some(ends[k]), "end {k}");
        }
    }

    #[test]
    fn a_steady_length_is_kept_when_there_is_no_schedule() {
        let ends: Vec<i64> = (0..10).map(|k| 20_000 + 28 * k).collect();
        assert_eq!(next_end(&ends), Some(20_000 + 28 * 10));
        assert_eq!(next_end(&ends[..1]), None);
    }
}
