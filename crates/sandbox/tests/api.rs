//! The sandbox over real HTTP on loopback, as the companion and Connect use it.

mod common;

use std::time::Duration;

use common::spawn_sandbox;
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn rest_calls_need_this_sandboxs_client_credentials() {
    let pelm = spawn_sandbox(Duration::ZERO).await;
    let wrong = pelm
        .http
        .post(format!("{}/auth/connect-token", pelm.url))
        .header("Pelm-Client-Id", &pelm.config.client_id)
        .header("Pelm-Secret", "not-the-secret")
        .form(&[("user_id", "u1")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let body: Value = wrong.json().await.unwrap();
    assert_eq!(body["error_code"], "credentials_invalid");
}

#[tokio::test]
async fn a_connect_token_needs_a_user_id_and_a_known_utility() {
    let pelm = spawn_sandbox(Duration::ZERO).await;
    let url = format!("{}/auth/connect-token", pelm.url);
    let missing = pelm.signed(pelm.http.post(&url)).form(&[("utility_id", "1")]).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
    assert_eq!(missing.json::<Value>().await.unwrap()["error_code"], "parameter_missing");
    let unknown =
        pelm.signed(pelm.http.post(&url)).form(&[("user_id", "u"), ("utility_id", "999")]).send().await.unwrap();
    assert_eq!(unknown.json::<Value>().await.unwrap()["error_code"], "parameter_invalid");
}

#[tokio::test]
async fn a_code_works_once_and_only_for_ten_minutes() {
    let pelm = spawn_sandbox(Duration::ZERO).await;
    let code = pelm.code_for("u1").await;
    assert_eq!(pelm.exchange(&code).await.0, StatusCode::OK);
    let (status, body) = pelm.exchange(&code).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error_code"], "token_invalid");
    assert!(body["message"].as_str().unwrap().contains("already used"));

    let late = pelm.code_for("u2").await;
    pelm.clock.advance(Duration::from_secs(10 * 60));
    let (status, body) = pelm.exchange(&late).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body["message"].as_str().unwrap().contains("expired"));
}

#[tokio::test]
async fn a_connect_token_expires_after_thirty_minutes() {
    let pelm = spawn_sandbox(Duration::ZERO).await;
    let token = pelm.connect_token("u1").await;
    let (status, body) = pelm.modal("session", json!({ "connect_token": token })).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["mode"], "create");
    pelm.clock.advance(Duration::from_secs(30 * 60));
    let (status, body) = pelm.modal("session", json!({ "connect_token": token })).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error_code"], "token_invalid");
    assert_eq!(pelm.modal("validate", json!({ "connect_token": token })).await.1["valid"], false);
}

#[tokio::test]
async fn a_known_user_opens_connect_in_update_mode() {
    let pelm = spawn_sandbox(Duration::ZERO).await;
    pelm.access_token("u1").await;
    let token = pelm.connect_token("u1").await;
    assert_eq!(pelm.modal("session", json!({ "connect_token": token })).await.1["mode"], "update");
}

