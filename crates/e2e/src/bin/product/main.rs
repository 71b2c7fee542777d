//! The whole product's benchmark: what the app costs to download and start
//! in the browser, what the companion costs under load next to the sandbox
//! answering directly, and a soak with faults. Run it with
//! `./dev bench-product`, which builds everything and installs wrk first.
//!
//!     product --dist <dir> --bin-dir <dir> --names-wasm <file> [--runs 5]
//!             [--load-secs 5] [--soak-secs 300] [--out docs/benchmark.md]
//!
//! Every figure comes from this run on this machine; machines here are
//! noisy, so the report puts ratios against peers measured in the same run
//! beside the absolute numbers.

use std::fmt::Write as _;

mod args;
mod browser;
mod journeys;
mod load;
mod machine;
mod processes;
mod sizes;
mod soak;

use crate::args::parse_args;
use crate::browser::browser;
use crate::load::load;
use crate::machine::{machine, now_utc};
use crate::sizes::sizes;
use crate::soak::{flood, soak};

#[tokio::main]
async fn main() {
    let args = parse_args();
    let mut report = String::new();
    let started = now_utc();
    writeln!(
        report,
        "# Benchmark report\n\nWritten by `./dev bench-product` on {started}. Every figure is from this one run.\n"
    )
    .unwrap();
    report.push_str(&machine());
    let mut summary = Vec::new();
    report.push_str(&sizes(&args, &mut summary));
    if !args.skip.iter().any(|s| s == "browser") {
        report.push_str(&browser(&args, &mut summary).await);
    }
    if !args.skip.iter().any(|s| s == "journeys") {
        report.push_str(&journeys::journeys(&args, &mut summary).await);
    }
    if !args.skip.iter().any(|s| s == "load") {
        report.push_str(&load(&args, &mut summary).await);
    }
    if !args.skip.iter().any(|s| s == "flood") {
        report.push_str(&flood(&args, &mut summary).await);
    }
    if !args.skip.iter().any(|s| s == "soak") {
        report.push_str(&soak(&args, &mut summary).await);
    }
    let mut head = String::from("## Budgets\n\n| budget | figure | met |\n| --- | --- | --- |\n");
    for (name, figure, met) in &summary {
        writeln!(head, "| {name} | {figure} | {} |", if *met { "yes" } else { "**no**" }).unwrap();
    }
    head.push('\n');
    let report = report.replacen("## Machine", &format!("{head}## Machine"), 1);
    if let Some(parent) = args.out.parent() {
        std::fs::create_dir_all(parent).expect("report folder");
    }
    // Other commands write their own sections (`./dev backtest`, `./dev
    // bench`, the weight's routes by hand), each between `<!-- name -->`
    // and `<!-- /name -->`; they are kept.
    let old = std::fs::read_to_string(&args.out).unwrap_or_default();
    let kept: String = pelm_e2e::report::sections(&old).into_iter().map(|s| format!("\n{s}\n")).collect();
    let report = format!("{}{kept}", report.trim_end_matches('\n').to_owned() + "\n");
    std::fs::write(&args.out, &report).expect("write the report");
    println!("{report}");
    println!("report written to {}", args.out.display());
}
