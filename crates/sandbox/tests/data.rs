//! Intervals, bills, PDFs, faults and every error code, over real HTTP.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::{spawn_sandbox, spawn_with, Pelm};
use pelm_model::pelm::{AccountBills, Intervals, MeterType};
use pelm_sandbox::bills;
use pelm_sandbox::civil::PACIFIC;
use pelm_sandbox::Faults;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use pelm_model::civil::DAY;

/// Connects `user_id` as `username` at `utility_id` and returns an access token.
async fn connected(pelm: &Pelm, user_id: &str, username: &str, utility_id: &str) -> String {
    let token = pelm.connect_token(user_id).await;
    let (status, body) = pelm.login(&token, utility_id, username, "password").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = pelm.exchange(body["authorization_code"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

async fn get(pelm: &Pelm, token: &str, path_and_query: &str) -> Response {
    pelm.signed(pelm.http.get(format!("{}{path_and_query}", pelm.url))).bearer_auth(token).send().await.unwrap()
}

async fn json_of(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn first_account(pelm: &Pelm, token: &str) -> Value {
    pelm.accounts(token).await.1[0].clone()
}

#[tokio::test]
async fn intervals_default_to_the_past_two_months_on_the_meters_grid() {
    let pelm = spawn_sandbox(Duration::ZERO).await;
    let token = connected(&pelm, "u1", "user@pelm.com", "1").await;
    let account = first_account(&pelm, &token).await;
    let id = account["id"].as_str().unwrap();
    let response = get(&pelm, &token, &format!("/intervals?account_id={id}&type=ELECTRIC")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let data: Intervals = response.json().await.unwrap();
    assert_eq!(data.utility, "Pacific Gas and Electric");
    assert_eq!(data.meter_type, Some(MeterType::Electric));
    assert_eq!(data.account.id, id);
    let first = data.intervals.first().unwrap();
    let last = data.intervals.last().unwrap();
    let span = last.end - first.start;
    assert!((59 * DAY..=60 * DAY).contains(&span), "span {span}");
    assert!(data.intervals.iter().all(|i| i.end - i.start == 900 && i.start % 900 == 0));
    assert!(data.intervals.windows(2).all(|w| w[0].end <= w[1].start), "sorted, no overlap");
    assert!(data.intervals.iter().all(|i| i.ghg_emissions.is_some()), "PG&E reports emissions");
    // The account's second meter is hourly; the seed shows hourly intervals.
    let second = pelm.accounts(&token).await.1[1]["id"].as_str().unwrap().to_owned();
    let hourly: Intervals = get(&pelm, &token, &format!("/intervals?account_id={second}")).await.json().await.unwrap();
    assert!(hourly.intervals.iter().all(|i| i.end - i.start == 3600));
}

#[tokio::test]
async fn intervals_by_meter_by_date_and_for_gas() {
    let pelm = spawn_sandbox(Duration::ZERO).await;
    let token = connected(&pelm, "u1", "gas@pelm.com", "3").await;
    let account = first_account(&pelm, &token).await;
    assert_eq!(account["available_meter_types"], json!(["ELECTRIC", "GAS"]));
    assert_eq!(account["gas_usage_unit"], "therm");
    let gas_meter = account["meters"][1]["id"].as_str().unwrap();
    let end =
        (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64 / DAY - 30) * DAY;
    let start = end - 7 * DAY;
    let by_meter: Intervals =
        get(&pelm, &token, &format!("/intervals?meter_id={gas_meter}&start_date={start}&end_date={end}"))
            .await
            .json()
            .await
            .unwrap();
    assert_eq!(by_meter.meter_type, Some(MeterType::Gas));
    assert_eq!(by_meter.account.usage_unit.as_deref(), Some("therm"));
    assert_eq!(by_meter.intervals.first().unwrap().start, start);
    assert_eq!(by_meter.intervals.last().unwrap().end, end);
    assert!(by_meter.intervals.iter().all(|i| i.ghg_emissions.is_none()), "Con Edison reports no emissions");
    let id = account["id"].as_str().unwrap();
    let by_type: Intervals =
        get(&pelm, &token, &format!("/intervals?account_id={id}&type=gas&start_date={start}&end_date={end}"))
            .await
            .json()
            .await
            .unwrap();
    assert_eq!(by_type.intervals, by_meter.intervals);
}

#[tokio::test]
async fn a_solar_home_exports_at_midday() {
    let pelm = spawn_sandbox(Duration::ZERO).await;
    let token = connected(&pelm, "u1", "solar@pelm.com", "2").await;
    let id = first_account(&pelm, &token).await["id"].as_str().unwrap().to_owned();
    let data: Intervals = get(&pelm, &token, &format!("/intervals?account_id={id}")).await.json().await.unwrap();
    let negative = data.intervals.iter().filter(|i| i.usage < 0.0).count();
    assert!(negative > 100, "only {negative} intervals below zero in two months");
}

#[tokio::test]
async fn five_years_of_quarter_hours_in_one_call() {
    let pelm = spawn_sandbox(Duration::ZERO).await;
    let token = connected(&pelm, "u1", "user@pelm.com", "1").await;
    let id = first_account(&pelm, &token).await["id"].as_str().unwrap().to_owned();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let start = now - 5 * 365 * DAY - 2 * DAY;
    let started = Instant::now();
    let data: Intervals = get(&pelm, &token, &format!("/intervals?account_id={id}&start_date={start}&end_date={now}"))
        .await
        .json()
        .await
        .unwrap();
    // Correctness only; `cargo run --profile server -p pelm-sandbox --example five_years` measures the time.
    assert!(data.intervals.len() > 5 * 365 * 96 * 95 / 100, "{} intervals", data.intervals.len());
    eprintln!("five years, {} intervals, debug build: {:?}", data.intervals.len(), started.elapsed());
}

#[tokio::test]
async fn bills_charge_for_the_usage_in_their_period() {
    let pelm = spawn_sandbox(Duration::ZERO).await;
    let token = connected(&pelm, "u1", "gas@pelm.com", "1").await;
    let id = first_account(&pelm, &token).await["id"].as_str().unwrap().to_owned();
    let (status, body) = json_of(get(&pelm, &token, &format!("/bills?account_id={id}")).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let list: Vec<AccountBills> = serde_json::from_value(body).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].account_id.as_deref(), Some(id.as_str()));
    let bills = &list[0].bills;
    assert_eq!(bills.len(), 24);
    assert!(bills.windows(2).all(|w| w[0].start_date > w[1].start_date), "newest first");
    assert!(bills.windows(2).all(|w| w[1].end_date == w[0].start_date), "periods follow each other");
    for bill in bills {
        assert!(
            bill.start_date < bill.end_date
                && bill.end_date < bill.statement_date
                && bill.statement_date < bill.due_date
        );
        // Whole local days, 27 to 33 of them (23 or 25 hours across a clock change).
        let length = bill.end_date - bill.start_date;
        assert!((27 * DAY - 3600..=33 * DAY + 3600).contains(&length), "{length}");
    }
    let lengths: BTreeSet<i64> =
        bills.iter().map(|b| ((b.end_date - b.start_date) as f64 / DAY as f64).round() as i64).collect();
    assert!(lengths.len() >= 4, "periods of {lengths:?} days only");
    // Recompute the newest bill from the intervals of its period.
    let bill = &bills[0];
    let mut expected = 0.0;
    for (meter, meter_type) in [("ELECTRIC", MeterType::Electric), ("GAS", MeterType::Gas)] {
        let query = format!(
            "/intervals?account_id={id}&type={meter}&start_date={}&end_date={}",
            bill.start_date, bill.end_date
        );
        let data: Intervals = get(&pelm, &token, &query).await.json().await.unwrap();
        expected += bills::charge(meter_type, &data.intervals, bill.start_date, bill.end_date, &PACIFIC).total();
    }
    assert!((bill.total_amount_due - expected).abs() < 0.011, "{} vs {expected}", bill.total_amount_due);
    let all: Vec<AccountBills> = get(&pelm, &token, "/bills").await.json().await.unwrap();
    assert_eq!(all[0].bills, *bills);
}

#[tokio::test]
async fn the_legacy_bills_shape_is_a_map_of_rfc1123_dates() {
    let pelm = spawn_with(|config| config.legacy_bills = true).await;
    let token = connected(&pelm, "u1", "user@pelm.com", "1").await;
    let (status, body) = json_of(get(&pelm, &token, "/bills").await).await;
    assert_eq!(status, StatusCode::OK);
    let map = body.as_object().unwrap();
    assert_eq!(map.len(), 48, "24 bills for each of two accounts");
    let (id, dates) = map.iter().next().unwrap();
    assert_eq!(id.len(), 12);
    let start = dates["bill_start_date"].as_str().unwrap();
    assert!(start.ends_with(" GMT") && start.as_bytes()[3] == b',', "{start}");
}

#[tokio::test]
async fn each_bill_has_a_real_pdf_that_says_what_the_bill_says() {
    let pelm = spawn_sandbox(Duration::ZERO).await;
    let token = connected(&pelm, "u1", "user@pelm.com", "1").await;
    let list: Vec<AccountBills> = get(&pelm, &token, "/bills").await.json().await.unwrap();
    let bill = &list[0].bills[0];
    let response = get(&pelm, &token, &format!("/bills/{}/pdf", bill.id)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let document = lopdf::Document::load_mem(&bytes).expect("a PDF that parses");
    assert_eq!(document.get_pages().len(), 1);
    let text = document.extract_text(&[1]).unwrap();
    assert!(text.contains("Pacific Gas and Electric"), "{text}");
    assert!(text.contains("5777345636"), "{text}");
    assert!(text.contains(&format!("${:.2}", bill.total_amount_due)), "{text}");
}

async fn code_of(response: Response) -> String {
    let (_, body) = json_of(response).await;
    body["error_code"].as_str().unwrap_or("<none>").to_owned()
}

#[tokio::test]
async fn another_users_account_meter_and_bill_are_permission_denied() {
    let pelm = spawn_sandbox(Duration::ZERO).await;
    let alice = connected(&pelm, "alice", "gas@pelm.com", "1").await;
    let bob = connected(&pelm, "bob", "user@pelm.com", "1").await;
    let account = first_account(&pelm, &alice).await;
    let (id, meter) = (account["id"].as_str().unwrap(), account["meters"][0]["id"].as_str().unwrap());
    let bill = get(&pelm, &alice, "/bills").await.json::<Vec<AccountBills>>().await.unwrap()[0].bills[0].id.clone();
    for path in [
        format!("/intervals?account_id={id}"),
        format!("/intervals?meter_id={meter}"),
        format!("/bills?account_id={id}"),
        format!("/bills/{bill}/pdf"),
    ] {
        let response = get(&pelm, &bob, &path).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
        assert_eq!(code_of(response).await, "permission_denied", "{path}");
    }
}

#[tokio::test]
async fn every_applicable_code_in_pelms_table_is_reachable() {
    let pelm = spawn_with(|config| config.data_delay = Duration::from_secs(60)).await;
    let mut reached = BTreeSet::new();
    let mut note = |code: String| {
        reached.insert(code);
    };
    // Connect token: missing user id, unknown utility, unsupported utility, wrong secret.
    let url = format!("{}/auth/connect-token", pelm.url);
    note(code_of(pelm.signed(pelm.http.post(&url)).form(&[("utility_id", "1")]).send().await.unwrap()).await);
    note(
        code_of(
            pelm.signed(pelm.http.post(&url)).form(&[("user_id", "u"), ("utility_id", "99")]).send().await.unwrap(),
        )
        .await,
    );
    note(
        code_of(pelm.signed(pelm.http.post(&url)).form(&[("user_id", "u"), ("utility_id", "8")]).send().await.unwrap())
            .await,
    );
    note(code_of(pelm.http.post(&url).form(&[("user_id", "u")]).send().await.unwrap()).await);
    // Connect: MFA, a wrong MFA code, then the lock-out.
    let token = pelm.connect_token("mfa-user").await;
    note(pelm.login(&token, "1", "mfa@pelm.com", "password").await.1["error_code"].as_str().unwrap().to_owned());
    for _ in 0..3 {
        note(
            pelm.modal("mfa", json!({"connect_token": token, "code": "9"})).await.1["error_code"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    // Data: a bad token, data not ready yet, another user's account.
    note(code_of(get(&pelm, "not-a-token", "/accounts").await).await);
    let alice = connected(&pelm, "alice", "user@pelm.com", "3").await;
    note(code_of(get(&pelm, &alice, "/accounts").await).await);
    pelm.clock.advance(Duration::from_secs(60));
    let bob = connected(&pelm, "bob", "user@pelm.com", "3").await;
    pelm.clock.advance(Duration::from_secs(60));
    let bobs = first_account(&pelm, &bob).await["id"].as_str().unwrap().to_owned();
    note(code_of(get(&pelm, &alice, &format!("/intervals?account_id={bobs}")).await).await);
    // Con Edison has no bill PDFs.
    let bill = get(&pelm, &alice, "/bills").await.json::<Vec<AccountBills>>().await.unwrap()[0].bills[0].id.clone();
    note(code_of(get(&pelm, &alice, &format!("/bills/{bill}/pdf")).await).await);
    // Quota and Pelm's own failures come from the fault settings.
    let limited = spawn_with(|config| config.faults.quota = Some(1)).await;
    limited.connect_token("u").await;
    note(
        code_of(
            limited
                .signed(limited.http.post(format!("{}/auth/connect-token", limited.url)))
                .form(&[("user_id", "u")])
                .send()
                .await
                .unwrap(),
        )
        .await,
    );
    let failing = spawn_with(|config| config.faults.error_rate = 1.0).await;
    note(code_of(failing.signed(failing.http.get(format!("{}/accounts", failing.url))).send().await.unwrap()).await);

    let expected: BTreeSet<String> = [
        "parameter_missing",
        "parameter_invalid",
        "token_invalid",
        "credentials_invalid",
        "permission_denied",
        "data_unavailable",
        "quota_reached",
        "utility_unavailable",
        "feature_unavailable",
        "internal_error",
        "mfa_required",
        "mfa_failed",
        "connect_max_attempted_logins",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(reached, expected);
}

#[tokio::test]
async fn bad_interval_queries_name_the_parameter() {
    let pelm = spawn_sandbox(Duration::ZERO).await;
    let token = connected(&pelm, "u1", "user@pelm.com", "1").await;
    let id = first_account(&pelm, &token).await["id"].as_str().unwrap().to_owned();
    for (query, code, word) in [
        ("/intervals".to_owned(), "parameter_missing", "account_id"),
        (format!("/intervals?account_id={id}&type=WATER"), "parameter_invalid", "type"),
        (format!("/intervals?account_id={id}&type=GAS"), "parameter_invalid", "GAS"),
        (format!("/intervals?account_id={id}&start_date=yesterday"), "parameter_invalid", "start_date"),
        (format!("/intervals?account_id={id}&start_date=200&end_date=100"), "parameter_invalid", "start_date"),
        ("/intervals?account_id=no-such-account".to_owned(), "parameter_invalid", "account_id"),
    ] {
        let (status, body) = json_of(get(&pelm, &token, &query).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(body["error_code"], code, "{query}");
        assert!(body["message"].as_str().unwrap().contains(word), "{query}: {body}");
    }
}

#[tokio::test]
async fn connect_tokens_accept_multipart_forms_as_in_pelms_curl_example() {
    let pelm = spawn_sandbox(Duration::ZERO).await;
    let form = reqwest::multipart::Form::new().text("user_id", "u1").text("utility_id", "1");
    let response =
        pelm.signed(pelm.http.post(format!("{}/auth/connect-token", pelm.url))).multipart(form).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let token = response.json::<Value>().await.unwrap()["connect_token"].as_str().unwrap().to_owned();
    let (_, session) = pelm.modal("session", json!({ "connect_token": token })).await;
    assert_eq!(session["preselected_utility_id"], "1");
}

#[tokio::test]
async fn revoked_tokens_and_changed_passwords() {
    let pelm = spawn_sandbox(Duration::ZERO).await;
    let token = connected(&pelm, "u1", "user@pelm.com", "1").await;
    let control = |path: &str| pelm.signed(pelm.http.post(format!("{}/_sandbox/{path}", pelm.url)));
    let response = control("users/u1/credentials").json(&json!({ "valid": false })).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let user: Value =
        pelm.signed(pelm.http.get(format!("{}/users/u1", pelm.url))).send().await.unwrap().json().await.unwrap();
    assert_eq!(user["credentials_valid"], false);
    assert_eq!(
        control("revoke").json(&json!({ "access_token": token })).send().await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(code_of(get(&pelm, &token, "/accounts").await).await, "token_invalid");
}

#[tokio::test]
async fn faults_latency_drops_and_malformed_bodies() {
    let slow =
        spawn_with(|config| config.faults = Faults { latency: Duration::from_millis(300), ..Faults::default() }).await;
    let started = Instant::now();
    slow.connect_token("u1").await;
    assert!(started.elapsed() >= Duration::from_millis(300));

    let dropping = spawn_with(|config| config.faults.drop_rate = 1.0).await;
    let response = dropping.signed(dropping.http.get(format!("{}/accounts", dropping.url))).send().await;
    let body = match response {
        Ok(response) => response.bytes().await.map(|_| ()),
        Err(err) => Err(err),
    };
    assert!(body.is_err(), "a dropped connection must not look like an answer");

    let garbled = spawn_with(|config| config.faults.malformed_rate = 1.0).await;
    let response = garbled
        .signed(garbled.http.post(format!("{}/auth/connect-token", garbled.url)))
        .form(&[("user_id", "u")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
    // Faults never touch Connect's script.
    let script = garbled.http.get(format!("{}/connect/pelm-connect.js", garbled.url)).send().await.unwrap();
    assert!(script.text().await.unwrap().contains("PelmConnect"));
}

#[tokio::test]
async fn the_slow_login_holds_its_data_back_for_two_minutes() {
    let pelm = spawn_sandbox(Duration::ZERO).await;
    let token = connected(&pelm, "u1", "slow@pelm.com", "1").await;
    assert_eq!(code_of(get(&pelm, &token, "/accounts").await).await, "data_unavailable");
    pelm.clock.advance(Duration::from_secs(119));
    assert_eq!(code_of(get(&pelm, &token, "/bills").await).await, "data_unavailable");
    pelm.clock.advance(Duration::from_secs(1));
    assert_eq!(pelm.accounts(&token).await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_gas_only_home_at_the_gas_utility_has_gas_data_and_no_electric_meter() {
    let pelm = spawn_sandbox(Duration::ZERO).await;
    let token = connected(&pelm, "u1", "gasonly@pelm.com", "4").await;
    let account = first_account(&pelm, &token).await;
    let types: Vec<&str> =
        account["available_meter_types"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert_eq!(types, ["GAS"], "{account}");
    let id = account["id"].as_str().unwrap();
    // No type named: the account's own meter, not an electric one it lacks.
    let data: Intervals = get(&pelm, &token, &format!("/intervals?account_id={id}")).await.json().await.unwrap();
    assert_eq!(data.utility, "Southern California Gas Company");
    assert_eq!(data.meter_type, Some(MeterType::Gas));
    assert!(data.intervals.len() > 24 * 50 && data.intervals.iter().all(|i| i.end - i.start == 3600));
    let (status, body) = json_of(get(&pelm, &token, &format!("/intervals?account_id={id}&type=ELECTRIC")).await).await;
    assert_eq!((status, body["error_code"].as_str()), (StatusCode::BAD_REQUEST, Some("parameter_invalid")), "{body}");
}

#[tokio::test]
async fn a_lagging_utilitys_newest_data_is_four_days_older_than_usual() {
    let pelm = spawn_sandbox(Duration::ZERO).await;
    let newest = |username: &'static str| {
        let pelm = &pelm;
        async move {
            let token = connected(pelm, username, username, "1").await;
            let id = first_account(pelm, &token).await["id"].as_str().unwrap().to_owned();
            let data: Intervals = get(pelm, &token, &format!("/intervals?account_id={id}")).await.json().await.unwrap();
            data.intervals.iter().map(|i| i.end).max().unwrap()
        }
    };
    let (usual, lagging) = (newest("user@pelm.com").await, newest("lagging@pelm.com").await);
    // Gaps may take the last hour or two off either; four days is the difference.
    let lag = usual - lagging;
    assert!((4 * DAY - 3 * 3600..=4 * DAY + 3 * 3600).contains(&lag), "lag {lag} s");
}
