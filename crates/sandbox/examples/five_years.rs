//! Measures how fast the sandbox answers five years of 15-minute intervals
//! (about 175,000) for one account, as medians over repeated runs.
//!
//!     cargo run --profile server -p pelm-sandbox --example five_years
//!
//! (`server` is the optimised host profile; `release` is tuned for wasm size.)
//!
//! It prints generation alone (in process), and the whole HTTP call with the
//! JSON decoded by the client, so the cost of each part is visible.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use pelm_model::pelm::{Intervals, MeterType};
use pelm_sandbox::civil::PACIFIC;
use pelm_sandbox::data::{seed_of, MeterSpec};
use pelm_sandbox::{Config, Sandbox};
use serde_json::Value;

const RUNS: usize = 7;
use pelm_model::civil::DAY;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

// The example is one walk-through, read top to bottom; that is why it runs
// past eighty lines.
#[tokio::main]
async fn main() {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    let (start, end) = (now - 5 * 365 * DAY - 2 * DAY, now);

    let spec = MeterSpec {
        seed: seed_of("bench"),
        meter_type: MeterType::Electric,
        step: 900,
        zone: PACIFIC,
        solar: false,
        emissions: true,
        gaps: true,
    };
    let mut count = 0;
    let generation = median(
        (0..RUNS)
            .map(|_| {
                let started = Instant::now();
                count = spec.intervals(start, end).len();
                started.elapsed()
            })
            .collect(),
    );

    let config = Config::random();
    let spawned = pelm_sandbox::spawn(Sandbox::new(config.clone())).await.unwrap();
    let http = reqwest::Client::new();
    let signed = |request: reqwest::RequestBuilder| {
        request.header("Pelm-Client-Id", &config.client_id).header("Pelm-Secret", &config.secret)
    };
    let token: Value = signed(http.post(format!("{}/auth/connect-token", spawned.url())))
        .form(&[("user_id", "bench")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let connect_token = token["connect_token"].as_str().unwrap();
    let code =
        pelm_sandbox::test_support::sign_in(&http, &spawned.url(), connect_token, "1", "user@pelm.com").await.unwrap();
    let access: Value = signed(http.post(format!("{}/auth/token", spawned.url())))
        .form(&[("code", code.as_str()), ("grant_type", "code")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = access["access_token"].as_str().unwrap().to_owned();
    let accounts: Value = signed(http.get(format!("{}/accounts", spawned.url())))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let url = format!(
        "{}/intervals?account_id={}&start_date={start}&end_date={end}",
        spawned.url(),
        accounts[0]["id"].as_str().unwrap()
    );
    let (mut whole, mut bytes, mut served) = (Vec::new(), 0, 0);
    for _ in 0..RUNS {
        let started = Instant::now();
        let body = signed(http.get(&url)).bearer_auth(&access).send().await.unwrap().bytes().await.unwrap();
        let decoded: Intervals = serde_json::from_slice(&body).unwrap();
        whole.push(started.elapsed());
        bytes = body.len();
        served = decoded.intervals.len();
    }
    let whole = median(whole);
    println!("five years of 15-minute intervals, medians of {RUNS} runs");
    println!("  generation in process   {count:>7} intervals  {:>8.1} ms", generation.as_secs_f64() * 1e3);
    println!(
        "  HTTP call, JSON decoded {served:>7} intervals  {:>8.1} ms  ({:.1} MB body, {:.1}x generation)",
        whole.as_secs_f64() * 1e3,
        bytes as f64 / 1e6,
        whole.as_secs_f64() / generation.as_secs_f64()
    );
}
