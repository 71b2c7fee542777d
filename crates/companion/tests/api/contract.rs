//! The companion's contract, against a real sandbox over loopback HTTP.

use std::time::Duration;

use crate::helpers::{browser, error_body, header, hex_key, not_connected, spawn_app, start_companion, upstream_of};
use pelm_companion::crypto::TokenCipher;
use pelm_companion::store::Store;
use pelm_model::companion::Connection;
use pelm_model::pelm::Account;
use pelm_sandbox::Sandbox;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn connects_and_lists_the_users_accounts() {
    let app = spawn_app().await;
    let connection = app.connect().await;
    assert!(connection.connected);
    assert_eq!(connection.utility.as_deref(), Some("Pacific Gas and Electric"));
    assert_eq!(connection.credentials_valid, Some(true));

    let response = app.get("accounts").await;
    assert_eq!(response.status(), StatusCode::OK);
    let accounts: Vec<Account> = response.json().await.unwrap();
    let addresses: Vec<_> = accounts.iter().filter_map(|a| a.address.as_deref()).collect();
    assert_eq!(addresses, ["1 WARRIORS WAY SAN FRANCISCO CA 94158", "1 FERRY BUILDING SAN FRANCISCO CA 94105"]);
}

#[tokio::test]
async fn a_visitor_gets_a_locked_down_session_cookie_that_is_stored_only_once_connected() {
    let app = spawn_app().await;
    let looked = app.get("connection").await;
    assert_eq!(looked.status(), StatusCode::OK);
    let cookie = header(&looked, "set-cookie");
    assert_eq!(looked.json::<Connection>().await.unwrap(), not_connected());
    let asked = app.post("connect-token").send().await.unwrap();
    assert_eq!(asked.status(), StatusCode::OK);
    assert!(asked.headers().get("set-cookie").is_none(), "the session from looking is kept");
    assert!(cookie.starts_with("pelm_session="), "{cookie}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} missing from {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http must not get a Secure cookie: {cookie}");

    // Asking for a Connect token stores nothing; only connecting does.
    let cipher = TokenCipher::from_text(&app.token_key).unwrap();
    let store = Store::open(&format!("sqlite://{}", app.database.display()), cipher).await.unwrap();
    assert_eq!((store.count("users").await.unwrap(), store.count("sessions").await.unwrap()), (0, 0));
    app.connect().await;
    assert_eq!((store.count("users").await.unwrap(), store.count("sessions").await.unwrap()), (1, 1));
}

#[tokio::test]
async fn cookies_are_secure_and_host_prefixed_behind_an_https_proxy() {
    let sandbox = pelm_sandbox::spawn(Sandbox::new(pelm_sandbox::Config::random())).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let proxied = start_companion(&dir.path().join("a.db"), upstream_of(&sandbox), &hex_key(), |config| {
        config.trusted_proxies = vec!["127.0.0.1".to_owned()];
    })
    .await;
    let cookie_through = |base: String| async move {
        let response = browser()
            .post(format!("{base}/api/connect-token"))
            .header("Origin", &base)
            .header("X-Forwarded-Proto", "https")
            .send()
            .await
            .unwrap();
        header(&response, "set-cookie")
    };
    let cookie = cookie_through(proxied).await;
    assert!(cookie.starts_with("__Host-pelm_session=") && cookie.contains("; Secure"), "{cookie}");

    // Anyone else's word on the scheme is not taken.
    let direct = start_companion(&dir.path().join("b.db"), upstream_of(&sandbox), &hex_key(), |_| {}).await;
    let cookie = cookie_through(direct).await;
    assert!(cookie.starts_with("pelm_session=") && !cookie.contains("; Secure"), "{cookie}");
}

#[tokio::test]
async fn data_before_connecting_is_token_invalid_with_a_request_id() {
    let app = spawn_app().await;
    let response = app.get("accounts").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let header_id = header(&response, "x-request-id");
    let body = error_body(response).await;
    assert_eq!(body["error_code"], "token_invalid");
    assert_eq!(body["request_id"], header_id.as_str());
}