#[tokio::test]
async fn mfa_asks_for_the_code_and_rejects_a_wrong_one() {
    let pelm = spawn_sandbox(Duration::ZERO).await;
    let token = pelm.connect_token("u1").await;
    let (status, body) = pelm.login(&token, "1", "mfa@pelm.com", "password").await;
    assert_eq!((status, body["error_code"].as_str()), (StatusCode::UNAUTHORIZED, Some("mfa_required")));
    let (status, body) = pelm.modal("mfa", json!({"connect_token": token, "code": "0000"})).await;
    assert_eq!((status, body["error_code"].as_str()), (StatusCode::UNAUTHORIZED, Some("mfa_failed")));
    let (status, body) = pelm.modal("mfa", json!({"connect_token": token, "code": "1234"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(pelm.exchange(body["authorization_code"].as_str().unwrap()).await.0, StatusCode::OK);
}

#[tokio::test]
async fn three_failed_logins_lock_the_connect_session() {
    let pelm = spawn_sandbox(Duration::ZERO).await;
    let token = pelm.connect_token("u1").await;
    for _ in 0..2 {
        let (status, body) = pelm.login(&token, "1", "user@pelm.com", "wrong").await;
        assert_eq!((status, body["error_code"].as_str()), (StatusCode::UNAUTHORIZED, Some("credentials_invalid")));
    }
    let (status, body) = pelm.login(&token, "1", "user@pelm.com", "wrong").await;
    assert_eq!((status, body["error_code"].as_str()), (StatusCode::FORBIDDEN, Some("connect_max_attempted_logins")));
    // Locked means locked, even with the right password.
    let (_, body) = pelm.login(&token, "1", "user@pelm.com", "password").await;
    assert_eq!(body["error_code"], "connect_max_attempted_logins");
}

#[tokio::test]
async fn an_unsupported_utility_is_utility_unavailable() {
    let pelm = spawn_sandbox(Duration::ZERO).await;
    let token = pelm.connect_token("u1").await;
    let (status, body) = pelm.login(&token, "8", "user@pelm.com", "password").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error_code"], "utility_unavailable");
    assert!(body["message"].as_str().unwrap().contains("Cherokee Electric Cooperative"));
}

#[tokio::test]
async fn accounts_need_a_bearer_token_of_this_sandbox() {
    let pelm = spawn_sandbox(Duration::ZERO).await;
    let (status, body) = pelm.accounts("made-up").await;
    assert_eq!((status, body["error_code"].as_str()), (StatusCode::UNAUTHORIZED, Some("token_invalid")));
    let token = pelm.access_token("u1").await;
    let (status, body) = pelm.accounts(&token).await;
    assert_eq!(status, StatusCode::OK);
    let accounts = body.as_array().unwrap();
    assert_eq!(accounts.len(), 2);
    assert_eq!(accounts[0]["account_number"], "5777345636");
    assert_eq!(accounts[0]["usage_unit"], "kwh");
    // Connecting again gives the same account ids.
    let again = pelm.access_token("u1").await;
    assert_eq!(pelm.accounts(&again).await.1[0]["id"], accounts[0]["id"]);
}

#[tokio::test]
async fn data_is_unavailable_for_the_configured_delay_after_connecting() {
    let pelm = spawn_sandbox(Duration::from_secs(120)).await;
    let token = pelm.access_token("u1").await;
    let (status, body) = pelm.accounts(&token).await;
    assert_eq!((status, body["error_code"].as_str()), (StatusCode::BAD_REQUEST, Some("data_unavailable")));
    pelm.clock.advance(Duration::from_secs(120));
    assert_eq!(pelm.accounts(&token).await.0, StatusCode::OK);
}

#[tokio::test]
async fn users_endpoint_names_the_utility() {
    let pelm = spawn_sandbox(Duration::ZERO).await;
    pelm.access_token("site-user-7").await;
    let response = pelm.signed(pelm.http.get(format!("{}/users/site-user-7", pelm.url))).send().await.unwrap();
    let user: Value = response.json().await.unwrap();
    assert_eq!(user["utility"]["full_name"], "Pacific Gas and Electric");
    assert_eq!(user["credentials_valid"], true);
}

#[tokio::test]
async fn both_script_generations_are_served_with_their_own_api() {
    let pelm = spawn_sandbox(Duration::ZERO).await;
    for (path, generation) in [("/connect/pelm-connect.js", "legacy"), ("/initialize.js", "current")] {
        let response = pelm.http.get(format!("{}{path}", pelm.url)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
        let script = response.text().await.unwrap();
        assert!(script.contains(&format!("var GENERATION = \"{generation}\"")), "{path}");
        assert!(!script.contains("__PELM_CONNECT_GENERATION__"));
    }
}
