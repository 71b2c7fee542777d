//! The companion under load beside the sandbox answering directly, on
//! SQLite and on a shared PostgreSQL, and its cache's answers.

use std::fmt::Write as _;

use serde_json::{json, Value};
use tokio::process::Command;

use crate::args::{Args, CLIENT_ID, DAY, SECRET};
use crate::processes::{companion, companion_at, connect_user, get, sandbox, sandbox_token, Process};
use crate::sizes::kb;

pub(crate) const WRK_SCRIPT: &str = r#"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"seconds":%f,"p50":%d,"p99":%d,"p999":%d,"errors":%d,"non2xx":%d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
    e.connect + e.read + e.write + e.timeout, e.status))
end
"#;

pub(crate) async fn wrk(url: &str, headers: &[(&str, String)], connections: usize, seconds: u64) -> Value {
    let script = std::env::temp_dir().join("pelm-bench-wrk.lua");
    std::fs::write(&script, WRK_SCRIPT).unwrap();
    let threads = connections.min(2).to_string();
    let output = Command::new("wrk")
        .args(["-t", &threads, "-c", &connections.to_string(), "-d", &format!("{seconds}s"), "--timeout", "10s", "-s"])
        .arg(&script)
        .args(headers.iter().flat_map(|(name, value)| ["-H".to_owned(), format!("{name}: {value}")]))
        .arg(url)
        .output()
        .await
        .expect("wrk (./dev bench-product installs it)");
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text.lines().rev().find(|l| l.starts_with('{')).unwrap_or("{}");
    serde_json::from_str(line).unwrap_or(json!({}))
}

pub(crate) fn ms(micros: &Value) -> f64 {
    micros.as_f64().unwrap_or(f64::NAN) / 1000.0
}

