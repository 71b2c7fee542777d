//! The usage chart benchmark: our chart against uPlot 1.6.32 and Chart.js
//! 4.6.1 on the same seeded data, in one headless Chromium run per device
//! pixel ratio. Run it with `./dev bench`, which builds the page first.
//!
//!     bench <page dir> [--sizes 35040,175200,1051200] [--runs 7] [--profile]
//!
//! `--profile` also records our chart with the browser's CPU profiler at
//! each ratio, for the first size: a cold render, a zoom and a pan, 20 each,
//! and prints where the time went (our wasm, each canvas call, the pixel
//! read that waits for the raster, garbage collection).
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

type Cache = Arc<Mutex<HashMap<(usize, bool), Arc<String>>>>;

/// `points` 15-minute intervals (with the sandbox's gaps) ending 2026-01-01,
/// as Pelm's JSON, or as the columns the companion sends the app.
fn seeded(points: usize, columns: bool) -> String {
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
        ..Account::default()
    };
    if columns {
        let tidy = pelm_usage::Columns::from_intervals(intervals);
        let span = pelm_usage::Viewport::new(tidy.start[0], end);
        let answer = pelm_usage::wire::ColumnsAnswer::new(&tidy, pelm_usage::Level::Raw, span);
        return serde_json::to_string(&answer).expect("serialisable");
    }
    let body =
        Intervals { utility: "PG&E".to_owned(), meter_type: Some(MeterType::Electric), account, intervals, skipped: 0 };
    serde_json::to_string(&body).expect("serialisable")
}

async fn data(State(cache): State<Cache>, Path(file): Path<String>) -> impl IntoResponse {
    let stem = file.strip_suffix(".json").unwrap_or_default();
    let (stem, columns) = match stem.strip_suffix(".columns") {
        Some(stem) => (stem, true),
        None => (stem, false),
    };
    let Some(points) = stem.parse::<usize>().ok().filter(|n| *n <= 5_000_000) else {
        return Err(StatusCode::NOT_FOUND);
    };
    let body =
        cache.lock().unwrap().entry((points, columns)).or_insert_with(|| Arc::new(seeded(points, columns))).clone();
    Ok(([(header::CONTENT_TYPE, "application/json")], body.as_ref().clone()))
}

