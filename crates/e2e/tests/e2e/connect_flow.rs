//! The walking skeleton, end to end: the built app in headless Chromium, the
//! companion and the sandbox over loopback HTTP, SQLite on disk.

use fantoccini::Locator;
use pelm_companion::config::SandboxScript;
use pelm_e2e::{
    assert_no_csp_violations, connect_as, connect_at, connect_through_the_modal, connected_demo, connected_demo_with,
    open_app, spawn_demo, start_browser, watch_csp, Browser,
};

const SEED_ADDRESSES: [&str; 2] = ["1 WARRIORS WAY SAN FRANCISCO CA 94158", "1 FERRY BUILDING SAN FRANCISCO CA 94105"];

/// Steps 1 to 5: button, Connect token, Connect modal, code exchange, accounts.
async fn connect_and_see_accounts(script: SandboxScript, artifact: &str) {
    let demo = spawn_demo(|config| config.sandbox_connect_script = script).await;
    let browser = start_browser().await;
    open_app(&browser, &demo.url).await;
    connect_through_the_modal(&browser, artifact).await;

    // The code goes to the companion, which stores the token; accounts follow.
    let cards = browser.texts(".pe-card", 2).await;
    for (card, address) in cards.iter().zip(SEED_ADDRESSES) {
        assert!(card.contains(address), "card {card:?} lacks {address}");
    }
    assert!(browser.text(".pe-utility").await.contains("Pacific Gas and Electric"));
    let page = browser.text("body").await;
    assert!(!page.contains("{\""), "raw JSON on the page: {page}");
    browser.screenshot(artifact).await;
    assert_no_csp_violations(&browser).await;
    assert_eq!(demo.state.csp_reports(), 0, "the browser reported violations to the companion");

    // A reload while connected goes straight to the data.
    browser.client.refresh().await.unwrap();
    let cards = browser.texts(".pe-card", 2).await;
    assert!(cards[0].contains(SEED_ADDRESSES[0]));
    assert!(browser.client.find(Locator::Css("button[data-action=connect]")).await.is_err());
}

#[tokio::test]
async fn connects_through_the_legacy_script_and_lists_accounts() {
    connect_and_see_accounts(SandboxScript::Legacy, "connect-flow-legacy").await;
}

#[tokio::test]
async fn connects_through_the_current_script_in_a_frame_from_another_origin_and_lists_accounts() {
    connect_and_see_accounts(SandboxScript::Current, "connect-flow-current").await;
}

/// The framed Connect from the keyboard alone: focus moves into the frame,
/// every step answers Enter, and focus comes back to the page.
#[tokio::test]
async fn the_connect_script_loads_while_the_token_is_still_coming() {
    // Pelm answers slowly, so the Connect token takes seconds to come.
    let demo = spawn_demo(|config| config.sandbox_faults.latency_ms = 3000).await;
    let browser = start_browser().await;
    open_app(&browser, &demo.url).await;
    // Once the token comes the button works, with the script loaded once...
    browser.find("button[data-action=connect]:enabled").await;
    let scripts = browser.client.find_all(Locator::Css("script[data-pelm-connect-loader]")).await.unwrap();
    assert_eq!(scripts.len(), 1);
    // ...and asked for from the connection's answer, seconds before the token came.
    let timing = browser
        .client
        .execute(
            "const all = performance.getEntriesByType('resource');\
             const script = all.find(e => e.name.includes('pelm-connect.js'));\
             const token = all.find(e => e.name.includes('/api/connect-token'));\
             return [script.startTime, script.responseEnd, token.responseEnd];",
            vec![],
        )
        .await
        .unwrap();
    let [asked, loaded, token] = [0, 1, 2].map(|i| timing[i].as_f64().unwrap());
    assert!(
        asked < token - 1000.0 && loaded < token,
        "script asked at {asked} ms, loaded at {loaded}; token at {token}"
    );
}

