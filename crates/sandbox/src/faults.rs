//! Faults on demand for Pelm's REST API, so the companion's retries, timeouts
//! and error handling meet the failures a real network and a real Pelm have.

use std::time::Duration;

/// What to inject. The default injects nothing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Faults {
    /// Added before every answer.
    pub latency: Duration,
    /// Share of calls (0 to 1) answered 500 `internal_error`.
    pub error_rate: f64,
    /// Share of calls whose connection drops after the status line.
    pub drop_rate: f64,
    /// Calls allowed in all; later ones get 402 `quota_reached`.
    pub quota: Option<u64>,
    /// Share of successful answers whose body is cut short (invalid JSON).
    pub malformed_rate: f64,
}

/// One scripted failure, for tests that need a fault on a given call rather
/// than at a rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    InternalError,
    Drop,
    Malformed,
    /// Answer normally, but only after this long.
    Stall(Duration),
}

/// A JSON body that stops mid-way, as a proxy that gave up would send it.
pub const MALFORMED_BODY: &str = r#"{"intervals": [{"start": 1646996400, "end": 16"#;
