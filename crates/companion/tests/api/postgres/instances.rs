//! Several companions on one PostgreSQL store, behind a round-robin
//! balancer that names the client in `X-Forwarded-For`, as a site runs
//! them: each limit holds for the deployment, and a disconnect, a renewal
//! or a rotated session on one instance holds on every other the moment it
//! is answered.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use futures_util::future::join_all;
use pelm_companion::Config;
use pelm_model::companion::{ConnectTokenGrant, Connection};
use pelm_model::pelm::Account;
use pelm_sandbox::Sandbox;
use reqwest::StatusCode;
use serde_json::json;

use super::fresh_database;
use crate::helpers::{browser, hex_key, start_companion_at, upstream_of};

/// The header a test sets to play a client at another address; the
/// balancer turns it into `X-Forwarded-For`, as a real one writes the peer.
const CLIENT: &str = "x-test-client";

/// A deployment: `instances` companions on one fresh database and one
/// sandbox, and a balancer in front.
struct Deployment {
    /// The balancer: what users reach.
    url: String,
    /// Each companion, reached directly.
    instances: Vec<String>,
    sandbox: pelm_sandbox::Spawned,
    database: String,
}

async fn deployment(instances: usize, sandbox: pelm_sandbox::Config, configure: fn(&mut Config)) -> Deployment {
    let database = fresh_database().await;
    let sandbox = pelm_sandbox::spawn(Sandbox::new(sandbox)).await.unwrap();
    let key = hex_key();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let started = join_all((0..instances).map(|_| {
        let (database, upstream, key, url) = (database.clone(), upstream_of(&sandbox), key.clone(), url.clone());
        async move {
            start_companion_at(database, upstream, &key, |config| {
                config.trusted_proxies = vec!["127.0.0.1".to_owned()];
                config.public_origin = Some(url);
                configure(config);
            })
            .await
        }
    }))
    .await;
    tokio::spawn(balance(listener, started.clone()));
    Deployment { url, instances: started, sandbox, database }
}

/// Round robin over `backends`, passing bodies and codings through untouched.
async fn balance(listener: tokio::net::TcpListener, backends: Vec<String>) {
    let next = Arc::new(AtomicUsize::new(0));
    let http = reqwest::Client::builder().no_gzip().no_brotli().redirect(reqwest::redirect::Policy::none()).build();
    let http = http.unwrap();
    let forward = move |request: Request| {
        let backend = backends[next.fetch_add(1, Ordering::Relaxed) % backends.len()].clone();
        let http = http.clone();
        async move {
            let (parts, body) = request.into_parts();
            let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
            let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
            let client = parts.headers.get(CLIENT).and_then(|v| v.to_str().ok()).unwrap_or("198.51.100.1").to_owned();
            let mut headers = parts.headers.clone();
            for name in ["host", "content-length", CLIENT] {
                headers.remove(name);
            }
            let sent = http
                .request(parts.method, format!("{backend}{path}"))
                .headers(headers)
                .header("x-forwarded-for", client)
                .body(body)
                .send()
                .await
                .unwrap();
            let mut response = Response::builder().status(sent.status());
            for (name, value) in sent.headers() {
                if name != "transfer-encoding" && name != "content-length" {
                    response = response.header(name, value);
                }
            }
            response.body(Body::from(sent.bytes().await.unwrap())).unwrap()
        }
    };
    axum::serve(listener, axum::Router::new().fallback(forward)).await.unwrap();
}

/// Connects `user` through `base` as `login`; answers the authorization.
async fn connect(deployment: &Deployment, user: &reqwest::Client, base: &str, login: &str) -> Connection {
    link(deployment, user, base, None, login).await
}

