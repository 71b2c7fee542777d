//! The processes a benchmark starts (the sandbox, companions) and a user
//! taken through Connect against them.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::process::{Child, Command};

use crate::args::{Args, CLIENT_ID, SECRET, TOKEN_KEY};

pub(crate) struct Process {
    pub(crate) child: Child,
    pub url: String,
}

impl Process {
    pub(crate) fn pid(&self) -> u32 {
        self.child.id().expect("running")
    }

    /// Resident memory now and at its peak, in KiB.
    pub(crate) fn rss(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
                .unwrap_or(0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    pub(crate) fn open_files(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid())).map_or(0, |d| d.count())
    }
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub(crate) async fn start(program: &Path, args: &[String]) -> Process {
    let port = free_port();
    let mut all = vec!["--listen".to_owned(), format!("127.0.0.1:{port}")];
    all.extend(args.iter().cloned());
    let child = Command::new(program)
        .args(&all)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
    let url = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        assert!(started.elapsed() < Duration::from_secs(30), "{} did not start", program.display());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Process { child, url }
}

pub(crate) async fn sandbox(args: &Args, faults: &[String]) -> Process {
    let mut all = vec!["--client-id".to_owned(), CLIENT_ID.to_owned(), "--secret".to_owned(), SECRET.to_owned()];
    all.extend(faults.iter().cloned());
    start(&args.bin_dir.join("pelm-sandbox"), &all).await
}

pub(crate) async fn companion(args: &Args, sandbox: &Process, db: &Path, extra: &[&str]) -> Process {
    companion_at(args, sandbox, &format!("sqlite://{}", db.display()), extra).await
}

/// As [`companion`], on any store: an SQLite file or PostgreSQL.
pub(crate) async fn companion_at(args: &Args, sandbox: &Process, database_url: &str, extra: &[&str]) -> Process {
    let mut all: Vec<String> = [
        "--pelm-api-url",
        &sandbox.url,
        "--pelm-client-id",
        CLIENT_ID,
        "--pelm-secret",
        SECRET,
        "--token-key",
        TOKEN_KEY,
        "--database-url",
        database_url,
        "--allowed-hosts",
        "127.0.0.1",
        // One user drives all the load; the per-user limit would answer 429s.
        "--rate-limit-per-minute",
        "100000000",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    all.extend(extra.iter().map(|s| s.to_string()));
    start(&args.bin_dir.join("pelm-companion"), &all).await
}

/// The `Cookie` header a browser would send back after these `Set-Cookie`s.
pub(crate) fn cookie_of(headers: &reqwest::header::HeaderMap) -> String {
    let pairs = headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok());
    pairs.map(|v| v.split(';').next().unwrap_or("").to_owned()).collect::<Vec<_>>().join("; ")
}

/// A user of the companion: its session cookie, after the whole Connect flow.
pub(crate) async fn connect_user(
    http: &reqwest::Client,
    companion: &str,
    sandbox: &str,
    username: &str,
) -> Result<String, String> {
    let grant = http
        .post(format!("{companion}/api/connect-token"))
        .header("Origin", companion)
        .send()
        .await
        .map_err(|e| format!("connect-token: {e}"))?;
    let cookie = cookie_of(grant.headers());
    if !grant.status().is_success() {
        return Err(format!("connect-token: {}", grant.status()));
    }
    let grant: Value = grant.json().await.map_err(|e| format!("connect-token body: {e}"))?;
    let token = grant["connect_token"].as_str().ok_or("no connect_token")?;
    let code = sign_in(http, sandbox, token, username).await?;
    let answer = http
        .post(format!("{companion}/api/authorization"))
        .header("Origin", companion)
        .header("Cookie", &cookie)
        .json(&json!({ "authorization_code": code }))
        .send()
        .await
        .map_err(|e| format!("authorization: {e}"))?;
    // Connecting issues a new session id.
    let rotated = cookie_of(answer.headers());
    match answer.status().is_success() {
        true => Ok(if rotated.is_empty() { cookie } else { rotated }),
        false => Err(format!("authorization: {}", answer.status())),
    }
}

pub(crate) async fn sign_in(
    http: &reqwest::Client,
    sandbox: &str,
    connect_token: &str,
    username: &str,
) -> Result<String, String> {
    pelm_sandbox::test_support::sign_in(http, sandbox, connect_token, "1", username).await
}

/// A GET that must succeed, as JSON.
pub(crate) async fn get(http: &reqwest::Client, url: &str, headers: &[(&str, String)]) -> Value {
    let mut request = http.get(url);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let answer = request.send().await.unwrap_or_else(|e| panic!("{url}: {e}"));
    let status = answer.status();
    let body = answer.text().await.unwrap_or_default();
    assert!(status.is_success(), "{url}: {status} {}", &body[..body.len().min(300)]);
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{url}: {e}"))
}

/// An access token straight from the sandbox, for asking it directly.
pub(crate) async fn sandbox_token(http: &reqwest::Client, sandbox: &str, username: &str) -> String {
    // Pelm's form posts, signed as the companion signs them.
    let post = |path: &str, form: &[(&str, &str)]| {
        let request = http.post(format!("{sandbox}{path}")).form(form);
        let request = request.header("Pelm-Client-Id", CLIENT_ID).header("Pelm-Secret", SECRET);
        let what = path.to_owned();
        async move { request.send().await.expect(&what).json::<Value>().await.expect(&what) }
    };
    let grant = post("/auth/connect-token", &[("user_id", "bench-direct")]).await;
    let code = sign_in(http, sandbox, grant["connect_token"].as_str().expect("connect_token"), username).await;
    let token = post("/auth/token", &[("grant_type", "code"), ("code", &code.expect("sign-in"))]).await;
    token["access_token"].as_str().expect("access_token").to_owned()
}
