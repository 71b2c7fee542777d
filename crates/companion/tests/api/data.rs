//! Data routes, caching, retries, encryption at rest, identity and rate
//! limits, against a real sandbox over loopback HTTP.

use crate::helpers::{error_body, header, hex_key, spawn_app, start_companion, upstream_of, TestApp};
use pelm_companion::crypto::TokenCipher;
use pelm_model::companion::Connection;
use pelm_model::pelm::{Account, AccountBills, Intervals};
use pelm_sandbox::Fault;
use reqwest::StatusCode;

async fn first_account(app: &TestApp) -> Account {
    app.get("accounts").await.json::<Vec<Account>>().await.unwrap().remove(0)
}

fn upstream_calls(app: &TestApp) -> u64 {
    app.sandbox.sandbox.rest_calls()
}

#[tokio::test]
async fn intervals_bills_and_pdfs_pass_through_for_the_connected_user() {
    let app = spawn_app().await;
    app.connect().await;
    let account = first_account(&app).await;

    let response = app.get(&format!("intervals?account_id={}&type=ELECTRIC", account.id)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let intervals: Intervals = response.json().await.unwrap();
    assert_eq!(intervals.account.id, account.id);
    assert!(intervals.intervals.len() > 5000, "two months of quarter hours");

    let bills: Vec<AccountBills> = app.get(&format!("bills?account_id={}", account.id)).await.json().await.unwrap();
    let bill = &bills[0].bills[0];
    let response = app.get(&format!("bills/{}/pdf", bill.id)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "content-type"), "application/pdf");
    assert!(response.bytes().await.unwrap().starts_with(b"%PDF-"));
}

#[tokio::test]
async fn bad_queries_are_400s_naming_the_field_without_calling_pelm() {
    let app = spawn_app().await;
    app.connect().await;
    let before = upstream_calls(&app);
    for (query, field) in [
        ("intervals", "account_id"),
        ("intervals?account_id=a&meter_id=m", "meter_id"),
        ("intervals?account_id=../../etc", "account_id"),
        ("intervals?account_id=a&type=WATER", "type"),
        ("intervals?account_id=a&start_date=tuesday", "start_date"),
        ("intervals?account_id=a&start_date=200&end_date=100", "start_date"),
        ("intervals?account_id=a&start_date=0&end_date=999999999", "start_date"),
        ("bills?account_id=%3Cscript%3E", "account_id"),
        ("bills/not%20a%20bill/pdf", "bill_id"),
    ] {
        let response = app.get(query).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        let body = error_body(response).await;
        assert_eq!(body["field"], field, "{query}: {body}");
    }
    assert_eq!(upstream_calls(&app), before, "a refused query reached Pelm");
}

#[tokio::test]
async fn another_users_account_is_pelms_permission_denied() {
    let alice = spawn_app().await;
    alice.connect().await;
    let account = first_account(&alice).await;
    // Bob uses the same companion and sandbox from another browser.
    let bob = alice.in_another_browser();
    bob.connect().await;
    let response = bob.get(&format!("intervals?account_id={}", account.id)).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_body(response).await["error_code"], "permission_denied");
}

#[tokio::test]
async fn data_answers_are_cached_per_user_and_forgotten_on_disconnect() {
    let app = spawn_app().await;
    app.connect().await;
    let account = first_account(&app).await;
    let query = format!("intervals?account_id={}&type=ELECTRIC&start_date=1700000000&end_date=1700500000", account.id);
    let first = app.get(&query).await.bytes().await.unwrap();
    let calls = upstream_calls(&app);
    // The same question, spelled differently, comes from the cache.
    let again =
        app.get(&format!("intervals?end_date=1700500000&start_date=1700000000&account_id={}", account.id)).await;
    assert_eq!(again.bytes().await.unwrap(), first);
    assert_eq!(upstream_calls(&app), calls, "the second call went to Pelm");

    let response = app.client.delete(app.api("connection")).header("Origin", &app.url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    app.connect().await;
    let calls = upstream_calls(&app);
    app.get(&query).await.bytes().await.unwrap();
    assert!(upstream_calls(&app) > calls, "served from a cache a disconnect should have emptied");
}

#[tokio::test]
async fn the_accounts_are_asked_of_pelm_every_time_so_a_revoked_token_shows_at_once() {
    let app = spawn_app().await;
    app.connect().await;
    assert_eq!(app.get("accounts").await.status(), StatusCode::OK);
    let calls = upstream_calls(&app);
    assert_eq!(app.get("accounts").await.status(), StatusCode::OK);
    assert!(upstream_calls(&app) > calls, "the accounts came from a cache");
    app.sandbox.sandbox.revoke_all_tokens();
    let response = app.get("accounts").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_body(response).await["error_code"], "token_invalid");
}

