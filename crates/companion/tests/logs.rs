//! Everything the companion and the sandbox log during a whole session, at
//! trace level, holds no secret: not the Pelm secret or client id, not an
//! access token, an authorization code or a session cookie.

#[path = "api/helpers.rs"]
mod helpers;

use std::io::Write;
use std::sync::{Arc, Mutex};

use helpers::spawn_app;
use pelm_companion::crypto::TokenCipher;
use pelm_companion::telemetry;
use pelm_model::pelm::{Account, AccountBills};
use pelm_sandbox::Fault;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_secret_reaches_a_log_line() {
    let captured = Captured::default();
    let writer = captured.clone();
    // cookie_store is the test's stand-in browser's cookie jar, in this same
    // process: its logs are the browser's, not the companion's or the sandbox's.
    let filter = "trace,cookie_store=off";
    // The companion's own subscriber, as main installs it, into a buffer.
    let filter = tracing_subscriber::EnvFilter::new(filter);
    telemetry::init(filter, telemetry::Format::Text, move || writer.clone());

    let app = spawn_app().await;
    let session_of = |response: &reqwest::Response| {
        let set_cookie = helpers::header(response, "set-cookie");
        set_cookie.split(';').next().unwrap().trim_start_matches("pelm_session=").to_owned()
    };
    let first = app.post("connect-token").send().await.unwrap();
    let anonymous = session_of(&first);
    let grant: pelm_model::companion::ConnectTokenGrant = first.json().await.unwrap();
    let code = app.sign_in(&grant.connect_token, "user@pelm.com").await;
    let authorized = app.authorize(&code).await;
    assert_eq!(authorized.status(), 200);
    let session = session_of(&authorized);
    assert_ne!(anonymous, session, "connecting rotates the session");
    let accounts: Vec<Account> = app.get("accounts").await.json().await.unwrap();
    app.sandbox.sandbox.fail_next(&[Fault::InternalError, Fault::Drop]);
    app.get(&format!("intervals?account_id={}", accounts[0].id)).await.bytes().await.unwrap();
    let bills: Vec<AccountBills> = app.get("bills").await.json().await.unwrap();
    app.get(&format!("bills/{}/pdf", bills[0].bills[0].id)).await.bytes().await.unwrap();
    app.get("intervals?account_id=someone-elses").await.bytes().await.unwrap();

    let database = format!("sqlite://{}", app.database.display());
    let pool = sqlx::SqlitePool::connect(&database).await.unwrap();
    let (user, sealed): (String, String) =
        sqlx::query_as("SELECT pelm_user_id, access_token FROM connections").fetch_one(&pool).await.unwrap();
    let access_token = TokenCipher::from_text(&app.token_key).unwrap().open(&user, &sealed).unwrap();

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("retrying a GET to Pelm"), "the faults did not run, so this test proves little");
    assert!(logs.contains("request_id="), "request spans carry no id");
    let dropped = logs.lines().find(|line| line.contains("the call to Pelm failed"));
    let cause = dropped.and_then(|line| line.split("the call to Pelm failed: ").nth(1));
    assert!(cause.is_some_and(|cause| cause.len() > 3), "a cut connection is logged without its cause: {dropped:?}");
    let config = app.sandbox.sandbox.config();
    for (what, secret) in [
        ("Pelm secret", config.secret.as_str()),
        ("client id", config.client_id.as_str()),
        ("access token", access_token.as_str()),
        ("sealed token", sealed.as_str()),
        ("authorization code", code.as_str()),
        ("connect token", grant.connect_token.as_str()),
        ("token key", app.token_key.as_str()),
        ("session cookie", session.as_str()),
        ("anonymous session cookie", anonymous.as_str()),
    ] {
        let leaks: Vec<&str> = logs.lines().filter(|line| line.contains(secret)).take(3).collect();
        assert!(leaks.is_empty(), "the {what} is in the logs:\n{}", leaks.join("\n"));
    }
}
