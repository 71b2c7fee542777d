//! What one run is told on its command line, and the settings every part
//! shares.

use std::path::PathBuf;

pub(crate) const CLIENT_ID: &str = "bench-client";
pub(crate) const SECRET: &str = "bench-secret";
pub(crate) const TOKEN_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
/// Issue 22's goals, brotli-compressed: what the browser fetches before the
/// Connect button works, and everything the app can fetch.
pub(crate) const BUDGET_FIRST_LOAD: usize = 150 * 1024;
pub(crate) const BUDGET_ALL: usize = 300 * 1024;
pub(crate) use pelm_model::civil::DAY;

pub(crate) struct Args {
    pub(crate) dist: PathBuf,
    pub(crate) bin_dir: PathBuf,
    pub(crate) names_wasm: PathBuf,
    pub(crate) runs: usize,
    pub(crate) load_secs: u64,
    pub(crate) soak_secs: u64,
    pub(crate) out: PathBuf,
    pub(crate) skip: Vec<String>,
}

pub(crate) fn parse_args() -> Args {
    let args: Vec<String> = std::env::args().collect();
    let value = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let path = |name: &str| PathBuf::from(value(name).unwrap_or_else(|| panic!("{name} is required")));
    Args {
        dist: path("--dist"),
        bin_dir: path("--bin-dir"),
        names_wasm: path("--names-wasm"),
        runs: value("--runs").map_or(5, |v| v.parse().expect("--runs")),
        load_secs: value("--load-secs").map_or(5, |v| v.parse().expect("--load-secs")),
        soak_secs: value("--soak-secs").map_or(300, |v| v.parse().expect("--soak-secs")),
        out: value("--out").map_or_else(|| PathBuf::from("docs/benchmark.md"), PathBuf::from),
        skip: value("--skip").map(|v| v.split(',').map(str::to_owned).collect()).unwrap_or_default(),
    }
}
