//! The usage chart in headless Chromium (wasm-bindgen-test): known data in,
//! and what a user does (keys, wheel, drag, hover, table, CSV, comparing) against it.
#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use leptos::prelude::*;
use pelm_energy::api::Asked;
use pelm_energy::chart::period_label;
use pelm_energy::locale::local_zone;
use pelm_energy::pages::{MeterData, UsagePanel};
use pelm_energy::timer::sleep;
use pelm_model::pelm::{Interval, MeterType};
use pelm_model::unit::MeterUnits;
use pelm_usage::civil::{days_from_civil, DAY, HOUR};
use pelm_usage::{aggregate, Columns, Compare, CsvExport, Level, Viewport};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement};

wasm_bindgen_test_configure!(run_in_browser);

/// The layout rules the chart needs; the test page has no app stylesheet.
const STYLE: &str = ".pe-chart-frame { position: relative; width: 900px; }
.pe-chart, .pe-chart-overlay { display: block; width: 900px; height: 300px; }
.pe-chart-overlay, .pe-readout, .pe-selection { position: absolute; top: 0; pointer-events: none; }
.pe-chart-overlay { left: 0; }";

const START: i64 = days_from_civil(2024, 1, 10) * DAY;
/// Two days of hours; none for hours 30 to 32 (a gap), export in the small hours of day two.
fn known_columns() -> Columns {
    let intervals = (0..48)
        .filter(|i| !(30..33).contains(i))
        .map(|i| {
            let usage = if (24..28).contains(&i) { -0.25 * (i - 23) as f64 } else { (i % 24) as f64 * 0.5 };
            let start = START + i * HOUR;
            Interval { start, end: start + HOUR, usage, ghg_emissions: Some(usage.max(0.0) * 0.2) }
        })
        .collect();
    Columns::from_intervals(intervals)
}

struct Mounted {
    host: HtmlElement,
    level: RwSignal<Option<Level>>,
    _handle: leptos::mount::UnmountHandle<leptos::tachys::view::any_view::AnyViewState>,
}

fn mount() -> Mounted {
    mount_with(Viewport::new(START, START + 2 * DAY), Compare::None)
}

/// The known data shown over `bounds`, compared as `compare` says.
fn mount_with(bounds: Viewport, compare: Compare) -> Mounted {
    let document = web_sys::window().unwrap().document().unwrap();
    let style = document.create_element("style").unwrap();
    style.set_text_content(Some(STYLE));
    document.head().unwrap().append_child(&style).unwrap();
    let host: HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&host).unwrap();
    let level = RwSignal::new(None::<Level>);
    let columns = known_columns();
    let handle = leptos::mount::mount_to(host.clone(), move || {
        // The intervals held already, as the page holds what the companion sent.
        let asked = Asked { account_id: "known".to_owned(), meter: MeterType::Electric };
        let span = Viewport::new(bounds.from - 2 * DAY, bounds.to);
        let held = MeterData::holding(asked, &columns, span, &local_zone());
        let units = MeterUnits { usage: "kWh".to_owned(), emissions: "kg CO₂e".to_owned() };
        view! { <UsagePanel held bounds units level_choice=level.into() compare /> }.into_any()
    });
    Mounted { host, level, _handle: handle }
}

async fn until(what: &str, test: impl Fn() -> bool) {
    for _ in 0..200 {
        if test() {
            return;
        }
        sleep(Duration::from_millis(20)).await;
    }
    panic!("never: {what}");
}

fn find(host: &Element, css: &str) -> Element {
    host.query_selector(css).unwrap().unwrap_or_else(|| panic!("no {css} in {}", host.inner_html()))
}

fn number(el: &Element, name: &str) -> f64 {
    el.get_attribute(name).and_then(|v| v.parse().ok()).unwrap_or(f64::NAN)
}

fn shown(frame: &Element) -> Viewport {
    Viewport::new(number(frame, "data-from") as i64, number(frame, "data-to") as i64)
}