#[tokio::test]
async fn the_page_starts_the_first_call_and_the_connect_script_before_the_wasm_runs_and_needs_no_token_request() {
    let demo = spawn_demo(|_| {}).await;
    let browser = start_browser().await;
    open_app(&browser, &demo.url).await;
    browser.find("button[data-action=connect]:enabled").await;
    // The page's Link header preloads both; the app's own fetch of the
    // connection is answered from the preload, not asked again.
    assert_eq!(demo.app_faults().calls("/connection").len(), 1, "one request for the connection");
    // Its answer brought the Connect token: none was asked for.
    assert_eq!(demo.app_faults().calls("/connect-token").len(), 0, "the token came with the connection");
    let timing = browser
        .client
        .execute(
            "const all = performance.getEntriesByType('resource');\
             const start = (part) => all.filter(e => e.name.includes(part)).map(e => e.startTime);\
             return [start('/api/connection'), start('pelm-connect.js'), start('_bg.wasm')];",
            vec![],
        )
        .await
        .unwrap();
    let starts = |i: usize| timing[i].as_array().unwrap().iter().map(|t| t.as_f64().unwrap()).collect::<Vec<_>>();
    let (connection, script, wasm) = (starts(0), starts(1), starts(2));
    assert_eq!((connection.len(), script.len(), wasm.len()), (1, 1, 1), "{timing}");
    assert!(
        connection[0] <= wasm[0] + 50.0 && script[0] <= wasm[0] + 50.0,
        "asked with the wasm, not after it: {timing}"
    );
}