#[tokio::test]
async fn cross_site_state_changes_are_refused() {
    let app = spawn_app().await;
    for origin in [Some("http://evil.example"), None] {
        let mut request = app.client.post(app.api("connect-token"));
        if let Some(origin) = origin {
            request = request.header("Origin", origin);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "origin {origin:?}");
        assert_eq!(error_body(response).await["error_code"], "permission_denied");
    }
    // A same-origin fetch without Origin, as some browsers send it, passes.
    let response =
        app.client.post(app.api("connect-token")).header("Sec-Fetch-Site", "same-origin").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_same_code_posted_twice_is_exchanged_once_and_both_succeed() {
    let app = spawn_app().await;
    let code = app.code_for("user@pelm.com").await;
    let (first, second) = tokio::join!(app.authorize(&code), app.authorize(&code));
    // The sandbox accepts a code once, so a second upstream exchange would fail.
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(second.status(), StatusCode::OK);
    assert_eq!(app.get("accounts").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_expired_code_passes_pelms_error_through() {
    let app = spawn_app().await;
    let code = app.code_for("user@pelm.com").await;
    app.clock.advance(Duration::from_secs(11 * 60));
    let response = app.authorize(&code).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body = error_body(response).await;
    assert_eq!(body["error_code"], "token_invalid");
    assert!(body["message"].as_str().unwrap().contains("expired"), "{body}");
    assert_eq!(app.get("connection").await.json::<Connection>().await.unwrap(), not_connected());
}

#[tokio::test]
async fn bad_authorization_bodies_are_400s_that_name_the_field() {
    let app = spawn_app().await;
    let cases = [
        (json!({ "authorization_code": "" }), "authorization_code"),
        (json!({ "authorization_code": "has spaces\u{0}" }), "authorization_code"),
        (json!({ "code": "wrong-field" }), "body"),
    ];
    for (body, field) in cases {
        let response = app.post("authorization").json(&body).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        let error = error_body(response).await;
        assert_eq!(error["error_code"], "parameter_invalid");
        assert_eq!(error["field"], field, "{body}");
    }
    let response =
        app.post("authorization").header("content-type", "application/json").body("{not json").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let big = "x".repeat(64 * 1024);
    let response = app.post("authorization").json(&json!({ "authorization_code": big })).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn disconnect_forgets_the_token() {
    let app = spawn_app().await;
    app.connect().await;
    let response = app.client.delete(app.api("connection")).header("Origin", &app.url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(app.get("connection").await.json::<Connection>().await.unwrap(), not_connected());
    assert_eq!(app.get("accounts").await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn two_browsers_are_two_users() {
    let app = spawn_app().await;
    app.connect().await;
    let other = browser();
    let connection: Connection = other.get(app.api("connection")).send().await.unwrap().json().await.unwrap();
    assert!(!connection.connected);
    assert_eq!(other.get(app.api("accounts")).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_restart_on_the_same_database_keeps_the_user_connected() {
    let app = spawn_app().await;
    app.connect().await;
    let restarted = start_companion(&app.database, upstream_of(&app.sandbox), &app.token_key, |_| {}).await;
    // The browser's cookie is for 127.0.0.1 on any port, as cookies are.
    let connection: Connection =
        app.client.get(format!("{restarted}/api/connection")).send().await.unwrap().json().await.unwrap();
    assert!(connection.connected);
    let accounts = app.client.get(format!("{restarted}/api/accounts")).send().await.unwrap();
    assert_eq!(accounts.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_unreachable_pelm_is_a_502_with_a_plain_message() {
    let app = spawn_app().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let mut upstream = upstream_of(&app.sandbox);
    upstream.base_url = format!("http://{closed}");
    let dir = tempfile::tempdir().unwrap();
    let url =
        start_companion(&dir.path().join("c.db"), upstream, &hex_key(), |config| config.upstream_attempts = 1).await;
    let response = app.client.post(format!("{url}/api/connect-token")).header("Origin", &url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let body = error_body(response).await;
    assert_eq!(body["error_code"], "internal_error");
    assert!(!body["message"].as_str().unwrap().contains(&closed.to_string()), "internals leaked: {body}");
}

#[tokio::test]
async fn the_pelm_secret_never_reaches_the_browser() {
    let app = spawn_app().await;
    let secret = app.sandbox.sandbox.config().secret.clone();
    let client_id = app.sandbox.sandbox.config().client_id.clone();
    let mut seen = String::new();
    let grant = app.post("connect-token").send().await.unwrap();
    seen += &format!("{:?}", grant.headers());
    seen += &grant.text().await.unwrap();
    app.connect().await;
    for path in ["connection", "accounts", "nope"] {
        let response = app.get(path).await;
        seen += &format!("{:?}", response.headers());
        seen += &response.text().await.unwrap();
    }
    assert!(seen.contains("WARRIORS WAY"), "the flow did not run");
    assert!(!seen.contains(&secret));
    assert!(!seen.contains(&client_id));
}

#[tokio::test]
async fn unknown_api_routes_are_json_404s() {
    let app = spawn_app().await;
    let response = app.get("no-such-thing").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_body(response).await["error_code"], "not_found");
}

#[tokio::test]
async fn scripted_answers_exist_only_in_sandbox_mode_and_run_out() {
    let (demo, _dir) = crate::helpers::spawn_sandbox_mode().await;
    let (client, faults) = (browser(), format!("{}/_sandbox/app-faults", demo.url()));
    let script =
        json!({"path": "/accounts", "status": 418, "headers": [["retry-after", "7"]], "body": "teapot", "times": 2});
    let queued = client.post(&faults).json(&script).send().await.unwrap();
    assert_eq!(queued.status(), StatusCode::NO_CONTENT);
    for _ in 0..2 {
        let answer = client.get(format!("{}/api/accounts", demo.url())).send().await.unwrap();
        assert_eq!((answer.status().as_u16(), header(&answer, "retry-after")), (418, "7".to_owned()));
        assert!(!header(&answer, "x-request-id").is_empty(), "scripted answers carry a request id too");
        assert_eq!(answer.text().await.unwrap(), "teapot");
    }
    let after = client.get(format!("{}/api/accounts", demo.url())).send().await.unwrap();
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED, "used up, the real API answers");
    assert_eq!(demo.state.app_faults().unwrap().calls("/accounts").len(), 3);
    let typo = client.post(&faults).json(&json!({"path": "/x", "status": 500, "tmies": 3})).send().await.unwrap();
    assert_eq!(typo.status(), StatusCode::UNPROCESSABLE_ENTITY, "an unknown field is refused, not ignored");
    client.post(&faults).json(&json!({"path": "/accounts", "status": 500})).send().await.unwrap();
    assert_eq!(client.delete(&faults).send().await.unwrap().status(), StatusCode::NO_CONTENT);
    let cleared = client.get(format!("{}/api/accounts", demo.url())).send().await.unwrap();
    assert_eq!(cleared.status(), StatusCode::UNAUTHORIZED);

    // Against a real Pelm there is nothing to script.
    let app = spawn_app().await;
    let refused = app.client.post(format!("{}/_sandbox/app-faults", app.url)).json(&script).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    let answer = app.client.get(format!("{}/api/accounts", app.url)).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_page_may_choose_the_utility_connect_opens_at() {
    let app = spawn_app().await;
    let preselected = |grant: serde_json::Value| {
        let sandbox = app.sandbox.url();
        async move {
            let token = grant["connect_token"].as_str().unwrap().to_owned();
            let session: serde_json::Value = reqwest::Client::new()
                .post(format!("{sandbox}/connect/api/session"))
                .json(&json!({ "connect_token": token }))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            session["preselected_utility_id"].clone()
        }
    };
    let chosen = app.post("connect-token").json(&json!({"utility_id": "3"})).send().await.unwrap();
    assert_eq!(chosen.status(), StatusCode::OK);
    assert_eq!(preselected(chosen.json().await.unwrap()).await, json!("3"));
    let plain = app.post("connect-token").send().await.unwrap();
    assert_eq!(preselected(plain.json().await.unwrap()).await, serde_json::Value::Null, "no body, no choice");
    let bad = app.post("connect-token").json(&json!({"utility_id": "PG&E"})).send().await.unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_body(bad).await["field"], "utility_id");
    let unknown = app.post("connect-token").json(&json!({"utility": "3"})).send().await.unwrap();
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST, "an unknown field is refused");
}

#[tokio::test]
async fn a_look_from_the_apps_own_page_brings_a_connect_token_that_connects() {
    let app = spawn_app().await;
    let before = app.sandbox.sandbox.rest_calls();
    // As the browser sends the page's preload: same origin, no Origin header.
    let looked = app.client.get(app.api("connection")).header("Sec-Fetch-Site", "same-origin").send().await.unwrap();
    assert_eq!(looked.status(), StatusCode::OK);
    let connection: Connection = looked.json().await.unwrap();
    assert!(!connection.connected);
    let grant = connection.connect.expect("a Connect token in the answer");
    assert!(grant.expires_in > 0 && grant.connect_script_url == connection.connect_script_url.unwrap());
    assert_eq!(app.sandbox.sandbox.rest_calls() - before, 1, "one Pelm call, as asking for a token costs");
    // It is this browser's token: it connects this browser.
    let code = app.sign_in(&grant.connect_token, "user@pelm.com").await;
    assert_eq!(app.authorize(&code).await.status(), StatusCode::OK);
    let now: Connection = app.get("connection").await.json().await.unwrap();
    assert!(now.connected && now.connect.is_none(), "{now:?}");
}

#[tokio::test]
async fn a_look_from_another_site_brings_no_token_and_costs_no_pelm_call() {
    let app = spawn_app().await;
    let before = app.sandbox.sandbox.rest_calls();
    for (site, origin) in [("cross-site", Some("https://elsewhere.example")), ("cross-site", None), ("none", None)] {
        let mut request = app.client.get(app.api("connection")).header("Sec-Fetch-Site", site);
        if let Some(origin) = origin {
            request = request.header("Origin", origin);
        }
        let connection: Connection = request.send().await.unwrap().json().await.unwrap();
        assert_eq!(connection, not_connected(), "{site} {origin:?}");
    }
    assert_eq!(app.sandbox.sandbox.rest_calls(), before);
}

#[tokio::test]
async fn metrics_are_served_on_their_own_listener_and_never_on_the_public_port() {
    let sandbox = pelm_sandbox::spawn(Sandbox::new(pelm_sandbox::Config::random())).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("m.db").display());
    let running = crate::helpers::start_companion_running(database, upstream_of(&sandbox), &hex_key(), |config| {
        config.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
        config.address_rate_limit_per_minute = 1;
    })
    .await;
    let base = &running.url;
    let user = browser();
    let post = || user.post(format!("{base}/api/connect-token")).header("Origin", base).send();
    assert_eq!(post().await.unwrap().status(), StatusCode::OK);
    assert_eq!(post().await.unwrap().status(), StatusCode::TOO_MANY_REQUESTS);

    let text = reqwest::get(running.metrics.clone().expect("metrics on")).await.unwrap().text().await.unwrap();
    let line = |name: &str, labels: &[&str]| {
        text.lines().any(|l| l.starts_with(&format!("{name}{{")) && labels.iter().all(|label| l.contains(label)))
    };
    assert!(line("pelm_companion_requests_total", &[r#"route="/api/connect-token""#, r#"status="200""#]), "{text}");
    assert!(line("pelm_companion_request_seconds_count", &[r#"route="/api/connect-token""#]), "{text}");
    assert!(line("pelm_companion_pelm_calls_total", &[r#"endpoint="connect token""#, r#"outcome="200""#]), "{text}");
    assert!(line("pelm_companion_limit_refusals_total", &[r#"kind="address""#]), "{text}");
    assert!(text.lines().any(|l| l.starts_with("pelm_companion_sessions ")), "{text}");

    // The public port has no such route.
    let public = reqwest::get(format!("{base}/metrics")).await.unwrap();
    assert_eq!(public.status(), StatusCode::NOT_FOUND);
    // And metrics are off unless asked for.
    let off = start_companion(&dir.path().join("n.db"), upstream_of(&sandbox), &hex_key(), |_| {}).await;
    assert_eq!(reqwest::get(format!("{off}/metrics")).await.unwrap().status(), StatusCode::NOT_FOUND);
}