async fn link(
    deployment: &Deployment,
    user: &reqwest::Client,
    base: &str,
    renew: Option<&str>,
    login: &str,
) -> Connection {
    let grant: ConnectTokenGrant = user
        .post(format!("{base}/api/connect-token"))
        .header("Origin", &deployment.url)
        .json(&json!({ "connection_id": renew }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let code = pelm_sandbox::test_support::sign_in(&http, &deployment.sandbox.url(), &grant.connect_token, "1", login)
        .await
        .expect("sign in");
    let response = user
        .post(format!("{base}/api/authorization"))
        .header("Origin", &deployment.url)
        .json(&json!({ "authorization_code": code, "connection_id": grant.connection_id }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// The session cookie `user` holds now, as a `Cookie` header.
fn cookie_of(jar: &reqwest::cookie::Jar, base: &str) -> String {
    use reqwest::cookie::CookieStore;
    let cookies = jar.cookies(&base.parse().unwrap()).expect("a session cookie");
    cookies.to_str().unwrap().to_owned()
}

fn user_with_jar() -> (reqwest::Client, Arc<reqwest::cookie::Jar>) {
    let jar = Arc::new(reqwest::cookie::Jar::default());
    (reqwest::Client::builder().cookie_provider(jar.clone()).build().unwrap(), jar)
}

async fn accounts_status(client: &reqwest::Client, base: &str, cookie: Option<&str>) -> (StatusCode, Vec<Account>) {
    let mut request = client.get(format!("{base}/api/accounts"));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, if status == StatusCode::OK { response.json().await.unwrap() } else { Vec::new() })
}

/// What a bucket of `per_minute` can have given since `started`, beyond its
/// first minute's worth: the bounds hold however slow the machine is.
fn refilled(started: Instant, per_minute: u32) -> usize {
    (started.elapsed().as_secs_f64() * f64::from(per_minute) / 60.0).ceil() as usize + 1
}

#[tokio::test]
#[ignore = "needs PostgreSQL: ./dev test starts one and sets PELM_TEST_POSTGRES_URL"]
async fn one_addresss_limit_holds_for_the_deployment() {
    let deployment = deployment(3, pelm_sandbox::Config::random(), |c| c.address_rate_limit_per_minute = 20).await;
    let started = Instant::now();
    let posts = (0..60).map(|_| {
        // No cookie: each post is a stranger's, from one address.
        reqwest::Client::new()
            .post(format!("{}/api/connect-token", deployment.url))
            .header("Origin", &deployment.url)
            .header(CLIENT, "203.0.113.7")
            .send()
    });
    let answered = join_all(posts).await.into_iter().filter(|r| r.as_ref().unwrap().status() == StatusCode::OK).count();
    // A minute's allowance, and what refills while the posts run.
    let refilled = refilled(started, 20);
    assert!((20..=20 + refilled).contains(&answered), "{answered} of 60 answered across three instances");
    // Another address has its own allowance.
    let other = reqwest::Client::new()
        .post(format!("{}/api/connect-token", deployment.url))
        .header("Origin", &deployment.url)
        .header(CLIENT, "203.0.113.8")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::OK);
}

#[tokio::test]
#[ignore = "needs PostgreSQL: ./dev test starts one and sets PELM_TEST_POSTGRES_URL"]
async fn the_sites_pelm_ceiling_for_strangers_holds_for_the_deployment() {
    let deployment = deployment(2, pelm_sandbox::Config::random(), |c| c.pelm_calls_per_minute = 60).await;
    let before = deployment.sandbox.sandbox.rest_calls();
    // 120 strangers, each from an address of their own, ask for a Connect token.
    let started = Instant::now();
    let posts = (0..120).map(|i| {
        reqwest::Client::new()
            .post(format!("{}/api/connect-token", deployment.url))
            .header("Origin", &deployment.url)
            .header(CLIENT, format!("203.0.113.{}", i % 250))
            .send()
    });
    join_all(posts).await;
    let calls = deployment.sandbox.sandbox.rest_calls() - before;
    // Half of 60 a minute is theirs, and a little refills meanwhile.
    let refilled = refilled(started, 30) as u64;
    assert!((30..=30 + refilled).contains(&calls), "{calls} calls to Pelm for 120 strangers on two instances");
}

#[tokio::test]
#[ignore = "needs PostgreSQL: ./dev test starts one and sets PELM_TEST_POSTGRES_URL"]
async fn one_users_limit_holds_for_the_deployment() {
    let deployment = deployment(2, pelm_sandbox::Config::random(), |c| c.rate_limit_per_minute = 30).await;
    let user = browser();
    connect(&deployment, &user, &deployment.url, "user@pelm.com").await;
    let started = Instant::now();
    let reads = (0..80).map(|_| user.get(format!("{}/api/connections", deployment.url)).send());
    let answered = join_all(reads).await.into_iter().filter(|r| r.as_ref().unwrap().status() == StatusCode::OK).count();
    // Connecting spent two of the thirty.
    let refilled = refilled(started, 30);
    assert!((28..=28 + refilled).contains(&answered), "{answered} of 80 reads answered on two instances");
}

#[tokio::test]
#[ignore = "needs PostgreSQL: ./dev test starts one and sets PELM_TEST_POSTGRES_URL"]
async fn one_users_calls_to_pelm_wait_their_turn_across_instances() {
    let latency = Duration::from_millis(250);
    let mut sandbox = pelm_sandbox::Config::random();
    sandbox.faults.latency = latency;
    let deployment = deployment(2, sandbox, |c| c.user_concurrency = 1).await;
    let user = browser();
    connect(&deployment, &user, &deployment.url, "user@pelm.com").await;
    let (_, accounts) = accounts_status(&user, &deployment.url, None).await;
    let account = &accounts[0].id;
    // Four spans, none cached, at once: with one slot they go one by one.
    let day = 86_400;
    let started = Instant::now();
    let reads = (0..4).map(|i| {
        let (from, to) = (1_700_000_000 + i * 10 * day, 1_700_000_000 + (i * 10 + 5) * day);
        user.get(format!(
            "{}/api/intervals?account_id={account}&type=ELECTRIC&start_date={from}&end_date={to}",
            deployment.url
        ))
        .send()
    });
    for read in join_all(reads).await {
        assert_eq!(read.unwrap().status(), StatusCode::OK);
    }
    let took = started.elapsed();
    assert!(took >= latency * 4, "four calls took {took:?}: some ran side by side on different instances");
}

#[tokio::test]
#[ignore = "needs PostgreSQL: ./dev test starts one and sets PELM_TEST_POSTGRES_URL"]
async fn after_a_disconnect_on_one_instance_no_other_serves_the_data() {
    let deployment = deployment(2, pelm_sandbox::Config::random(), |_| {}).await;
    let (a, b) = (&deployment.instances[0], &deployment.instances[1]);
    let (user, jar) = user_with_jar();
    connect(&deployment, &user, a, "user@pelm.com").await;
    // B has read the user's session, connections and accounts (and cached them).
    assert_eq!(accounts_status(&user, b, None).await.1.len(), 2);
    let before = cookie_of(&jar, b);

    let gone = user.delete(format!("{a}/api/connection")).header("Origin", &deployment.url).send().await.unwrap();
    assert_eq!(gone.status(), StatusCode::OK);
    let left = cookie_of(&jar, b);
    let stranger = reqwest::Client::new();
    for (which, cookie) in [("the cookie the disconnect left", &left), ("the cookie from before", &before)] {
        let (status, accounts) = accounts_status(&stranger, b, Some(cookie)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "B served {} accounts to {which}", accounts.len());
    }
}

#[tokio::test]
#[ignore = "needs PostgreSQL: ./dev test starts one and sets PELM_TEST_POSTGRES_URL"]
async fn after_a_reconnect_with_another_login_no_instance_serves_the_old_logins_data() {
    let deployment = deployment(2, pelm_sandbox::Config::random(), |_| {}).await;
    let (a, b) = (&deployment.instances[0], &deployment.instances[1]);
    let user = browser();
    let first = connect(&deployment, &user, a, "user@pelm.com").await;
    let (_, accounts) = accounts_status(&user, b, None).await;
    assert_eq!(accounts.len(), 2);
    // B keeps the first login's usage in its cache.
    let usage = format!("{b}/api/intervals?account_id={}&type=ELECTRIC", accounts[0].id);
    assert_eq!(user.get(&usage).send().await.unwrap().status(), StatusCode::OK);

    let renewed = link(&deployment, &user, a, first.linked.as_deref(), "solar@pelm.com").await;
    assert_eq!(renewed.linked, first.linked, "renewed in place");
    let (status, accounts) = accounts_status(&user, b, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(accounts.len(), 1, "B answered with the old login's accounts");
    // What B kept was asked with the old login's token: the same request now
    // goes to Pelm with the new one, whatever Pelm then answers.
    let calls = deployment.sandbox.sandbox.rest_calls();
    user.get(&usage).send().await.unwrap();
    assert!(deployment.sandbox.sandbox.rest_calls() > calls, "B answered from what the old token was given");
}

#[tokio::test]
#[ignore = "needs PostgreSQL: ./dev test starts one and sets PELM_TEST_POSTGRES_URL"]
async fn a_session_rotated_on_one_instance_is_not_accepted_by_another() {
    let deployment = deployment(2, pelm_sandbox::Config::random(), |_| {}).await;
    let (a, b) = (&deployment.instances[0], &deployment.instances[1]);
    let (user, jar) = user_with_jar();
    connect(&deployment, &user, a, "user@pelm.com").await;
    assert_eq!(accounts_status(&user, b, None).await.0, StatusCode::OK);
    let before = cookie_of(&jar, b);
    // Linking a second utility starts a new session in place of the old.
    connect(&deployment, &user, a, "gas@pelm.com").await;
    assert_ne!(cookie_of(&jar, b), before, "the session was not rotated");
    let (status, _) = accounts_status(&reqwest::Client::new(), b, Some(&before)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "B still took the rotated session");
    assert_eq!(accounts_status(&user, b, None).await.0, StatusCode::OK, "the new session works on B");
}

#[tokio::test]
#[ignore = "needs PostgreSQL: ./dev test starts one and sets PELM_TEST_POSTGRES_URL"]
async fn sweeps_run_once_for_the_deployment() {
    use pelm_companion::crypto::TokenCipher;
    use pelm_companion::store::{SessionRules, Store};
    let database = fresh_database().await;
    let key = hex_key();
    let stores = join_all((0..3).map(|_| Store::open(&database, TokenCipher::from_text(&key).unwrap()))).await;
    let rules = SessionRules { idle_secs: 3600, lifetime_secs: 7200 };
    let every = Duration::from_secs(60);
    let sweeps = join_all(stores.iter().map(|store| store.as_ref().unwrap().sweep_if_due(&rules, every))).await;
    let ran = sweeps.into_iter().filter(|s| s.as_ref().unwrap().is_some()).count();
    assert_eq!(ran, 1, "{ran} of three instances swept in one period");
    // And none again within the period.
    let again = stores[0].as_ref().unwrap().sweep_if_due(&rules, every).await.unwrap();
    assert!(again.is_none());
}

#[tokio::test]
#[ignore = "needs PostgreSQL: ./dev test starts one and sets PELM_TEST_POSTGRES_URL"]
async fn without_its_store_an_instance_is_not_ready_and_its_limits_fail_closed() {
    let deployment = deployment(1, pelm_sandbox::Config::random(), |_| {}).await;
    let one = &deployment.instances[0];
    assert_eq!(reqwest::get(format!("{one}/readyz")).await.unwrap().status(), StatusCode::OK);

    // The store goes away under the running instance.
    let admin = sqlx::PgPool::connect(&std::env::var("PELM_TEST_POSTGRES_URL").unwrap()).await.unwrap();
    let name = deployment.database.rsplit('/').next().unwrap();
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)")).execute(&admin).await.unwrap();

    assert_eq!(reqwest::get(format!("{one}/healthz")).await.unwrap().status(), StatusCode::OK, "the process is up");
    assert_eq!(reqwest::get(format!("{one}/readyz")).await.unwrap().status(), StatusCode::SERVICE_UNAVAILABLE);
    // A stranger's state change is refused rather than let through unlimited.
    let post = reqwest::Client::new().post(format!("{one}/api/connect-token")).header("Origin", &deployment.url);
    assert_eq!(post.send().await.unwrap().status(), StatusCode::SERVICE_UNAVAILABLE);
}
