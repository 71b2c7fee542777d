//! What the app says of a connection's health: its status in words, how
//! long ago it was checked, whether its newest data is old enough to say so,
//! and when the app looks again.

use crate::words::{health, Plural, Text};
use pelm_model::civil::DAY;
use pelm_model::companion::ConnectionStatus;

/// How many days old the newest data may be before the app says so, unless
/// the host sets `data-stale-after-days`: utilities often send a day or two late.
pub const STALE_AFTER_DAYS: u32 = 3;

/// How long after the last check an open page looks again.
pub const LOOK_AGAIN_SECS: i64 = 3600;

/// The status as the user reads it.
pub fn status_words(status: ConnectionStatus) -> Text {
    match status {
        ConnectionStatus::Connected => health::CONNECTED,
        ConnectionStatus::Collecting => health::COLLECTING,
        ConnectionStatus::LoginNeeded => health::LOGIN_NEEDED,
        ConnectionStatus::UtilityUnsupported => health::UNSUPPORTED,
        ConnectionStatus::Unknown => health::UNKNOWN,
    }
}

/// Whether the newest data, ending at `data_through`, is more than
/// `after_days` old at `now`. No data yet is not stale: it is collecting.
pub fn is_stale(data_through: Option<i64>, now: i64, after_days: u32) -> bool {
    data_through.is_some_and(|through| now - through > i64::from(after_days) * DAY)
}

/// When the app looks again: an hour after the last check, and never in the past.
pub fn next_look(checked_at: Option<i64>, now: i64) -> i64 {
    checked_at.map_or(now, |at| at + LOOK_AGAIN_SECS).max(now + 60)
}

/// How long since `at`, to be said: "just now", or a count of minutes,
/// hours or days, with the words that say it.
pub fn ago(at: i64, now: i64) -> Ago {
    let secs = (now - at).max(0);
    match secs {
        0..60 => Ago::JustNow,
        60..3600 => Ago::Count(secs / 60, health::MINUTES_AGO),
        3600..86_400 => Ago::Count(secs / 3600, health::HOURS_AGO),
        _ => Ago::Count(secs / DAY, health::DAYS_AGO),
    }
}

/// How long ago, in words of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ago {
    JustNow,
    Count(i64, Plural),
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_796_000_000;

    #[test]
    fn data_is_stale_only_past_the_threshold_and_only_when_there_is_some() {
        assert!(!is_stale(None, NOW, 3), "no data yet is collecting, not stale");
        assert!(!is_stale(Some(NOW - 3 * DAY), NOW, 3), "exactly three days is still fine");
        assert!(is_stale(Some(NOW - 3 * DAY - 1), NOW, 3));
        assert!(is_stale(Some(NOW - 4 * DAY), NOW, 3), "the sandbox's lagging login");
        assert!(!is_stale(Some(NOW - 4 * DAY), NOW, 7), "a host that allows a week");
    }

    #[test]
    fn the_next_look_is_an_hour_after_the_last_and_never_past() {
        assert_eq!(next_look(Some(NOW - 600), NOW), NOW - 600 + 3600);
        assert_eq!(next_look(Some(NOW - 7200), NOW), NOW + 60, "overdue looks soon, not in the past");
        assert_eq!(next_look(None, NOW), NOW + 60);
    }

    #[test]
    fn ago_reads_as_people_say_it() {
        assert_eq!(ago(NOW - 5, NOW), Ago::JustNow);
        assert_eq!(ago(NOW + 30, NOW), Ago::JustNow, "a clock a little ahead");
        assert_eq!(ago(NOW - 60, NOW), Ago::Count(1, health::MINUTES_AGO));
        assert_eq!(ago(NOW - 5 * 60, NOW), Ago::Count(5, health::MINUTES_AGO));
        assert_eq!(ago(NOW - 3 * 3600, NOW), Ago::Count(3, health::HOURS_AGO));
        assert_eq!(ago(NOW - 2 * DAY, NOW), Ago::Count(2, health::DAYS_AGO));
    }

    #[test]
    fn every_status_has_words() {
        for status in [
            ConnectionStatus::Connected,
            ConnectionStatus::Collecting,
            ConnectionStatus::LoginNeeded,
            ConnectionStatus::UtilityUnsupported,
            ConnectionStatus::Unknown,
        ] {
            assert!(!status_words(status).en.is_empty());
        }
        assert_eq!(status_words(ConnectionStatus::LoginNeeded).en, "Login needs confirming");
    }
}
