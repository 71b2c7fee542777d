//! Cold loads in headless Chromium: when each milestone first shows, and
//! what was fetched by then.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::args::Args;
use crate::processes::{start, Process};

/// Marks, in `performance.now()` milliseconds since navigation, the frame
/// after each milestone first appears, with the requests made by then (the
/// page and every resource); and the wasm instance, for its memory.
pub(crate) const MILESTONES: &str = r#"
window.__pelmBench = {};
const mark = (name) => { if (!(name in window.__pelmBench)) { window.__pelmBench[name] = null; requestAnimationFrame(() => { window.__pelmBench[name] = performance.now(); window.__pelmBench[name + 'Requests'] = performance.getEntriesByType('resource').length + 1; }); } };
addEventListener('TrunkApplicationStarted', (e) => { window.__pelmWasm = e.detail && e.detail.wasm; });
new MutationObserver(() => {
  if (document.querySelector('.pe-app')) mark('paint');
  const connect = document.querySelector('button[data-action=connect]');
  if (connect && !connect.disabled) mark('connect');
  if (document.querySelector('.pe-chart-frame[data-plot-width]')) mark('chart');
}).observe(document, { subtree: true, childList: true, attributes: true });
"#;

/// DevTools' "Slow 4G" preset: 1.6 Mbps down and 750 kbps up at 90%, 150 ms RTT times 3.75.
pub(crate) fn slow_4g() -> Value {
    json!({ "offline": false, "latency": 562.5, "downloadThroughput": 1.6 * 1024.0 * 1024.0 / 8.0 * 0.9, "uploadThroughput": 750.0 * 1024.0 / 8.0 * 0.9 })
}

pub(crate) struct Load {
    pub(crate) marks: Value,
    pub(crate) heap: f64,
    pub(crate) wasm: f64,
}

