//! The companion against clients that are not the app: scripts with no
//! cookie or a forged one, forged `Origin` and `Host`, trickling sockets,
//! huge or odd parameters. Each test names the defence it holds.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use crate::helpers::{browser, error_body, header, hex_key, spawn_app, start_companion, upstream_of, TestApp};
use pelm_companion::config::Secret;
use pelm_companion::crypto::TokenCipher;
use pelm_companion::store::Store;
use pelm_companion::Config;
use pelm_model::companion::Connection;
use pelm_model::pelm::Account;
use pelm_sandbox::Fault;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A companion beside `app`'s, on its own database, configured by `configure`.
async fn companion_with(app: &TestApp, configure: impl FnOnce(&mut Config)) -> (String, Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let key = hex_key();
    let database = dir.path().join("c.db");
    let url = start_companion(&database, upstream_of(&app.sandbox), &key, configure).await;
    let store =
        Store::open(&format!("sqlite://{}", database.display()), TokenCipher::from_text(&key).unwrap()).await.unwrap();
    (url, store, dir)
}

/// A client whose requests leave from `address` (any of 127.0.0.0/8 is this machine).
fn client_from(address: &str) -> reqwest::Client {
    reqwest::Client::builder().local_address(address.parse::<IpAddr>().unwrap()).build().unwrap()
}

fn addr_of(url: &str) -> SocketAddr {
    url.trim_start_matches("http://").parse().unwrap()
}

/// Sends `request` as raw bytes, exactly as written (no client tidies the
/// path), and reads the answer's status line and body.
async fn raw(url: &str, request: String) -> (u16, String) {
    let mut stream = TcpStream::connect(addr_of(url)).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, body)| body.to_owned()).unwrap_or_default();
    (status, body)
}

/// The session cookie a response set, as a `Cookie` header value.
fn cookie_from(response: &reqwest::Response) -> Option<String> {
    let set = response.headers().get("set-cookie")?.to_str().ok()?;
    Some(set.split(';').next()?.to_owned())
}

