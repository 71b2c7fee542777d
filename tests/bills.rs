//! The bills table in headless Chromium (wasm-bindgen-test): sorting, and
//! money and dates in two locales through Intl.
#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use leptos::prelude::*;
use pelm_energy::pages::{BillLine, BillsTable};
use pelm_energy::timer::sleep;
use pelm_model::bills::BillRow;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement};

wasm_bindgen_test_configure!(run_in_browser);

use pelm_model::civil::DAY;
/// 2024-01-15 and 2024-02-15 12:00 UTC: the same date in every American and European zone.
const JAN: i64 = 1_705_320_000;
const FEB: i64 = JAN + 31 * DAY;

fn line(id: &str, start: i64, amount: Option<f64>, usage: Option<f64>) -> BillLine {
    BillLine {
        bill: BillRow {
            id: id.to_owned(),
            start: Some(start),
            end: Some(start + 30 * DAY),
            statement: Some(start + 31 * DAY),
            due: Some(start + 50 * DAY),
            amount,
            ..BillRow::default()
        },
        usage,
    }
}

fn mount(locale: &'static str) -> (HtmlElement, impl Drop) {
    let document = web_sys::window().unwrap().document().unwrap();
    let host: HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&host).unwrap();
    let lines = vec![
        line("jan", JAN, Some(1234.5), Some(300.0)),
        line("feb", FEB, Some(99.0), None),
        line("none", JAN - 40 * DAY, None, Some(10.0)),
    ];
    let handle = leptos::mount::mount_to(host.clone(), move || {
        view! { <BillsTable lines=lines.clone() unit="kWh".to_owned() locale=locale /> }
    });
    (host, handle)
}

fn ids(host: &Element) -> Vec<String> {
    let rows = host.query_selector_all("tbody tr").unwrap();
    (0..rows.length())
        .map(|i| rows.item(i).unwrap().unchecked_into::<Element>().get_attribute("data-bill-id").unwrap())
        .collect()
}

fn cell(host: &Element, id: &str, column: u32) -> String {
    host.query_selector(&format!("tr[data-bill-id={id}] td:nth-child({column})"))
        .unwrap()
        .unwrap()
        .text_content()
        .unwrap()
}

async fn click_sort(host: &Element, name: &str) {
    let button: HtmlElement =
        host.query_selector(&format!("button[data-sort='{name}']")).unwrap().unwrap().unchecked_into();
    button.click();
    sleep(Duration::from_millis(30)).await;
}

#[wasm_bindgen_test]
async fn bills_sort_by_any_column_with_missing_values_last() {
    let (host, _app) = mount("en-US");
    assert_eq!(ids(&host), ["feb", "jan", "none"], "newest first");
    click_sort(&host, "period").await;
    assert_eq!(ids(&host), ["none", "jan", "feb"], "the same header again turns it round");
    click_sort(&host, "amount").await;
    assert_eq!(ids(&host), ["jan", "feb", "none"], "largest first; no amount last");
    click_sort(&host, "amount").await;
    assert_eq!(ids(&host), ["feb", "jan", "none"], "smallest first; no amount still last");
    click_sort(&host, "usage").await;
    assert_eq!(ids(&host), ["jan", "none", "feb"]);
    let sorted: Vec<String> = {
        let th = host.query_selector_all("th[aria-sort]").unwrap();
        (0..th.length())
            .map(|i| th.item(i).unwrap().unchecked_into::<Element>().get_attribute("aria-sort").unwrap())
            .collect()
    };
    assert_eq!(sorted, ["none", "none", "none", "none", "descending"]);
}

#[wasm_bindgen_test]
async fn money_and_dates_follow_the_locale() {
    let (us, _a) = mount("en-US");
    let (de, _b) = mount("de-DE");
    assert_eq!(cell(&us, "jan", 4), "$1,234.50");
    assert_eq!(cell(&de, "jan", 4), "1.234,50\u{a0}$");
    assert_eq!(cell(&us, "jan", 3), "Mar 5, 2024");
    assert_eq!(cell(&de, "jan", 3), "05.03.2024");
    assert_eq!(cell(&us, "none", 4), "—", "a missing amount is shown as missing");
    assert_eq!(cell(&us, "feb", 5), "—");
    assert_eq!(cell(&us, "jan", 5), "300.0");
    let total = us.query_selector("[data-figure=bills-total]").unwrap().unwrap().text_content().unwrap();
    assert_eq!(total, "$1,333.50");
}