#[tokio::test]
async fn gets_recover_from_5xx_drops_and_garbled_bodies() {
    let app = spawn_app().await;
    app.connect().await;
    let sandbox = &app.sandbox.sandbox;
    let calls = upstream_calls(&app);
    sandbox.fail_next(&[Fault::InternalError, Fault::Drop, Fault::Malformed]);
    let response = app.get("accounts").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<Vec<Account>>().await.unwrap().len(), 2);
    assert_eq!(upstream_calls(&app), calls + 4, "three failures, then the answer");

    // Attempts are bounded: four failures in a row end in a clear 5xx.
    sandbox.fail_next(&[Fault::InternalError; 4]);
    let response = app.get("bills").await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(error_body(response).await["error_code"], "internal_error");
}

#[tokio::test]
async fn pelms_4xx_answers_pass_through_unretried() {
    let app = spawn_app().await;
    app.connect().await;
    let calls = upstream_calls(&app);
    let response = app.get("intervals?account_id=not-an-account").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_body(response).await["error_code"], "parameter_invalid");
    assert_eq!(upstream_calls(&app), calls + 1);
}

#[tokio::test]
async fn tokens_are_encrypted_at_rest_and_a_new_key_means_reconnecting() {
    let app = spawn_app().await;
    app.connect().await;
    let database = format!("sqlite://{}", app.database.display());
    let pool = sqlx::SqlitePool::connect(&database).await.unwrap();
    let journal: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&pool).await.unwrap();
    assert_eq!(journal, "wal");
    let (user, sealed): (String, String) =
        sqlx::query_as("SELECT pelm_user_id, access_token FROM connections").fetch_one(&pool).await.unwrap();
    assert!(sealed.starts_with("v1:"), "{sealed}");
    let token = TokenCipher::from_text(&app.token_key).unwrap().open(&user, &sealed).expect("opens with the key");
    // What was sealed is a working Pelm token.
    let config = app.sandbox.sandbox.config();
    let accounts = reqwest::Client::new()
        .get(format!("{}/accounts", app.sandbox.url()))
        .header("Pelm-Client-Id", &config.client_id)
        .header("Pelm-Secret", &config.secret)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(accounts.status(), StatusCode::OK);
    assert!(!sealed.contains(&token));

    let rekeyed = start_companion(&app.database, upstream_of(&app.sandbox), &hex_key(), |_| {}).await;
    let connection = app.client.get(format!("{rekeyed}/api/connection")).send().await.unwrap();
    assert_eq!(connection.status(), StatusCode::OK);
    assert_eq!(connection.json::<serde_json::Value>().await.unwrap()["connected"], false);
}

#[tokio::test]
async fn a_trusted_header_identifies_users_instead_of_a_cookie() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let url = start_companion(&dir.path().join("c.db"), upstream_of(&app.sandbox), &hex_key(), |config| {
        config.identity_header = Some("X-Site-User".to_owned());
        config.identity_header_secret = Some(pelm_companion::config::Secret::new("proxy-secret"));
    })
    .await;
    // The site's proxy: it proves itself on every request.
    let client = reqwest::Client::builder()
        .default_headers(
            [("pelm-proxy-secret".parse().unwrap(), "proxy-secret".parse().unwrap())].into_iter().collect(),
        )
        .build()
        .unwrap();
    let missing = client.get(format!("{url}/api/connection")).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_body(missing).await["error_code"], "unauthenticated");

    let grant = client
        .post(format!("{url}/api/connect-token"))
        .header("Origin", &url)
        .header("X-Site-User", "alice@example.com")
        .send()
        .await
        .unwrap();
    assert!(grant.headers().get("set-cookie").is_none(), "no cookie in header mode");
    let grant: serde_json::Value = grant.json().await.unwrap();
    let code = app.sign_in(grant["connect_token"].as_str().unwrap(), "user@pelm.com").await;
    let authorized = client
        .post(format!("{url}/api/authorization"))
        .header("Origin", &url)
        .header("X-Site-User", "alice@example.com")
        .json(&serde_json::json!({ "authorization_code": code }))
        .send()
        .await
        .unwrap();
    assert_eq!(authorized.status(), StatusCode::OK);
    let as_user = |who: &'static str| client.get(format!("{url}/api/connection")).header("X-Site-User", who).send();
    let alice: serde_json::Value = as_user("alice@example.com").await.unwrap().json().await.unwrap();
    let bob: serde_json::Value = as_user("bob@example.com").await.unwrap().json().await.unwrap();
    assert_eq!((alice["connected"].clone(), bob["connected"].clone()), (true.into(), false.into()));
}

