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

/// The faults as flags and variables, declared once for both binaries that
/// take them: `pelm-sandbox` and the companion with `--sandbox` (which
/// flattens them in). The names are the companion's; the sandbox's own
/// shorter flags (`--latency-ms`) stay as aliases.
#[derive(clap::Args, Clone, Debug, Default, PartialEq)]
pub struct FaultArgs {
    /// Sandbox fault: milliseconds added before every REST answer.
    #[arg(long = "sandbox-latency-ms", alias = "latency-ms", env = "PELM_SANDBOX_LATENCY_MS", default_value_t = 0)]
    pub latency_ms: u64,
    /// Sandbox fault: share (0 to 1) of its REST calls answered 500 internal_error.
    #[arg(long = "sandbox-error-rate", alias = "error-rate", env = "PELM_SANDBOX_ERROR_RATE", default_value_t = 0.0)]
    pub error_rate: f64,
    /// Sandbox fault: share (0 to 1) of its REST calls whose connection drops mid-answer.
    #[arg(long = "sandbox-drop-rate", alias = "drop-rate", env = "PELM_SANDBOX_DROP_RATE", default_value_t = 0.0)]
    pub drop_rate: f64,
    /// Sandbox fault: REST calls allowed in all; later ones get 402 quota_reached.
    #[arg(long = "sandbox-quota", alias = "quota", env = "PELM_SANDBOX_QUOTA")]
    pub quota: Option<u64>,
    /// Sandbox fault: share (0 to 1) of successful REST answers whose JSON is cut short.
    #[arg(
        long = "sandbox-malformed-rate",
        alias = "malformed-rate",
        env = "PELM_SANDBOX_MALFORMED_RATE",
        default_value_t = 0.0
    )]
    pub malformed_rate: f64,
}

impl FaultArgs {
    pub fn faults(&self) -> Faults {
        Faults {
            latency: Duration::from_millis(self.latency_ms),
            error_rate: self.error_rate,
            drop_rate: self.drop_rate,
            quota: self.quota,
            malformed_rate: self.malformed_rate,
        }
    }
}
