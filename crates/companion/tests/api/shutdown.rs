//! The companion binary shuts down gracefully on SIGTERM: a request in flight
//! is answered, then the process exits cleanly and stops listening.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The companion binary in sandbox mode on a free port, with `args`, once it answers.
async fn start(args: &[&str]) -> (std::process::Child, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let companion = Command::new(env!("CARGO_BIN_EXE_pelm-companion"))
        .args(["--sandbox", "--listen", &format!("127.0.0.1:{port}")])
        .args(args)
        .arg("--database-url")
        .arg(format!("sqlite://{}", dir.path().join("c.db").display()))
        .env("PELM_TOKEN_KEY", hex::encode([7u8; 32]))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("start the companion binary");
    let client = reqwest::Client::new();
    let started = Instant::now();
    while client.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(started.elapsed() < Duration::from_secs(20), "the companion did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (companion, base, dir)
}

#[tokio::test]
async fn sigterm_lets_requests_in_flight_finish() {
    let (mut companion, base, _dir) = start(&["--sandbox-latency-ms", "1500"]).await;
    let client = reqwest::Client::new();

    // This call waits 1.5 s on the (slow) sandbox; SIGTERM arrives meanwhile.
    let in_flight = tokio::spawn({
        let client = client.clone();
        let base = base.clone();
        async move { client.post(format!("{base}/api/connect-token")).header("Origin", &base).send().await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let killed = Command::new("kill").args(["-TERM", &companion.id().to_string()]).status().unwrap();
    assert!(killed.success());

    let answer = in_flight.await.unwrap().expect("the request in flight was cut off");
    assert_eq!(answer.status(), 200);
    let grant: serde_json::Value = answer.json().await.unwrap();
    assert!(grant["connect_token"].is_string());

    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = companion.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the companion did not exit after SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "exit status {status}");
    assert!(client.get(format!("{base}/healthz")).send().await.is_err(), "still listening after exit");
}

/// A request that will not finish (a Pelm that takes 30 s) holds a shutdown
/// only for the grace period, not for as long as it lasts.
#[tokio::test]
async fn shutdown_waits_only_the_grace_period() {
    let (mut companion, base, _dir) = start(&["--sandbox-latency-ms", "30000", "--shutdown-grace-secs", "1"]).await;
    let client = reqwest::Client::new();
    let _in_flight = tokio::spawn({
        let (client, base) = (client.clone(), base.clone());
        async move { client.post(format!("{base}/api/connect-token")).header("Origin", &base).send().await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let signalled = Instant::now();
    assert!(Command::new("kill").args(["-TERM", &companion.id().to_string()]).status().unwrap().success());
    loop {
        if companion.try_wait().unwrap().is_some() {
            break;
        }
        assert!(signalled.elapsed() < Duration::from_secs(8), "shutdown waited on a request past its grace");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(signalled.elapsed() >= Duration::from_millis(900), "it did not wait at all");
}

#[tokio::test]
async fn a_stopped_application_finishes_and_stops_listening() {
    let dir = tempfile::tempdir().unwrap();
    let config = pelm_companion::Config::for_tests(format!("sqlite://{}", dir.path().join("c.db").display()));
    let application = pelm_companion::Application::build(config).await.expect("companion");
    let (url, stopper) = (application.url(), application.stopper());
    let serving = tokio::spawn(application.run_until_stopped());
    let healthz = format!("{url}/healthz");
    assert!(reqwest::get(&healthz).await.expect("serving").status().is_success());

    stopper.stop();
    let finished = tokio::time::timeout(Duration::from_secs(5), serving).await.expect("still serving after stop");
    finished.expect("the task").expect("served without an error");
    assert!(reqwest::get(&healthz).await.is_err(), "still listening after stop");
}