/// The x (CSS pixels from the canvas's left) where instant `t` is drawn.
fn x_of(frame: &Element, t: i64) -> f64 {
    number(frame, "data-plot-left") + shown(frame).fraction(t) * number(frame, "data-plot-width")
}

fn pointer(target: &Element, kind: &str, x: f64, shift: bool) {
    let rect = target.get_bounding_client_rect();
    let init = web_sys::PointerEventInit::new();
    init.set_bubbles(true);
    init.set_client_x((rect.left() + x) as i32);
    init.set_client_y((rect.top() + 150.0) as i32);
    init.set_pointer_id(1);
    init.set_is_primary(true);
    init.set_shift_key(shift);
    let event = web_sys::PointerEvent::new_with_event_init_dict(kind, &init).unwrap();
    target.dispatch_event(&event).unwrap();
}

fn key(target: &Element, key: &str) {
    let init = web_sys::KeyboardEventInit::new();
    init.set_bubbles(true);
    init.set_key(key);
    target
        .dispatch_event(&web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap())
        .unwrap();
}

async fn drawn(host: &Element) -> (Element, Element) {
    let frame = find(host, ".pe-chart-frame");
    until("the chart is drawn", || frame.has_attribute("data-plot-width")).await;
    (frame.clone(), find(host, ".pe-chart-overlay"))
}

#[wasm_bindgen_test]
async fn the_chart_draws_and_zoom_pan_and_reset_change_the_visible_range() {
    let m = mount();
    let (frame, overlay) = drawn(&m.host).await;
    let bounds = Viewport::new(START, START + 2 * DAY);
    assert_eq!(shown(&frame), bounds);
    // Bars in the usage colour and, below zero, the export colour.
    let canvas: web_sys::HtmlCanvasElement = find(&m.host, "canvas.pe-chart").unchecked_into();
    let context: web_sys::CanvasRenderingContext2d = canvas.get_context("2d").unwrap().unwrap().unchecked_into();
    let pixels = context.get_image_data(0.0, 0.0, canvas.width() as f64, canvas.height() as f64).unwrap().data();
    let count = |rgb: [u8; 3]| pixels.chunks(4).filter(|p| p[..3] == rgb).count();
    assert!(count([29, 78, 216]) > 1000, "usage bars");
    assert!(count([21, 128, 61]) > 50, "export bars");

    // + zooms in by half about the middle.
    key(&frame, "+");
    until("+ zooms in", || shown(&frame).span() == DAY).await;
    assert_eq!(shown(&frame), Viewport::new(START + DAY / 2, START + DAY * 3 / 2));
    // The arrow pans a fifth of the view later.
    key(&frame, "ArrowRight");
    until("→ pans", || shown(&frame).from == START + DAY / 2 + DAY / 5).await;
    // Home resets.
    key(&frame, "Home");
    until("Home resets", || shown(&frame) == bounds).await;

    // The wheel zooms about the pointer: the instant under it stays there.
    let x = x_of(&frame, START + 12 * HOUR);
    let init = web_sys::WheelEventInit::new();
    init.set_bubbles(true);
    init.set_cancelable(true);
    init.set_delta_y(-200.0);
    let rect = overlay.get_bounding_client_rect();
    init.set_client_x((rect.left() + x) as i32);
    init.set_client_y((rect.top() + 100.0) as i32);
    overlay.dispatch_event(&web_sys::WheelEvent::new_with_event_init_dict("wheel", &init).unwrap()).unwrap();
    until("the wheel zooms in", || shown(&frame).span() < 2 * DAY).await;
    let after = shown(&frame);
    let under = after.at((x - number(&frame, "data-plot-left")) / number(&frame, "data-plot-width"));
    assert!(
        (under - (START + 12 * HOUR)).abs() < 10 * 60,
        "the pointer's instant moved by {} s",
        under - START - 12 * HOUR
    );
    let double = web_sys::MouseEventInit::new();
    double.set_bubbles(true);
    overlay.dispatch_event(&web_sys::MouseEvent::new_with_mouse_event_init_dict("dblclick", &double).unwrap()).unwrap();
    until("double-click resets", || shown(&frame) == bounds).await;

    // Dragging selects a span to zoom to.
    let (a, b) = (x_of(&frame, START + 6 * HOUR), x_of(&frame, START + 18 * HOUR));
    pointer(&overlay, "pointerdown", a, false);
    pointer(&overlay, "pointermove", (a + b) / 2.0, false);
    pointer(&overlay, "pointermove", b, false);
    pointer(&overlay, "pointerup", b, false);
    until("the selection zooms", || shown(&frame).span() < DAY).await;
    let selected = shown(&frame);
    assert!(
        (selected.from - (START + 6 * HOUR)).abs() < 15 * 60 && (selected.to - (START + 18 * HOUR)).abs() < 15 * 60,
        "{selected:?}"
    );
    // With Shift, dragging pans instead: to the left is later.
    let before = shown(&frame);
    pointer(&overlay, "pointerdown", 500.0, true);
    pointer(&overlay, "pointermove", 400.0, true);
    pointer(&overlay, "pointerup", 400.0, true);
    until("shift-drag pans", || shown(&frame).from > before.from).await;
    assert_eq!(shown(&frame).span(), before.span());
    let reset: HtmlElement = find(&m.host, "button[data-action=reset-zoom]").unchecked_into();
    reset.click();
    until("Reset resets", || shown(&frame) == bounds).await;
}

