//! Each way the app recovers from an error, made to happen by answers the
//! companion scripts in sandbox mode: retry after a proxy page and a 503
//! then success, cut connections, retries used up,
//! a field error at its input, quota and forbidden without retries,
//! reconnecting, and retries dropped when the user leaves the page.

use std::time::{Duration, Instant};

use fantoccini::Locator;
use pelm_e2e::{
    assert_no_csp_violations, connect_as, open_app, spawn_demo, start_browser, Browser, Demo, ScriptedAnswer,
};

const INTERVALS: &str = "/intervals";

/// A connected solar home looking at its usage chart (one account, so the
/// usage opens at once and nothing else asks for intervals meanwhile).
async fn on_the_usage_page(artifact: &str) -> (Demo, Browser) {
    let demo = spawn_demo(|_| {}).await;
    let browser = start_browser().await;
    open_app(&browser, &demo.url).await;
    connect_as(&browser, artifact, "solar@pelm.com").await;
    browser.find(".pe-usage canvas.pe-chart").await;
    (demo, browser)
}

/// Asks for twelve months, which needs a new intervals request; returns
/// how many intervals requests there had been before it.
async fn ask_for_a_year(demo: &Demo, browser: &Browser) -> usize {
    let before = demo.app_faults().calls(INTERVALS).len();
    browser.click("button[data-range='12m']").await;
    before
}

/// Intervals requests since `before`, once none has come for longer than
/// the first retry's pause (at most a second).
async fn settled_calls(demo: &Demo, before: usize) -> Vec<Instant> {
    let mut seen = usize::MAX;
    loop {
        let calls = demo.app_faults().calls(INTERVALS);
        if calls.len() == seen {
            return calls[before..].to_vec();
        }
        seen = calls.len();
        tokio::time::sleep(Duration::from_millis(1500)).await;
    }
}

