//! A long run with faults: every answer judged, memory and descriptors
//! watched, what real users saw tallied.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::args::{Args, DAY};
use crate::processes::{companion, cookie_of, sandbox, sign_in};

#[derive(Default)]
pub(crate) struct Tally {
    /// Answers of 429, which also count as error bodies.
    pub(crate) limited: AtomicU64,
    pub(crate) ok: AtomicU64,
    pub(crate) error_bodies: AtomicU64,
    pub(crate) malformed: AtomicU64,
    pub(crate) hangs: AtomicU64,
    pub(crate) transport: AtomicU64,
    pub(crate) slowest_ms: AtomicU64,
    pub(crate) connected: AtomicUsize,
    pub(crate) connect_failed: AtomicUsize,
}

// Each section of the benchmark is one script, read top to bottom: start
// what it measures, drive it, print its table. Cut into parts it would only
// pass its locals around, which is why it runs past eighty lines.
pub(crate) async fn soak(args: &Args, summary: &mut Vec<(String, String, bool)>) -> String {
    println!("==> soak with faults ({} s)", args.soak_secs);
    let faults: Vec<String> =
        ["--latency-ms", "20", "--error-rate", "0.05", "--drop-rate", "0.02"].iter().map(|s| s.to_string()).collect();
    let upstream = sandbox(args, &faults).await;
    let dbs = tempfile::tempdir().unwrap();
    let db = dbs.path().join("soak.db");
    // Behind a proxy (trusted on loopback) that names each client's address,
    // as a deployment would be: every real user has their own, and the flood
    // comes from twenty. The ceiling on Pelm calls is sized for the soak's
    // real traffic, which is far above a real site's; the per-address limit
    // is the default.
    let extra = ["--cache-ttl", "0", "--trusted-proxies", "127.0.0.1", "--pelm-calls-per-minute", "100000000"];
    let companion = companion(args, &upstream, &db, &extra).await;
    let tally = Arc::new(Tally::default());
    // The connected users: cookie and first account (if read yet). Their
    // number stays steady once the pool is full: a newcomer then replaces a
    // user who disconnects, as real users come and go.
    let users: Arc<Mutex<Vec<SoakUser>>> = Arc::default();
    let deadline = Instant::now() + Duration::from_secs(args.soak_secs);
    let warm_up = Duration::from_secs((args.soak_secs / 10).max(10));
    let workers = 16;
    let end =
        (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64 / DAY) * DAY;
    let mut tasks = Vec::new();
    for worker in 0..workers {
        let (tally, users, companion, sandbox) =
            (tally.clone(), users.clone(), companion.url.clone(), upstream.url.clone());
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
            let mut i: u64 = worker as u64;
            while Instant::now() < deadline {
                i = i.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let known = users.lock().unwrap().len();
                // Users keep arriving: one round in eight, and while there are few.
                if known < workers || (i >> 33).is_multiple_of(8) {
                    if known >= SOAK_USERS {
                        let leaving = users.lock().unwrap().swap_remove((i >> 40) as usize % known);
                        let disconnect = http
                            .delete(format!("{companion}/api/connection"))
                            .header("Origin", &companion)
                            .header("X-Forwarded-For", &leaving.2)
                            .header("Cookie", &leaving.0);
                        if judge(&tally, disconnect).await.is_none() {
                            // Still connected, as far as anyone knows.
                            users.lock().unwrap().push(leaving);
                        }
                    }
                    if let Some(user) = soak_connect(&http, &tally, &companion, &sandbox, i).await {
                        users.lock().unwrap().push(user);
                    }
                    continue;
                }
                let (cookie, account, address) = users.lock().unwrap()[(i >> 40) as usize % known].clone();
                let path = match ((i >> 20) % 3, account) {
                    (2, Some(account)) => format!(
                        "/api/intervals?account_id={account}&type=ELECTRIC&start_date={}&end_date={end}",
                        end - 30 * DAY
                    ),
                    (1, _) => "/api/connection".to_owned(),
                    _ => "/api/accounts".to_owned(),
                };
                let request = http.get(format!("{companion}{path}")).header("Cookie", &cookie);
                judge(&tally, request.header("X-Forwarded-For", address)).await;
            }
        }));
    }
    // The flood, through the middle of the soak: strangers from twenty
    // addresses asking for Connect tokens and posting junk codes.
    let flood_tally = Arc::new(FloodTally::default());
    let flood_task = {
        let (flood_tally, tally, companion) = (flood_tally.clone(), tally.clone(), companion.url.clone());
        let pause = Duration::from_secs(args.soak_secs / 3);
        tokio::spawn(async move {
            tokio::time::sleep(pause).await;
            let before = tally.snapshot();
            let started = Instant::now();
            run_flood(&companion, 10_000, 20, &flood_tally).await;
            let took = started.elapsed();
            (before, tally.snapshot(), took)
        })
    };
    let mut samples = Vec::new();
    let mut after_warm_up = None;
    let soak_started = Instant::now();
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_secs(5)).await;
        let (rss, _) = companion.rss();
        samples.push((soak_started.elapsed().as_secs(), rss, companion.open_files()));
        if after_warm_up.is_none() && soak_started.elapsed() >= warm_up {
            after_warm_up = Some((rss, companion.open_files()));
        }
    }
    for task in tasks {
        let _ = task.await;
    }
    let (before_flood, after_flood, flood_took) = flood_task.await.expect("the flood");
    // Idle for a moment so kept-alive connections from the load close.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (end_rss, peak_rss) = companion.rss();
    let end_files = companion.open_files();
    let (warm_rss, warm_files) = after_warm_up.unwrap_or((end_rss, end_files));
    drop(companion);
    drop(upstream);
    let connected = tally.connected.load(Ordering::Relaxed);
    let still_connected = users.lock().unwrap().len();
    let stored = stored_tokens(&db).await;
    let total = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let (ok, errors, malformed, hangs, transport) = (
        total(&tally.ok),
        total(&tally.error_bodies),
        total(&tally.malformed),
        total(&tally.hangs),
        total(&tally.transport),
    );
    let growth = (end_rss as f64 - warm_rss as f64) / warm_rss.max(1) as f64 * 100.0;
    let mut out = format!(
        "## Soak with faults\n\n{} s on loopback, {workers} clients without pause, against the companion (cache off) in front of a sandbox that adds 20 ms to every answer, fails 5% with a 5xx and drops 2% of connections mid-answer. Users keep coming through the whole Connect flow (one round in eight, and at first), every companion answer in it judged; once {SOAK_USERS} are connected, each newcomer replaces a user who disconnects. The other rounds read accounts, connection state and 30 days of intervals. The companion tries each GET to Pelm at most 4 times with backoff, so the slowest answer below bounds what retrying cost; POSTs to Pelm are not retried, and their failures are the error answers.\n\n",
        args.soak_secs
    );
    writeln!(out, "| figure | value |\n| --- | ---: |").unwrap();
    for (name, value) in [
        ("answers with data", ok.to_string()),
        ("well-formed error answers (`error_code`, `message`)", errors.to_string()),
        ("malformed answers", malformed.to_string()),
        ("hangs (no answer in 60 s)", hangs.to_string()),
        ("connections the companion refused or cut", transport.to_string()),
        ("slowest answer", format!("{} ms", tally.slowest_ms.load(Ordering::Relaxed))),
        (
            "users who connected / sign-ins the sandbox failed",
            format!("{connected} / {}", tally.connect_failed.load(Ordering::Relaxed)),
        ),
        ("users connected at the end / tokens in SQLite then", format!("{still_connected} / {stored}")),
        (
            "RSS after warm-up → end (peak)",
            format!(
                "{:.1} → {:.1} MB ({:.1} MB), {growth:+.1}%",
                warm_rss as f64 / 1024.0,
                end_rss as f64 / 1024.0,
                peak_rss as f64 / 1024.0
            ),
        ),
        ("open files after warm-up → end", format!("{warm_files} → {end_files}")),
    ] {
        writeln!(out, "| {name} | {value} |").unwrap();
    }
    let during = after_flood.minus(&before_flood);
    let flood = flood_tally.figures();
    writeln!(
        out,
        "\nAn anonymous flood ran beside the real users from {} s in: {} requests (half `POST /api/connect-token`, half junk codes to `POST /api/authorization`, no cookie, a forged `Origin`) from 20 addresses, in {:.1} s. It got {} answers of 200, {} of 429 and {} others; each answer that was not 429 or 400 cost one Pelm call, so it caused **{} Pelm calls**. While it ran, the real users made {} requests: {} errors (the sandbox's injected faults, {:.1}%; {:.1}% outside the flood) and **{} answers of 429**.\n",
        args.soak_secs / 3,
        flood.total,
        flood_took.as_secs_f64(),
        flood.ok,
        flood.limited,
        flood.other,
        flood.pelm_calls,
        during.requests,
        during.errors,
        during.error_rate(),
        after_flood.minus(&during).error_rate(),
        during.limited,
    )
    .unwrap();
    summary.push((
        "soak: real users get no 429 from an anonymous flood beside them".to_owned(),
        format!("{} of {} answers during the flood", during.limited, during.requests),
        during.limited == 0 && during.requests > 0,
    ));
    out.push_str("\nRSS and open files every 5 s (seconds, MB, files): ");
    out.push_str(
        &samples.iter().map(|(s, r, f)| format!("{s}: {:.1}/{f}", *r as f64 / 1024.0)).collect::<Vec<_>>().join(", "),
    );
    out.push_str("\n\n");
    summary.push((
        "soak: every answer data or a well-formed error, no hangs".to_owned(),
        format!("{malformed} malformed, {hangs} hangs, {transport} cut"),
        malformed == 0 && hangs == 0 && transport == 0,
    ));
    summary.push((
        "soak: RSS at the end within 10% of after warm-up".to_owned(),
        format!("{growth:+.1}%"),
        growth <= 10.0,
    ));
    summary.push((
        "soak: no file descriptors leaked".to_owned(),
        format!("{warm_files} → {end_files}"),
        end_files <= warm_files,
    ));
    summary.push((
        "soak: SQLite holds every connected user's token".to_owned(),
        format!("{stored} stored for {still_connected} connected"),
        stored == still_connected,
    ));
    out
}

