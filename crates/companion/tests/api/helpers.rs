//! `spawn_app()`: every test gets its own companion, SQLite database and
//! in-process Pelm sandbox, all on 127.0.0.1:0, plus typed helpers.

// tests/logs.rs uses a few of these.
#![allow(dead_code)]

use std::path::PathBuf;

use pelm_companion::config::Secret;
use pelm_companion::pelm::Upstream;
use pelm_companion::telemetry::{self, Format};
use pelm_companion::{AppState, Application, Config, StartError};
use pelm_model::companion::{ConnectTokenGrant, Connection};
use pelm_sandbox::{Clock, Sandbox};
use reqwest::{RequestBuilder, Response, StatusCode};
use serde_json::{json, Value};

pub struct TestApp {
    pub url: String,
    pub client: reqwest::Client,
    /// The browser's cookies, shared with [`TestApp::undecoded`].
    pub jar: std::sync::Arc<reqwest::cookie::Jar>,
    /// The companion itself, for what it counts.
    pub state: AppState,
    pub sandbox: pelm_sandbox::Spawned,
    /// The sandbox's clock: move it forward to expire codes and tokens.
    pub clock: Clock,
    pub database: PathBuf,
    /// The key this companion seals tokens with; a restart must use it again.
    pub token_key: String,
    _dir: tempfile::TempDir,
}

/// A browser: its own cookie jar, so its own session.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).build().expect("client")
}

/// A browser with the cookies of `jar`.
fn browser_with(jar: &std::sync::Arc<reqwest::cookie::Jar>) -> reqwest::Client {
    reqwest::Client::builder().cookie_provider(jar.clone()).build().expect("client")
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(pelm_sandbox::Config::random()).await
}

/// As [`spawn_app`], in front of a sandbox started with `config`.
pub async fn spawn_app_with(config: pelm_sandbox::Config) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = dir.path().join("companion.db");
    let clock = Clock::system();
    let sandbox = pelm_sandbox::spawn(Sandbox::with_clock(config, clock.clone())).await.expect("sandbox");
    let token_key = hex_key();
    let running =
        start_companion_running(format!("sqlite://{}", database.display()), upstream_of(&sandbox), &token_key, |_| {})
            .await;
    let jar = std::sync::Arc::default();
    let client = browser_with(&jar);
    TestApp { url: running.url, client, jar, state: running.state, sandbox, clock, database, token_key, _dir: dir }
}

pub fn upstream_of(sandbox: &pelm_sandbox::Spawned) -> Upstream {
    let config = sandbox.sandbox.config();
    Upstream {
        base_url: sandbox.url(),
        client_id: config.client_id.clone(),
        secret: Secret::new(config.secret.clone()),
    }
}

/// A fresh token key, as an operator would generate one.
pub fn hex_key() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// Starts a companion on `database` against `upstream`, sealing tokens with
/// `token_key`, with `configure` applied last; returns its base URL.
pub async fn start_companion(
    database: &std::path::Path,
    upstream: Upstream,
    token_key: &str,
    configure: impl FnOnce(&mut Config),
) -> String {
    start_companion_at(format!("sqlite://{}", database.display()), upstream, token_key, configure).await
}

/// As [`start_companion`], on any database URL (SQLite or PostgreSQL).
pub async fn start_companion_at(
    database_url: String,
    upstream: Upstream,
    token_key: &str,
    configure: impl FnOnce(&mut Config),
) -> String {
    start_companion_running(database_url, upstream, token_key, configure).await.url
}

/// As [`start_companion_at`], answering the running companion.
pub async fn start_companion_running(
    database_url: String,
    upstream: Upstream,
    token_key: &str,
    configure: impl FnOnce(&mut Config),
) -> Running {
    // Configured as a site configures it for the real Pelm, at the sandbox's URL.
    let mut config = Config::for_tests(database_url);
    config.sandbox = false;
    config.pelm_api_url = upstream.base_url;
    config.pelm_client_id = Some(upstream.client_id);
    config.pelm_secret = Some(upstream.secret);
    config.connect_script_url = Some(CONNECT_SCRIPT.to_owned());
    config.allowed_hosts = ["127.0.0.1", "localhost", "[::1]"].map(str::to_owned).to_vec();
    config.token_key = Some(Secret::new(token_key));
    configure(&mut config);
    run(config).await.expect("companion")
}

/// The test companion's Connect script.
pub const CONNECT_SCRIPT: &str = "/sandbox/connect/pelm-connect.js";

/// What the companion says of a user not connected: that, and the Connect
/// script to start loading.
pub fn not_connected() -> Connection {
    Connection { connect_script_url: Some(CONNECT_SCRIPT.to_owned()), ..Connection::none() }
}

