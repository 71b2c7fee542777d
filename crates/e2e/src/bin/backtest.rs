//! The projected bill and the bill explainer, replayed on the sandbox's
//! homes (`pelm_e2e::backtest`).
//!
//!   ./dev backtest          (writes its section of docs/benchmark.md)
//!   cargo run --release -p pelm-e2e --bin backtest [-- --out FILE]

use pelm_e2e::backtest::run;

fn main() {
    let out = std::env::args().skip_while(|a| a != "--out").nth(1);
    let report = run().report;
    print!("{report}");
    if let Some(path) = out {
        let old = std::fs::read_to_string(&path).unwrap_or_default();
        std::fs::write(&path, pelm_e2e::report::with_section(&old, "backtest", &report)).expect("write the report");
    }
}