/// Sends `request` to the companion and tallies its answer: data, a
/// well-formed error body, something else, no answer in time, or a cut.
/// Returns the body of a success.
pub(crate) async fn judge(
    tally: &Tally,
    request: reqwest::RequestBuilder,
) -> Option<(reqwest::header::HeaderMap, Value)> {
    let started = Instant::now();
    let answer = match request.send().await {
        Ok(answer) => answer,
        Err(e) if e.is_timeout() => {
            tally.hangs.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        Err(_) => {
            tally.transport.fetch_add(1, Ordering::Relaxed);
            return None;
        }
    };
    let (status, headers) = (answer.status(), answer.headers().clone());
    if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        tally.limited.fetch_add(1, Ordering::Relaxed);
    }
    let body = answer.bytes().await.unwrap_or_default();
    tally.slowest_ms.fetch_max(started.elapsed().as_millis() as u64, Ordering::Relaxed);
    let json: Option<Value> = serde_json::from_slice(&body).ok();
    let well_formed_error = json.as_ref().is_some_and(|b| b["error_code"].is_string() && b["message"].is_string());
    match (status.is_success(), json, well_formed_error) {
        (true, Some(json), _) => {
            tally.ok.fetch_add(1, Ordering::Relaxed);
            return Some((headers, json));
        }
        (false, _, true) => tally.error_bodies.fetch_add(1, Ordering::Relaxed),
        _ => tally.malformed.fetch_add(1, Ordering::Relaxed),
    };
    None
}

