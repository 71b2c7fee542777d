//! Phones and narrow columns: every view fits the app's width from 320 px up,
//! the charts' axis labels never touch, the bills are cards whose PDFs work,
//! and the usage chart takes pinch, two-finger pan and a one-finger page
//! scroll. Screenshots at each width go to target/e2e-artifacts.

use std::time::Duration;

use fantoccini::actions::{InputSource, PointerAction, TouchActions, MOUSE_BUTTON_LEFT};
use pelm_e2e::{
    assert_no_csp_violations, connect_as, link_with, open_app, spawn_demo, start_browser, start_phone, Browser, Demo,
};
use serde_json::Value;

/// A connected solar user on their usage page, in `browser`.
async fn on_the_usage_page(browser: &Browser, artifact: &str) -> Demo {
    let demo = spawn_demo(|_| {}).await;
    open_app(browser, &demo.url).await;
    // The start screen and its Connect button fit too.
    browser.find("button[data-action=connect]").await;
    assert_nothing_overflows(browser, 0).await;
    browser.screenshot(&format!("{artifact}-start")).await;
    connect_as(browser, artifact, "solar@pelm.com").await;
    browser.find(".pe-usage .pe-chart-frame[data-x-labels]").await;
    demo
}

/// Elements matching `css` whose content is wider than their box, with
/// their widths; the app's root counts too.
async fn overflowing(browser: &Browser, css: &str) -> Value {
    let script = "return [...document.querySelectorAll(arguments[0])]\
                  .filter(e => e.scrollWidth > e.clientWidth + 1)\
                  .map(e => e.className + ': ' + e.scrollWidth + ' > ' + e.clientWidth);";
    browser.client.execute(script, vec![Value::from(css)]).await.unwrap()
}

async fn assert_nothing_overflows(browser: &Browser, width: u32) {
    let over = overflowing(browser, ".pe-app, .pe-table-scroll, .pe-bills-table, .pe-toolbar, .pe-summary").await;
    assert_eq!(over, Value::Array(vec![]), "at {width} px");
    let page = browser
        .client
        .execute("return document.documentElement.scrollWidth <= window.innerWidth;", vec![])
        .await
        .unwrap();
    assert_eq!(page, Value::Bool(true), "the page scrolls sideways at {width} px");
}

/// The chart's time-axis label boxes (`left:width`, CSS px), as it drew them.
async fn label_boxes(browser: &Browser, frame: &str) -> Vec<(f64, f64)> {
    let attribute = browser.find(frame).await.attr("data-x-labels").await.unwrap().unwrap_or_default();
    attribute
        .split(',')
        .filter(|b| !b.is_empty())
        .map(|b| {
            let (left, width) = b.split_once(':').expect("left:width");
            (left.parse().unwrap(), width.parse().unwrap())
        })
        .collect()
}

async fn assert_labels_apart(browser: &Browser, frame: &str, width: u32) {
    let boxes = label_boxes(browser, frame).await;
    assert!(!boxes.is_empty(), "{frame} has no labels at {width} px");
    for pair in boxes.windows(2) {
        let ((a, aw), (b, _)) = (pair[0], pair[1]);
        assert!(a + aw <= b, "{frame} labels touch at {width} px: {boxes:?}");
    }
    let script = "return document.querySelector(arguments[0]).clientWidth;";
    let canvas_width = browser.client.execute(script, vec![Value::from(format!("{frame} canvas"))]).await.unwrap();
    let canvas_width = canvas_width.as_f64().expect("a width");
    let (last, last_width) = boxes[boxes.len() - 1];
    assert!(boxes[0].0 >= 0.0 && last + last_width <= canvas_width, "{frame} labels leave the canvas: {boxes:?}");
}