#[tokio::test]
async fn the_framed_connect_works_from_the_keyboard_alone() {
    let demo = spawn_demo(|config| config.sandbox_connect_script = SandboxScript::Current).await;
    let script = demo.state.connect_script_url().to_owned();
    assert!(!script.starts_with(&demo.url), "the frame's origin is the page's: {script}");
    let browser = start_browser().await;
    open_app(&browser, &demo.url).await;
    let press = |keys: &'static str| {
        let client = browser.client.clone();
        async move { client.active_element().await.unwrap().send_keys(keys).await.unwrap() }
    };
    browser.click_when_enabled("button[data-action=connect]").await;
    assert!(browser.enter_connect().await, "the current script drew its modal in the page");
    let focused = |css: &'static str| {
        let client = browser.client.clone();
        async move {
            let started = std::time::Instant::now();
            loop {
                let script = format!("return document.activeElement.matches({css:?});");
                if client.execute(&script, vec![]).await.unwrap() == serde_json::json!(true) {
                    return;
                }
                assert!(started.elapsed() < std::time::Duration::from_secs(10), "focus never reached {css}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    };
    focused("[data-action=accept-terms]").await;
    // Escape inside the frame closes it quietly, through the page's onExit.
    press("\u{e00c}").await;
    browser.leave_connect().await;
    browser.click_when_enabled("button[data-action=connect]").await;
    assert!(browser.client.find(Locator::Css(".pe-notice")).await.is_err(), "a quiet exit showed a notice");
    assert!(browser.enter_connect().await);
    focused("[data-action=accept-terms]").await;
    press("\u{e007}").await;
    focused("[data-utility-id]").await;
    press("\u{e007}").await;
    focused("#pelm-sbx-username").await;
    press("user@pelm.com\u{e004}password\u{e007}").await;
    browser.leave_connect().await;
    let cards = browser.texts(".pe-card", 2).await;
    assert!(cards[0].contains(SEED_ADDRESSES[0]));
    assert_no_csp_violations(&browser).await;
    assert_eq!(demo.state.csp_reports(), 0);
}

#[tokio::test]
async fn data_still_being_collected_is_explained_then_shown_without_a_reload() {
    let demo = spawn_demo(|config| config.sandbox_data_delay = 3).await;
    let browser = start_browser().await;
    open_app(&browser, &demo.url).await;
    connect_through_the_modal(&browser, "data-not-ready").await;
    let status = browser.find(".pe-accounts .pe-status").await.text().await.unwrap();
    assert!(status.contains("Your utility is still sending your data"), "{status}");
    // Placeholders in the shape of the cards, marked busy, while it waits.
    browser.find(".pe-accounts .pe-loading[aria-busy=true] .pe-skeleton-cards").await;
    let cards = browser.texts(".pe-card", 2).await;
    assert!(cards[1].contains(SEED_ADDRESSES[1]));
    assert!(browser.client.find(Locator::Css(".pe-notice")).await.is_err(), "an error was shown");
    assert_no_csp_violations(&browser).await;
}

#[tokio::test]
async fn mfa_through_the_current_script_rejects_a_wrong_code_then_connects() {
    let demo = spawn_demo(|config| config.sandbox_connect_script = SandboxScript::Current).await;
    let browser = start_browser().await;
    open_app(&browser, &demo.url).await;
    browser.click_when_enabled("button[data-action=connect]").await;
    assert!(browser.enter_connect().await);
    browser.click("[data-action=accept-terms]").await;
    browser.click("[data-utility-id='2']").await;
    browser.type_into("#pelm-sbx-username", "mfa@pelm.com").await;
    browser.type_into("#pelm-sbx-password", "password").await;
    browser.click("[data-action=submit-credentials]").await;
    browser.type_into("#pelm-sbx-mfa-code", "0000").await;
    browser.click("[data-action=submit-mfa]").await;
    let error = browser.find(".pelm-sbx-error:not([hidden])").await.text().await.unwrap();
    assert!(error.contains("MFA verification failed"), "{error}");
    browser.find("#pelm-sbx-mfa-code").await.clear().await.unwrap();
    browser.type_into("#pelm-sbx-mfa-code", "1234").await;
    browser.click("[data-action=submit-mfa]").await;
    browser.leave_connect().await;
    browser.texts(".pe-card", 2).await;
    assert!(browser.text(".pe-utility").await.contains("Southern California Edison"));
    assert_no_csp_violations(&browser).await;
}

#[tokio::test]
async fn escape_closes_quietly_and_an_unsupported_utility_is_named() {
    let demo = spawn_demo(|_| {}).await;
    let browser = start_browser().await;
    open_app(&browser, &demo.url).await;

    // Escape: Connect closes, the app returns to the start with nothing to report.
    browser.click_when_enabled("button[data-action=connect]").await;
    browser.find("[data-action=accept-terms]").await.send_keys("\u{e00c}").await.unwrap();
    browser.click_when_enabled("button[data-action=connect]").await;
    assert!(browser.client.find(Locator::Css(".pe-notice")).await.is_err(), "a quiet exit showed a notice");

    // Focus is trapped in the dialog: Tab and Shift+Tab never leave it.
    for keys in ["\u{e004}", "\u{e008}\u{e004}"] {
        for _ in 0..6 {
            let focused = browser.client.active_element().await.unwrap();
            focused.send_keys(keys).await.unwrap();
            let inside = browser
                .client
                .execute("return !!document.activeElement.closest('.pelm-sbx-dialog');", vec![])
                .await
                .unwrap();
            assert_eq!(inside, serde_json::json!(true), "focus left the Connect dialog");
        }
    }

    // The button opened Connect again; pick the utility Pelm lists but cannot connect to.
    browser.click("[data-action=accept-terms]").await;
    browser.click("[data-utility-id='8']").await;
    browser.type_into("#pelm-sbx-username", "user@pelm.com").await;
    browser.type_into("#pelm-sbx-password", "password").await;
    browser.click("[data-action=submit-credentials]").await;
    let notice = browser.find(".pe-notice").await.text().await.unwrap();
    assert_eq!(notice, "We can't connect to Cherokee Electric Cooperative yet.");
    assert!(browser.client.find(Locator::Css(".pelm-sbx-overlay")).await.is_err(), "the modal stayed open");
    browser.screenshot("unsupported-utility").await;
}

#[tokio::test]
async fn a_revoked_token_offers_reconnect_in_update_mode_and_returns_to_the_data() {
    // Every look asks Pelm about the login again, in the background (ten
    // minutes apart by default): the page hears what it learns a moment later.
    let (demo, browser) = connected_demo_with("reconnect-first", |c| c.refresh_after_secs = 0).await;

    assert!(demo.sandbox().revoke_all_tokens() > 0);
    browser.client.refresh().await.unwrap();
    let prompt = browser.find(".pe-reconnect").await.text().await.unwrap();
    assert!(prompt.contains("confirmed again"), "{prompt}");
    browser.click_when_enabled("button[data-action=reconnect]").await;
    // Pelm knows this user: Connect starts at utility selection, no terms.
    browser.find("[data-utility-id='1']").await;
    assert!(
        browser.client.find(Locator::Css("[data-action=accept-terms]")).await.is_err(),
        "update mode showed the terms"
    );
    browser.click("[data-utility-id='1']").await;
    browser.type_into("#pelm-sbx-username", "user@pelm.com").await;
    browser.type_into("#pelm-sbx-password", "password").await;
    browser.click("[data-action=submit-credentials]").await;

    // The cards stay through the reconnect; the prompt goes when the
    // authorization's answer comes, which the test must wait for.
    browser.gone(".pe-reconnect").await;
    let cards = browser.texts(".pe-card", 2).await;
    assert!(cards[0].contains(SEED_ADDRESSES[0]));
    browser.screenshot("reconnected").await;
}

#[tokio::test]
async fn changed_utility_credentials_ask_to_reconnect() {
    let (demo, browser) = connected_demo_with("credentials-first", |c| c.refresh_after_secs = 0).await;
    demo.sandbox().set_all_credentials_valid(false);
    browser.client.refresh().await.unwrap();
    browser.find("button[data-action=reconnect]").await;
}

#[tokio::test]
async fn disconnect_asks_first_in_place_then_returns_to_the_start_for_good() {
    let (_demo, browser) = connected_demo("disconnect-first").await;

    // The question is asked in place, not by a browser dialog, and takes focus.
    browser.click("button[data-action=disconnect]").await;
    browser.find(".pe-confirm[role=alertdialog]").await;
    browser.screenshot("disconnect-question").await;
    assert!(browser.client.get_alert_text().await.is_err(), "a browser dialog was opened");
    let focused = browser.client.execute("return document.activeElement.matches('.pe-confirm');", vec![]).await;
    assert_eq!(focused.unwrap(), serde_json::json!(true), "focus did not move to the question");
    // Escape keeps the connection, and focus goes back to the button.
    browser.client.active_element().await.unwrap().send_keys("\u{e00c}").await.unwrap();
    assert!(browser.client.find(Locator::Css(".pe-confirm")).await.is_err(), "Escape left the question open");
    let back = browser.client.execute("return document.activeElement.dataset.action;", vec![]).await.unwrap();
    assert_eq!(back, serde_json::json!("disconnect"));
    browser.texts(".pe-card", 2).await;
    // So does "Keep it connected".
    browser.click("button[data-action=disconnect]").await;
    browser.click("button[data-action=cancel-disconnect]").await;
    browser.texts(".pe-card", 2).await;

    browser.click("button[data-action=disconnect]").await;
    browser.click("button[data-action=confirm-disconnect]").await;
    browser.find("button[data-action=connect]").await;
    browser.client.refresh().await.unwrap();
    browser.find("button[data-action=connect]").await;
    assert!(browser.client.find(Locator::Css(".pe-card")).await.is_err());
}

#[tokio::test]
async fn a_solar_homes_usage_is_charted_summarised_tabled_and_exportable() {
    let demo = spawn_demo(|_| {}).await;
    let browser = start_browser().await;
    open_app(&browser, &demo.url).await;
    connect_as(&browser, "solar", "solar@pelm.com").await;

    // One account: its usage opens without a click.
    browser.find(".pe-usage canvas.pe-chart").await;
    let total = browser.find(".pe-summary dd").await.text().await.unwrap();
    assert!(total.ends_with("kWh"), "{total}");
    // The canvas holds bars: sample its pixels for the usage and export colours.
    let painted = browser
        .client
        .execute(
            "const c = document.querySelector('.pe-chart'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;\
             let used = 0, exported = 0; for (let i = 0; i < d.length; i += 4) {\
               if (d[i] === 29 && d[i+1] === 78 && d[i+2] === 216) used++; if (d[i] === 21 && d[i+1] === 128 && d[i+2] === 61) exported++; }\
             return [used, exported];",
            vec![],
        )
        .await
        .unwrap();
    let (used, exported) = (painted[0].as_u64().unwrap(), painted[1].as_u64().unwrap());
    assert!(used > 500, "{used} usage pixels");
    // Two months of a sunny home, daily: some days export more than they use, or not;
    // either way the table must agree with what was drawn.
    browser.click(".pe-table-view summary").await;
    browser.find(".pe-table tbody tr").await;
    let rows = browser.client.find_all(Locator::Css(".pe-table tbody tr")).await.unwrap().len();
    assert!((55..=62).contains(&rows), "{rows} daily rows for two months");
    let negative_rows = browser
        .client
        .execute("return [...document.querySelectorAll('.pe-table tbody td.pe-number:nth-child(2)')].filter(td => td.textContent.startsWith('-')).length;", vec![])
        .await
        .unwrap()
        .as_u64()
        .unwrap();
    assert_eq!(negative_rows > 0, exported > 0, "{negative_rows} exporting days but {exported} export pixels");
    // The export is made when asked for, as a blob (its content is checked in compare.rs).
    browser.click("button[data-action=export-csv]").await;
    let href = browser.find("a[data-export=csv]").await.attr("href").await.unwrap().unwrap();
    assert!(href.starts_with("blob:"), "{href}");
    // Hover in the middle of the range: a day inside a bill, so it has a cost too.
    let readout = browser.hover_chart_middle().await;
    assert!(readout.contains("kWh") && readout.contains("kg CO₂e"), "{readout}");
    // The cost comes with the bills, which may still be on their way.
    browser.text_containing(".pe-readout", "≈ $").await;
    assert_no_csp_violations(&browser).await;
    screenshot_chart(&browser, "solar-usage").await;
}

/// A screenshot with the chart in view, kept in target/e2e-artifacts.
async fn screenshot_chart(browser: &Browser, name: &str) {
    let scroll = "document.querySelector('.pe-chart-frame').scrollIntoView({ block: 'center' });";
    browser.client.execute(scroll, vec![]).await.unwrap();
    browser.screenshot(name).await;
}

#[tokio::test]
async fn a_gas_only_home_at_a_gas_utility_is_charted_in_therms() {
    let demo = spawn_demo(|_| {}).await;
    let browser = start_browser().await;
    open_app(&browser, &demo.url).await;
    connect_at(&browser, "gas-only", "gasonly@pelm.com", "4").await;
    // One account, one meter: straight to its chart, with no meter to choose.
    browser.find(".pe-chart-frame[data-plot-width]").await;
    assert!(browser.text(".pe-header").await.contains("Southern California Gas Company"));
    let total = browser.text_containing("[data-figure=total]", "therms").await;
    assert!(total.ends_with("therms"), "{total}");
    assert!(browser.client.find_all(Locator::Css(".pe-problem")).await.unwrap().is_empty());
    assert_no_csp_violations(&browser).await;
}

#[tokio::test]
async fn a_home_with_gas_switches_meters_and_ranges() {
    let demo = spawn_demo(|_| {}).await;
    let browser = start_browser().await;
    open_app(&browser, &demo.url).await;
    connect_as(&browser, "gas", "gas@pelm.com").await;

    let meters = browser.texts(".pe-usage [data-meter]", 2).await;
    assert_eq!(meters, ["Electric (kWh)", "Gas (therms)"]);
    browser.find(".pe-chart-frame[data-plot-width]").await;
    browser.click("[data-meter=GAS]").await;
    browser.find("[data-meter=GAS][aria-pressed=true]").await;
    // The summary follows the meter: therms, not kWh.
    let total = browser.text_containing("[data-figure=total]", "therms").await;
    assert!(total.ends_with("therms"), "{total}");
    let two_months = browser.find(".pe-chart-frame").await.attr("data-from").await.unwrap().unwrap();
    // Twelve months: a longer range, shown weekly by Auto.
    browser.click("[data-range='12m']").await;
    browser.find("[data-range='12m'][aria-pressed=true]").await;
    let started = std::time::Instant::now();
    loop {
        let from = browser.find(".pe-chart-frame").await.attr("data-from").await.unwrap().unwrap_or_default();
        if from.parse::<i64>().unwrap_or(i64::MAX) < two_months.parse::<i64>().unwrap() - 200 * 86_400 {
            break;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "the range never grew: {from}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let readout = browser.hover_chart_middle().await;
    assert!(readout.contains("therms"), "{readout}");
    // A bill covers both meters, so no per-unit cost is made up for either.
    assert!(!readout.contains('$'), "{readout}");
    // The view is in the address: a reload gives it back, and Back undoes the last choice.
    let url = browser.client.current_url().await.unwrap();
    assert!(url.query().is_some_and(|q| q.contains("meter=GAS") && q.contains("range=12m")), "{url}");
    browser.client.refresh().await.unwrap();
    watch_csp(&browser).await;
    browser.find("[data-meter=GAS][aria-pressed=true]").await;
    browser.find("[data-range='12m'][aria-pressed=true]").await;
    browser.client.back().await.unwrap();
    browser.find("[data-range='2m'][aria-pressed=true]").await;
    browser.find("[data-meter=GAS][aria-pressed=true]").await;
    browser.client.forward().await.unwrap();
    browser.find("[data-range='12m'][aria-pressed=true]").await;
    let from = browser.find("input[data-control=from]").await.prop("value").await.unwrap().unwrap();
    let to = browser.find("input[data-control=to]").await.prop("value").await.unwrap().unwrap();
    assert_eq!(
        to[..4].parse::<i32>().unwrap() - from[..4].parse::<i32>().unwrap(),
        1,
        "the date inputs follow: {from} to {to}"
    );
    assert_no_csp_violations(&browser).await;
    screenshot_chart(&browser, "gas-usage").await;
}

#[tokio::test]
async fn bills_are_tabled_sortable_and_their_pdfs_open_or_say_why_not() {
    // One user's path through the bills page, step by step in order; that is
    // why it runs past eighty lines.
    let demo = spawn_demo(|_| {}).await;
    let browser = start_browser().await;
    open_app(&browser, &demo.url).await;
    connect_as(&browser, "solar", "solar@pelm.com").await;
    // One account opens on its usage; its bills are the other tab, at their own address.
    browser.click("a[data-tab=bills]").await;
    browser.find("a[data-tab=bills][aria-current=page]").await;
    let url = browser.client.current_url().await.unwrap();
    assert!(url.path().starts_with("/accounts/") && url.path().ends_with("/bills"), "{url}");

    browser.find(".pe-bills-table tbody tr").await;
    let rows = browser.client.find_all(Locator::Css(".pe-bills-table tbody tr")).await.unwrap().len();
    assert!(rows >= 12, "{rows} bills for years of history");
    let total = browser.text("[data-figure=bills-total]").await;
    assert!(total.starts_with('$'), "{total}");
    // Newest first, then oldest first after one press of the period's header.
    let first_ids = |browser: &Browser| {
        let browser = browser.client.clone();
        async move {
            browser
                .execute(
                    "return [...document.querySelectorAll('.pe-bills-table tbody tr')].map(r => r.dataset.billId);",
                    vec![],
                )
                .await
                .unwrap()
        }
    };
    let newest = first_ids(&browser).await;
    browser.click("button[data-sort='period']").await;
    browser.find("th[aria-sort=ascending]").await;
    let oldest = first_ids(&browser).await;
    let (newest, oldest) = (newest.as_array().unwrap().clone(), oldest.as_array().unwrap().clone());
    assert_eq!(newest.iter().rev().collect::<Vec<_>>(), oldest.iter().collect::<Vec<_>>());
    // Every bill covered by the intervals fetched shows its usage.
    let usage = browser.text(".pe-bills-table tbody tr:nth-child(2) td:nth-child(5)").await;
    assert!(usage.parse::<f64>().is_ok(), "{usage}");

    // Above the table, amount and usage per bill, with a readout under the pointer.
    browser.find(".pe-bills-chart canvas").await;
    browser
        .client
        .execute(
            "const c = document.querySelector('.pe-bills-chart canvas'); const r = c.getBoundingClientRect();\
             c.dispatchEvent(new PointerEvent('pointermove', { bubbles: true, clientX: r.left + r.width / 2, clientY: r.top + 100 }));",
            vec![],
        )
        .await
        .unwrap();
    let readout = browser.text(".pe-bills-chart .pe-readout").await;
    assert!(readout.contains('$') && readout.contains("kWh"), "{readout}");

    // The PDF is fetched first; the link then holds the PDF itself.
    browser.click(".pe-bills-table tbody tr:first-child button[data-action=get-pdf]").await;
    browser.find(".pe-bills-table tbody tr:first-child a[data-action=open-pdf]").await;
    let id = newest[newest.len() - 1].as_str().unwrap().to_owned();
    let magic = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             fetch('/api/bills/' + arguments[0] + '/pdf').then(r => r.arrayBuffer())\
               .then(b => done(String.fromCharCode(...new Uint8Array(b).slice(0, 5))));",
            vec![id.into()],
        )
        .await
        .unwrap();
    assert_eq!(magic, "%PDF-");
    // When Pelm fails every retry the companion makes, the row says so in words.
    demo.sandbox().fail_next(&[pelm_sandbox::Fault::InternalError; 4]);
    browser.click(".pe-bills-table tbody tr:nth-child(2) button[data-action=get-pdf]").await;
    browser.find(".pe-bills-table tbody tr:nth-child(2) [data-pdf-error]").await;
    let message = browser
        .client
        .execute(
            "return document.querySelector('.pe-bills-table tbody tr:nth-child(2) [data-pdf-error]').textContent;",
            vec![],
        )
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!message.is_empty() && !message.contains('{') && !message.contains('<'), "{message}");
    // And it can be tried again, which now works.
    browser.click(".pe-bills-table tbody tr:nth-child(2) button[data-action=retry-pdf]").await;
    browser.find(".pe-bills-table tbody tr:nth-child(2) a[data-action=open-pdf]").await;
    assert_no_csp_violations(&browser).await;
    browser.client.execute("document.querySelector('.pe-bills-chart').scrollIntoView();", vec![]).await.unwrap();
    browser.screenshot("bills").await;
}

#[tokio::test]
async fn account_cards_mask_the_number_until_asked_and_sketch_the_last_month() {
    let (_demo, browser) = connected_demo("cards").await;
    let cards = browser.texts(".pe-card .pe-card-button", 2).await;
    for card in &cards {
        assert!(card.contains("Pacific Gas and Electric"), "{card}");
        assert!(card.contains("Electric (kWh)"), "{card}");
        assert!(card.contains("•••• "), "the number is masked: {card}");
    }
    let masked = browser.text(".pe-card:first-child .pe-account-number").await;
    browser.click(".pe-card:first-child button[data-action=reveal-number]").await;
    browser.find(".pe-card:first-child button[data-action=reveal-number][aria-pressed=true]").await;
    let shown = browser.text(".pe-card:first-child .pe-account-number").await;
    assert!(!shown.contains('•') && shown.ends_with(masked.trim_start_matches("•••• ")), "{masked} then {shown}");
    // Each card sketches its last 30 days, with the same in words.
    browser.find(".pe-card:nth-child(2) canvas.pe-sparkline").await;
    let label =
        browser.find(".pe-card:first-child canvas.pe-sparkline").await.attr("aria-label").await.unwrap().unwrap();
    assert!(label.starts_with("Daily usage over the last 30 days"), "{label}");
    assert_no_csp_violations(&browser).await;
    browser.screenshot("account-cards").await;
}

#[tokio::test]
async fn a_phone_sized_window_fits_the_usage_and_bills_without_sideways_scrolling() {
    let demo = spawn_demo(|_| {}).await;
    let browser = start_browser().await;
    browser.client.set_window_size(360, 800).await.unwrap();
    open_app(&browser, &demo.url).await;
    connect_as(&browser, "solar", "solar@pelm.com").await;
    let overflow = "return document.documentElement.scrollWidth - document.documentElement.clientWidth;";
    for tab in ["usage", "bills"] {
        browser.click(&format!("a[data-tab={tab}]")).await;
        browser
            .find(if tab == "usage" { ".pe-chart-frame[data-plot-width]" } else { ".pe-bills-table tbody tr" })
            .await;
        let extra = browser.client.execute(overflow, vec![]).await.unwrap().as_i64().unwrap();
        browser.screenshot(&format!("phone-{tab}")).await;
        assert!(extra <= 0, "the {tab} page is {extra} px wider than a 360 px window");
    }
    assert_no_csp_violations(&browser).await;
}

#[tokio::test]
async fn a_utility_without_bill_pdfs_says_so_in_the_row() {
    let demo = spawn_demo(|_| {}).await;
    let browser = start_browser().await;
    open_app(&browser, &demo.url).await;
    connect_at(&browser, "coned", "solar@pelm.com", "3").await;
    browser.click("a[data-tab=bills]").await;
    browser.click(".pe-bills-table tbody tr:first-child button[data-action=get-pdf]").await;
    let note = browser.find(".pe-bills-table tbody tr:first-child [data-pdf-error]").await;
    assert_eq!(note.attr("data-pdf-error").await.unwrap().as_deref(), Some("feature_unavailable"));
    let message = note.text().await.unwrap();
    assert!(!message.is_empty() && !message.contains('{'), "{message}");
    // Still on the bills, with every other row untouched.
    assert!(browser.client.current_url().await.unwrap().path().ends_with("/bills"));
    assert!(browser
        .client
        .find(Locator::Css(".pe-bills-table tbody tr:nth-child(2) button[data-action=get-pdf]"))
        .await
        .is_ok());
    assert_no_csp_violations(&browser).await;
}

#[tokio::test]
async fn served_under_a_sub_path_the_links_reloads_and_way_back_stay_under_it() {
    let demo = spawn_demo(|config| {
        config.dist = Some(pelm_e2e::subpath_dist_dir());
        config.app_path = "/energy".to_owned();
    })
    .await;
    let browser = start_browser().await;
    open_app(&browser, &format!("{}/energy/", demo.url.trim_end_matches('/'))).await;
    connect_through_the_modal(&browser, "subpath").await;
    browser.texts(".pe-card", 2).await;
    let link = browser.find(".pe-card:first-child a.pe-card-button").await.attr("href").await.unwrap().unwrap();
    assert!(link.starts_with("/energy/accounts/"), "{link}");
    browser.click(".pe-card:first-child a.pe-card-button").await;
    browser.find(".pe-chart-frame[data-plot-width]").await;
    let path = browser.client.current_url().await.unwrap().path().to_owned();
    assert!(path.starts_with("/energy/accounts/") && path.ends_with("/usage"), "{path}");
    browser.client.refresh().await.unwrap();
    watch_csp(&browser).await;
    browser.find(".pe-chart-frame[data-plot-width]").await;
    browser.click("a.pe-back").await;
    browser.texts(".pe-card", 2).await;
    assert_eq!(browser.client.current_url().await.unwrap().path(), "/energy/");
    assert_no_csp_violations(&browser).await;
}

/// Presses Tab until the focused element matches `css`; panics after `limit` presses.
async fn tab_to(browser: &Browser, css: &str, limit: usize) {
    let check = format!("return document.activeElement && document.activeElement.matches({css:?});");
    for _ in 0..limit {
        if browser.client.execute(&check, vec![]).await.unwrap().as_bool() == Some(true) {
            return;
        }
        browser.client.active_element().await.unwrap().send_keys("\u{E004}").await.unwrap();
    }
    panic!("Tab never reached {css}");
}

#[tokio::test]
async fn the_keyboard_alone_reaches_an_account_zooms_its_chart_and_sorts_its_bills() {
    let (_demo, browser) = connected_demo("keyboard").await;
    browser.client.execute("document.activeElement && document.activeElement.blur();", vec![]).await.unwrap();
    tab_to(&browser, ".pe-card:first-child a.pe-card-button", 20).await;
    // The focused control is visibly marked.
    let outline =
        browser.client.execute("return getComputedStyle(document.activeElement).outlineStyle;", vec![]).await.unwrap();
    assert_eq!(outline, "solid");
    browser.client.active_element().await.unwrap().send_keys("\u{E007}").await.unwrap();
    let frame = browser.find(".pe-chart-frame[data-plot-width]").await;
    let before = frame.attr("data-from").await.unwrap().unwrap();
    tab_to(&browser, ".pe-chart-frame", 40).await;
    browser.client.active_element().await.unwrap().send_keys("+").await.unwrap();
    let started = std::time::Instant::now();
    while browser.find(".pe-chart-frame").await.attr("data-from").await.unwrap().unwrap() == before {
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "+ did not zoom");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    browser.client.execute("window.scrollTo(0, 0); document.activeElement.blur();", vec![]).await.unwrap();
    tab_to(&browser, "a[data-tab=bills]", 20).await;
    browser.client.active_element().await.unwrap().send_keys("\u{E007}").await.unwrap();
    browser.find(".pe-bills-table tbody tr").await;
    tab_to(&browser, "button[data-sort='amount']", 20).await;
    browser.client.active_element().await.unwrap().send_keys("\u{E007}").await.unwrap();
    browser.find("th[aria-sort=descending] button[data-sort='amount']").await;
    assert_no_csp_violations(&browser).await;
}