/// What the real users had seen at one moment.
#[derive(Clone, Copy, Default)]
pub(crate) struct Seen {
    pub(crate) requests: u64,
    pub(crate) errors: u64,
    pub(crate) limited: u64,
}

impl Seen {
    fn minus(&self, earlier: &Seen) -> Seen {
        Seen {
            requests: self.requests - earlier.requests,
            errors: self.errors - earlier.errors,
            limited: self.limited - earlier.limited,
        }
    }

    fn error_rate(&self) -> f64 {
        self.errors as f64 * 100.0 / self.requests.max(1) as f64
    }
}

impl Tally {
    fn snapshot(&self) -> Seen {
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let errors = load(&self.error_bodies) + load(&self.malformed) + load(&self.hangs) + load(&self.transport);
        Seen { requests: load(&self.ok) + errors, errors, limited: load(&self.limited) }
    }
}

#[derive(Default)]
pub(crate) struct FloodTally {
    pub(crate) ok: AtomicU64,
    pub(crate) limited: AtomicU64,
    pub(crate) invalid: AtomicU64,
    pub(crate) other: AtomicU64,
}

pub(crate) struct FloodFigures {
    pub(crate) total: u64,
    pub(crate) ok: u64,
    pub(crate) limited: u64,
    pub(crate) other: u64,
    pub(crate) pelm_calls: u64,
}