#[wasm_bindgen_test]
async fn hovering_reads_out_the_interval_under_the_pointer_and_says_so_over_a_gap() {
    let m = mount();
    let (frame, overlay) = drawn(&m.host).await;
    let start = START + 7 * HOUR;
    pointer(&overlay, "pointermove", x_of(&frame, start + HOUR / 2), false);
    until("a readout", || m.host.query_selector(".pe-readout").unwrap().is_some()).await;
    let readout = find(&m.host, ".pe-readout");
    assert_eq!(readout.get_attribute("data-index").as_deref(), Some("7"));
    assert_eq!(find(&readout, ".pe-readout-usage").text_content().unwrap(), "3.500 kWh");
    assert_eq!(find(&readout, ".pe-readout-emissions").text_content().unwrap(), "0.700 kg CO₂e");
    let period = find(&readout, ".pe-readout-period").text_content().unwrap();
    assert_eq!(period, period_label(start, start + HOUR, Level::Raw));
    // The day and the time of day, as the reader's locale writes them.
    assert!(period.starts_with(&pelm_energy::format::day_time(start)), "{period}");
    // Solar export reads as a negative number.
    pointer(&overlay, "pointermove", x_of(&frame, START + 25 * HOUR + HOUR / 2), false);
    until("export", || {
        m.host.query_selector(".pe-readout-usage").unwrap().is_some_and(|u| u.text_content().unwrap() == "-0.500 kWh")
    })
    .await;
    // In the gap, nothing is made up.
    pointer(&overlay, "pointermove", x_of(&frame, START + 31 * HOUR + HOUR / 2), false);
    until("gap", || m.host.query_selector(".pe-readout-gap").unwrap().is_some()).await;
    assert!(m.host.query_selector(".pe-readout-usage").unwrap().is_none());
}

fn expected_bins(level: Level) -> Vec<pelm_usage::Bin> {
    aggregate(&known_columns(), level, &local_zone())
}

