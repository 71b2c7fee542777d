//! Answers travel compressed when the client accepts it, kept compressed in
//! the cache, and asked of Pelm compressed; PDFs and credentials never are.

use std::io::Read;

use crate::helpers::{header, spawn_app, TestApp};
use pelm_model::pelm::{Account, AccountBills};
use reqwest::StatusCode;

async fn account(app: &TestApp) -> Account {
    app.get("accounts").await.json::<Vec<Account>>().await.unwrap().remove(0)
}

/// `path` as it came, asked with `Accept-Encoding: accept` (none when empty):
/// its coding and its bytes decoded.
async fn fetched(app: &TestApp, path: &str, accept: &str) -> (Option<String>, Vec<u8>) {
    let mut request = app.undecoded().get(app.api(path));
    if !accept.is_empty() {
        request = request.header("accept-encoding", accept);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let coding = response.headers().get("content-encoding").map(|v| v.to_str().unwrap().to_owned());
    let bytes = response.bytes().await.unwrap();
    let mut plain = Vec::new();
    match coding.as_deref() {
        Some("br") => brotli::Decompressor::new(&bytes[..], 4096).read_to_end(&mut plain).map(drop).unwrap(),
        Some("gzip") => flate2::read::GzDecoder::new(&bytes[..]).read_to_end(&mut plain).map(drop).unwrap(),
        None => plain = bytes.to_vec(),
        Some(other) => panic!("{path}: unexpected coding {other}"),
    }
    (coding, plain)
}

#[tokio::test]
async fn data_answers_are_compressed_when_accepted_and_plain_when_not() {
    let app = spawn_app().await;
    app.connect().await;
    let account = account(&app).await;
    for path in
        [format!("intervals?account_id={}&type=ELECTRIC", account.id), format!("bills?account_id={}", account.id)]
    {
        let (none, plain) = fetched(&app, &path, "").await;
        assert_eq!(none, None, "{path}: nothing accepted, nothing applied");
        serde_json::from_slice::<serde_json::Value>(&plain).expect("plain JSON");
        let (br, from_br) = fetched(&app, &path, "gzip, deflate, br, zstd").await;
        assert_eq!(br.as_deref(), Some("br"), "{path}: as Chromium asks");
        assert_eq!(from_br, plain, "{path}: the same answer");
        let (gzip, from_gzip) = fetched(&app, &path, "gzip").await;
        assert_eq!(gzip.as_deref(), Some("gzip"), "{path}");
        assert_eq!(from_gzip, plain, "{path}");
        let (refused, _) = fetched(&app, &path, "br;q=0, gzip;q=0").await;
        assert_eq!(refused, None, "{path}: q=0 refuses a coding");
    }
    // Answers not kept in the cache go through the compression layer.
    let (accounts, _) = fetched(&app, "accounts", "br").await;
    let (connections, _) = fetched(&app, "connections", "br").await;
    assert_eq!((accounts, connections), (None, None), "short answers are sent as they are");
}

#[tokio::test]
async fn a_cached_answer_is_sent_as_it_was_kept_not_compressed_again() {
    let app = spawn_app().await;
    app.connect().await;
    // Dates given: without them each second is another question.
    let end = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() / 86_400 * 86_400;
    let path = format!(
        "intervals?account_id={}&type=ELECTRIC&start_date={}&end_date={end}",
        account(&app).await.id,
        end - 30 * 86_400
    );
    let before = app.state.compressed_answers();
    let (_, first) = fetched(&app, &path, "br").await;
    assert_eq!(app.state.compressed_answers(), before + 1, "compressed once to be kept");
    for _ in 0..3 {
        let (coding, again) = fetched(&app, &path, "br").await;
        assert_eq!((coding.as_deref(), &again), (Some("br"), &first));
    }
    assert_eq!(app.state.compressed_answers(), before + 1, "hits were sent as kept");
    // Another coding is made once from the kept answer, without asking Pelm.
    let calls = app.sandbox.sandbox.rest_calls();
    fetched(&app, &path, "gzip").await;
    fetched(&app, &path, "gzip").await;
    assert_eq!(app.state.compressed_answers(), before + 2);
    assert_eq!(app.sandbox.sandbox.rest_calls(), calls);
}

#[tokio::test]
async fn pelm_is_asked_for_compressed_answers() {
    let app = spawn_app().await;
    app.connect().await;
    let account = account(&app).await;
    let before = app.sandbox.sandbox.compressed_answers();
    let response = app.get(&format!("intervals?account_id={}&type=ELECTRIC", account.id)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(app.sandbox.sandbox.compressed_answers() > before, "the intervals came from Pelm compressed");
}

#[tokio::test]
async fn a_bill_pdf_streams_as_it_is_whatever_the_client_accepts() {
    let app = spawn_app().await;
    app.connect().await;
    let account = account(&app).await;
    let bills: Vec<AccountBills> = app.get(&format!("bills?account_id={}", account.id)).await.json().await.unwrap();
    let response = app
        .undecoded()
        .get(app.api(&format!("bills/{}/pdf", bills[0].bills[0].id)))
        .header("accept-encoding", "br, gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(header(&response, "content-type"), "application/pdf");
    assert!(response.headers().get("content-encoding").is_none(), "a PDF is compressed already");
    assert!(response.bytes().await.unwrap().starts_with(b"%PDF-"));
}
