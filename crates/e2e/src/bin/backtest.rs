//! The projected bill and the bill explainer, replayed on the sandbox's
//! homes (`pelm_e2e::backtest`).
//!
//!   ./dev backtest          (writes its section of docs/benchmark.md)
//!   cargo run --release -p pelm-e2e --bin backtest [-- --out FILE]

use pelm_e2e::backtest::{run, BEGIN, END};

fn main() {
    let out = std::env::args().skip_while(|a| a != "--out").nth(1);
    let report = run().report;
    print!("{report}");
    if let Some(path) = out {
        let old = std::fs::read_to_string(&path).unwrap_or_default();
        let new = match (old.find(BEGIN), old.find(END)) {
            (Some(a), Some(b)) => format!("{}{report}{}", &old[..a], old[b + END.len()..].trim_start_matches('\n')),
            _ => format!("{}\n{report}", old.trim_end()),
        };
        std::fs::write(&path, new).expect("write the report");
    }
}