/// The whole app at `width` px: the usage page, then the bills as cards
/// whose first PDF opens.
async fn views_fit_at(browser: Browser, width: u32) {
    let _demo = on_the_usage_page(&browser, &format!("narrow-{width}")).await;
    assert_nothing_overflows(&browser, width).await;
    assert_labels_apart(&browser, ".pe-usage .pe-chart-frame", width).await;
    browser.screenshot(&format!("narrow-{width}-usage")).await;
    // Last year behind the chart, its legend, the typical day and the
    // exports' status fit too.
    browser.find("select[data-control=compare]").await.select_by_value("year").await.unwrap();
    browser.find("[data-legend=year]").await;
    browser.gone(".pe-legend .pe-status").await;
    browser.find("[data-typical-day] polyline").await;
    browser.click("button[data-action=export-csv]").await;
    browser.find("a[data-export=csv]").await;
    let over = overflowing(&browser, ".pe-legend, .pe-exports, .pe-export-status, .pe-typical").await;
    assert_eq!(over, Value::Array(vec![]), "at {width} px");
    assert_nothing_overflows(&browser, width).await;
    browser.screenshot(&format!("narrow-{width}-compare")).await;
    if width == 1200 {
        // The README's picture: the usage view from its heading down, taken
        // here so it shows the app as its tests see it (docs/screenshot.png).
        browser.client.set_window_size(1200, 1250).await.unwrap();
        let script = "document.querySelector('.pe-usage h2').scrollIntoView({block: 'start'});";
        browser.client.execute(script, vec![]).await.unwrap();
        browser.screenshot("readme-usage").await;
    }
    if width < 600 {
        the_chart_comes_first_and_the_dates_unfold(&browser).await;
    }

    browser.click("a[data-tab=bills]").await;
    browser.find(".pe-bills-table tbody tr").await;
    browser.find(".pe-bills-chart[data-x-labels]").await;
    assert_nothing_overflows(&browser, width).await;
    assert_labels_apart(&browser, ".pe-bills-chart", width).await;
    let cards = browser
        .client
        .execute("return getComputedStyle(document.querySelector('.pe-bills-table tr')).display;", vec![])
        .await
        .unwrap();
    assert_eq!(cards == "grid", width < 600, "bills as cards below 600 px only, at {width}: {cards}");
    if width < 600 {
        // Sorting is offered through its select; the oldest bill comes first.
        let select = browser.find("select[data-control=bills-sort]").await;
        select.select_by_label("Oldest first").await.unwrap();
        let first = browser.text(".pe-bills-table tbody tr:first-child .pe-bill-period").await;
        assert!(!first.is_empty());
    }
    // Every bill's PDF control lies inside the app, none clipped or off to the side.
    let script = "const app = document.querySelector('.pe-app').getBoundingClientRect();\
                  const pdfs = [...document.querySelectorAll('.pe-bills-table [data-action=get-pdf]')];\
                  return [pdfs.length, pdfs.filter(b => { const r = b.getBoundingClientRect();\
                      return r.width < 24 || r.height < 24 || r.left < app.left || r.right > app.right; }).length];";
    let pdfs = browser.client.execute(script, vec![]).await.unwrap();
    assert!(pdfs[0].as_u64().unwrap() >= 12 && pdfs[1] == 0, "PDF controls [all, out of reach] at {width}: {pdfs}");
    browser.click(".pe-bills-table tbody tr:first-child button[data-action=get-pdf]").await;
    browser.find(".pe-bills-table tbody tr:first-child a[data-action=open-pdf]").await;
    browser.screenshot(&format!("narrow-{width}-bills")).await;
    assert_no_csp_violations(&browser).await;
}