// Each section of the benchmark is one script, read top to bottom: start
// what it measures, drive it, print its table. Cut into parts it would only
// pass its locals around, which is why it runs past eighty lines.
pub(crate) async fn load(args: &Args, summary: &mut Vec<(String, String, bool)>) -> String {
    println!("==> the companion under load");
    let upstream = sandbox(args, &[]).await;
    let dbs = tempfile::tempdir().unwrap();
    // What is measured is the companion's own cost: the site-wide ceiling on
    // Pelm calls (1,200 a minute by default) would answer most of the
    // uncached requests with a 429 in microseconds instead.
    let unbounded = ["--pelm-calls-per-minute", "100000000"];
    let cached = companion(args, &upstream, &dbs.path().join("cached.db"), &unbounded).await;
    let uncached =
        companion(args, &upstream, &dbs.path().join("uncached.db"), &[&unbounded[..], &["--cache-ttl", "0"]].concat())
            .await;
    let http = reqwest::Client::new();
    let cached_cookie = connect_user(&http, &cached.url, &upstream.url, "solar@pelm.com").await.expect("connect");
    let uncached_cookie = connect_user(&http, &uncached.url, &upstream.url, "solar@pelm.com").await.expect("connect");
    let token = sandbox_token(&http, &upstream.url, "solar@pelm.com").await;
    let direct = vec![
        ("Authorization", format!("Bearer {token}")),
        ("Pelm-Client-Id", CLIENT_ID.to_owned()),
        ("Pelm-Secret", SECRET.to_owned()),
    ];
    // Each target's user has its own account id, so each asks for its own.
    let mut targets = Vec::new();
    for (name, base, headers) in [
        ("companion, uncached", format!("{}/api", uncached.url), vec![("Cookie", uncached_cookie.clone())]),
        ("companion, cached", format!("{}/api", cached.url), vec![("Cookie", cached_cookie.clone())]),
        ("sandbox directly", upstream.url.clone(), direct),
    ] {
        let accounts = get(&http, &format!("{base}/accounts"), &headers).await;
        let account = accounts[0]["id"].as_str().expect("an account").to_owned();
        targets.push((name, base, headers, account));
    }
    // Whole days ending at a fixed midnight, so every request asks the same.
    let end =
        (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64 / DAY - 1) * DAY;
    let intervals = |account: &str, days: i64| {
        format!("/intervals?account_id={account}&type=ELECTRIC&start_date={}&end_date={end}", end - days * DAY)
    };
    let paths: [(&str, Option<i64>); 3] =
        [("accounts", None), ("intervals, 2 months", Some(61)), ("intervals, 12 months", Some(365))];
    let mut out = format!(
        "## The companion under load\n\nwrk on loopback, {} s per cell, against three targets started for this run: the companion with its cache off (`--cache-ttl 0`, every request goes to the sandbox), the companion with its cache on (warm after the first request), and the sandbox answering directly with a bearer token (the peer). All three share one sandbox process; the per-user rate limit and the site-wide ceiling on Pelm calls are lifted for the run (before issue 23's run the ceiling was not, and most uncached answers were its 429s). Latencies in ms.\n\n| request | connections | target | requests/s | p50 | p99 | p99.9 | errors |\n| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |\n",
        args.load_secs
    );
    let mut overhead_at_16 = Vec::new();
    for (name, days) in &paths {
        for connections in [1, 16, 64] {
            let mut row = Vec::new();
            for (target, base, headers, account) in &targets {
                let path = match days {
                    None => "/accounts".to_owned(),
                    Some(days) => intervals(account, *days),
                };
                let url = format!("{base}{path}");
                // One request first: it must succeed (and it warms the cache).
                get(&http, &url, headers).await;
                let result = wrk(&url, headers, connections, args.load_secs).await;
                let rate = result["requests"].as_f64().unwrap_or(0.0) / result["seconds"].as_f64().unwrap_or(1.0);
                writeln!(
                    out,
                    "| {name} | {connections} | {target} | {rate:.0} | {:.2} | {:.2} | {:.2} | {} |",
                    ms(&result["p50"]),
                    ms(&result["p99"]),
                    ms(&result["p999"]),
                    result["errors"].as_u64().unwrap_or(0) + result["non2xx"].as_u64().unwrap_or(0)
                )
                .unwrap();
                row.push(result);
            }
            if connections == 16 {
                overhead_at_16.push((
                    name.to_string(),
                    ms(&row[1]["p99"]) - ms(&row[2]["p99"]),
                    ms(&row[0]["p99"]) - ms(&row[2]["p99"]),
                ));
            }
        }
    }
    let (cached_rss, uncached_rss) = (cached.rss(), uncached.rss());
    writeln!(
        out,
        "\nPeak resident memory (VmHWM): companion with cache {:.1} MB, without {:.1} MB; the sandbox {:.1} MB.\n\nThe companion's own cost at p99, 16 connections (its p99 minus the sandbox's p99 in the same run):\n\n| request | cached | uncached |\n| --- | ---: | ---: |",
        cached_rss.1 as f64 / 1024.0,
        uncached_rss.1 as f64 / 1024.0,
        upstream.rss().1 as f64 / 1024.0
    )
    .unwrap();
    let mut worst = f64::MIN;
    for (name, cached, uncached) in &overhead_at_16 {
        writeln!(out, "| {name} | {cached:+.2} ms | {uncached:+.2} ms |").unwrap();
        // The accounts always go to Pelm (a revoked token must show at once),
        // so only the intervals are cached answers.
        if name.starts_with("intervals") {
            worst = worst.max(*cached);
        }
    }
    out.push_str("\nThe companion does not cache the accounts: the app reads them from the first answer, from the store, and `GET /api/accounts` asks Pelm each time. Their two companion rows differ only in the cache setting, not in what they do.\n\n");
    out.push_str(&cached_answers(args, &http, &cached, &targets[1], end, summary).await);
    out.push_str(&shared_store(args, &http, &upstream, &targets[1], end, summary).await);
    summary.push((
        "companion adds < 1 ms at p99, cached, 16 connections".to_owned(),
        format!("{worst:+.2} ms (worst cached request)"),
        worst < 1.0,
    ));
    summary.push((
        "(no budget) companion peak RSS under load".to_owned(),
        format!("{:.1} MB", cached_rss.1.max(uncached_rss.1) as f64 / 1024.0),
        true,
    ));
    out
}

