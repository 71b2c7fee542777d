//! What a person waits for on a slow phone network, every visit, with the
//! HTTP cache on as in life: a returning user's chart at 2 months, 12 months
//! and everything, with the cache warm and cleared; a new user from
//! Connect's success to their chart; the first paint of a cold load. Each
//! journey's round trips before the chart, and the bytes its data took,
//! come from the browser's own Resource Timing.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::args::Args;
use crate::browser::{demo_in_browser, median, slow_4g};

/// Watches a page: the first contentful paint, the frame after the chart is
/// first drawn with the requests made by then, and any error the console
/// or the page reports.
const WATCH: &str = r#"
const j = window.__pelmJourney = { errors: [] };
const origError = console.error;
console.error = (...a) => { j.errors.push(a.map(String).join(' ')); origError.apply(console, a); };
addEventListener('error', (e) => j.errors.push('error: ' + (e.message || (e.target && e.target.src) || e)), true);
addEventListener('unhandledrejection', (e) => j.errors.push('rejection: ' + e.reason));
const entry = (r) => ({ name: r.name, start: r.startTime, headers: r.responseStart, end: r.responseEnd,
  transfer: r.transferSize, body: r.encodedBodySize, status: r.responseStatus || 0 });
new MutationObserver(() => {
  if (!('chart' in j) && document.querySelector('.pe-chart-frame[data-plot-width], .pe-projection')) {
    j.chart = null;
    requestAnimationFrame(() => {
      j.chart = performance.now();
      j.resources = performance.getEntriesByType('resource').map(entry);
      j.document = entry(performance.getEntriesByType('navigation')[0]);
    });
  }
}).observe(document, { subtree: true, childList: true, attributes: true });
"#;

/// A request as Resource Timing saw it, in ms since navigation.
#[derive(Debug, Clone)]
struct Request {
    name: String,
    start: f64,
    /// When its answer began. Under DevTools' emulated network the delay
    /// shows in `end`, not here: a request made because of another waited
    /// for that one's end.
    headers: f64,
    end: f64,
    transfer: f64,
    status: f64,
}

impl Request {
    fn of(value: &Value) -> Self {
        let n = |key: &str| value[key].as_f64().unwrap_or(0.0);
        Self {
            name: value["name"].as_str().unwrap_or_default().to_owned(),
            start: n("start"),
            headers: n("headers"),
            end: n("end"),
            transfer: n("transfer"),
            status: n("status"),
        }
    }

    /// Whether it crossed the network: a cache hit moves nothing (a
    /// revalidation, its headers, is a round trip).
    fn on_the_wire(&self) -> bool {
        self.transfer > 0.0
    }

    fn is_data(&self) -> bool {
        self.name.contains("/api/") && !self.name.contains("/api/connection") && !self.name.contains("csp-report")
    }
}

/// The round trips on the longest chain of requests that waited for one
/// another, from `first` (the page, or the request a journey starts at) to
/// the chart: a request that began once another had been answered counts
/// one more than the longest chain before it. A preload the page's headers
/// started counts one after the page.
fn round_trips(first: &Request, requests: &[Request], chart: f64) -> usize {
    let mut chains: Vec<(f64, usize)> = vec![(first.headers.min(first.end), 1)];
    let mut later: Vec<&Request> =
        requests.iter().filter(|r| r.on_the_wire() && r.start >= first.start && r.end <= chart).collect();
    later.sort_by(|a, b| a.start.total_cmp(&b.start));
    for r in later.into_iter().filter(|r| r.name != first.name || r.start != first.start) {
        let before = chains.iter().filter(|(answered, _)| *answered <= r.start + 0.5).map(|(_, n)| *n).max();
        chains.push((r.end, before.map_or(1, |n| n + 1)));
    }
    chains.iter().map(|(_, n)| *n).max().unwrap_or(1)
}

/// One visit's figures.
struct Visit {
    /// ms from the journey's start to the chart drawn.
    chart: f64,
    first_paint: f64,
    round_trips: usize,
    /// Bytes on the wire of the view's data answers, and of all its requests.
    data_bytes: f64,
    all_bytes: f64,
    requests: usize,
    errors: Vec<String>,
}