/// A POST as the app's page sends it, with a session cookie of the caller's choosing.
async fn post_with(url: &str, path: &str, cookie: Option<&str>, body: Option<Value>) -> reqwest::Response {
    let mut request = reqwest::Client::new().post(format!("{url}/api/{path}")).header("Origin", url);
    if let Some(cookie) = cookie {
        request = request.header("Cookie", cookie);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

async fn get_with(url: &str, path: &str, cookie: &str) -> reqwest::Response {
    reqwest::Client::new().get(format!("{url}/api/{path}")).header("Cookie", cookie).send().await.unwrap()
}

/// Connects through the whole flow with explicit cookies; answers the final cookie.
async fn connect_as(app: &TestApp, url: &str, cookie: Option<&str>, login: &str) -> String {
    link_as(app, url, cookie, None, login).await
}

/// As [`connect_as`], for `connection` (update mode) or a new connection.
async fn link_as(app: &TestApp, url: &str, cookie: Option<&str>, connection: Option<&str>, login: &str) -> String {
    let body = connection.map(|id| json!({ "connection_id": id }));
    let asked = post_with(url, "connect-token", cookie, body).await;
    assert_eq!(asked.status(), StatusCode::OK);
    let cookie = cookie_from(&asked).or(cookie.map(str::to_owned)).expect("a session");
    let grant: Value = asked.json().await.unwrap();
    let code = app.sign_in(grant["connect_token"].as_str().unwrap(), login).await;
    let authorized = post_with(url, "authorization", Some(&cookie), Some(json!({ "authorization_code": code }))).await;
    assert_eq!(authorized.status(), StatusCode::OK);
    cookie_from(&authorized).unwrap_or(cookie)
}

// ------------------------------------------------------------ 1. anonymous spending

#[tokio::test]
async fn a_cookieless_flood_stores_nothing_and_is_held_to_the_address_limit() {
    let app = spawn_app().await;
    let (url, store, _dir) = companion_with(&app, |c| c.address_rate_limit_per_minute = 20).await;
    let before = app.sandbox.sandbox.rest_calls();
    let made_up = format!("pelm_session={}", hex::encode(rand::random::<[u8; 32]>()));
    let mut statuses = Vec::new();
    for i in 0..60 {
        // No cookie, or one the companion never issued: a stranger each time.
        let cookie = (i % 2 == 1).then_some(made_up.as_str());
        statuses.push(post_with(&url, "connect-token", cookie, None).await.status());
    }
    let served = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let limited = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!((served, limited), (20, 40), "{statuses:?}");
    assert_eq!(app.sandbox.sandbox.rest_calls() - before, 20, "Pelm calls made for the flood");
    assert_eq!(store.count("users").await.unwrap(), 0, "users stored for strangers");
    assert_eq!(store.count("sessions").await.unwrap(), 0, "sessions stored for strangers");
    let refused = post_with(&url, "connect-token", None, None).await;
    assert!(header(&refused, "retry-after").parse::<u64>().unwrap() >= 1);

    // Junk codes: each would cost an exchange with Pelm.
    let junk = post_with(&url, "authorization", None, Some(json!({"authorization_code": "junk"}))).await;
    assert_eq!(junk.status(), StatusCode::TOO_MANY_REQUESTS, "the address's allowance is spent");
    // Another address has its own allowance.
    let other = client_from("127.0.0.2");
    let answer = other.post(format!("{url}/api/connect-token")).header("Origin", &url).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_ceiling_on_pelm_calls_leaves_half_to_connected_users() {
    let app = spawn_app().await;
    let (url, _store, _dir) = companion_with(&app, |c| c.pelm_calls_per_minute = 12).await;
    // Connecting costs two newcomer calls (token, exchange) and one user lookup.
    let cookie = connect_as(&app, &url, None, "user@pelm.com").await;
    let before = app.sandbox.sandbox.rest_calls();
    let mut statuses = Vec::new();
    for _ in 0..10 {
        statuses.push(post_with(&url, "connect-token", None, None).await);
    }
    let served = statuses.iter().filter(|r| r.status() == StatusCode::OK).count();
    assert_eq!(served, 4, "newcomers may use 6 of 12 calls, and had used 2");
    let refused = statuses.pop().unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(header(&refused, "retry-after").parse::<u64>().unwrap() >= 1);
    assert_eq!(error_body(refused).await["error_code"], "rate_limited");
    assert_eq!(app.sandbox.sandbox.rest_calls() - before, 4);
    // The connected user still reaches Pelm.
    assert_eq!(get_with(&url, "accounts", &cookie).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
    let app = spawn_app().await;
    let ask = |url: String, forwarded: &'static str| async move {
        let client = reqwest::Client::new();
        let request = client.post(format!("{url}/api/connect-token")).header("Origin", &url);
        request.header("X-Forwarded-For", forwarded).send().await.unwrap().status()
    };
    // Not trusted: claiming other addresses does not buy another allowance.
    let (direct, _, _d1) = companion_with(&app, |c| c.address_rate_limit_per_minute = 2).await;
    let statuses =
        [ask(direct.clone(), "1.1.1.1").await, ask(direct.clone(), "2.2.2.2").await, ask(direct, "3.3.3.3").await];
    assert_eq!(statuses[2], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
    // Behind a trusted proxy: each client address has its own.
    let (proxied, _, _d2) = companion_with(&app, |c| {
        c.address_rate_limit_per_minute = 2;
        c.trusted_proxies = vec!["127.0.0.1".to_owned()];
    })
    .await;
    for forwarded in ["1.1.1.1", "2.2.2.2", "3.3.3.3", "6.6.6.6, 4.4.4.4"] {
        assert_eq!(ask(proxied.clone(), forwarded).await, StatusCode::OK, "{forwarded}");
    }
    ask(proxied.clone(), "5.5.5.5").await;
    ask(proxied.clone(), "5.5.5.5").await;
    assert_eq!(ask(proxied, "5.5.5.5").await, StatusCode::TOO_MANY_REQUESTS);
}

// ------------------------------------------------------------ 2. session fixation

#[tokio::test]
async fn a_session_id_the_companion_never_issued_is_replaced() {
    let app = spawn_app().await;
    let planted = format!("pelm_session={}", hex::encode(rand::random::<[u8; 32]>()));
    let answer = post_with(&app.url, "connect-token", Some(&planted), None).await;
    assert_eq!(answer.status(), StatusCode::OK);
    let issued = cookie_from(&answer).expect("a new session for an unknown id");
    assert_ne!(issued, planted);
    let forged = format!("pelm_session=a1.{}.{}.{}", 1_800_000_000, "0".repeat(32), "0".repeat(32));
    let answer = post_with(&app.url, "connect-token", Some(&forged), None).await;
    assert!(cookie_from(&answer).is_some_and(|c| c != forged), "a forged signature is not a session");
}

#[tokio::test]
async fn a_planted_session_reads_nothing_after_the_victim_connects() {
    let app = spawn_app().await;
    // The attacker gets a real session, then plants it in the victim's browser.
    let planted = cookie_from(&post_with(&app.url, "connect-token", None, None).await).unwrap();
    let victims = connect_as(&app, &app.url, Some(&planted), "user@pelm.com").await;
    assert_ne!(victims, planted, "connecting must issue a new session id");
    assert_eq!(get_with(&app.url, "accounts", &victims).await.status(), StatusCode::OK);
    let attacker = get_with(&app.url, "accounts", &planted).await;
    assert_eq!(attacker.status(), StatusCode::UNAUTHORIZED, "the planted session reads the victim's accounts");
    let connection: Connection = get_with(&app.url, "connection", &planted).await.json().await.unwrap();
    assert!(!connection.connected);
    // Nor can it start a sign-in as the victim's Pelm user, and the answer
    // sets no cookie, which in the victim's own browser would overwrite theirs.
    let again = post_with(&app.url, "connect-token", Some(&planted), None).await;
    assert_eq!(again.status(), StatusCode::FORBIDDEN);
    assert!(cookie_from(&again).is_none(), "a cookie came with the refusal");
}

#[tokio::test]
async fn disconnecting_issues_a_new_session_and_ends_the_old() {
    let app = spawn_app().await;
    let cookie = connect_as(&app, &app.url, None, "user@pelm.com").await;
    let gone = reqwest::Client::new()
        .delete(format!("{}/api/connection", app.url))
        .header("Origin", &app.url)
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::OK);
    let next = cookie_from(&gone).expect("a new session on disconnect");
    assert_ne!(next, cookie);
    // The old id is no session any more: acting with it starts a new one.
    assert!(cookie_from(&post_with(&app.url, "connect-token", Some(&cookie), None).await).is_some());
    assert!(cookie_from(&post_with(&app.url, "connect-token", Some(&next), None).await).is_none());
}

#[tokio::test]
async fn sessions_expire_when_idle_and_the_sweep_removes_what_they_leave() {
    let app = spawn_app().await;
    let (url, store, _dir) = companion_with(&app, |c| c.session_idle_secs = 2).await;
    let cookie = connect_as(&app, &url, None, "user@pelm.com").await;
    assert_eq!(get_with(&url, "accounts", &cookie).await.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert_eq!(get_with(&url, "accounts", &cookie).await.status(), StatusCode::UNAUTHORIZED);
    // The background sweep runs every half second at this idle time.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for table in ["sessions", "users", "connections"] {
        assert_eq!(store.count(table).await.unwrap(), 0, "{table} left after the sweep");
    }
}

#[tokio::test]
async fn a_secure_cookie_is_read_only_under_its_host_prefix() {
    let app = spawn_app().await;
    let (url, _store, _dir) = companion_with(&app, |c| c.secure_cookies = true).await;
    let cookie = connect_as(&app, &url, None, "user@pelm.com").await;
    assert!(cookie.starts_with("__Host-pelm_session="), "{cookie}");
    assert_eq!(get_with(&url, "accounts", &cookie).await.status(), StatusCode::OK);
    // The same id under the plain name, as a sibling domain could plant it, is nothing.
    let plain = cookie.replace("__Host-pelm_session=", "pelm_session=");
    assert_eq!(get_with(&url, "accounts", &plain).await.status(), StatusCode::UNAUTHORIZED);
}

// ------------------------------------------------------------ 3. identity header

#[tokio::test]
async fn identity_header_mode_needs_a_guard_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::for_tests(format!("sqlite://{}", dir.path().join("c.db").display()));
    config.identity_header = Some("X-Site-User".to_owned());
    let err = crate::helpers::run(config).await.err().expect("started without a guard");
    assert!(err.to_string().contains("PELM_IDENTITY_HEADER_SECRET"), "{err}");
}

#[tokio::test]
async fn only_the_proxy_may_name_the_user_and_only_once() {
    let app = spawn_app().await;
    let (url, _, _d) = companion_with(&app, |c| {
        c.identity_header = Some("X-Site-User".to_owned());
        c.identity_header_secret = Some(Secret::new("proxy-secret"));
    })
    .await;
    let ask = |secret: Option<&'static str>, users: &'static [&'static str]| {
        let mut request = reqwest::Client::new().get(format!("{url}/api/connection"));
        if let Some(secret) = secret {
            request = request.header("Pelm-Proxy-Secret", secret);
        }
        for user in users {
            request = request.header("X-Site-User", *user);
        }
        request.send()
    };
    assert_eq!(ask(Some("proxy-secret"), &["alice"]).await.unwrap().status(), StatusCode::OK);
    // A client that reaches the port directly.
    assert_eq!(ask(None, &["alice"]).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(ask(Some("guess"), &["alice"]).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    // A proxy that appends: the client's own copy rides along.
    let twice = ask(Some("proxy-secret"), &["mallory", "alice"]).await.unwrap();
    assert_eq!(twice.status(), StatusCode::BAD_REQUEST);
    assert_eq!(ask(Some("proxy-secret"), &["mallory, alice"]).await.unwrap().status(), StatusCode::UNAUTHORIZED);

    // Guarded by address instead: only the trusted proxy's requests are taken.
    let (by_address, _, _d2) = companion_with(&app, |c| {
        c.identity_header = Some("X-Site-User".to_owned());
        c.trusted_proxies = vec!["127.0.0.1".to_owned()];
    })
    .await;
    let from = |client: reqwest::Client| {
        let url = by_address.clone();
        async move { client.get(format!("{url}/api/connection")).header("X-Site-User", "alice").send().await.unwrap() }
    };
    assert_eq!(from(client_from("127.0.0.1")).await.status(), StatusCode::OK);
    assert_eq!(from(client_from("127.0.0.3")).await.status(), StatusCode::UNAUTHORIZED);
}

// ------------------------------------------------------------ 4. slow clients

/// Whether the server closed `stream` within `within`.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buffer = [0u8; 1024];
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buffer)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            // A 408 or similar before closing is fine.
            Ok(Ok(_)) => continue,
        }
    }
}