#[wasm_bindgen_test]
async fn the_table_lists_what_the_chart_shows_at_its_level() {
    let m = mount();
    drawn(&m.host).await;
    let details: web_sys::HtmlDetailsElement = find(&m.host, "details.pe-table-view").unchecked_into();
    details.set_open(true);
    until("rows", || m.host.query_selector(".pe-table tbody tr").unwrap().is_some()).await;
    let rows = || {
        let list = m.host.query_selector_all(".pe-table tbody tr").unwrap();
        (0..list.length())
            .map(|i| {
                let row: Element = list.item(i).unwrap().unchecked_into();
                let cells = row.query_selector_all("td").unwrap();
                (0..cells.length()).map(|c| cells.item(c).unwrap().text_content().unwrap()).collect::<Vec<_>>()
            })
            .collect::<Vec<_>>()
    };
    let raw = expected_bins(Level::Raw);
    let got = rows();
    assert_eq!(got.len(), raw.len(), "one row per interval, none for the gap");
    for (row, bin) in got.iter().zip(&raw) {
        assert_eq!(row[0], period_label(bin.start, bin.end, Level::Raw));
        assert_eq!(row[1], format!("{:.3}", bin.usage));
        assert_eq!(row[2], format!("{:.3}", bin.emissions.unwrap()));
    }
    // At the daily level, the rows are the sums of each local day.
    m.level.set(Some(Level::Daily));
    let daily = expected_bins(Level::Daily);
    until("daily rows", || rows().len() == daily.len()).await;
    let total: f64 = known_columns().usage.iter().sum();
    let listed: f64 = rows().iter().map(|r| r[1].parse::<f64>().unwrap()).sum();
    assert!((listed - total).abs() < 0.01, "{listed} listed, {total} in the data");
}

/// Presses an export button and reads the file it made.
async fn export(host: &Element, action: &str, kind: &str) -> String {
    let button: HtmlElement = find(host, &format!("button[data-action={action}]")).unchecked_into();
    button.click();
    let made = format!("a[data-export={kind}]");
    until("the file is made", || host.query_selector(&made).unwrap().is_some()).await;
    let href = find(host, &made).get_attribute("href").unwrap();
    assert!(href.starts_with("blob:"), "{href}");
    gloo_net::http::Request::get(&href).send().await.unwrap().text().await.unwrap()
}

#[wasm_bindgen_test]
async fn the_csv_holds_the_range_and_level_in_view() {
    let m = mount();
    let (frame, _) = drawn(&m.host).await;
    m.level.set(Some(Level::Hourly));
    key(&frame, "+");
    until("zoomed", || shown(&frame).span() == DAY).await;
    let text = export(&m.host, "export-csv", "csv").await;
    let view = shown(&frame);
    let hourly = Columns::from_bins(&expected_bins(Level::Hourly));
    let zone = local_zone();
    assert_eq!(text, CsvExport::new(&hourly, Level::Hourly, view.from, view.to, "kWh", &zone).to_text());
    assert!(text
        .starts_with("local_start,local_end,utc_start,duration_s,usage,usage_unit,emissions,emissions_unit,missing\n"));
    // The gap in the data (hours 30 to 32) is three rows flagged missing.
    assert_eq!(text.lines().filter(|l| l.ends_with(",true")).count(), 3, "{text}");
    assert_eq!(text.lines().count(), 1 + 24);
}