/// Five plans for the tariff benchmark, as a list of URDB files: the
/// sandbox's three and two of the residential tariffs SAM checks the engine on.
async fn tariffs() -> impl IntoResponse {
    let reference = concat!(env!("CARGO_MANIFEST_DIR"), "/../tariff/reference/tariffs");
    let mut files: Vec<String> = ["electric.json", "tiered.json", "electric-vehicle.json"]
        .iter()
        .map(|name| pelm_sandbox::tariffs::file(name).expect("a published tariff").to_string())
        .collect();
    for name in ["pge-e-tou-c.json", "sce-tou-d-4-9pm.json"] {
        files.push(std::fs::read_to_string(format!("{reference}/{name}")).expect("a reference tariff"));
    }
    ([(header::CONTENT_TYPE, "application/json")], serde_json::to_string(&files).expect("serialisable"))
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

fn figure(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or(f64::NAN)
}

fn print(results: &[Value]) {
    let metrics = [
        ("decode", "decode (ms)"),
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

/// How ours reads its data: the companion's columns (what the app now
/// asks for) against Pelm's JSON (what it read before), and against the
/// browser's own JSON.parse of the same columns.
fn print_decoding(results: &[Value]) {
    println!("\nOurs reading the intervals: medians, ms (the peers read Pelm's JSON with JSON.parse, above)");
    println!(
        "{:>9}  {:>16} {:>20} {:>26}",
        "points", "columns (ours)", "Pelm's JSON (ours)", "JSON.parse of the columns"
    );
    for result in results {
        let ours = &result["ours"];
        println!(
            "{:>9}  {:>16.3} {:>20.3} {:>26.3}",
            result["points"].as_u64().unwrap_or(0),
            figure(ours, "decode"),
            figure(ours, "decode_pelm"),
            figure(ours, "parse_columns")
        );
    }
}

/// Ours alone: drawing with last year behind the usage against drawing
/// without (the bound is 1.6x), and the exports of every interval.
fn print_compare_and_exports(results: &[Value]) {
    println!("\nOurs with a comparison (last year, lined up by calendar day) against without: medians, ms");
    println!("{:>9}  {:<20} {:>9} {:>9} {:>7}", "points", "", "without", "with", "ratio");
    for result in results {
        let points = result["points"].as_u64().unwrap_or(0);
        let compare = &result["ours"]["compare"];
        let rows = [("draw", "a new chart, drawn"), ("zoom", "zoom redraw"), ("pan", "pan redraw")];
        for (i, (key, label)) in rows.iter().enumerate() {
            let (without, with) = (figure(compare, key), figure(compare, &format!("{key}_compared")));
            let first = if i == 0 { points.to_string() } else { String::new() };
            println!("{first:>9}  {label:<20} {without:>9.3} {with:>9.3} {:>7.2}", with / without);
        }
        println!("{:>9}  {:<20} {:>9} {:>9.3}", "", "lining up (once)", "", figure(compare, "align"));
    }
    println!("\nExports of every interval, made in slices as the app makes them: total and longest slice, ms");
    println!("{:>9}  {:>10} {:>10} {:>10} {:>10}", "points", "CSV", "longest", "XML", "longest");
    for result in results {
        let export = &result["ours"]["export"];
        println!(
            "{:>9}  {:>10.0} {:>10.1} {:>10.0} {:>10.1}",
            result["points"].as_u64().unwrap_or(0),
            figure(export, "csv"),
            figure(export, "csv_longest_slice"),
            figure(export, "espi"),
            figure(export, "espi_longest_slice")
        );
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let page = args.first().cloned().expect("usage: bench <page dir> [--sizes a,b,c] [--runs n]");
    let sizes = arg(&args, "--sizes").unwrap_or_else(|| "35040,175200,1051200".to_owned());
    let runs = arg(&args, "--runs").unwrap_or_else(|| "7".to_owned());
    let cache: Cache = Arc::default();
    let app = Router::new()
        .route("/data/tariffs.json", get(tariffs))
        .route("/data/{file}", get(data))
        .with_state(cache)
        .fallback_service(ServeDir::new(&page));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    println!("Usage chart benchmark: {sizes} points, 1200x400 CSS px, medians of {runs} runs (x3 for zoom and pan, x5 for hover).");
    println!("Memory: ours counts the bytes our data and index hold; the peers' is JS heap growth after GC with their chart up.");
    println!("Zoom index: ours builds its min/max pyramid after the first drawing; zoom and pan use it.\n");
    let profile_points = sizes.split(',').next().unwrap_or("35040").to_owned();
    let mut section = format!(
        "<!-- chart -->\n## The usage chart against uPlot (`./dev bench`)\n\n\
         Written by `./dev bench --sizes {sizes} --runs {runs}` (docs/performance.md says how it measures). \
         Medians in ms, ours ÷ uPlot 1.6.32 in the same run; below 1.0 is faster.\n"
    );
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
        print_decoding(&results);
        print_compare_and_exports(&results);
        print_tariffs(&results);
        print_variants(&results, ratio);
        println!();
        section.push_str(&markdown(&results, ratio));
        if args.iter().any(|a| a == "--profile") {
            profile(&browser, &format!("http://{address}"), &profile_points, ratio).await;
        }
    }
    section.push_str("<!-- /chart -->");
    if let Some(out) = arg(&args, "--out") {
        let old = std::fs::read_to_string(&out).unwrap_or_default();
        std::fs::write(&out, pelm_e2e::report::with_section(&old, "chart", &section)).expect("write the report");
        println!("section written to {out}");
    }
}

/// The run at one ratio for docs/benchmark.md: each size's cold render,
/// zoom and pan against uPlot's, then each way of drawing the usage.
fn markdown(results: &[Value], ratio: &str) -> String {
    use std::fmt::Write;
    let mut md = format!(
        "\n### Device pixel ratio {ratio}\n\n| points | cold: ours / uPlot | ratio | zoom | ratio | pan | ratio |\n| ---: | --- | ---: | --- | ---: | --- | ---: |\n"
    );
    for r in results {
        let (ours, uplot) = (&r["ours"], &r["uplot"]);
        let cell = |key: &str| (figure(ours, key), figure(uplot, key));
        let ((c, cu), (z, zu), (p, pu)) = (cell("cold"), cell("zoom"), cell("pan"));
        writeln!(
            md,
            "| {} | {c:.1} / {cu:.1} | {:.2} | {z:.1} / {zu:.1} | {:.2} | {p:.1} / {pu:.1} | {:.2} |",
            r["points"],
            c / cu,
            z / zu,
            p / pu
        )
        .unwrap();
    }
    let Some(first) = results.first() else { return md };
    let Some(variants) = first["ours"]["variants"].as_array() else { return md };
    let uplot = &first["uplot"];
    writeln!(
        md,
        "\nEach way of drawing the usage at {} points (ours ÷ uPlot's cold {:.1}, zoom {:.1}, pan {:.1} ms), \
         a week's bars, and the share of device pixels that differ from the chosen way's picture \
         (the year; the week):\n\n| way | cold | zoom | pan | week, bars (ms) | pixels moved |\n| --- | ---: | ---: | ---: | ---: | ---: |",
        first["points"],
        figure(uplot, "cold"),
        figure(uplot, "zoom"),
        figure(uplot, "pan")
    )
    .unwrap();
    for v in variants {
        writeln!(
            md,
            "| {} | {:.2}× | {:.2}× | {:.2}× | {:.1} | {:.1}%; {:.1}% |",
            v["name"].as_str().unwrap_or_default(),
            figure(v, "cold") / figure(uplot, "cold"),
            figure(v, "zoom") / figure(uplot, "zoom"),
            figure(v, "pan") / figure(uplot, "pan"),
            figure(v, "bars"),
            figure(v, "year_changed") * 100.0,
            figure(v, "week_changed") * 100.0
        )
        .unwrap();
    }
    md
}

/// Issue 37's profile: our chart drawn each way beside uPlot in the same
/// run, for the first size, and how much of the picture each way changes.
/// The pictures go to target/bench-shots/ to be looked at side by side.
fn print_variants(results: &[Value], ratio: &str) {
    let Some(first) = results.first() else { return };
    let Some(variants) = first["ours"]["variants"].as_array() else { return };
    let uplot = &first["uplot"];
    let (cold, zoom, pan) = (figure(uplot, "cold"), figure(uplot, "zoom"), figure(uplot, "pan"));
    println!(
        "\nDrawing the usage each way, {} points, medians, ms (ours/uPlot; uPlot cold {cold:.1}, zoom {zoom:.1}, pan {pan:.1})",
        first["points"]
    );
    println!("  {:<28} {:>13} {:>13} {:>13} {:>11} {:>13}", "", "cold", "zoom", "pan", "week, bars", "pixels moved");
    let shots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-shots");
    let _ = std::fs::create_dir_all(&shots);
    for v in variants {
        let name = v["name"].as_str().unwrap_or_default();
        let cell = |ours: f64, theirs: f64| format!("{ours:>6.1} {:>5.2}×", ours / theirs);
        println!(
            "  {name:<28} {} {} {} {:>11.1} {:>6.2}% {:>5.2}%",
            cell(figure(v, "cold"), cold),
            cell(figure(v, "zoom"), zoom),
            cell(figure(v, "pan"), pan),
            figure(v, "bars"),
            figure(v, "year_changed") * 100.0,
            figure(v, "week_changed") * 100.0,
        );
        let slug: String = name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
        for view in ["year", "week"] {
            let url = v[format!("{view}_png")].as_str().unwrap_or_default();
            if let Some(png) = url.strip_prefix("data:image/png;base64,") {
                use base64::Engine;
                if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(png) {
                    let _ = std::fs::write(shots.join(format!("dpr{ratio}-{view}-{slug}.png")), bytes);
                }
            }
        }
    }
    println!("  (pixels moved: share of the year's and the week's device pixels that differ from the chosen way's; pictures in target/bench-shots/)");
}

/// The tariff engine on a year of 15-minute intervals (issue 36's bounds:
/// 50 ms to price five plans, 16 ms a step of the shift slider).
fn print_tariffs(results: &[Value]) {
    let Some(tariffs) = results.iter().find_map(|r| r["ours"].get("tariffs")) else { return };
    println!(
        "\nTariffs: {} intervals (a year of 15 minutes) under {} plans, medians, ms",
        figure(tariffs, "intervals"),
        figure(tariffs, "plans")
    );
    println!("  placing the intervals in local time (once):   {:>8.2}", figure(tariffs, "place"));
    println!("  pricing every plan (read and price):          {:>8.2}", figure(tariffs, "price"));
    println!("  both, as a page does when its plans arrive:   {:>8.2}  (bound 50)", figure(tariffs, "reprice"));
    println!("  one step of the shift slider, every plan:     {:>8.3}  (bound 16)", figure(tariffs, "slider"));
}

/// Records each step of ours with the CPU profiler and prints its self time
/// by kind. A canvas call's own time includes the browser's work behind it;
/// `getImageData` is where the raster is waited for.
async fn profile(browser: &pelm_e2e::Browser, base: &str, points: &str, ratio: &str) {
    browser.client.goto(&format!("{base}/index.html?sizes=")).await.unwrap();
    let ready = "return !!(window.wasmBindings && window.wasmBindings.profile_workload);";
    while !browser.client.execute(ready, vec![]).await.unwrap().as_bool().unwrap_or(false) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let run = |step: &'static str, runs: u32| {
        let script = format!(
            "const done = arguments[arguments.length - 1];\
             window.wasmBindings.profile_workload('{step}', {points}, {runs}).then(() => done(null), (e) => done(String(e)));"
        );
        let client = browser.client.clone();
        async move {
            let failed = client.execute_async(&script, vec![]).await.unwrap();
            assert!(failed.is_null(), "profile_workload {step}: {failed}");
        }
    };
    browser.cdp("Profiler.enable", serde_json::json!({})).await;
    browser.cdp("Profiler.setSamplingInterval", serde_json::json!({ "interval": 50 })).await;
    const RUNS: u32 = 20;
    println!("Profile at ratio {ratio}, {points} points, ours: self time per step, in ms (share of the step)");
    for step in ["cold", "zoom", "pan"] {
        run(step, 3).await;
        browser.cdp("Profiler.start", serde_json::json!({})).await;
        run(step, RUNS).await;
        let profile = browser.cdp("Profiler.stop", serde_json::json!({})).await;
        let kinds = self_time_by_kind(&profile["profile"]);
        let total: f64 = kinds.iter().map(|(_, ms)| ms).sum();
        let line: Vec<String> = kinds
            .iter()
            .take(8)
            .map(|(kind, ms)| format!("{kind} {:.2} ({:.0}%)", ms / RUNS as f64, ms * 100.0 / total))
            .collect();
        println!("  {step:>4}: {:.2} ms per step: {}", total / RUNS as f64, line.join(", "));
    }
    println!();
}

/// Milliseconds of self time by kind, largest first: `wasm` (our code and
/// plotters), each browser call by name (`fillRect`, `getImageData`: the
/// profiler shows native functions as frames of their own, with no script),
/// `(garbage collector)`, and `JS glue` for wasm-bindgen's own functions.
/// Idle time is left out.
fn self_time_by_kind(profile: &Value) -> Vec<(String, f64)> {
    let nodes = profile["nodes"].as_array().cloned().unwrap_or_default();
    let samples: usize = nodes.iter().map(|n| n["hitCount"].as_u64().unwrap_or(0) as usize).sum();
    let span_ms = (profile["endTime"].as_f64().unwrap_or(0.0) - profile["startTime"].as_f64().unwrap_or(0.0)) / 1000.0;
    let per_sample = if samples == 0 { 0.0 } else { span_ms / samples as f64 };
    let mut kinds: HashMap<String, f64> = HashMap::new();
    for node in &nodes {
        let frame = &node["callFrame"];
        let name = frame["functionName"].as_str().unwrap_or_default();
        let url = frame["url"].as_str().unwrap_or_default();
        let kind = if name == "(idle)" || name == "(root)" {
            continue;
        } else if url.starts_with("wasm://") || name.starts_with("$") || name.contains("wasm-function") {
            "wasm".to_owned()
        } else if name.starts_with('(') || (url.is_empty() && !name.is_empty()) {
            name.to_owned()
        } else {
            "JS glue".to_owned()
        };
        *kinds.entry(kind).or_default() += node["hitCount"].as_u64().unwrap_or(0) as f64 * per_sample;
    }
    let mut kinds: Vec<(String, f64)> = kinds.into_iter().collect();
    kinds.sort_by(|a, b| b.1.total_cmp(&a.1));
    kinds
}