/// One cold load of `url` (no HTTP cache), waiting for `until`.
pub(crate) async fn cold_load(browser: &pelm_e2e::Browser, url: &str, until: &str) -> Result<Load, String> {
    browser.cdp("Network.clearBrowserCache", json!({})).await;
    browser.client.goto("about:blank").await.map_err(|e| e.to_string())?;
    browser.client.goto(url).await.map_err(|e| e.to_string())?;
    let started = Instant::now();
    loop {
        let marks =
            browser.client.execute("return window.__pelmBench || {}", vec![]).await.map_err(|e| e.to_string())?;
        if marks[until].is_number() {
            // Let the page settle before weighing it.
            tokio::time::sleep(Duration::from_millis(300)).await;
            browser.cdp("HeapProfiler.collectGarbage", json!({})).await;
            let heap = browser.cdp("Runtime.getHeapUsage", json!({})).await["usedSize"].as_f64().unwrap_or(0.0);
            let wasm = browser
                .client
                .execute("return window.__pelmWasm ? window.__pelmWasm.memory.buffer.byteLength : 0", vec![])
                .await
                .map_err(|e| e.to_string())?
                .as_f64()
                .unwrap_or(0.0);
            return Ok(Load { marks, heap, wasm });
        }
        if started.elapsed() > Duration::from_secs(120) {
            return Err(format!("{until} not reached in 120 s: {marks}"));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub(crate) fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// The companion in sandbox mode serving the built app (its store in `db`,
/// `extra` flags after the rest), and a headless Chromium that runs
/// `script` on every document, with its HTTP cache on or off.
pub(crate) async fn demo_in_browser(
    args: &Args,
    db: &Path,
    extra: &[&str],
    cache: bool,
    script: &str,
) -> (Process, pelm_e2e::Browser) {
    let mut flags = vec![
        "--sandbox".to_owned(),
        "--dist".to_owned(),
        args.dist.display().to_string(),
        "--database-url".to_owned(),
        format!("sqlite://{}", db.join("c.db").display()),
        "--sandbox-data-delay".to_owned(),
        "0".to_owned(),
    ];
    flags.extend(extra.iter().map(|f| f.to_string()));
    let demo = start(&args.bin_dir.join("pelm-companion"), &flags).await;
    let browser = pelm_e2e::start_browser().await;
    browser.cdp("Network.enable", json!({})).await;
    browser.cdp("Network.setCacheDisabled", json!({ "cacheDisabled": !cache })).await;
    browser.cdp("Page.addScriptToEvaluateOnNewDocument", json!({ "source": script })).await;
    (demo, browser)
}

// Each section of the benchmark is one script, read top to bottom: start
// what it measures, drive it, print its table. Cut into parts it would only
// pass its locals around, which is why it runs past eighty lines.
pub(crate) async fn browser(args: &Args, summary: &mut Vec<(String, String, bool)>) -> String {
    println!("==> loads in headless Chromium");
    let db = tempfile::tempdir().unwrap();
    let (demo, browser) = demo_in_browser(args, db.path(), &[], false, MILESTONES).await;
    let mut out = format!(
        "## Loading in the browser\n\nHeadless Chromium against the companion in sandbox mode on loopback, HTTP cache off, {} cold loads each; medians. Times are from navigation start to the frame after the milestone appears: the app's first paint (`.pe-app`), a usable Connect button, and, for a connected user (solar@pelm.com, one account with 15-minute data), the usage chart drawn for the default 2 months (5,760 intervals). Requests before Connect counts the page and every resource the browser had asked for by the frame the button became usable (Resource Timing). Memory is weighed after a garbage collection.\n\n",
        args.runs
    );
    out.push_str("| network | first paint | Connect usable | requests before Connect | chart drawn (connected) | JS heap | wasm memory |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for (name, conditions) in [("loopback", None), ("Slow 4G (DevTools preset)", Some(slow_4g()))] {
        let mut paint = Vec::new();
        let mut connect = Vec::new();
        let mut requests = Vec::new();
        let mut chart = Vec::new();
        let (mut heap, mut wasm) = (Vec::new(), Vec::new());
        // Signed out: the start screen.
        browser.client.delete_all_cookies().await.ok();
        match &conditions {
            Some(c) => browser.cdp("Network.emulateNetworkConditions", c.clone()).await,
            None => {
                browser
                    .cdp(
                        "Network.emulateNetworkConditions",
                        json!({"offline": false, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}),
                    )
                    .await
            }
        };
        for _ in 0..args.runs {
            match cold_load(&browser, &demo.url, "connect").await {
                Ok(load) => {
                    paint.push(load.marks["paint"].as_f64().unwrap_or(f64::NAN));
                    connect.push(load.marks["connect"].as_f64().unwrap_or(f64::NAN));
                    requests.push(load.marks["connectRequests"].as_f64().unwrap_or(f64::NAN));
                }
                Err(e) => eprintln!("signed-out load: {e}"),
            }
        }
        // Connected, through the modal, once; then cold loads of the usage page.
        if chart.is_empty() {
            browser
                .cdp(
                    "Network.emulateNetworkConditions",
                    json!({"offline": false, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}),
                )
                .await;
            browser.client.goto(&demo.url).await.unwrap();
            pelm_e2e::connect_as(&browser, "bench", "solar@pelm.com").await;
            let started = Instant::now();
            while browser.client.find(pelm_e2e::Locator::Css(".pe-chart-frame[data-plot-width]")).await.is_err() {
                if started.elapsed() > Duration::from_secs(60) {
                    let shot = browser.screenshot("bench-connected").await;
                    panic!("no chart after connecting ({}): {}", shot.display(), browser.text("body").await);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            if let Some(c) = &conditions {
                browser.cdp("Network.emulateNetworkConditions", c.clone()).await;
            }
        }
        for _ in 0..args.runs {
            match cold_load(&browser, &demo.url, "chart").await {
                Ok(load) => {
                    chart.push(load.marks["chart"].as_f64().unwrap_or(f64::NAN));
                    heap.push(load.heap);
                    wasm.push(load.wasm);
                }
                Err(e) => eprintln!("connected load: {e}"),
            }
        }
        let (p, c, ch) = (median(&mut paint), median(&mut connect), median(&mut chart));
        let r = median(&mut requests);
        writeln!(
            out,
            "| {name} | {p:.0} ms | {c:.0} ms | {r:.0} | {ch:.0} ms | {:.1} MB | {:.1} MB |",
            median(&mut heap) / 1e6,
            median(&mut wasm) / 1e6
        )
        .unwrap();
        if conditions.is_none() {
            summary.push((
                "(no budget) loopback: Connect usable / chart drawn".to_owned(),
                format!("{c:.0} ms / {ch:.0} ms"),
                true,
            ));
        }
        browser.client.delete_all_cookies().await.ok();
    }
    drop(browser);
    drop(demo);
    out.push('\n');
    out
}
