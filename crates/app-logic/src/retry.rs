//! When to ask again after a failure: exponential backoff with jitter for
//! faults that pass, a slower poll while Pelm collects data, and a wait of
//! at least what `Retry-After` asks.

use crate::words::{fill, retry, Catalogue};
use std::time::Duration;

use crate::kind::Recovery;
use crate::problem::Problem;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Requests in all, the first included, before a fault is shown.
    pub attempts: u32,
    /// The pause after the first failure; it doubles after each one.
    pub first_pause: Duration,
    pub longest_pause: Duration,
    /// A `Retry-After` longer than this is not waited out: the message
    /// is shown at once, since the user would not sit through it.
    pub longest_wait: Duration,
    /// Pauses between polls while the data is being collected, which
    /// goes on as long as the page is open.
    pub first_poll: Duration,
    pub longest_poll: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 4,
            first_pause: Duration::from_millis(1000),
            longest_pause: Duration::from_secs(8),
            longest_wait: Duration::from_secs(60),
            first_poll: Duration::from_secs(2),
            longest_poll: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The pause before asking again after `failures` failed requests in a
    /// row, the last of which was `problem`; `None` to stop and show it.
    /// `random` in [0, 1) spreads retries of many clients apart, and never
    /// takes more than half a pause away.
    pub fn pause(&self, failures: u32, problem: &Problem, random: f64) -> Option<Duration> {
        let doubled = |first: Duration, longest: Duration| {
            let factor = 2u32.saturating_pow(failures.saturating_sub(1).min(16));
            first.saturating_mul(factor).min(longest)
        };
        let backoff = match problem.recovery() {
            Recovery::WaitForData => doubled(self.first_poll, self.longest_poll),
            Recovery::Retry if failures < self.attempts => doubled(self.first_pause, self.longest_pause),
            _ => return None,
        };
        let random = if random.is_finite() { random.clamp(0.0, 1.0) } else { 0.5 };
        let jittered = backoff.mul_f64(0.5 + random / 2.0);
        match problem.retry_after {
            Some(asked) if asked > self.longest_wait => None,
            Some(asked) => Some(asked.max(jittered)),
            None => Some(jittered),
        }
    }
}

impl RetryPolicy {
    /// What to say while waiting to ask again, in `words`; `failures`
    /// requests failed so far.
    pub fn progress(&self, problem: &Problem, pause: Duration, failures: u32, words: &Catalogue) -> String {
        match problem.recovery() {
            Recovery::WaitForData => problem.message.clone(),
            _ => {
                let again = fill(
                    words.text(retry::AGAIN),
                    &[
                        // Whole seconds, rounded up, counted in integers: formatting an
                        // f64 would bring float printing into the app's first part.
                        ("seconds", &(pause.as_secs() + u64::from(pause.subsec_nanos() > 0)).max(1).to_string()),
                        ("attempt", &(failures + 1).to_string()),
                        ("attempts", &self.attempts.to_string()),
                    ],
                );
                format!("{} {again}", problem.message)
            }
        }
    }
}
