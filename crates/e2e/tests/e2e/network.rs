//! What crosses the network, as the browser's own Resource Timing saw it:
//! a returning user's first view asks for nothing twice and nothing its
//! first answer brought; zooming in asks for the window's detail only; and
//! a normal journey's console holds no error.

use pelm_e2e::{connect_as, open_app, spawn_demo, start_browser, Browser};
use serde_json::{json, Value};

/// Errors the console or the page reports, and every request made, from the
/// start of each document.
const WATCH: &str = r#"
window.__errors = [];
const origError = console.error;
console.error = (...a) => { window.__errors.push(a.map(String).join(' ')); origError.apply(console, a); };
addEventListener('error', (e) => window.__errors.push('error: ' + (e.message || (e.target && e.target.src))), true);
addEventListener('unhandledrejection', (e) => window.__errors.push('rejection: ' + e.reason));
"#;

async fn watched_browser() -> Browser {
    let browser = start_browser().await;
    browser.cdp("Page.addScriptToEvaluateOnNewDocument", json!({ "source": WATCH })).await;
    browser
}

/// The API requests this document has made so far, as `path?query`, with
/// their status.
async fn api_requests(browser: &Browser) -> Vec<(String, u64)> {
    let script = "return performance.getEntriesByType('resource').filter(r => r.name.includes('/api/'))\
                  .map(r => [new URL(r.name).pathname + new URL(r.name).search, r.responseStatus || 0]);";
    let found = browser.client.execute(script, vec![]).await.unwrap();
    found.as_array().unwrap().iter().map(|r| (r[0].as_str().unwrap().to_owned(), r[1].as_u64().unwrap_or(0))).collect()
}

async fn errors(browser: &Browser) -> Value {
    browser.client.execute("return window.__errors;", vec![]).await.unwrap()
}

fn query_value(path: &str, key: &str) -> Option<i64> {
    path.split(['?', '&']).find_map(|part| part.strip_prefix(&format!("{key}="))?.parse().ok())
}

#[tokio::test]
async fn a_returning_users_first_view_asks_for_nothing_twice_and_logs_no_error() {
    let demo = spawn_demo(|_| {}).await;
    let browser = watched_browser().await;
    open_app(&browser, &demo.url).await;
    connect_as(&browser, "network-new", "solar@pelm.com").await;
    browser.find(".pe-chart-frame[data-plot-width]").await;
    browser.find("[data-typical-day]").await;
    assert_eq!(errors(&browser).await, json!([]), "a new user's journey logged errors");

    // The same person, back: the page, its first call, the view's data.
    browser.client.refresh().await.unwrap();
    browser.find(".pe-chart-frame[data-plot-width]").await;
    browser.find("[data-typical-day]").await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let requests = api_requests(&browser).await;
    let paths: Vec<&str> = requests.iter().map(|(p, _)| p.as_str()).collect();
    let mut unique = paths.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), paths.len(), "a request made twice: {paths:?}");
    assert!(requests.iter().all(|(_, status)| *status < 400), "{requests:?}");
    // The first answer brought the connections and the accounts.
    assert!(!paths.iter().any(|p| p.starts_with("/api/accounts") || p.starts_with("/api/connections")), "{paths:?}");
    // The chart's data came as days, for the two months and the two before.
    let days: Vec<&&str> =
        paths.iter().filter(|p| p.starts_with("/api/intervals") && p.contains("level=day")).collect();
    assert_eq!(days.len(), 1, "{paths:?}");
    let span = query_value(days[0], "end_date").unwrap() - query_value(days[0], "start_date").unwrap();
    assert!((118..=126).contains(&(span / 86_400)), "{} days asked", span / 86_400);
    assert!(!paths.iter().any(|p| p.contains("level=interval") || p.contains("level=hour")), "{paths:?}");
    assert_eq!(errors(&browser).await, json!([]), "a returning user's journey logged errors");
}

#[tokio::test]
async fn a_first_connection_while_pelm_collects_fails_no_request_and_logs_no_error() {
    let demo = spawn_demo(|config| config.sandbox_data_delay = 3).await;
    let browser = watched_browser().await;
    open_app(&browser, &demo.url).await;
    connect_as(&browser, "network-collecting", "user@pelm.com").await;
    browser.texts(".pe-card", 2).await;
    // A status of 400 or more is what the browser's console shows as an error.
    let requests = api_requests(&browser).await;
    assert!(requests.iter().any(|(_, status)| *status == 202), "Pelm was never collecting: {requests:?}");
    assert!(requests.iter().all(|(_, status)| *status < 400), "{requests:?}");
    assert_eq!(errors(&browser).await, json!([]), "collecting logged errors");
}

#[tokio::test]
async fn zooming_into_a_long_view_asks_for_the_windows_detail_only() {
    let demo = spawn_demo(|_| {}).await;
    let browser = watched_browser().await;
    open_app(&browser, &demo.url).await;
    connect_as(&browser, "network-zoom", "solar@pelm.com").await;
    browser.find(".pe-chart-frame[data-plot-width]").await;
    browser.click("button[data-range='12m']").await;
    let shown = "const f = document.querySelector('.pe-chart-frame'); return [+f.dataset.from, +f.dataset.to];";
    let (year_from, year_to) = loop {
        let shown = browser.client.execute(shown, vec![]).await.unwrap();
        let (from, to) = (shown[0].as_i64().unwrap_or(0), shown[1].as_i64().unwrap_or(0));
        if to - from > 300 * 86_400 {
            break (from, to);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let asked_before = api_requests(&browser).await.len();

    // Six halvings: under a week, shown by the hour. A view of at most two
    // weeks is shown by the hour, and asks for its window (its own width
    // either side, and as many days before, for the change): at most 12
    // weeks, whichever views it settled at on the way.
    for _ in 0..6 {
        browser.click("button[data-action=zoom-in]").await;
    }
    let hours = loop {
        let requests = api_requests(&browser).await;
        let hours: Vec<String> =
            requests[asked_before..].iter().map(|(p, _)| p.clone()).filter(|p| p.contains("level=hour")).collect();
        if !hours.is_empty() {
            break hours;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    browser.text_containing("[data-figure=total]", "kWh").await;
    for path in &hours {
        let (from, to) = (query_value(path, "start_date").unwrap(), query_value(path, "end_date").unwrap());
        assert!(year_from - 400 * 86_400 <= from && to <= year_to, "{path} reaches outside the range");
        assert!(to - from <= 90 * 86_400, "{path}: {} days of hours for the year", (to - from) / 86_400);
    }
    // Two more: a day and a half, shown interval by interval; a view of
    // under three days asks for at most three weeks of intervals.
    for _ in 0..2 {
        browser.click("button[data-action=zoom-in]").await;
    }
    let intervals = loop {
        let requests = api_requests(&browser).await;
        let raw: Vec<String> =
            requests.iter().map(|(p, _)| p.clone()).filter(|p| p.contains("level=interval")).collect();
        if !raw.is_empty() {
            break raw;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    for path in &intervals {
        let days = (query_value(path, "end_date").unwrap() - query_value(path, "start_date").unwrap()) / 86_400;
        assert!(days <= 21, "{path}: {days} days of intervals for a view of a day and a half");
    }
    let settled = "return document.querySelector('.pe-detail-status').textContent;";
    while browser.client.execute(settled, vec![]).await.unwrap() != json!("") {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let requests = api_requests(&browser).await;
    assert!(requests.iter().all(|(_, status)| *status < 400), "{requests:?}");
    assert_eq!(errors(&browser).await, json!([]));
    browser.screenshot("zoomed-to-intervals").await;
}