#[tokio::test]
async fn a_client_that_trickles_its_headers_or_sits_idle_is_cut_off() {
    let app = spawn_app().await;
    let (url, _, _d) = companion_with(&app, |c| c.header_read_timeout_secs = 1).await;
    let mut trickling = TcpStream::connect(addr_of(&url)).await.unwrap();
    let started = Instant::now();
    let mut cut = false;
    for byte in b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".iter() {
        if trickling.write_all(&[*byte]).await.is_err() {
            cut = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    cut = cut || closed_within(&mut trickling, Duration::from_secs(2)).await;
    assert!(cut, "a trickling client kept its socket for {:?}", started.elapsed());
    let mut idle = TcpStream::connect(addr_of(&url)).await.unwrap();
    assert!(closed_within(&mut idle, Duration::from_secs(4)).await, "an idle connection was kept open");
}

#[tokio::test]
async fn a_body_that_trickles_is_answered_408() {
    let app = spawn_app().await;
    let (url, _, _d) = companion_with(&app, |c| c.body_timeout_secs = 1).await;
    let mut stream = TcpStream::connect(addr_of(&url)).await.unwrap();
    let head = format!(
        "POST /api/authorization HTTP/1.1\r\nHost: {}\r\nOrigin: {url}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{{\"authorization_code\":",
        addr_of(&url)
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 4096];
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut answer)).await;
    let n = read.expect("no answer to a body that never finished").unwrap();
    let text = String::from_utf8_lossy(&answer[..n]);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("\"error_code\""), "{text}");
}