/// Waits for the chart to show (at least) a year.
async fn a_year_is_charted(browser: &Browser) {
    let started = Instant::now();
    loop {
        let shown = browser
            .client
            .execute(
                "const f = document.querySelector('.pe-usage .pe-chart-frame[data-from]');\
                 return f ? (Number(f.dataset.to) - Number(f.dataset.from)) / 86400 : 0;",
                vec![],
            )
            .await
            .unwrap();
        if shown.as_f64().unwrap_or(0.0) >= 360.0 {
            return;
        }
        assert!(started.elapsed() < pelm_e2e::PATIENCE, "the chart shows {shown} days, not a year");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Nothing left busy: no loading placeholder, no "Updating", no control
/// disabled (but Reset, which is until the chart is zoomed).
async fn assert_nothing_left_busy(browser: &Browser) {
    let busy = browser
        .client
        .execute(
            "return [document.querySelectorAll('.pe-loading').length,\
                     !!document.querySelector('.pe-updating:not([hidden])'),\
                     document.querySelectorAll('.pe-usage :disabled:not([data-action=reset-zoom])').length];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(busy, serde_json::json!([0, false, 0]), "[loading views, updating shown, disabled controls]");
}

async fn try_again_buttons(browser: &Browser) -> usize {
    browser.client.find_all(Locator::Css(".pe-problem [data-action=try-again]")).await.unwrap().len()
}

#[tokio::test]
async fn a_failing_server_is_retried_with_backoff_honouring_retry_after_then_the_data_shows() {
    let (demo, browser) = on_the_usage_page("retry-success").await;
    let faults = demo.app_faults();
    faults.push(ScriptedAnswer::new(
        INTERVALS,
        502,
        "text/html",
        "<html><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>",
        1,
    ));
    faults.push(
        ScriptedAnswer::json(INTERVALS, 503, r#"{"error_code":"internal_error","message":"Pelm is down"}"#, 1)
            .header("retry-after", "2"),
    );
    // A proxy's error page, then Pelm down for two seconds.
    let before = ask_for_a_year(&demo, &browser).await;
    // While it waits, it says so, and keeps the chart it had.
    let status = browser.text_containing(".pe-updating", "Trying again").await;
    assert!(
        status.contains("attempt 2 of 4") || status.contains("attempt 3 of 4") || status.contains("attempt 4 of 4"),
        "{status}"
    );
    a_year_is_charted(&browser).await;
    let calls = settled_calls(&demo, before).await;
    assert_eq!(calls.len(), 3, "two failures, then the answer");
    let pauses: Vec<Duration> = calls.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(pauses[0] >= Duration::from_millis(450), "backoff after the 502: {pauses:?}");
    assert!(pauses[1] >= Duration::from_millis(1950), "Retry-After: 2 was cut short: {pauses:?}");
    assert!(browser.client.find(Locator::Css(".pe-problem")).await.is_err(), "an error stayed on screen");
    assert_nothing_left_busy(&browser).await;
    assert_no_csp_violations(&browser).await;
}

#[tokio::test]
async fn retries_used_up_end_in_a_message_with_details_and_a_retry_that_works() {
    let (demo, browser) = on_the_usage_page("retry-exhausted").await;
    demo.app_faults().push(ScriptedAnswer::new(
        INTERVALS,
        503,
        "text/plain",
        "upstream connect error or disconnect/reset before headers",
        4,
    ));
    let before = ask_for_a_year(&demo, &browser).await;
    let problem = browser.find(".pe-problem[data-kind=transient]").await;
    let text = problem.text().await.unwrap();
    assert!(text.contains("Something went wrong on the server") && text.contains("We tried 4 times"), "{text}");
    assert!(text.contains("The server said: “upstream connect error"), "its own words, quoted: {text}");
    assert!(!text.contains('<') && !text.contains('{'), "{text}");
    assert_eq!(settled_calls(&demo, before).await.len(), 4, "attempts are capped at four");
    assert_nothing_left_busy(&browser).await;

    // The details for support, folded away until asked for.
    browser.click(".pe-problem-details summary").await;
    let details = browser.text(".pe-problem-details dl").await;
    for part in ["HTTP status\n503", "Path\n/api/intervals", "Attempts\n4", "Request id\n", "Time\n"] {
        assert!(details.contains(part), "{part:?} missing from {details:?}");
    }
    // Headless Chromium may refuse the clipboard; either way the user is told.
    browser.click("[data-action=copy-details]").await;
    let said = browser.text_containing(".pe-problem-details [role=status]", ".").await;
    assert!(said == "Copied." || said.starts_with("Couldn't copy"), "{said}");
    browser.screenshot("retry-exhausted").await;

    browser.click(".pe-problem [data-action=try-again]").await;
    browser.find(".pe-usage canvas.pe-chart").await;
    assert!(browser.client.find(Locator::Css(".pe-problem")).await.is_err());
    assert_eq!(demo.app_faults().calls(INTERVALS).len(), before + 5);
    assert_no_csp_violations(&browser).await;
}

#[tokio::test]
async fn a_field_error_marks_the_date_it_names() {
    let (demo, browser) = on_the_usage_page("field-error").await;
    let body = r#"{"ResponseStatus":{"ErrorCode":"PARAMETER_INVALID","Message":"start_date is out of range",
        "Errors":[{"FieldName":"start_date","ErrorCode":"PARAMETER_INVALID","Message":"Data starts later than that."}]}}"#;
    demo.app_faults().push(ScriptedAnswer::json(INTERVALS, 400, body, 1));
    let before = ask_for_a_year(&demo, &browser).await;
    browser.find("input[data-control=from][aria-invalid=true]").await;
    let to = browser.find("input[data-control=to]").await;
    assert_eq!(to.attr("aria-invalid").await.unwrap().as_deref(), Some("false"), "only the named input is marked");
    let said = browser.text("#pe-range-error").await;
    assert!(said.contains("isn't valid") && said.contains("Data starts later than that."), "{said}");
    browser.find(".pe-problem[data-kind=invalid]").await;
    assert_eq!(settled_calls(&demo, before).await.len(), 1, "a bad value is not retried");
    assert_nothing_left_busy(&browser).await;
    browser.screenshot("field-error").await;

    // Another range clears the mark with the error.
    browser.click("button[data-range='30d']").await;
    browser.find("input[data-control=from][aria-invalid=false]").await;
    assert_eq!(browser.text("#pe-range-error").await, "");
}

#[tokio::test]
async fn a_spent_quota_is_not_the_users_fault_and_forbidden_is_not_retried() {
    let (demo, browser) = on_the_usage_page("quota").await;
    let quota = r#"{"error_code":"quota_reached","message":"Maximum number of calls for the plan has been reached"}"#;
    demo.app_faults().push(ScriptedAnswer::json(INTERVALS, 402, quota, 1));
    let before = ask_for_a_year(&demo, &browser).await;
    let text = browser.find(".pe-problem[data-kind=quota]").await.text().await.unwrap();
    assert!(text.contains("This is not something you did"), "{text}");
    assert_eq!(settled_calls(&demo, before).await.len(), 1, "quota is not retried by itself");
    assert_eq!(try_again_buttons(&browser).await, 1, "but the user may try later");

    // Billwerk's flat body for a 403: said plainly, and no button to retry.
    let forbidden = r#"{"code":21,"error":"Forbidden","http_status":403,"http_reason":"Forbidden",
        "path":"/v1/intervals","timestamp":"2026-11-22T08:00:00.000+0000","request-id":"rq-403"}"#;
    demo.app_faults().push(ScriptedAnswer::json(INTERVALS, 403, forbidden, 1));
    browser.click(".pe-problem [data-action=try-again]").await;
    let problem = browser.find(".pe-problem[data-kind=forbidden]").await;
    assert!(problem.text().await.unwrap().contains("You don't have permission"));
    assert_eq!(problem.attr("data-code").await.unwrap().as_deref(), Some("21"), "the unknown code is kept");
    assert_eq!(try_again_buttons(&browser).await, 0);
    browser.click(".pe-problem-details summary").await;
    let details = browser.text(".pe-problem-details dl").await;
    assert!(details.contains("rq-403") && details.contains("/v1/intervals"), "{details}");
    assert_eq!(settled_calls(&demo, before).await.len(), 2);
    assert_nothing_left_busy(&browser).await;
}

#[tokio::test]
async fn an_expired_token_mid_session_asks_to_reconnect_and_comes_back_to_the_data() {
    let (demo, browser) = on_the_usage_page("reconnect-mid-session").await;
    let expired = r#"{"error_code":"token_invalid","message":"The provided access token is invalid"}"#;
    demo.app_faults().push(ScriptedAnswer::json(INTERVALS, 401, expired, 1));
    let before = ask_for_a_year(&demo, &browser).await;
    browser.find(".pe-problem[data-kind=reconnect]").await;
    assert_eq!(try_again_buttons(&browser).await, 0, "only reconnecting helps");
    assert_eq!(settled_calls(&demo, before).await.len(), 1);
    browser.click_when_enabled("button[data-action=reconnect]").await;
    browser.click("[data-utility-id='1']").await;
    browser.type_into("#pelm-sbx-username", "solar@pelm.com").await;
    browser.type_into("#pelm-sbx-password", "password").await;
    browser.click("[data-action=submit-credentials]").await;
    a_year_is_charted(&browser).await;
    let url = browser.client.current_url().await.unwrap();
    assert!(url.query().unwrap_or_default().contains("range=12m"), "back on the range asked for: {url}");
    assert!(browser.client.find(Locator::Css(".pe-reconnect")).await.is_err());
    assert!(browser.client.find(Locator::Css(".pe-problem")).await.is_err());
}

#[tokio::test]
async fn leaving_the_page_stops_its_retries() {
    let (demo, browser) = on_the_usage_page("retry-cancelled").await;
    let down =
        ScriptedAnswer::json(INTERVALS, 503, r#"{"error_code":"internal_error"}"#, 10).header("retry-after", "3");
    demo.app_faults().push(down);
    let before = ask_for_a_year(&demo, &browser).await;
    browser.text_containing(".pe-updating", "Trying again").await;
    // Were the usage page still retrying, its next request would now succeed, and count.
    demo.app_faults().clear();
    let left = demo.app_faults().calls(INTERVALS).len();
    browser.click("a[data-tab=bills]").await;
    browser.find(".pe-bills-table").await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let calls = demo.app_faults().calls(INTERVALS);
    assert_eq!(left - before, 1, "one request before leaving");
    // The bills page asks once for the usage per bill; the usage page, gone, no more.
    assert_eq!(calls.len() - left, 1, "requests after leaving");
}

#[tokio::test]
async fn a_cut_connection_is_retried_then_explained_and_nothing_is_lost() {
    let (demo, browser) = on_the_usage_page("network-cut").await;
    // Chromium itself retries a request whose reused connection was cut, so
    // how many reach the companion is Chromium's business: the app's are four.
    demo.app_faults().push(ScriptedAnswer::dropped(INTERVALS, 100));
    ask_for_a_year(&demo, &browser).await;
    let text = browser.find(".pe-problem[data-kind=network]").await.text().await.unwrap();
    assert!(text.contains("We couldn't reach the server") && text.contains("We tried 4 times"), "{text}");
    assert_nothing_left_busy(&browser).await;
    // What was chosen is kept: the year is still asked for once the line is back.
    demo.app_faults().clear();
    browser.click(".pe-problem [data-action=try-again]").await;
    a_year_is_charted(&browser).await;
    assert!(browser.client.current_url().await.unwrap().query().unwrap_or_default().contains("range=12m"));
}

#[tokio::test]
async fn a_later_part_of_the_app_that_cannot_be_fetched_says_so_and_loads_on_try_again() {
    let demo = spawn_demo(|_| {}).await;
    let browser = start_browser().await;
    // As if offline, or a filter took it: the connected user's pages are in a
    // later part (src/pages/later.rs), which the first part fetches by itself.
    let later = "*pelm-energy-connected-*.wasm";
    browser.cdp("Network.enable", serde_json::json!({})).await;
    browser.cdp("Network.setBlockedURLs", serde_json::json!({ "urls": [later] })).await;
    open_app(&browser, &demo.url).await;
    connect_as(&browser, "later-part-blocked", "user@pelm.com").await;

    let problem = browser.find(".pe-problem[data-kind=network]").await;
    let text = problem.text().await.unwrap();
    assert!(text.contains("This part of the page couldn't be downloaded"), "{text}");
    assert!(text.contains("Check your internet connection"), "{text}");
    assert_eq!(try_again_buttons(&browser).await, 1);
    assert_nothing_left_busy(&browser).await;
    browser.screenshot("later-part-blocked").await;

    browser.cdp("Network.setBlockedURLs", serde_json::json!({ "urls": [] })).await;
    browser.click(".pe-problem [data-action=try-again]").await;
    browser.texts(".pe-card", 2).await;
    assert!(browser.client.find(Locator::Css(".pe-problem")).await.is_err());
    assert_no_csp_violations(&browser).await;
}

#[tokio::test]
async fn the_exports_part_that_cannot_be_fetched_says_so_and_the_next_press_makes_the_file() {
    let demo = spawn_demo(|_| {}).await;
    let browser = start_browser().await;
    // The CSV and Green Button writers are a part of their own (src/pages/export.rs),
    // fetched at the first download: as if the line dropped just then.
    browser.cdp("Network.enable", serde_json::json!({})).await;
    browser.cdp("Network.setBlockedURLs", serde_json::json!({ "urls": ["*pelm-energy-exports-*.wasm"] })).await;
    open_app(&browser, &demo.url).await;
    connect_as(&browser, "exports-part-blocked", "solar@pelm.com").await;
    browser.find(".pe-chart-frame[data-plot-width]").await;
    browser.click_when_enabled("button[data-action=export-csv]").await;
    browser.text_containing(".pe-export-status", "could not be made. Check your connection").await;
    // Nothing is left busy, and the chart is untouched.
    browser.click_when_enabled("button[data-action=export-espi]").await;
    browser.text_containing(".pe-export-status", "Green Button file could not be made").await;
    assert!(browser.client.find(Locator::Css(".pe-problem")).await.is_err());

    browser.cdp("Network.setBlockedURLs", serde_json::json!({ "urls": [] })).await;
    browser.click_when_enabled("button[data-action=export-csv]").await;
    let link = browser.find("a[data-export=csv]").await;
    assert!(link.attr("href").await.unwrap().unwrap_or_default().starts_with("blob:"));
    assert_no_csp_violations(&browser).await;
}
