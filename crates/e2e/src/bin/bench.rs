//! The usage chart benchmark: our chart against uPlot 1.6.32 and Chart.js
//! 4.6.1 on the same seeded data, in one headless Chromium run per device
//! pixel ratio. Run it with `./dev bench`, which builds the page first.
//!
//!     bench <page dir> [--sizes 35040,175200,1051200] [--runs 7]
//!
//! Figures are medians; ratios are ours divided by theirs, so below 1.0 is
//! faster. Times from a shared, noisy machine: compare the ratios.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use pelm_model::pelm::{Account, Intervals, MeterType};
use pelm_sandbox::civil::PACIFIC;
use pelm_sandbox::data::{seed_of, MeterSpec};
use serde_json::Value;
use tower_http::services::ServeDir;

type Cache = Arc<Mutex<HashMap<usize, Arc<String>>>>;

/// `points` 15-minute intervals (with the sandbox's gaps) ending 2026-01-01, as Pelm's JSON.
fn seeded(points: usize) -> String {
    let spec = MeterSpec {
        seed: seed_of("bench"),
        meter_type: MeterType::Electric,
        step: 900,
        zone: PACIFIC,
        solar: true,
        emissions: false,
        gaps: true,
    };
    let end = 1_767_225_600;
    // Gaps take some intervals out: ask for a little more, keep the last `points`.
    let mut intervals = spec.intervals(end - (points as i64 * 900) * 21 / 20, end);
    intervals.drain(..intervals.len().saturating_sub(points));
    let account = Account {
        id: "bench".to_owned(),
        account_number: None,
        address: None,
        usage_unit: Some("kwh".to_owned()),
        emissions_unit: None,
        available_meter_types: Vec::new(),
        gas_usage_unit: None,
        ghg_emissions_unit: None,
        meters: Vec::new(),
    };
    let body =
        Intervals { utility: "PG&E".to_owned(), meter_type: Some(MeterType::Electric), account, intervals, skipped: 0 };
    serde_json::to_string(&body).expect("serialisable")
}

async fn data(State(cache): State<Cache>, Path(file): Path<String>) -> impl IntoResponse {
    let Some(points) = file.strip_suffix(".json").and_then(|n| n.parse::<usize>().ok()).filter(|n| *n <= 5_000_000)
    else {
        return Err(StatusCode::NOT_FOUND);
    };
    let body = cache.lock().unwrap().entry(points).or_insert_with(|| Arc::new(seeded(points))).clone();
    Ok(([(header::CONTENT_TYPE, "application/json")], body.as_ref().clone()))
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

fn figure(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or(f64::NAN)
}

fn print(results: &[Value]) {
    let metrics = [
        ("decode", "decode JSON (ms)"),
        ("cold", "cold render (ms)"),
        ("index", "zoom index (ms)"),
        ("zoom", "zoom redraw (ms)"),
        ("zoom_issued", "  to last draw call"),
        ("pan", "pan redraw (ms)"),
        ("hover", "hover (ms)"),
        ("memory", "memory (MB)"),
    ];
    println!(
        "{:>9}  {:<18} {:>9} {:>9} {:>9} {:>11} {:>13}",
        "points", "", "ours", "uPlot", "Chart.js", "ours/uPlot", "ours/Chart.js"
    );
    for result in results {
        let points = result["points"].as_u64().unwrap_or(0);
        for (i, (key, label)) in metrics.iter().enumerate() {
            let scale = if *key == "memory" { 1.0 / 1_048_576.0 } else { 1.0 };
            let (ours, uplot, chartjs) = (
                figure(&result["ours"], key) * scale,
                figure(&result["uplot"], key) * scale,
                figure(&result["chartjs"], key) * scale,
            );
            let first = if i == 0 { points.to_string() } else { String::new() };
            let cell = |v: f64, width: usize, places: usize| {
                if v.is_finite() {
                    format!("{v:>width$.places$}")
                } else {
                    format!("{:>width$}", "—")
                }
            };
            println!(
                "{first:>9}  {label:<18} {} {} {} {} {}",
                cell(ours, 9, 3),
                cell(uplot, 9, 3),
                cell(chartjs, 9, 3),
                cell(ours / uplot, 11, 2),
                cell(ours / chartjs, 13, 2)
            );
        }
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let page = args.first().cloned().expect("usage: bench <page dir> [--sizes a,b,c] [--runs n]");
    let sizes = arg(&args, "--sizes").unwrap_or_else(|| "35040,175200,1051200".to_owned());
    let runs = arg(&args, "--runs").unwrap_or_else(|| "7".to_owned());
    let cache: Cache = Arc::default();
    let app = Router::new().route("/data/{file}", get(data)).with_state(cache).fallback_service(ServeDir::new(&page));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    println!("Usage chart benchmark: {sizes} points, 1200x400 CSS px, medians of {runs} runs (x3 for zoom and pan, x5 for hover).");
    println!("Memory: ours counts the bytes our data and index hold; the peers' is JS heap growth after GC with their chart up.");
    println!("Zoom index: ours builds its min/max pyramid after the first drawing; zoom and pan use it.\n");
    for ratio in ["1", "2"] {
        let scale = format!("--force-device-scale-factor={ratio}");
        let browser =
            pelm_e2e::start_browser_with(&[&scale, "--enable-precise-memory-info", "--js-flags=--expose-gc"]).await;
        let url = format!("http://{address}/index.html?sizes={sizes}&runs={runs}");
        browser.client.goto(&url).await.unwrap();
        let started = std::time::Instant::now();
        let results = loop {
            assert!(started.elapsed() < Duration::from_secs(1800), "the benchmark took over 30 minutes");
            // The page is busy for seconds at a time; a poll that times out is only early.
            let Ok(done) =
                browser.client.execute("return [window.__bench || null, window.__benchError || null];", vec![]).await
            else {
                continue;
            };
            if let Some(error) = done[1].as_str() {
                panic!("the benchmark page failed: {error}");
            }
            if let Some(json) = done[0].as_str() {
                break serde_json::from_str::<Vec<Value>>(json).expect("results are JSON");
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        };
        println!("Device pixel ratio {ratio}:");
        print(&results);
        println!();
    }
}