#[tokio::test]
async fn connections_over_the_cap_wait_their_turn() {
    let app = spawn_app().await;
    let (url, _, _d) = companion_with(&app, |c| c.max_connections = 2).await;
    let held = [TcpStream::connect(addr_of(&url)).await.unwrap(), TcpStream::connect(addr_of(&url)).await.unwrap()];
    let quick = reqwest::Client::builder().timeout(Duration::from_millis(500)).build().unwrap();
    assert!(quick.get(format!("{url}/healthz")).send().await.is_err(), "a third connection was served at once");
    drop(held);
    let answer = reqwest::Client::new().get(format!("{url}/healthz")).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
}

// ------------------------------------------------------------ 5. memory amplification

#[tokio::test]
async fn a_start_date_alone_is_held_to_the_range_cap() {
    let app = spawn_app().await;
    app.connect().await;
    let accounts: Vec<Account> = app.get("accounts").await.json().await.unwrap();
    let id = &accounts[0].id;
    for query in [format!("account_id={id}&start_date=0"), format!("account_id={id}&end_date=999999999999")] {
        let answer = app.get(&format!("intervals?{query}")).await;
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "{query}");
        assert!(error_body(answer).await["field"].is_string());
    }
    assert_eq!(app.get(&format!("intervals?account_id={id}")).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_answer_over_the_size_cap_is_refused_with_a_clear_error() {
    let app = spawn_app().await;
    let (url, _, _d) = companion_with(&app, |c| c.upstream_max_bytes = 20_000).await;
    let cookie = connect_as(&app, &url, None, "user@pelm.com").await;
    let accounts: Vec<Account> = get_with(&url, "accounts", &cookie).await.json().await.unwrap();
    let answer = get_with(&url, &format!("intervals?account_id={}", accounts[0].id), &cookie).await;
    assert_eq!(answer.status(), StatusCode::BAD_GATEWAY);
    let body = error_body(answer).await;
    assert_eq!(body["error_code"], "response_too_large");
    assert!(body["message"].as_str().unwrap().contains("shorter range"), "{body}");
}

#[tokio::test]
async fn one_users_data_requests_wait_for_each_other() {
    let app = spawn_app().await;
    let (url, _, _d) = companion_with(&app, |c| {
        c.user_concurrency = 1;
        c.cache_ttl = 0;
    })
    .await;
    let cookie = connect_as(&app, &url, None, "user@pelm.com").await;
    let accounts: Vec<Account> = get_with(&url, "accounts", &cookie).await.json().await.unwrap();
    let stall = Fault::Stall(Duration::from_millis(300));
    app.sandbox.sandbox.fail_next(&[stall, stall, stall, stall]);
    let started = Instant::now();
    let path = format!("intervals?account_id={}", accounts[0].id);
    let asks = (0..4).map(|_| get_with(&url, &path, &cookie));
    for answer in futures_util::future::join_all(asks).await {
        assert_eq!(answer.status(), StatusCode::OK);
    }
    assert!(started.elapsed() >= Duration::from_millis(1150), "ran together: {:?}", started.elapsed());
}

// ------------------------------------------------------------ 6. dot-segment ids

#[tokio::test]
async fn dot_segment_bill_ids_are_refused_naming_the_field() {
    let app = spawn_app().await;
    let cookie = connect_as(&app, &app.url, None, "user@pelm.com").await;
    let host = addr_of(&app.url);
    for path in ["/api/bills/../pdf", "/api/bills/%2e%2e/pdf", "/api/bills/./pdf", "/api/bills/%2E/pdf"] {
        let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n");
        let (status, body) = raw(&app.url, request).await;
        assert_eq!(status, 400, "{path}: {body}");
        let body: Value = serde_json::from_str(&body).unwrap_or_else(|_| panic!("{path}: {body}"));
        assert_eq!(body["field"], "bill_id", "{path}");
    }
}

// ------------------------------------------------------------ 7, 8. stale cache, replayed code

#[tokio::test]
async fn a_new_connection_empties_the_users_cache() {
    let app = spawn_app().await;
    let cookie = connect_as(&app, &app.url, None, "user@pelm.com").await;
    let bills_of = |cookie: String| {
        let url = app.url.clone();
        async move {
            let bills: Value = get_with(&url, "bills", &cookie).await.json().await.unwrap();
            bills.as_array().unwrap().iter().map(|b| b["account_id"].to_string()).collect::<Vec<_>>()
        }
    };
    let before = bills_of(cookie.clone()).await;
    // Update mode, another login, no disconnect in between.
    let listed: Value = get_with(&app.url, "connections", &cookie).await.json().await.unwrap();
    let id = listed[0]["id"].as_str().unwrap().to_owned();
    let cookie = link_as(&app, &app.url, Some(&cookie), Some(&id), "gas@pelm.com").await;
    let listed: Value = get_with(&app.url, "connections", &cookie).await.json().await.unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1, "update mode added a connection: {listed}");
    let accounts: Vec<Account> = get_with(&app.url, "accounts", &cookie).await.json().await.unwrap();
    let after = bills_of(cookie).await;
    assert_ne!(before, after, "the previous login's bills were served from the cache");
    let ids: Vec<String> = accounts.iter().map(|a| format!("\"{}\"", a.id)).collect();
    assert!(after.iter().all(|id| ids.contains(id)), "{after:?} not among {ids:?}");
}