#[tokio::test]
async fn each_user_is_rate_limited_with_retry_after() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let url = start_companion(&dir.path().join("c.db"), upstream_of(&app.sandbox), &hex_key(), |config| {
        config.rate_limit_per_minute = 3;
    })
    .await;
    let alice = crate::helpers::browser();
    // The first request that changes something gives alice her session.
    let asked = alice.post(format!("{url}/api/connect-token")).header("Origin", &url).send().await.unwrap();
    assert_eq!(asked.status(), StatusCode::OK);
    for _ in 0..2 {
        assert_eq!(alice.get(format!("{url}/api/connection")).send().await.unwrap().status(), StatusCode::OK);
    }
    let limited = alice.get(format!("{url}/api/connection")).send().await.unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = header(&limited, "retry-after").parse().unwrap();
    assert!((1..=20).contains(&retry_after), "{retry_after}");
    assert_eq!(error_body(limited).await["error_code"], "rate_limited");
    // Another user is not held back by the first.
    assert_eq!(
        crate::helpers::browser().get(format!("{url}/api/connection")).send().await.unwrap().status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn one_code_posted_to_two_instances_at_once_is_exchanged_once() {
    let app = spawn_app().await;
    // A second companion on the same database, as behind a load balancer.
    let twin = start_companion(&app.database, upstream_of(&app.sandbox), &app.token_key, |_| {}).await;
    let code = app.code_for("user@pelm.com").await;
    let post = |base: String| {
        let client = app.client.clone();
        let code = code.clone();
        async move {
            client
                .post(format!("{base}/api/authorization"))
                .header("Origin", &base)
                .json(&serde_json::json!({ "authorization_code": code }))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    // The sandbox takes a code once: a second exchange would have failed one post.
    let (first, second) = tokio::join!(post(app.url.clone()), post(twin.clone()));
    assert_eq!((first, second), (StatusCode::OK, StatusCode::OK));
    assert_eq!(app.get("accounts").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_failed_exchange_gives_the_code_back_for_pelm_to_judge_again() {
    let app = spawn_app().await;
    let code = app.code_for("user@pelm.com").await;
    app.sandbox.sandbox.fail_next(&[Fault::InternalError]);
    let failed = app.authorize(&code).await;
    assert_eq!(failed.status(), StatusCode::INTERNAL_SERVER_ERROR);
    // The claim was released, so posting again really exchanges the code.
    assert_eq!(app.authorize(&code).await.status(), StatusCode::OK);
    assert_eq!(app.get("accounts").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_code_someone_else_posted_is_refused() {
    let alice = spawn_app().await;
    let code = alice.code_for("user@pelm.com").await;
    assert_eq!(alice.authorize(&code).await.status(), StatusCode::OK);
    let mallory = alice.in_another_browser();
    let stolen = mallory.authorize(&code).await;
    assert_eq!(stolen.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_body(stolen).await["error_code"], "permission_denied");
    assert_eq!(mallory.get("accounts").await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_stalled_pelm_times_out_and_the_retry_answers() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let url = start_companion(&dir.path().join("c.db"), upstream_of(&app.sandbox), &app.token_key, |config| {
        config.upstream_timeout = 1;
    })
    .await;
    let user = crate::helpers::browser();
    let connect_token = crate::helpers::connect_token_at(&user, &url).await;
    let code = app.sign_in(&connect_token, "user@pelm.com").await;
    let authorized = user
        .post(format!("{url}/api/authorization"))
        .header("Origin", &url)
        .json(&serde_json::json!({ "authorization_code": code }))
        .send()
        .await
        .unwrap();
    assert_eq!(authorized.status(), StatusCode::OK);
    app.sandbox.sandbox.fail_next(&[Fault::Stall(std::time::Duration::from_millis(2500))]);
    let started = std::time::Instant::now();
    let accounts = user.get(format!("{url}/api/accounts")).send().await.unwrap();
    assert_eq!(accounts.status(), StatusCode::OK);
    let took = started.elapsed();
    assert!(took >= std::time::Duration::from_secs(1), "answered in {took:?}, so nothing timed out");
}

/// A companion in front of a sandbox made from `config`, and a browser that
/// connected through it as `login`: the sandbox, the companion's URL, the
/// browser, the connection it was answered, and the database's folder.
async fn connected_to(
    config: pelm_sandbox::Config,
    login: &str,
) -> (pelm_sandbox::Spawned, String, reqwest::Client, Connection, tempfile::TempDir) {
    connected_to_with(config, login, |_| {}).await
}

async fn connected_to_with(
    config: pelm_sandbox::Config,
    login: &str,
    configure: impl FnOnce(&mut pelm_companion::Config),
) -> (pelm_sandbox::Spawned, String, reqwest::Client, Connection, tempfile::TempDir) {
    let sandbox = pelm_sandbox::spawn(pelm_sandbox::Sandbox::new(config)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = start_companion(&dir.path().join("c.db"), upstream_of(&sandbox), &hex_key(), configure).await;
    let user = crate::helpers::browser();
    let token = crate::helpers::connect_token_at(&user, &url).await;
    let code = crate::helpers::sign_in_at(&sandbox, &token, login).await;
    let body = serde_json::json!({ "authorization_code": code });
    let authorized = user.post(format!("{url}/api/authorization")).header("Origin", &url).json(&body).send().await;
    let authorized = authorized.unwrap();
    assert_eq!(authorized.status(), StatusCode::OK);
    let connection = authorized.json().await.unwrap();
    (sandbox, url, user, connection, dir)
}

#[tokio::test]
async fn data_unavailable_is_a_202_after_one_call() {
    // A Pelm that answers data_unavailable as a 500, which looks transient;
    // this login's data is not ready for two minutes. Collecting is normal
    // after connecting, so the app gets "not yet" (202) with when to ask
    // again, not a 5xx its browser would log.
    let config = pelm_sandbox::Config { data_unavailable_as_500: true, ..pelm_sandbox::Config::random() };
    let (sandbox, url, user, connected, _dir) = connected_to(config, "slow@pelm.com").await;
    assert!(connected.connected);
    let before = sandbox.sandbox.rest_calls();
    let answer = user.get(format!("{url}/api/accounts")).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::ACCEPTED);
    assert_eq!(header(&answer, "retry-after"), "5");
    assert_eq!(error_body(answer).await["error_code"], "data_unavailable");
    assert_eq!(sandbox.sandbox.rest_calls() - before, 1, "data_unavailable was retried upstream");
}

/// Against a Pelm that wants the user's own token on `/users`, the utility's
/// name and the state of the login still come through; when `/users` fails,
/// the name remembered at connect time stays, and so does the login's last
/// known state. Looks are answered from the store, and each old enough asks
/// Pelm again in the background (here every look is old enough).
#[tokio::test]
async fn the_users_own_token_goes_to_users_and_the_utility_is_remembered() {
    let config = pelm_sandbox::Config { users_need_bearer: true, ..pelm_sandbox::Config::random() };
    let (sandbox, url, user, connection, _dir) =
        connected_to_with(config, "user@pelm.com", |c| c.refresh_after_secs = 0).await;
    assert_eq!(connection.utility.as_deref(), Some("Pacific Gas and Electric"));
    assert_eq!(connection.credentials_valid, Some(true));
    let look = || async {
        user.get(format!("{url}/api/connection")).send().await.unwrap().json::<Connection>().await.unwrap()
    };

    sandbox.sandbox.set_all_credentials_valid(false);
    let first = look().await;
    assert!(first.refreshing, "a look this old asks Pelm again");
    let shown = eventually(|| async { look().await.credentials_valid == Some(false) }).await;
    assert!(shown, "a changed utility password must show");

    sandbox.sandbox.fail_next(&[Fault::InternalError; 8]);
    let connection = look().await;
    assert!(connection.connected);
    // Let the background look fail, then look again.
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let connection = look().await;
    assert_eq!(connection.utility.as_deref(), Some("Pacific Gas and Electric"), "the name was forgotten");
    assert_eq!(connection.credentials_valid, Some(false), "a failed look is not a login confirmed");
}

/// Whether `test` holds within five seconds.
async fn eventually<F: std::future::Future<Output = bool>>(test: impl Fn() -> F) -> bool {
    let started = std::time::Instant::now();
    while started.elapsed() < std::time::Duration::from_secs(5) {
        if test().await {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    false
}

/// The longest range is the model's, the same number the app asks with:
/// exactly that passes, a second more is refused.
#[tokio::test]
async fn the_longest_range_is_the_one_the_app_asks_for() {
    use pelm_model::companion::LONGEST_RANGE_SECS;
    let app = spawn_app().await;
    app.connect().await;
    let accounts: Vec<Account> = app.get("accounts").await.json().await.unwrap();
    let end = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let path = |span: i64| format!("intervals?account_id={}&start_date={}&end_date={end}", accounts[0].id, end - span);
    assert_eq!(app.get(&path(LONGEST_RANGE_SECS)).await.status(), StatusCode::OK);
    let over = app.get(&path(LONGEST_RANGE_SECS + 1)).await;
    assert_eq!(over.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_body(over).await["field"], "start_date");
}