impl FloodTally {
    fn figures(&self) -> FloodFigures {
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let (ok, limited, invalid, other) =
            (load(&self.ok), load(&self.limited), load(&self.invalid), load(&self.other));
        // A 429 or a 400 is answered before any call to Pelm; anything else made one.
        FloodFigures {
            total: ok + limited + invalid + other,
            ok,
            limited,
            other: invalid + other,
            pelm_calls: ok + other,
        }
    }
}

/// `total` requests without a cookie from `addresses` client addresses
/// (named in X-Forwarded-For to a companion that trusts loopback as its
/// proxy): half ask for a Connect token, half post a junk code.
pub(crate) async fn run_flood(companion: &str, total: usize, addresses: usize, tally: &FloodTally) {
    use futures_util::StreamExt;
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    futures_util::stream::iter(0..total)
        .for_each_concurrent(32, |i| {
            let http = http.clone();
            async move {
                let address = format!("203.0.113.{}", 1 + i % addresses);
                let request = match i % 2 {
                    0 => http.post(format!("{companion}/api/connect-token")),
                    _ => http
                        .post(format!("{companion}/api/authorization"))
                        .json(&json!({ "authorization_code": format!("junk-{i}") })),
                };
                let request = request.header("Origin", companion).header("X-Forwarded-For", address);
                let counter = match request.send().await.map(|r| r.status().as_u16()) {
                    Ok(200) => &tally.ok,
                    Ok(429) => &tally.limited,
                    Ok(400) => &tally.invalid,
                    _ => &tally.other,
                };
                counter.fetch_add(1, Ordering::Relaxed);
            }
        })
        .await;
}

/// The flood on its own, against a companion with every limit at its
/// default: what it stores and what it spends.
pub(crate) async fn flood(args: &Args, summary: &mut Vec<(String, String, bool)>) -> String {
    println!("==> anonymous flood");
    let mut out = String::from(
        "## An anonymous flood

Scripts with no cookie and a forged `Origin`, against the companion with its limits at their defaults (60 state-changing requests per client address per minute; at most 1,200 Pelm calls a minute, half for visitors who have not connected), behind a proxy trusted on loopback that names each client's address. Each answer that was not 429 or 400 cost one Pelm call.

| flood | requests | 200 | 429 | other | Pelm calls | rows added (users, sessions, connections, code claims) |
| --- | ---: | ---: | ---: | ---: | ---: | --- |
",
    );
    for (name, total, addresses) in [("one burst from one address", 360, 1), ("spread over 20 addresses", 10_000, 20)] {
        let upstream = sandbox(args, &[]).await;
        let dbs = tempfile::tempdir().unwrap();
        let db = dbs.path().join("flood.db");
        // Only the per-user limit is lifted, as elsewhere in this report.
        let companion = companion(args, &upstream, &db, &["--trusted-proxies", "127.0.0.1"]).await;
        let tally = FloodTally::default();
        run_flood(&companion.url, total, addresses, &tally).await;
        let figures = tally.figures();
        let rows = table_rows(&db).await;
        let added: i64 = rows.iter().sum();
        writeln!(
            out,
            "| {name} | {} | {} | {} | {} | {} | {} |",
            figures.total,
            figures.ok,
            figures.limited,
            figures.other,
            figures.pelm_calls,
            rows.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
        )
        .unwrap();
        let bound = 60 * addresses as u64 + 60;
        summary.push((
            format!("flood ({name}): no rows, Pelm calls within the per-address limit"),
            format!("{added} rows, {} Pelm calls (bound {bound})", figures.pelm_calls),
            added == 0 && figures.pelm_calls <= bound,
        ));
    }
    out.push('\n');
    out
}