#[tokio::test]
async fn a_code_replayed_after_disconnect_is_not_a_connection() {
    let app = spawn_app().await;
    let code = app.code_for("user@pelm.com").await;
    assert_eq!(app.authorize(&code).await.status(), StatusCode::OK);
    let gone = app.client.delete(app.api("connection")).header("Origin", &app.url).send().await.unwrap();
    assert_eq!(gone.status(), StatusCode::OK);
    let replayed: Connection = app.authorize(&code).await.json().await.unwrap();
    assert!(!replayed.connected, "the answer claims a connection that is not stored");
    assert!(!app.get("connection").await.json::<Connection>().await.unwrap().connected);
}

// ------------------------------------------------------------ 9. Host

#[tokio::test]
async fn a_rebinding_page_is_turned_away_by_host() {
    let (demo, dir) = crate::helpers::spawn_sandbox_mode().await;
    let url = demo.url();
    let client = reqwest::Client::new();
    let evil = "attacker.example:8080";
    let read = client.get(format!("{url}/api/connection")).header("Host", evil).send().await.unwrap();
    assert_eq!(read.status(), StatusCode::MISDIRECTED_REQUEST);
    assert_eq!(error_body(read).await["error_code"], "misdirected_request");
    // Same-origin to the browser, since the page's own name now points here.
    let forged = client
        .post(format!("{url}/_sandbox/app-faults"))
        .header("Host", evil)
        .header("Origin", format!("http://{evil}"))
        .header("Sec-Fetch-Site", "same-origin")
        .json(&json!({"path": "/connection", "status": 200, "headers": [["content-type", "text/html"]], "body": "<script>"}))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::MISDIRECTED_REQUEST);
    let token = client
        .post(format!("{url}/api/connect-token"))
        .header("Host", evil)
        .header("Origin", format!("http://{evil}"))
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), StatusCode::MISDIRECTED_REQUEST);
    assert_eq!(client.get(format!("{url}/healthz")).header("Host", evil).send().await.unwrap().status(), 200);
    assert_eq!(client.get(format!("{url}/api/connection")).send().await.unwrap().status(), StatusCode::OK);
    // Outside sandbox mode the hosts must be named.
    let mut config = Config::for_tests(format!("sqlite://{}", dir.path().join("d.db").display()));
    config.sandbox = false;
    config.pelm_client_id = Some("id".to_owned());
    config.pelm_secret = Some(Secret::new("secret"));
    let err = crate::helpers::run(config).await.err().expect("started with no allowed hosts");
    assert!(err.to_string().contains("PELM_ALLOWED_HOSTS"), "{err}");
}