/// What a request costs when the companion shares its store with other
/// instances: a cached answer on PostgreSQL, where the session and the
/// connections are read on every request and the per-user limit is taken
/// there, against the same on SQLite, where they are kept in memory.
pub(crate) async fn shared_store(
    args: &Args,
    http: &reqwest::Client,
    upstream: &Process,
    (_, sqlite_base, sqlite_headers, sqlite_account): &(&str, String, Vec<(&'static str, String)>, String),
    end: i64,
    summary: &mut Vec<(String, String, bool)>,
) -> String {
    let Ok(postgres) = std::env::var("PELM_BENCH_POSTGRES_URL") else {
        return "### The shared limits\n\nNot measured: `./dev bench-product` starts a PostgreSQL for this.\n\n"
            .to_owned();
    };
    let unbounded = ["--pelm-calls-per-minute", "100000000"];
    let shared = companion_at(args, upstream, &postgres, &unbounded).await;
    let cookie = connect_user(http, &shared.url, &upstream.url, "solar@pelm.com").await.expect("connect");
    let headers = vec![("Cookie", cookie)];
    let base = format!("{}/api", shared.url);
    let account =
        get(http, &format!("{base}/accounts"), &headers).await[0]["id"].as_str().expect("an account").to_owned();
    let zone = pelm_usage::ZoneOffsets::learn(&pelm_usage::civil::PACIFIC, end - 122 * DAY, end).to_string();
    let columns = |base: &str, account: &str| {
        format!(
            "{base}/intervals?account_id={account}&type=ELECTRIC&start_date={}&end_date={end}&level=day&zone={zone}",
            end - 122 * DAY
        )
    };
    let app_headers = |headers: &[(&'static str, String)]| {
        let mut all = headers.to_vec();
        all.push(("Accept", pelm_usage::wire::MEDIA_TYPE.to_owned()));
        all.push(("Accept-Encoding", "br".to_owned()));
        all
    };
    let targets = [
        (
            "SQLite, one instance (limits and sessions in memory)",
            columns(sqlite_base, sqlite_account),
            app_headers(sqlite_headers),
        ),
        ("PostgreSQL, shared (limits and sessions in the store)", columns(&base, &account), app_headers(&headers)),
    ];
    let mut out = format!(
        "### The shared limits\n\nThe app's cached intervals answer (columns of days, brotli), wrk on loopback, {} s per cell, from a companion on SQLite and from one on PostgreSQL (a throwaway server on loopback, `fsync` off), in the same run. On PostgreSQL every request reads its session and the user's connections from the store and takes the per-user limit there, as instances sharing a store must; on SQLite they come from memory.\n\n| store | connections | requests/s | p50 | p99 |\n| --- | ---: | ---: | ---: | ---: |\n",
        args.load_secs
    );
    let mut cells = Vec::new();
    for connections in [1, 16] {
        for (name, url, headers) in &targets {
            get(http, url, headers).await;
            let result = wrk(url, headers, connections, args.load_secs).await;
            let rate = result["requests"].as_f64().unwrap_or(0.0) / result["seconds"].as_f64().unwrap_or(1.0);
            let (p50, p99) = (ms(&result["p50"]), ms(&result["p99"]));
            writeln!(out, "| {name} | {connections} | {rate:.0} | {p50:.2} ms | {p99:.2} ms |").unwrap();
            cells.push((connections, rate, p50, p99));
        }
    }
    out.push_str("\nWhat sharing adds, per request:\n\n| connections | p50 added | p99 added | throughput |\n| --- | ---: | ---: | ---: |\n");
    for pair in cells.chunks(2) {
        let [(connections, rate_one, p50_one, p99_one), (_, rate_shared, p50_shared, p99_shared)] = pair else {
            continue;
        };
        writeln!(
            out,
            "| {connections} | {:+.2} ms | {:+.2} ms | {:.2}× |",
            p50_shared - p50_one,
            p99_shared - p99_one,
            rate_shared / rate_one.max(1.0)
        )
        .unwrap();
    }
    out.push('\n');
    if let [_, _, (_, _, p50_one, _), (_, _, p50_shared, _)] = cells[..] {
        summary.push((
            "(no budget) a shared store adds to a cached answer at p50, 16 connections".to_owned(),
            format!("{:+.2} ms", p50_shared - p50_one),
            true,
        ));
    }
    out
}

/// CPU time a process has used so far, in ms (user and system).
pub(crate) fn cpu_ms(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command's closing parenthesis; utime and stime are the 12th and 13th.
    let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
    let ticks: f64 = fields.get(11..13).map_or(0.0, |f| f.iter().filter_map(|t| t.parse::<f64>().ok()).sum());
    ticks * 10.0
}

/// A cached intervals answer as the app asks for it now (columns of days,
/// brotli) against Pelm's JSON as it was sent before (as it is, and
/// compressed), from the companion's cache: throughput, latency, and the
/// companion's CPU per answer.
pub(crate) async fn cached_answers(
    args: &Args,
    http: &reqwest::Client,
    companion: &Process,
    (_, base, headers, account): &(&str, String, Vec<(&str, String)>, String),
    end: i64,
    summary: &mut Vec<(String, String, bool)>,
) -> String {
    let pelm =
        format!("{base}/intervals?account_id={account}&type=ELECTRIC&start_date={}&end_date={end}", end - 61 * DAY);
    let zone = pelm_usage::ZoneOffsets::learn(&pelm_usage::civil::PACIFIC, end - 122 * DAY, end).to_string();
    let columns = format!(
        "{base}/intervals?account_id={account}&type=ELECTRIC&start_date={}&end_date={end}&level=day&zone={zone}",
        end - 122 * DAY
    );
    let with = |extra: &[(&'static str, &str)]| {
        let mut all = headers.clone();
        all.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
        all
    };
    let requests = [
        ("Pelm's JSON, 2 months, as it is (before)", pelm.clone(), with(&[])),
        ("Pelm's JSON, 2 months, brotli", pelm, with(&[("Accept-Encoding", "br")])),
        (
            "columns of days, 4 months, brotli (the app's)",
            columns,
            with(&[("Accept", pelm_usage::wire::MEDIA_TYPE), ("Accept-Encoding", "br")]),
        ),
    ];
    let mut out = format!(
        "### A cached intervals answer

The companion with its cache on, wrk on loopback, {} s per cell: the intervals answer as the app asked for it before (Pelm's JSON of two months, sent as it is) and as it asks now (the columns of the 122 days of the range and the period before, compressed once and kept so), with Pelm's JSON compressed for comparison. CPU is the companion's user and system time during the run divided by the answers it gave.\n\n| answer | bytes | connections | requests/s | p50 | p99 | CPU per answer |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n",
        args.load_secs
    );
    let mut p99_at_16 = Vec::new();
    // As they go on the wire: not decoded.
    let wire = reqwest::Client::builder().no_gzip().no_brotli().build().expect("client");
    let _ = http;
    for (name, url, headers) in &requests {
        let mut request = wire.get(url);
        for (k, v) in headers {
            request = request.header(*k, v);
        }
        let bytes = request.send().await.expect(url).bytes().await.expect(url).len();
        for connections in [1, 16, 64] {
            let before = cpu_ms(companion.pid());
            let result = wrk(url, headers, connections, args.load_secs).await;
            let cpu = cpu_ms(companion.pid()) - before;
            let answers = result["requests"].as_f64().unwrap_or(0.0);
            let rate = answers / result["seconds"].as_f64().unwrap_or(1.0);
            writeln!(
                out,
                "| {name} | {} | {connections} | {rate:.0} | {:.2} ms | {:.2} ms | {:.0} µs |",
                kb(bytes),
                ms(&result["p50"]),
                ms(&result["p99"]),
                cpu * 1000.0 / answers.max(1.0)
            )
            .unwrap();
            if connections == 16 {
                p99_at_16.push(ms(&result["p99"]));
            }
        }
    }
    out.push('\n');
    let (before, now) = (p99_at_16[0], p99_at_16[2]);
    summary.push((
        "a cached intervals answer, as the app asks, no slower at p99 (16 connections) than before".to_owned(),
        format!("{now:.2} ms against {before:.2} ms"),
        now <= before,
    ));
    out
}