/// Rows in the companion's tables: users, sessions, connections, code claims.
pub(crate) async fn table_rows(db: &Path) -> Vec<i64> {
    let tables = ["users", "sessions", "connections", "code_exchanges"].map(|t| format!("SELECT count(*) FROM {t}"));
    counts(db, &tables).await
}

/// Each count query's answer from the companion's SQLite file, opened
/// read-only; -1 for one that could not be read.
pub(crate) async fn counts(db: &Path, queries: &[String]) -> Vec<i64> {
    let url = format!("sqlite://{}?mode=ro", db.display());
    let Ok(pool) = sqlx::SqlitePool::connect(&url).await else { return vec![-1; queries.len()] };
    let mut answers = Vec::new();
    for query in queries {
        answers.push(sqlx::query_scalar(query.as_str()).fetch_one(&pool).await.unwrap_or(-1));
    }
    answers
}

/// A connected user of the soak: its cookie, its first account once read,
/// and the client address it comes from.
type SoakUser = (String, Option<String>, String);

/// Users connected at once in the soak, once it has warmed up.
pub(crate) const SOAK_USERS: usize = 500;

/// The whole Connect flow for a new user, every companion answer judged;
/// the user's cookie once connected, and its first account if that was read.
pub(crate) async fn soak_connect(
    http: &reqwest::Client,
    tally: &Tally,
    companion: &str,
    sandbox: &str,
    seed: u64,
) -> Option<SoakUser> {
    // Each user is at an address of their own (10.0.0.0/8, named by the proxy).
    let address = format!("10.{}.{}.{}", (seed >> 16) as u8, (seed >> 8) as u8, seed as u8);
    let ask = http.post(format!("{companion}/api/connect-token")).header("Origin", companion);
    let (headers, grant) = judge(tally, ask.header("X-Forwarded-For", &address)).await?;
    let cookie = cookie_of(&headers);
    // The sandbox's own faults hit the sign-in too; that is Pelm's side, not judged here.
    let Ok(code) = sign_in(http, sandbox, grant["connect_token"].as_str()?, "user@pelm.com").await else {
        tally.connect_failed.fetch_add(1, Ordering::Relaxed);
        return None;
    };
    let authorize = http
        .post(format!("{companion}/api/authorization"))
        .header("Origin", companion)
        .header("X-Forwarded-For", &address)
        .header("Cookie", &cookie)
        .json(&json!({ "authorization_code": code }));
    let (headers, _) = judge(tally, authorize).await?;
    // Connecting issues a new session id.
    let cookie = Some(cookie_of(&headers)).filter(|c| !c.is_empty()).unwrap_or(cookie);
    tally.connected.fetch_add(1, Ordering::Relaxed);
    let read = http.get(format!("{companion}/api/accounts")).header("Cookie", &cookie);
    let accounts = judge(tally, read.header("X-Forwarded-For", &address)).await;
    let account = accounts.and_then(|(_, a)| a[0]["id"].as_str().map(str::to_owned));
    Some((cookie, account, address))
}

/// Connected users with a stored token, read from the companion's SQLite file.
pub(crate) async fn stored_tokens(db: &Path) -> usize {
    let stored = counts(db, &["SELECT count(*) FROM connections WHERE access_token IS NOT NULL".to_owned()]).await;
    stored[0].max(0) as usize
}