// ------------------------------------------------------------ 10, 11. answers

#[tokio::test]
async fn per_user_answers_are_not_kept_by_caches() {
    let app = spawn_app().await;
    app.connect().await;
    let accounts: Vec<Account> = app.get("accounts").await.json().await.unwrap();
    let interval = format!("intervals?account_id={}", accounts[0].id);
    for path in ["accounts", "connection", "bills", interval.as_str(), "no-such-route"] {
        let answer = app.get(path).await;
        assert_eq!(header(&answer, "cache-control"), "private, no-store", "{path}");
    }
}

#[tokio::test]
async fn every_api_refusal_is_the_documented_json_error() {
    let app = spawn_app().await;
    let host = addr_of(&app.url);
    let (status, body) =
        raw(&app.url, format!("GET /api/bills/%ff/pdf HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")).await;
    let body: Value = serde_json::from_str(&body).unwrap_or_else(|_| panic!("{status}: {body}"));
    assert_eq!(status, 400);
    assert!(body["request_id"].is_string() && body["error_code"].is_string(), "{body}");

    let too_large = app.post("connect-token").header("content-type", "application/json").body("x".repeat(64 * 1024));
    let too_large = too_large.send().await.unwrap();
    assert_eq!(too_large.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(error_body(too_large).await["request_id"].is_string());

    let wrong_type = app.post("authorization").header("content-type", "text/plain").body("{}").send().await.unwrap();
    assert_eq!(wrong_type.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(error_body(wrong_type).await["request_id"].is_string());

    let wrong_method = app.client.put(app.api("connection")).header("Origin", &app.url).send().await.unwrap();
    assert_eq!(wrong_method.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(error_body(wrong_method).await["error_code"], "method_not_allowed");
}

// ------------------------------------------------------------ 12. sandbox memory

#[tokio::test]
async fn scripted_answers_are_bounded() {
    let (demo, _dir) = crate::helpers::spawn_sandbox_mode().await;
    let client = browser();
    let script = json!({"path": "/never", "status": 500});
    for _ in 0..pelm_companion::faults::MAX_SCRIPTED {
        client.post(format!("{}/_sandbox/app-faults", demo.url())).json(&script).send().await.unwrap();
    }
    let over = client.post(format!("{}/_sandbox/app-faults", demo.url())).json(&script).send().await.unwrap();
    assert_eq!(over.status(), StatusCode::TOO_MANY_REQUESTS);
    let logged = demo.state.app_faults().unwrap().calls_logged();
    assert!(logged <= pelm_companion::faults::MAX_CALLS_LOGGED);
}

// ------------------------------------------------------------ also

#[tokio::test]
async fn the_configuration_never_prints_its_secrets() {
    let mut config = Config::for_tests("sqlite::memory:".to_owned());
    config.pelm_secret = Some(Secret::new("the-pelm-secret"));
    config.identity_header_secret = Some(Secret::new("the-proxy-secret"));
    let key = config.token_key.as_ref().unwrap().expose().to_owned();
    let printed = format!("{config:?}");
    for secret in ["the-pelm-secret", "the-proxy-secret", key.as_str()] {
        assert!(!printed.contains(secret), "{secret} in {printed}");
    }
}

#[tokio::test]
async fn a_4xx_that_is_not_pelms_is_not_retried_and_a_5xx_is() {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;
    // A proxy in front of Pelm that answers with its own HTML pages.
    let calls = Arc::new(AtomicU32::new(0));
    let status = Arc::new(AtomicU32::new(403));
    let router = axum::Router::new().fallback({
        let (calls, status) = (calls.clone(), status.clone());
        move || async move {
            calls.fetch_add(1, Ordering::SeqCst);
            let code = axum::http::StatusCode::from_u16(status.load(Ordering::SeqCst) as u16).unwrap();
            (code, [("content-type", "text/html")], "<html>proxy error</html>")
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let app = spawn_app().await;
    let cookie = connect_as(&app, &app.url, None, "user@pelm.com").await;
    // The same database and key, so the user's token is there, but Pelm behind the proxy.
    let mut upstream = upstream_of(&app.sandbox);
    upstream.base_url = proxy;
    let url = start_companion(&app.database, upstream, &app.token_key, |c| c.cache_ttl = 0).await;
    let answer = get_with(&url, "accounts", &cookie).await;
    assert_eq!(answer.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(calls.load(Ordering::SeqCst), 1, "a 403 page was retried");
    status.store(503, Ordering::SeqCst);
    get_with(&url, "accounts", &cookie).await;
    assert_eq!(calls.load(Ordering::SeqCst), 1 + 4, "a 503 page is worth the policy's four tries");
}

#[tokio::test]
async fn a_clients_request_id_is_kept_only_when_short_and_plain() {
    let app = spawn_app().await;
    let echo = |id: String| {
        let client = app.client.clone();
        let url = app.api("nowhere");
        async move { header(&client.get(url).header("x-request-id", id).send().await.unwrap(), "x-request-id") }
    };
    assert_eq!(echo("req-123_a.b".to_owned()).await, "req-123_a.b");
    let long = "a".repeat(300);
    let replaced = echo(long.clone()).await;
    assert!(replaced != long && replaced.len() <= 64, "{replaced}");
    assert_ne!(echo("<script>alert(1)</script>".to_owned()).await, "<script>alert(1)</script>");
}

// ------------------------------------------------------------ upgrading

/// A database written before sessions were stored: its users' cookies are
/// sessions the companion issued, and must still work after the migration.
#[tokio::test]
async fn cookies_from_before_stored_sessions_still_work_after_the_migration() {
    let app = spawn_app().await;
    // A real token for a Pelm user, as the old companion would have stored it.
    let cookie = connect_as(&app, &app.url, None, "user@pelm.com").await;
    let (pelm_user, sealed): (String, String) = {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", app.database.display())).await.unwrap();
        sqlx::query_as("SELECT pelm_user_id, access_token FROM connections").fetch_one(&pool).await.unwrap()
    };
    drop(cookie);
    // The schema as migrations 0001 and 0002 left it, and a row as the old code wrote it.
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.db");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=rwc", old.display())).await.unwrap();
    for migration in [
        include_str!("../../migrations/sqlite/0001_connections.sql"),
        include_str!("../../migrations/sqlite/0002_exchange_claims.sql"),
    ] {
        sqlx::raw_sql(migration).execute(&pool).await.unwrap();
    }
    let old_cookie = hex::encode(rand::random::<[u8; 32]>());
    let identity = format!("session:{}", pelm_companion::store::sha256_hex(&old_cookie));
    // A day old: the old cookie's own Max-Age (400 days) is still running.
    let created = pelm_companion::store::now() - 86_400;
    sqlx::query("INSERT INTO users VALUES ($1, $2, $3)")
        .bind(&identity)
        .bind(&pelm_user)
        .bind(created)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO connections VALUES ($1, $2, 1700000000)")
        .bind(&pelm_user)
        .bind(&sealed)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO code_exchanges VALUES ('h', $1, 1700000000, 1)")
        .bind(&pelm_user)
        .execute(&pool)
        .await
        .unwrap();
    // sqlx's own bookkeeping, so the companion applies only what is new.
    let migrator = sqlx::migrate!("./migrations/sqlite");
    sqlx::query("CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL, checksum BLOB NOT NULL, execution_time BIGINT NOT NULL)")
        .execute(&pool)
        .await
        .unwrap();
    for migration in migrator.iter().filter(|m| m.version <= 2) {
        sqlx::query("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES ($1, $2, 1, $3, 0)")
            .bind(migration.version)
            .bind(&*migration.description)
            .bind(&*migration.checksum)
            .execute(&pool)
            .await
            .unwrap();
    }
    pool.close().await;
    let url = start_companion(&old, upstream_of(&app.sandbox), &app.token_key, |_| {}).await;
    let old_cookie = format!("pelm_session={old_cookie}");
    let connection: Connection = get_with(&url, "connection", &old_cookie).await.json().await.unwrap();
    assert!(connection.connected, "the old cookie lost its connection");
    assert_eq!(get_with(&url, "accounts", &old_cookie).await.status(), StatusCode::OK);
}