/// Narrow, the chart is right after the summary, above the controls, and
/// the date inputs wait until "Custom dates…" is chosen.
async fn the_chart_comes_first_and_the_dates_unfold(browser: &Browser) {
    let top = |css: &str| {
        let script = format!("return document.querySelector('{css}').getBoundingClientRect().top;");
        async move { browser.client.execute(&script, vec![]).await.unwrap().as_f64().unwrap() }
    };
    let (summary, chart, controls) = (
        top(".pe-usage .pe-summary").await,
        top(".pe-usage .pe-chart-frame").await,
        top(".pe-usage .pe-toolbar").await,
    );
    assert!(summary < chart && chart < controls, "summary {summary}, chart {chart}, controls {controls}");
    let from = browser.find("input[data-control=from]").await;
    assert!(!from.is_displayed().await.unwrap(), "the date inputs show before they are asked for");
    let range = browser.find("select[data-control=range]").await;
    range.select_by_label("Custom dates…").await.unwrap();
    let started = std::time::Instant::now();
    while !from.is_displayed().await.unwrap() {
        assert!(started.elapsed() < pelm_e2e::PATIENCE, "choosing Custom dates… shows no date inputs");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_nothing_overflows(browser, 0).await;
}

#[tokio::test]
async fn every_view_fits_a_320_px_phone() {
    views_fit_at(start_phone(320).await, 320).await;
}

#[tokio::test]
async fn every_view_fits_a_390_px_phone() {
    views_fit_at(start_phone(390).await, 390).await;
}

#[tokio::test]
async fn two_utilities_with_their_health_and_questions_fit_a_320_px_phone() {
    let browser = start_phone(320).await;
    let demo = spawn_demo(|_| {}).await;
    open_app(&browser, &demo.url).await;
    connect_as(&browser, "narrow-two", "user@pelm.com").await;
    browser.texts(".pe-card", 2).await;
    browser.click("button[data-action=add-utility]").await;
    link_with(&browser, "button[data-action=connect-another]", "narrow-two-gas", "gasonly@pelm.com", "4").await;
    browser.texts(".pe-group-title", 2).await;
    browser.texts(".pe-group .pe-card", 3).await;
    browser.gone(".pe-add-panel").await;
    // The longest row: the gas utility's name, its health and the question, open.
    browser.click(".pe-connection:nth-child(2) button[data-action=disconnect]").await;
    browser.find(".pe-confirm").await;
    let over = overflowing(&browser, ".pe-header, .pe-connection, .pe-connection-main, .pe-confirm, .pe-group").await;
    assert_eq!(over, Value::Array(vec![]), "at 320 px");
    assert_nothing_overflows(&browser, 320).await;
    browser.screenshot("narrow-320-two-utilities").await;
}

#[tokio::test]
async fn the_accounts_and_their_sparklines_fit_a_320_px_phone() {
    let browser = start_phone(320).await;
    let demo = spawn_demo(|_| {}).await;
    open_app(&browser, &demo.url).await;
    connect_as(&browser, "narrow-accounts", "user@pelm.com").await;
    browser.texts(".pe-card", 2).await;
    browser.find(".pe-card .pe-sparkline").await;
    assert_nothing_overflows(&browser, 320).await;
    let sparkline = browser
        .client
        .execute("const c = document.querySelector('.pe-card .pe-sparkline'); return [c.clientWidth, c.width];", vec![])
        .await
        .unwrap();
    let (shown, backing) = (sparkline[0].as_f64().unwrap(), sparkline[1].as_f64().unwrap());
    assert!(shown >= 200.0, "the sparkline is {shown} px wide on a card");
    assert!(backing >= shown * 2.0 - 1.0, "the sparkline is drawn at {backing} px for {shown} on a 2× screen");
    // It is drawn: part of it painted (the area and its line), not all of it.
    let painted = browser
        .client
        .execute(
            "const c = document.querySelector('.pe-card .pe-sparkline');\
             const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;\
             for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n / (c.width * c.height);",
            vec![],
        )
        .await
        .unwrap();
    let painted = painted.as_f64().unwrap();
    assert!((0.1..0.95).contains(&painted), "{painted} of the sparkline is painted");
    browser.screenshot("narrow-320-accounts").await;
}

#[tokio::test]
async fn every_view_fits_a_768_px_tablet() {
    views_fit_at(start_phone(768).await, 768).await;
}

#[tokio::test]
async fn every_view_fits_a_1200_px_desktop() {
    views_fit_at(start_browser().await, 1200).await;
}

/// The usage chart's centre in the viewport, once scrolled to the middle.
async fn chart_centre(browser: &Browser) -> (f64, f64) {
    let script = "const f = document.querySelector('.pe-usage .pe-chart-frame'); f.scrollIntoView({block: 'center'});\
                  const r = f.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2];";
    let centre = browser.client.execute(script, vec![]).await.unwrap();
    (centre[0].as_f64().unwrap(), centre[1].as_f64().unwrap())
}

async fn shown_span(browser: &Browser) -> i64 {
    let frame = browser.find(".pe-usage .pe-chart-frame").await;
    let from: i64 = frame.attr("data-from").await.unwrap().unwrap().parse().unwrap();
    let to: i64 = frame.attr("data-to").await.unwrap().unwrap().parse().unwrap();
    to - from
}

/// One finger from `(x, y)` to `(x + dx, y + dy)`.
fn finger(name: &str, (x, y): (f64, f64), (dx, dy): (f64, f64)) -> TouchActions {
    let slow = Some(Duration::from_millis(300));
    TouchActions::new(name.to_owned())
        .then(PointerAction::MoveTo { duration: None, x, y })
        .then(PointerAction::Down { button: MOUSE_BUTTON_LEFT })
        .then(PointerAction::MoveTo { duration: slow, x: x + dx, y: y + dy })
        .then(PointerAction::Up { button: MOUSE_BUTTON_LEFT })
}

#[tokio::test]
async fn a_tap_reads_out_a_pinch_zooms_and_one_finger_scrolls_the_page() {
    let browser = start_phone(390).await;
    let _demo = on_the_usage_page(&browser, "touch").await;
    let before = shown_span(&browser).await;

    // A tap shows the readout for the period tapped; a tap elsewhere hides it.
    let (x, y) = chart_centre(&browser).await;
    browser.client.perform_actions(finger("tap", (x, y), (0.0, 0.0))).await.unwrap();
    let readout = browser.text(".pe-usage .pe-readout").await;
    assert!(readout.contains("kWh"), "{readout}");
    let summary = browser.find(".pe-usage .pe-summary").await;
    let rect = summary.rectangle().await.unwrap();
    browser.client.perform_actions(finger("elsewhere", (rect.0 + 10.0, rect.1 + 10.0), (0.0, 0.0))).await.unwrap();
    let started = std::time::Instant::now();
    while !browser.client.find_all(fantoccini::Locator::Css(".pe-usage .pe-readout")).await.unwrap().is_empty() {
        assert!(started.elapsed() < pelm_e2e::PATIENCE, "a tap outside the chart left its readout up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Two fingers spreading apart zoom in about their midpoint.
    let (x, y) = chart_centre(&browser).await;
    let pinch = fantoccini::actions::Actions::from(finger("one", (x - 20.0, y), (-100.0, 0.0))).and(finger(
        "two",
        (x + 20.0, y),
        (100.0, 0.0),
    ));
    browser.client.perform_actions(pinch).await.unwrap();
    let started = std::time::Instant::now();
    while shown_span(&browser).await >= before {
        assert!(started.elapsed() < pelm_e2e::PATIENCE, "the pinch did not zoom: {before} s still shown");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let zoomed = shown_span(&browser).await;
    assert!(zoomed < before * 3 / 4, "a pinch to 5× the spread shows {zoomed} s of {before}");

    // One finger up over the chart moves the page, not the chart.
    let (x, y) = chart_centre(&browser).await;
    let scrolled = || async { browser.client.execute("return window.scrollY;", vec![]).await.unwrap() };
    let top = scrolled().await.as_f64().unwrap();
    browser.client.perform_actions(finger("swipe", (x, y), (0.0, -250.0))).await.unwrap();
    let started = std::time::Instant::now();
    while scrolled().await.as_f64().unwrap() <= top {
        assert!(started.elapsed() < pelm_e2e::PATIENCE, "a vertical swipe over the chart did not scroll the page");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(shown_span(&browser).await, zoomed, "the swipe changed the chart's range");
    browser.screenshot("narrow-390-zoomed").await;
}