/// A companion serving on a task of its own.
pub struct Running {
    pub url: String,
    pub state: AppState,
    /// `GET /metrics`, when the configuration turned metrics on.
    pub metrics: Option<String>,
}

impl Running {
    pub fn url(&self) -> String {
        self.url.clone()
    }
}

/// Builds a companion from `config` and serves it until the test's runtime
/// ends, as `main` does until a signal.
pub async fn run(config: Config) -> Result<Running, StartError> {
    log_if_asked();
    let application = Application::build(config).await?;
    let running =
        Running { url: application.url(), state: application.state().clone(), metrics: application.metrics_url() };
    tokio::spawn(application.run_until_stopped());
    Ok(running)
}

/// With `TEST_LOG` set, the companion's lines go to the test's output, which
/// the harness shows for a failing test (and for all with `--nocapture`).
fn log_if_asked() {
    if std::env::var_os("TEST_LOG").is_some() {
        let writer = tracing_subscriber::fmt::TestWriter::new();
        telemetry::init(telemetry::filter_from_env("debug"), Format::Text, writer);
    }
}

impl TestApp {
    /// The same companion and sandbox, seen from a fresh browser (a new user).
    pub fn in_another_browser(self) -> TestApp {
        let jar = std::sync::Arc::default();
        TestApp { client: browser_with(&jar), jar, ..self }
    }

    /// This browser's session, from a client that leaves compressed answers
    /// as they came and asks for no coding unless told.
    pub fn undecoded(&self) -> reqwest::Client {
        reqwest::Client::builder().cookie_provider(self.jar.clone()).no_gzip().no_brotli().build().expect("client")
    }

    pub fn api(&self, path: &str) -> String {
        format!("{}/api/{path}", self.url)
    }

    /// A state-changing request as the app's own page sends it.
    pub fn post(&self, path: &str) -> RequestBuilder {
        self.client.post(self.api(path)).header("Origin", &self.url)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.api(path)).send().await.expect("request")
    }

    pub async fn connect_token(&self) -> ConnectTokenGrant {
        let response = self.post("connect-token").send().await.expect("request");
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("grant")
    }

    /// Signs in through the sandbox's Connect API as the modal does, and
    /// returns the authorization code Connect would hand to onSuccess.
    pub async fn sign_in(&self, connect_token: &str, username: &str) -> String {
        sign_in_at(&self.sandbox, connect_token, username).await
    }

    pub async fn authorize(&self, code: &str) -> Response {
        self.post("authorization").json(&json!({ "authorization_code": code })).send().await.expect("request")
    }

    /// A Connect token for this browser's user, signed in with as `username`:
    /// the authorization code Connect would hand to onSuccess.
    pub async fn code_for(&self, username: &str) -> String {
        let grant = self.connect_token().await;
        self.sign_in(&grant.connect_token, username).await
    }

    /// The whole Connect flow for user@pelm.com; returns the connection.
    pub async fn connect(&self) -> Connection {
        let code = self.code_for("user@pelm.com").await;
        let response = self.authorize(&code).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("connection")
    }
}

/// A companion in sandbox mode, its sandbox mounted and scripted answers
/// on, as `--sandbox` starts it; the database's folder lives as long as the guard.
pub async fn spawn_sandbox_mode() -> (Running, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = Config::for_tests(format!("sqlite://{}", dir.path().join("c.db").display()));
    (run(config).await.expect("companion"), dir)
}

/// A response header as text; panics if it is missing.
pub fn header(response: &Response, name: &str) -> String {
    let value = response.headers().get(name).unwrap_or_else(|| panic!("no {name} header"));
    value.to_str().expect("text header").to_owned()
}

/// Signs in through `sandbox`'s Connect API as the modal does, at PG&E, and
/// returns the authorization code Connect would hand to onSuccess.
pub async fn sign_in_at(sandbox: &pelm_sandbox::Spawned, connect_token: &str, username: &str) -> String {
    let http = reqwest::Client::new();
    pelm_sandbox::test_support::sign_in(&http, &sandbox.url(), connect_token, "1", username)
        .await
        .expect("login failed")
}

/// A Connect token from the companion at `base`, asked as `client`'s user.
pub async fn connect_token_at(client: &reqwest::Client, base: &str) -> String {
    let response =
        client.post(format!("{base}/api/connect-token")).header("Origin", base).send().await.expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    let grant: Value = response.json().await.expect("grant");
    grant["connect_token"].as_str().expect("connect_token").to_owned()
}

/// The error body every failure carries.
pub async fn error_body(response: Response) -> Value {
    let body: Value = response.json().await.expect("JSON error body");
    assert!(body["error_code"].is_string(), "no error_code in {body}");
    assert!(body["message"].is_string(), "no message in {body}");
    body
}
