//! The columns the app asks for: Pelm's intervals to the bit, periods
//! summed as the app sums them, and windows answered from what was read.

use pelm_model::pelm::{Account, Intervals};
use pelm_usage::civil::{EASTERN, PACIFIC};
use pelm_usage::wire::{ColumnsAnswer, MEDIA_TYPE};
use pelm_usage::{aggregate, typical_day, Columns, Level, TypicalDay, ZoneOffsets};
use reqwest::StatusCode;

use crate::helpers::{error_body, header, spawn_app, spawn_app_with, TestApp};

use pelm_model::civil::DAY;

async fn account(app: &TestApp) -> Account {
    app.get("accounts").await.json::<Vec<Account>>().await.unwrap().remove(0)
}

/// Whole UTC days ending at last midnight: the same question every time.
fn days(n: i64) -> (i64, i64) {
    let end = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64 / DAY * DAY;
    (end - n * DAY, end)
}

fn query(account: &Account, (from, to): (i64, i64)) -> String {
    format!("intervals?account_id={}&type=ELECTRIC&start_date={from}&end_date={to}", account.id)
}

async fn pelms(app: &TestApp, path: &str) -> Intervals {
    let response = app.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.json().await.unwrap()
}

async fn columns(app: &TestApp, path: &str) -> Columns {
    let response = app.client.get(app.api(path)).header("accept", MEDIA_TYPE).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    assert_eq!(header(&response, "content-type"), MEDIA_TYPE);
    assert!(header(&response, "vary").contains("accept"), "caches must tell the two answers apart");
    let answer: ColumnsAnswer = response.json().await.unwrap();
    answer.into_columns().unwrap()
}

fn same(a: &Columns, b: &Columns, what: &str) {
    assert_eq!((&a.start, &a.end, &a.sums), (&b.start, &b.end, &b.sums), "{what}");
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&a.usage), bits(&b.usage), "{what}: usage to the bit");
    assert_eq!(a.emissions.as_deref().map(bits), b.emissions.as_deref().map(bits), "{what}: emissions to the bit");
}

/// A companion in front of a sandbox that sends intervals as loosely as
/// Pelm's docs allow.
async fn messy_app() -> TestApp {
    let mut config = pelm_sandbox::Config::random();
    config.messy_intervals = true;
    spawn_app_with(config).await
}

#[tokio::test]
async fn columns_hold_pelms_intervals_exactly_with_gaps_duplicates_mixed_lengths_and_clock_changes() {
    let app = messy_app().await;
    app.connect().await;
    let account = account(&app).await;
    // A year: both clock changes, the sandbox's gaps, and the messy rows.
    let path = query(&account, days(366));
    let sent: serde_json::Value = app.get(&path).await.json().await.unwrap();
    let mut starts: Vec<i64> =
        sent["intervals"].as_array().unwrap().iter().map(|i| i["start"].as_i64().unwrap()).collect();
    let (rows, sorted) = (starts.len(), starts.windows(2).all(|w| w[0] <= w[1]));
    starts.sort_unstable();
    starts.dedup();
    assert!(!sorted && starts.len() < rows, "the sandbox sent rows out of order and twice");
    let tidy = Columns::from_intervals(pelms(&app, &path).await.intervals);
    assert!(tidy.gaps().len() > 3, "the sandbox's data has gaps");
    same(&columns(&app, &path).await, &tidy, "the year's intervals");
}

#[tokio::test]
async fn summed_periods_equal_the_apps_own_summing_of_the_intervals() {
    let app = spawn_app().await;
    app.connect().await;
    let account = account(&app).await;
    let span = days(400);
    let raw = Columns::from_intervals(pelms(&app, &query(&account, span)).await.intervals);
    for zone in [PACIFIC, EASTERN] {
        let offsets = ZoneOffsets::learn(&zone, span.0, span.1);
        for level in [Level::Hourly, Level::Daily, Level::Weekly, Level::Monthly] {
            let path = format!("{}&level={}&zone={offsets}", query(&account, span), level.name());
            let summed = Columns::from_bins(&aggregate(&raw, level, &zone));
            same(&columns(&app, &path).await, &summed, &format!("{level:?} in {}", zone.name));
        }
    }
}

#[tokio::test]
async fn a_window_inside_what_was_read_asks_pelm_nothing() {
    let app = spawn_app().await;
    app.connect().await;
    let account = account(&app).await;
    let (from, to) = days(120);
    let zone = ZoneOffsets::learn(&PACIFIC, from, to);
    columns(&app, &format!("{}&level=day&zone={zone}", query(&account, (from, to)))).await;
    let calls = app.sandbox.sandbox.rest_calls();
    let window = (from + 30 * DAY, from + 33 * DAY);
    let detail = columns(&app, &query(&account, window)).await;
    let hours = columns(&app, &format!("{}&level=hour&zone={zone}", query(&account, window))).await;
    assert_eq!(app.sandbox.sandbox.rest_calls(), calls, "answered from the intervals read for the range");
    // As Pelm answers the window itself.
    let own = Columns::from_intervals(pelms(&app, &query(&account, window)).await.intervals);
    assert!(own.len() > 200, "{} intervals in three days", own.len());
    same(&detail, &own, "the window");
    same(&hours, &Columns::from_bins(&aggregate(&own, Level::Hourly, &zone)), "its hours");
    let calls = app.sandbox.sandbox.rest_calls();
    // Pelm is asked for what lies outside.
    columns(&app, &query(&account, (from - 10 * DAY, from))).await;
    assert_eq!(app.sandbox.sandbox.rest_calls(), calls + 1);
}

#[tokio::test]
async fn the_typical_day_is_the_apps_own_of_the_intervals() {
    let app = spawn_app().await;
    app.connect().await;
    let account = account(&app).await;
    let span = days(90);
    let raw = Columns::from_intervals(pelms(&app, &query(&account, span)).await.intervals);
    let zone = ZoneOffsets::learn(&PACIFIC, span.0, span.1);
    let path = format!("{}&zone={zone}", query(&account, span).replacen("intervals", "typical-day", 1));
    let response = app.get(&path).await;
    assert_eq!(response.status(), StatusCode::OK);
    let day: Option<TypicalDay> = response.json().await.unwrap();
    assert_eq!(day, typical_day(&raw, span.0, span.1, &PACIFIC));
    assert!(day.is_some());
}

#[tokio::test]
async fn levels_and_zones_are_checked_before_pelm_is_asked() {
    let app = spawn_app().await;
    app.connect().await;
    let account = account(&app).await;
    let base = query(&account, days(30));
    let calls = app.sandbox.sandbox.rest_calls();
    let long_zone: String = (1..=101).map(|i| format!(",{i}:0")).collect();
    for (path, field) in [
        (format!("{base}&level=daily&zone=0"), "level"),
        (format!("{base}&level=day"), "zone"),
        (format!("{base}&level=day&zone=pacific"), "zone"),
        (format!("{base}&level=day&zone=99999"), "zone"),
        (format!("{base}&level=day&zone=0,5:3600,5:0"), "zone"),
        (format!("{base}&level=day&zone=0{long_zone}"), "zone"),
        (base.replacen("intervals", "typical-day", 1), "zone"),
    ] {
        let response = app.get(&path).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(error_body(response).await["field"], field, "{path}");
    }
    assert_eq!(app.sandbox.sandbox.rest_calls(), calls, "a refused query reached Pelm");
}