#[wasm_bindgen_test]
async fn the_day_before_is_drawn_behind_and_read_by_the_hover_table_and_csv() {
    let second_day = Viewport::new(START + DAY, START + 2 * DAY);
    let m = mount_with(second_day, Compare::Previous);
    let (frame, overlay) = drawn(&m.host).await;
    assert_eq!(find(&m.host, "[data-legend]").get_attribute("data-legend").as_deref(), Some("previous"));
    // Its outline, in the comparison colour, behind the bars.
    let canvas: web_sys::HtmlCanvasElement = find(&m.host, "canvas.pe-chart").unchecked_into();
    let context: web_sys::CanvasRenderingContext2d = canvas.get_context("2d").unwrap().unwrap().unchecked_into();
    let pixels = context.get_image_data(0.0, 0.0, canvas.width() as f64, canvas.height() as f64).unwrap().data();
    assert!(pixels.chunks(4).filter(|p| p[..3] == [100, 116, 139]).count() > 100, "outlined bars");
    // Hour 36 (12:00 on day two, 6.0 kWh) against hour 12 of day one (6.0 kWh), and hour 38 against 14.
    let at = START + 38 * HOUR;
    pointer(&overlay, "pointermove", x_of(&frame, at + HOUR / 2), false);
    until("a readout", || m.host.query_selector(".pe-readout-compared").unwrap().is_some()).await;
    let compared = find(&m.host, ".pe-readout-compared").text_content().unwrap();
    let earlier = period_label(at - DAY, at - DAY + HOUR, Level::Raw);
    assert_eq!(compared, format!("Previous period, {earlier}: 7.000 kWh"));
    assert_eq!(find(&m.host, ".pe-readout-difference").text_content().unwrap(), "+0.000 kWh (+0%)");
    // Day two's export hours against day one's use: the difference says so.
    pointer(&overlay, "pointermove", x_of(&frame, START + 25 * HOUR + HOUR / 2), false);
    until("export hour", || {
        m.host
            .query_selector(".pe-readout-difference")
            .unwrap()
            .is_some_and(|d| d.text_content().unwrap().starts_with("-1.000 kWh"))
    })
    .await;
    // The totals: both days, and the change in the same words as before.
    let figures = find(&m.host, "[data-figure=compared-total]").text_content().unwrap();
    let day_one: f64 = known_columns().usage[..24].iter().sum();
    assert_eq!(figures, format!("{day_one:.1} kWh in the period before"));
    // The canvas's text alternative says it too.
    let described = find(&m.host, "canvas.pe-chart").get_attribute("aria-label").unwrap();
    assert!(described.ends_with(&format!(" {day_one:.1} kWh in the period before.")), "{described}");
    assert!(find(&m.host, "[data-figure=change]").text_content().unwrap().ends_with("against the period before"));
    // The table and the CSV carry the comparison's columns.
    let details: web_sys::HtmlDetailsElement = find(&m.host, "details.pe-table-view").unchecked_into();
    details.set_open(true);
    until("rows", || m.host.query_selector_all(".pe-table tbody tr").unwrap().length() > 0).await;
    let heads = find(&m.host, ".pe-table thead").text_content().unwrap();
    assert!(heads.contains("Previous period (kWh)") && heads.contains("Difference"), "{heads}");
    let text = export(&m.host, "export-csv", "csv").await;
    assert!(text.lines().next().unwrap().ends_with(",previous_period_usage,difference,missing"), "{text}");
    let row = text.lines().find(|l| l.split(',').nth(2) == Some(&pelm_usage::export::iso_utc(at))).unwrap();
    assert!(row.contains(",7,kWh,1.4,kg CO2e,7,0,false"), "{row}");
}

#[wasm_bindgen_test]
async fn the_typical_day_draws_each_hour_of_the_weekdays_in_view() {
    let m = mount();
    drawn(&m.host).await;
    let figure = find(&m.host, "[data-typical-day]");
    // Two weekdays of hours: every hour of the day has a point, and no weekend line.
    let weekday: Vec<String> = (0..m.host.query_selector_all(".pe-typical-weekday").unwrap().length())
        .filter_map(|i| m.host.query_selector_all(".pe-typical-weekday").unwrap().item(i))
        .map(|n| n.unchecked_into::<Element>().get_attribute("points").unwrap())
        .collect();
    let points: usize = weekday.iter().map(|p| p.split(' ').count()).sum();
    assert_eq!(points, 24, "{weekday:?}");
    assert!(m.host.query_selector(".pe-typical-weekend").unwrap().is_none());
    let said = find(&figure, "svg").get_attribute("aria-label").unwrap();
    assert!(said.contains("Weekdays peak at") && !said.contains("Weekends"), "{said}");
}