/// Reads the visit's figures once its chart is drawn; `from` names the
/// request it starts at (`None`: navigation).
async fn visit(browser: &pelm_e2e::Browser, from: Option<&str>) -> Result<Visit, String> {
    let started = Instant::now();
    let watched = loop {
        let watched =
            browser.client.execute("return window.__pelmJourney || {}", vec![]).await.map_err(|e| e.to_string())?;
        if watched["chart"].is_number() && watched["resources"].is_array() {
            break watched;
        }
        if started.elapsed() > Duration::from_secs(240) {
            let shot = browser.screenshot("bench-journey-stuck").await;
            return Err(format!("no chart within 240 s ({})", shot.display()));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let chart = watched["chart"].as_f64().unwrap_or(f64::NAN);
    let requests: Vec<Request> = watched["resources"].as_array().unwrap().iter().map(Request::of).collect();
    let document = Request::of(&watched["document"]);
    let first = match from {
        None => document.clone(),
        Some(part) => requests.iter().find(|r| r.name.contains(part)).cloned().ok_or(format!("no {part} request"))?,
    };
    let paint = browser
        .client
        .execute(
            "const p = performance.getEntriesByName('first-contentful-paint')[0]; return p ? p.startTime : null;",
            vec![],
        )
        .await
        .map_err(|e| e.to_string())?;
    let before: Vec<&Request> = requests.iter().filter(|r| r.end <= chart && r.start >= first.start).collect();
    // `PELM_BENCH_REQUESTS=1` prints each visit's requests, to see where the time went.
    if std::env::var_os("PELM_BENCH_REQUESTS").is_some() {
        println!(
            "  chart at {chart:.0} ms; document: headers {:.0} ms, end {:.0} ms, {:.0} B",
            document.headers, document.end, document.transfer
        );
        for r in &requests {
            let name: String = r.name.chars().take(100).collect();
            println!("    {:>6.0} {:>6.0} {:>6.0} {:>7.0} B  {name}", r.start, r.headers, r.end, r.transfer);
        }
    }
    let mut errors: Vec<String> =
        watched["errors"].as_array().into_iter().flatten().filter_map(|e| e.as_str().map(str::to_owned)).collect();
    errors.extend(requests.iter().filter(|r| r.status >= 400.0).map(|r| format!("{} answered {}", r.name, r.status)));
    Ok(Visit {
        chart: chart - first.start,
        first_paint: paint.as_f64().unwrap_or(f64::NAN),
        round_trips: round_trips(&first, &requests, chart),
        data_bytes: before.iter().filter(|r| r.is_data()).map(|r| r.transfer).sum(),
        all_bytes: before.iter().map(|r| r.transfer).sum::<f64>()
            + if from.is_none() { document.transfer } else { 0.0 },
        requests: before.iter().filter(|r| r.on_the_wire()).count() + usize::from(from.is_none()),
        errors,
    })
}

async fn throttle(browser: &pelm_e2e::Browser, slow: bool) {
    let conditions = match slow {
        true => slow_4g(),
        false => json!({ "offline": false, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1 }),
    };
    browser.cdp("Network.emulateNetworkConditions", conditions).await;
}

/// One journey's medians.
struct Row {
    name: &'static str,
    visits: Vec<Visit>,
}

impl Row {
    fn median(&self, of: impl Fn(&Visit) -> f64) -> f64 {
        median(&mut self.visits.iter().map(of).collect::<Vec<_>>())
    }

    fn line(&self) -> String {
        let errors: usize = self.visits.iter().map(|v| v.errors.len()).sum();
        format!(
            "| {} | {:.0} ms | {:.0} | {:.0} | {:.1} KB | {:.1} KB | {errors} |",
            self.name,
            self.median(|v| v.chart),
            self.median(|v| v.round_trips as f64),
            self.median(|v| v.requests as f64),
            self.median(|v| v.data_bytes) / 1024.0,
            self.median(|v| v.all_bytes) / 1024.0,
        )
    }
}

// One script, read top to bottom: start the companion and a browser, make
// each journey `runs` times, print the table. Cut into parts it would only
// pass its locals around, which is why it runs past eighty lines.
pub async fn journeys(args: &Args, summary: &mut Vec<(String, String, bool)>) -> String {
    println!("==> journeys on Slow 4G, HTTP cache on");
    let db = tempfile::tempdir().unwrap();
    // The companion forgets Pelm's answers within a second, as it has between
    // a person's visits; each visit's data is asked of the sandbox again.
    let (demo, browser) = demo_in_browser(args, db.path(), &["--cache-ttl", "1"], true, WATCH).await;
    let mut rows = Vec::new();

    // A new user: a first visit (nothing cached), Connect, and their chart.
    let mut new_user = Row { name: "new user, from Connect's success", visits: Vec::new() };
    let mut first_paint = Vec::new();
    for run in 0..args.runs {
        throttle(&browser, false).await;
        browser.client.goto(&demo.url).await.unwrap();
        browser.client.delete_all_cookies().await.ok();
        browser.cdp("Network.clearBrowserCache", json!({})).await;
        browser.client.goto("about:blank").await.unwrap();
        throttle(&browser, true).await;
        browser.client.goto(&demo.url).await.unwrap();
        pelm_e2e::connect_as(&browser, &format!("bench-new-{run}"), "solar@pelm.com").await;
        match visit(&browser, Some("/api/authorization")).await {
            Ok(v) => {
                first_paint.push(v.first_paint);
                new_user.visits.push(v);
            }
            Err(e) => eprintln!("new user: {e}"),
        }
    }
    rows.push(new_user);

    // A returning user: connected once, then visits.
    throttle(&browser, false).await;
    browser.client.goto(&demo.url).await.unwrap();
    browser.client.delete_all_cookies().await.ok();
    browser.client.goto(&demo.url).await.unwrap();
    pelm_e2e::connect_as(&browser, "bench-returning", "solar@pelm.com").await;
    browser.find(".pe-chart-frame[data-plot-width]").await;
    let usage = browser.client.current_url().await.unwrap();
    let usage = format!("{}{}", demo.url, usage.path());
    let bills = usage.replace("/usage", "/bills");
    let visits: [(&'static str, String, bool); 5] = [
        ("returning user, 2 months", demo.url.clone(), false),
        ("returning user, 2 months, cache cleared", demo.url.clone(), true),
        ("returning user, 12 months", format!("{usage}?range=12m"), false),
        ("returning user, All (six years)", format!("{usage}?range=all"), false),
        ("returning user, bills with this cycle's projection", bills, false),
    ];
    for (name, url, cleared) in visits {
        // The visit before, which filled the cache.
        throttle(&browser, false).await;
        browser.client.goto(&url).await.unwrap();
        browser.find(".pe-chart-frame[data-plot-width], .pe-projection").await;
        throttle(&browser, true).await;
        let mut row = Row { name, visits: Vec::new() };
        for run in 0..args.runs {
            if cleared {
                browser.cdp("Network.clearBrowserCache", json!({})).await;
            }
            // A second apart: the companion's cache has let go.
            tokio::time::sleep(Duration::from_millis(1100)).await;
            browser.client.goto("about:blank").await.unwrap();
            // An address of its own: Chromium would otherwise answer a page
            // it showed moments ago from memory, where a person coming back
            // the next day waits a round trip for it.
            let separator = if url.contains('?') { '&' } else { '?' };
            browser.client.goto(&format!("{url}{separator}visit={run}")).await.unwrap();
            match visit(&browser, None).await {
                Ok(v) => row.visits.push(v),
                Err(e) => eprintln!("{name}: {e}"),
            }
        }
        rows.push(row);
    }

    // The first paint of a cold load, signed out.
    throttle(&browser, false).await;
    browser.client.delete_all_cookies().await.ok();
    let mut cold_paint = Vec::new();
    throttle(&browser, true).await;
    for _ in 0..args.runs {
        browser.cdp("Network.clearBrowserCache", json!({})).await;
        browser.client.goto("about:blank").await.unwrap();
        browser.client.goto(&demo.url).await.unwrap();
        let started = Instant::now();
        loop {
            let paint = browser
                .client
                .execute("const p = performance.getEntriesByName('first-contentful-paint')[0]; return p ? p.startTime : null;", vec![])
                .await
                .unwrap();
            if let Some(ms) = paint.as_f64() {
                cold_paint.push(ms);
                break;
            }
            if started.elapsed() > Duration::from_secs(30) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    drop(browser);
    drop(demo);

    let mut out = format!(
        "## Journeys on a slow phone network\n\nHeadless Chromium on DevTools' Slow 4G preset (562.5 ms a round trip, 1.44 Mbps down), **HTTP cache on**, against the companion in sandbox mode; {} visits each, medians. A returning user is solar@pelm.com (one account, 15-minute data for six years), connected before, opening the site again: its wasm, stylesheet and scripts come from the cache, as the visit before left them; the companion's own cache has let go of Pelm's answers between visits. The new user's visit starts with nothing cached; their time runs from Connect's success (the app posting the authorization code) to their chart. The chart counts as drawn in the frame after the chart first draws with its data; on the bills page, in the frame after the projection is shown (with the bills, their chart and the explainer, which come with it). Round trips are the longest chain of requests before the chart in which each began after the answer before it began (Resource Timing; answers from the cache move nothing and do not count). Data is every `/api` answer the view asked for after the first call, on the wire (compressed, headers included). Errors are what the console and the page reported, and answers of 400 or more.\n\n| journey | chart drawn | round trips | requests | data on the wire | all on the wire | errors |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n",
        args.runs
    );
    for row in &rows {
        writeln!(out, "{}", row.line()).unwrap();
    }
    let cold = median(&mut cold_paint);
    writeln!(out, "\nFirst contentful paint of a cold, signed-out load: **{cold:.0} ms**.\n").unwrap();
    let errors: Vec<&String> = rows.iter().flat_map(|r| r.visits.iter().flat_map(|v| &v.errors)).collect();
    if !errors.is_empty() {
        writeln!(out, "Errors seen:\n").unwrap();
        for error in errors.iter().take(10) {
            writeln!(out, "- `{}`", error.replace('`', "'")).unwrap();
        }
        out.push('\n');
    }
    let chart = |name: &str| rows.iter().find(|r| r.name == name).map_or(f64::NAN, |r| r.median(|v| v.chart));
    for (name, budget) in [
        ("returning user, 2 months", 2000.0),
        ("returning user, 12 months", 3000.0),
        ("returning user, All (six years)", 4000.0),
        ("new user, from Connect's success", 3000.0),
    ] {
        let figure = chart(name);
        summary.push((
            format!("Slow 4G: {name}, chart drawn ≤ {:.1} s", budget / 1000.0),
            format!("{figure:.0} ms"),
            figure <= budget,
        ));
    }
    summary.push(("Slow 4G: first paint, cold, ≤ 1.0 s".to_owned(), format!("{cold:.0} ms"), cold <= 1000.0));
    let data =
        rows.iter().find(|r| r.name == "returning user, 2 months").map_or(f64::NAN, |r| r.median(|v| v.data_bytes));
    summary.push((
        "the default view's data on the wire ≤ 40 KB".to_owned(),
        format!("{:.1} KB", data / 1024.0),
        data <= 40.0 * 1024.0,
    ));
    summary.push((
        "a normal journey's console shows no error".to_owned(),
        format!("{} errors", errors.len()),
        errors.is_empty(),
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As the emulated network reports them: headers at once, the wait in `end`.
    fn request(name: &str, start: f64, end: f64, transfer: f64) -> Request {
        Request { name: name.to_owned(), start, headers: start + 5.0, end, transfer, status: 200.0 }
    }

    #[test]
    fn round_trips_count_the_longest_chain_of_waits_and_skip_the_cache() {
        let page = request("page", 0.0, 600.0, 5000.0);
        let requests = [
            // Preloaded with the page's headers: the second round trip.
            request("/api/connection", 20.0, 600.0, 800.0),
            // From the cache: nothing moves.
            request("/app.wasm", 30.0, 40.0, 0.0),
            // Asked once the first answer came: the third.
            request("/api/intervals", 700.0, 1300.0, 2000.0),
            request("/api/bills", 705.0, 1290.0, 1000.0),
        ];
        assert_eq!(round_trips(&page, &requests, 1400.0), 3);
        assert_eq!(round_trips(&page, &requests, 1000.0), 2, "the third came after the chart");
    }
}
