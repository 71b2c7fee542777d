//! Several connections per person: linking a second utility, renewing one,
//! removing one, the health of each, isolation between people and between
//! connections, the limit, and today's one-connection rows migrated.

use crate::helpers::{error_body, spawn_app, TestApp};
use pelm_model::companion::{ConnectTokenGrant, Connection, ConnectionStatus, LinkedConnection, MOST_CONNECTIONS};
use pelm_model::pelm::{Account, AccountBills, Intervals};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Pelm's utility ids in the sandbox: PG&E, and a gas-only utility.
const PGE: &str = "1";
const GAS: &str = "4";

/// Connect, as the app runs it: a token for `connection` (update mode) or
/// a new one, a sign-in at `utility` as `login`, and the code posted back
/// with the grant's connection. Answers the authorization's status and body.
async fn try_link(app: &TestApp, connection: Option<&str>, utility: &str, login: &str) -> (StatusCode, Value) {
    let asked = app.post("connect-token").json(&json!({ "connection_id": connection })).send().await.unwrap();
    if asked.status() != StatusCode::OK {
        return (asked.status(), asked.json().await.unwrap());
    }
    let grant: ConnectTokenGrant = asked.json().await.unwrap();
    let http = reqwest::Client::new();
    let code = pelm_sandbox::test_support::sign_in(&http, &app.sandbox.url(), &grant.connect_token, utility, login)
        .await
        .expect("sign in");
    let body = json!({ "authorization_code": code, "connection_id": grant.connection_id });
    let response = app.post("authorization").json(&body).send().await.unwrap();
    (response.status(), response.json().await.unwrap())
}

async fn link(app: &TestApp, connection: Option<&str>, utility: &str, login: &str) -> Connection {
    let (status, body) = try_link(app, connection, utility, login).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_value(body).expect("a connection")
}

async fn listed(app: &TestApp) -> Vec<LinkedConnection> {
    let response = app.get("connections").await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn accounts(app: &TestApp) -> Vec<Account> {
    let response = app.get("accounts").await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// Electricity at PG&E and gas elsewhere, in one browser.
async fn two_utilities() -> (TestApp, LinkedConnection, LinkedConnection) {
    let app = spawn_app().await;
    let first = link(&app, None, PGE, "user@pelm.com").await;
    let second = link(&app, None, GAS, "gasonly@pelm.com").await;
    assert_ne!(first.linked, second.linked, "the second utility renewed the first");
    let list = listed(&app).await;
    assert_eq!(list.len(), 2, "{list:?}");
    (app, list[0].clone(), list[1].clone())
}

fn utility_name(connection: &LinkedConnection) -> &str {
    connection.utility.as_ref().map(|u| u.name.as_str()).unwrap_or("(none)")
}

#[tokio::test]
async fn two_utilities_are_two_connections_and_their_accounts_merge() {
    let (app, electric, gas) = two_utilities().await;
    assert_eq!(utility_name(&electric), "Pacific Gas and Electric");
    assert_eq!(utility_name(&gas), "Southern California Gas Company");
    assert!(electric.status == ConnectionStatus::Connected && gas.status == ConnectionStatus::Connected);

    let summary: Connection = app.get("connection").await.json().await.unwrap();
    assert!(summary.connected);
    assert_eq!(summary.utility.as_deref(), Some("Pacific Gas and Electric"), "the first one's utility");
    assert_eq!(summary.credentials_valid, Some(true));

    let all = accounts(&app).await;
    let of = |id: &str| all.iter().filter(|a| a.connection_id.as_deref() == Some(id)).collect::<Vec<_>>();
    assert_eq!((of(&electric.id).len(), of(&gas.id).len()), (2, 1), "{all:?}");
    assert_eq!(of(&gas.id)[0].utility.as_ref().map(|u| u.id.as_str()), Some(GAS));
    assert!(all.iter().all(|a| a.connection_status.is_none()), "nothing failed, nothing marked");

    // Each account's data comes through its own connection's token.
    for account in &all {
        let kind = account.meter_types()[0];
        let path = format!("intervals?account_id={}&type={}", account.id, kind.name().to_uppercase());
        let response = app.get(&path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let intervals: Intervals = response.json().await.unwrap();
        assert_eq!(intervals.account.id, account.id);
        let bills: Vec<AccountBills> = app.get(&format!("bills?account_id={}", account.id)).await.json().await.unwrap();
        assert_eq!(bills[0].account_id.as_deref(), Some(account.id.as_str()));
        let pdf = app.get(&format!("bills/{}/pdf?account_id={}", bills[0].bills[0].id, account.id)).await;
        assert_eq!(pdf.status(), StatusCode::OK);
    }
    // By meter too.
    let meter = &of(&gas.id)[0].meters[0].id;
    assert_eq!(app.get(&format!("intervals?meter_id={meter}")).await.status(), StatusCode::OK);
    // With two, a request must say whose data it wants.
    let unnamed = app.get("bills").await;
    assert_eq!(unnamed.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_body(unnamed).await["field"], "account_id");
}

#[tokio::test]
async fn renewing_one_keeps_its_id_and_leaves_the_other_alone() {
    let (app, electric, gas) = two_utilities().await;
    let renewed = link(&app, Some(&gas.id), GAS, "gasonly@pelm.com").await;
    assert_eq!(renewed.linked.as_deref(), Some(gas.id.as_str()));
    assert_eq!(renewed.utility.as_deref(), Some("Southern California Gas Company"), "the one just linked");
    let list = listed(&app).await;
    let ids: Vec<&str> = list.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, [electric.id.as_str(), gas.id.as_str()]);
    assert_eq!(accounts(&app).await.len(), 3);
}

#[tokio::test]
async fn disconnecting_one_leaves_the_other_and_its_data() {
    let (app, electric, gas) = two_utilities().await;
    let before = accounts(&app).await;
    let gas_account = before.iter().find(|a| a.connection_id.as_deref() == Some(&gas.id)).unwrap().id.clone();

    let response = app.client.delete(app.api(&format!("connections/{}", gas.id))).header("Origin", &app.url).send();
    let response = response.await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let left: Connection = response.json().await.unwrap();
    assert!(left.connected);
    assert_eq!(left.utility.as_deref(), Some("Pacific Gas and Electric"), "the first one left");
    let left = listed(&app).await;
    assert_eq!(left.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), [electric.id.as_str()]);

    let after = accounts(&app).await;
    assert_eq!(after.len(), 2, "{after:?}");
    assert!(after.iter().all(|a| a.connection_id.as_deref() == Some(electric.id.as_str())));
    // The removed connection's account is nobody's here now: with one
    // connection left, the request goes to it, and Pelm says it is not its.
    let gone = app.get(&format!("intervals?account_id={gas_account}&type=GAS")).await;
    assert!(gone.status().is_client_error(), "{}", gone.status());

    let again = app.client.delete(app.api(&format!("connections/{}", gas.id))).header("Origin", &app.url).send();
    assert_eq!(again.await.unwrap().status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_revoked_connection_is_marked_and_the_others_still_answer() {
    let (app, electric, gas) = two_utilities().await;
    let known = accounts(&app).await;
    // Pelm revokes the gas login's token only.
    let database = sqlx::SqlitePool::connect(&format!("sqlite://{}", app.database.display())).await.unwrap();
    let gas_user: String = sqlx::query_scalar("SELECT pelm_user_id FROM connections WHERE id = $1")
        .bind(&gas.id)
        .fetch_one(&database)
        .await
        .unwrap();
    assert_eq!(app.sandbox.sandbox.revoke_tokens_of(&gas_user), 1);

    let now = accounts(&app).await;
    assert_eq!(now.len(), known.len(), "the revoked connection's accounts went missing");
    for account in &now {
        let expected = (account.connection_id.as_deref() == Some(&gas.id)).then_some(ConnectionStatus::LoginNeeded);
        assert_eq!(account.connection_status, expected, "{account:?}");
    }
    let list = listed(&app).await;
    assert_eq!((list[0].status, list[1].status), (ConnectionStatus::Connected, ConnectionStatus::LoginNeeded));
    let electric_account = now.iter().find(|a| a.connection_id.as_deref() == Some(&electric.id)).unwrap();
    let path = format!("intervals?account_id={}&type=ELECTRIC", electric_account.id);
    let response = app.get(&path).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "the other connection stopped answering: {}",
        response.text().await.unwrap()
    );
}

#[tokio::test]
async fn health_is_recorded_from_pelms_answers_and_listing_asks_pelm_nothing() {
    let app = spawn_app().await;
    link(&app, None, PGE, "lagging@pelm.com").await;
    let account = accounts(&app).await.remove(0);
    let now = app.clock.now();
    let path =
        format!("intervals?account_id={}&type=ELECTRIC&start_date={}&end_date={now}", account.id, now - 30 * 86_400);
    let intervals: Intervals = app.get(&path).await.json().await.unwrap();
    let newest = intervals.intervals.iter().map(|i| i.end).max().expect("some data");

    let calls = app.sandbox.sandbox.rest_calls();
    let list = listed(&app).await;
    assert_eq!(app.sandbox.sandbox.rest_calls(), calls, "listing connections called Pelm");
    assert_eq!(list[0].data_through, Some(newest));
    assert!(now - newest >= 4 * 86_400 - 3600, "the lagging login's data is days old: {}", now - newest);
    assert!(list[0].checked_at.is_some_and(|at| at >= list[0].connected_at));

    // An older range does not move data_through back.
    let older = format!(
        "intervals?account_id={}&type=ELECTRIC&start_date={}&end_date={}",
        account.id,
        now - 60 * 86_400,
        now - 40 * 86_400
    );
    assert_eq!(app.get(&older).await.status(), StatusCode::OK);
    assert_eq!(listed(&app).await[0].data_through, Some(newest));
}

#[tokio::test]
async fn a_login_still_collecting_is_listed_as_collecting() {
    let app = spawn_app().await;
    link(&app, None, PGE, "slow@pelm.com").await;
    let answer = app.get("accounts").await;
    assert_eq!(answer.status(), StatusCode::ACCEPTED);
    assert_eq!(error_body(answer).await["error_code"], "data_unavailable");
    assert_eq!(listed(&app).await[0].status, ConnectionStatus::Collecting);
}

#[tokio::test]
async fn nobody_else_can_see_renew_remove_or_read_a_connection() {
    let (owner, _, gas) = two_utilities().await;
    let gas_account = accounts(&owner).await.into_iter().find(|a| a.connection_id.as_deref() == Some(&gas.id)).unwrap();
    // Someone else, with two connections of their own, so their requests
    // are routed by account rather than sent to their only one.
    let other = owner.in_another_browser();
    link(&other, None, PGE, "user@pelm.com").await;
    link(&other, None, GAS, "gasonly@pelm.com").await;
    let theirs = listed(&other).await;
    assert!(theirs.iter().all(|c| c.id != gas.id), "another person's connection ids collide with the owner's");

    let delete = other.client.delete(other.api(&format!("connections/{}", gas.id))).header("Origin", &other.url);
    assert_eq!(delete.send().await.unwrap().status(), StatusCode::NOT_FOUND);
    let renew = other.post("connect-token").json(&json!({ "connection_id": gas.id })).send().await.unwrap();
    assert_eq!(renew.status(), StatusCode::NOT_FOUND);
    let read = other.get(&format!("intervals?account_id={}&type=GAS", gas_account.id)).await;
    assert_eq!(read.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_body(read).await["field"], "account_id");
    let pdf = other.get(&format!("bills/anything/pdf?account_id={}", gas_account.id)).await;
    assert_eq!(pdf.status(), StatusCode::NOT_FOUND);
    // A code posted for the owner's connection id goes nowhere of theirs.
    let (status, _) = try_link_posting(&other, &gas.id).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// A real code, posted with `connection_id` in place of the grant's.
async fn try_link_posting(app: &TestApp, connection_id: &str) -> (StatusCode, Value) {
    let grant: ConnectTokenGrant = app.post("connect-token").send().await.unwrap().json().await.unwrap();
    let code = app.sign_in(&grant.connect_token, "user@pelm.com").await;
    let body = json!({ "authorization_code": code, "connection_id": connection_id });
    let response = app.post("authorization").json(&body).send().await.unwrap();
    (response.status(), response.json().await.unwrap())
}

#[tokio::test]
async fn one_person_holds_at_most_the_most_connections() {
    let app = spawn_app().await;
    for _ in 0..MOST_CONNECTIONS {
        link(&app, None, PGE, "user@pelm.com").await;
    }
    let (status, body) = try_link(&app, None, PGE, "user@pelm.com").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error_code"], "too_many_connections");
    assert_eq!(listed(&app).await.len(), MOST_CONNECTIONS);
    // Renewing one is still allowed.
    let first = listed(&app).await[0].id.clone();
    link(&app, Some(&first), PGE, "user@pelm.com").await;
}

#[tokio::test]
async fn disconnecting_everything_through_the_summary_route_removes_each_one() {
    let (app, _, _) = two_utilities().await;
    let response = app.client.delete(app.api("connection")).header("Origin", &app.url).send().await.unwrap();
    let answer: Connection = response.json().await.unwrap();
    assert!(!answer.connected);
    assert!(listed(&app).await.is_empty());
    assert_eq!(app.get("accounts").await.status(), StatusCode::UNAUTHORIZED);
}

/// A database as the companion wrote it before there could be several
/// connections (migrations 0001 to 0004, and the statements it ran): one
/// user with a session and a connection holding a real sandbox token,
/// sealed under `key`, and a code it exchanged. Answers the session cookie.
pub async fn database_of_one_connection(url: &str, sandbox: &pelm_sandbox::Spawned, key: &str) -> String {
    sqlx::any::install_default_drivers();
    let url = match url.starts_with("sqlite:") {
        true => format!("{url}?mode=rwc"),
        false => url.to_owned(),
    };
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    let mut migrator = match url.starts_with("sqlite:") {
        true => sqlx::migrate!("./migrations/sqlite"),
        false => sqlx::migrate!("./migrations/postgres"),
    };
    let before: Vec<_> = migrator.migrations.iter().filter(|m| m.version <= 4).cloned().collect();
    migrator.migrations = before.into();
    migrator.run(&pool).await.unwrap();

    let (identity, pelm_user) = ("session:0f1e2d3c", "user-legacy0123456789abcdef");
    let token = sandbox.sandbox.token_for(pelm_user, PGE, "user@pelm.com").expect("a token");
    let sealed = pelm_companion::crypto::TokenCipher::from_text(key).unwrap().seal(pelm_user, &token);
    let cookie = hex::encode(rand::random::<[u8; 32]>());
    let now = pelm_companion::store::now();
    let at = now - 86_400;
    let run = |query: sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments<'static>>| {
        let pool = pool.clone();
        async move { query.execute(&pool).await.unwrap() }
    };
    run(sqlx::query("INSERT INTO users (identity, pelm_user_id, created_at) VALUES ($1, $2, $3)")
        .bind(identity)
        .bind(pelm_user)
        .bind(at))
    .await;
    run(sqlx::query("INSERT INTO connections (pelm_user_id, access_token, connected_at) VALUES ($1, $2, $3)")
        .bind(pelm_user)
        .bind(sealed)
        .bind(at))
    .await;
    run(sqlx::query("UPDATE connections SET utility_id = $1, utility_name = $2 WHERE pelm_user_id = $3")
        .bind(PGE)
        .bind("Pacific Gas and Electric")
        .bind(pelm_user))
    .await;
    run(sqlx::query("INSERT INTO sessions (id_hash, identity, created_at, seen_at) VALUES ($1, $2, $3, $4)")
        .bind(pelm_companion::store::sha256_hex(&cookie))
        .bind(identity)
        .bind(at)
        .bind(now))
    .await;
    run(sqlx::query("INSERT INTO code_exchanges (code_hash, pelm_user_id, exchanged_at, done) VALUES ($1, $2, $3, 1)")
        .bind("c0de")
        .bind(pelm_user)
        .bind(now))
    .await;
    pool.close().await;
    format!("pelm_session={cookie}")
}

/// Opens a database written before there could be several connections and
/// checks that its connection came over whole: listed, its utility named,
/// its token still good, its session still valid; and that a second
/// utility can then be linked beside it.
pub async fn one_connection_migrates(url: String, sandbox: &pelm_sandbox::Spawned) {
    let key = crate::helpers::hex_key();
    let cookie = database_of_one_connection(&url, sandbox, &key).await;
    let base = crate::helpers::start_companion_at(url, crate::helpers::upstream_of(sandbox), &key, |_| {}).await;
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    jar.add_cookie_str(&format!("{cookie}; Path=/"), &base.parse().unwrap());
    let client = reqwest::Client::builder().cookie_provider(jar).build().unwrap();

    let list: Vec<LinkedConnection> =
        client.get(format!("{base}/api/connections")).send().await.unwrap().json().await.unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    let migrated = &list[0];
    assert_eq!(utility_name(migrated), "Pacific Gas and Electric");
    assert_eq!(migrated.status, ConnectionStatus::Connected);
    assert!(pelm_companion::store::now() - migrated.connected_at >= 86_400, "connected_at was not kept");
    let accounts: Vec<Account> = client.get(format!("{base}/api/accounts")).send().await.unwrap().json().await.unwrap();
    assert_eq!(accounts.len(), 2);
    assert!(accounts.iter().all(|a| a.connection_id.as_deref() == Some(migrated.id.as_str())));
    let path = format!("{base}/api/intervals?account_id={}&type=ELECTRIC", accounts[0].id);
    assert_eq!(client.get(path).send().await.unwrap().status(), StatusCode::OK);

    // A second utility beside it; the first keeps its id.
    let grant: ConnectTokenGrant = client
        .post(format!("{base}/api/connect-token"))
        .header("Origin", &base)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let code =
        pelm_sandbox::test_support::sign_in(&http, &sandbox.url(), &grant.connect_token, GAS, "gasonly@pelm.com")
            .await
            .unwrap();
    let body = json!({ "authorization_code": code, "connection_id": grant.connection_id });
    let linked =
        client.post(format!("{base}/api/authorization")).header("Origin", &base).json(&body).send().await.unwrap();
    assert_eq!(linked.status(), StatusCode::OK);
    let list: Vec<LinkedConnection> =
        client.get(format!("{base}/api/connections")).send().await.unwrap().json().await.unwrap();
    assert_eq!(list.iter().map(|c| c.id.as_str()).collect::<Vec<_>>()[..1], [migrated.id.as_str()]);
    assert_eq!(list.len(), 2);
}

#[tokio::test]
async fn a_database_of_one_connection_per_user_migrates_on_sqlite() {
    let sandbox = pelm_sandbox::spawn(pelm_sandbox::Sandbox::new(pelm_sandbox::Config::random())).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    one_connection_migrates(format!("sqlite://{}", dir.path().join("v4.db").display()), &sandbox).await;
}

/// The app's first call brings what its first view needs, from the store:
/// the connections and their accounts, with no call to Pelm.
#[tokio::test]
async fn a_returning_users_first_answer_brings_connections_and_accounts_without_asking_pelm() {
    let (app, electric, gas) = two_utilities().await;
    let calls = app.sandbox.sandbox.rest_calls();
    let first: Connection = app.get("connection").await.json().await.unwrap();
    assert_eq!(app.sandbox.sandbox.rest_calls(), calls, "a look at the connection asked Pelm");
    assert!(!first.refreshing, "looked at a moment ago: nothing to ask");
    assert_eq!(first.connections.map(|c| c.read().unwrap()), Some(listed(&app).await));
    let shown = first.accounts.expect("the accounts, as last answered").read().unwrap();
    let expected = accounts(&app).await;
    let ids = |accounts: &[Account]| {
        accounts.iter().map(|a| (a.id.clone(), a.connection_id.clone(), a.utility.clone())).collect::<Vec<_>>()
    };
    assert_eq!(ids(&shown), ids(&expected), "the same accounts, in Pelm's order");
    assert!(shown.iter().any(|a| a.connection_id.as_deref() == Some(electric.id.as_str())));
    assert!(shown.iter().any(|a| a.connection_id.as_deref() == Some(gas.id.as_str())));
}

/// A new connection's answer carries its accounts, asked of Pelm while it
/// was linked, so the app goes to its data with no other request.
#[tokio::test]
async fn a_new_connection_is_answered_with_its_accounts() {
    let app = spawn_app().await;
    let answer = link(&app, None, PGE, "user@pelm.com").await;
    let connections = answer.connections.expect("the connections").read().unwrap();
    assert_eq!(connections.len(), 1);
    assert_eq!(connections[0].utility.as_ref().map(|u| u.name.as_str()), Some("Pacific Gas and Electric"));
    let accounts = answer.accounts.expect("its accounts").read().unwrap();
    assert_eq!(accounts.len(), 2, "the seed login's two accounts");
    assert!(accounts.iter().all(|a| a.connection_id == answer.linked && a.utility.is_some()));
}

/// A look older than PELM_REFRESH_AFTER asks Pelm about each connection in
/// the background, once however many looks come at once; the answer does
/// not wait for it, and the next list shows what Pelm said.
#[tokio::test]
async fn an_old_look_asks_pelm_again_in_the_background_once() {
    // A slow Pelm, so the looks all come while Pelm is being asked.
    let mut config = pelm_sandbox::Config::random();
    config.faults.latency = std::time::Duration::from_millis(300);
    let app = crate::helpers::spawn_app_with(config).await;
    link(&app, None, PGE, "user@pelm.com").await;
    let later = crate::helpers::start_companion_running(
        format!("sqlite://{}", app.database.display()),
        crate::helpers::upstream_of(&app.sandbox),
        &app.token_key,
        |c| c.refresh_after_secs = 1,
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let look = || app.client.get(format!("{}/api/connection", later.url)).send();
    let calls = app.sandbox.sandbox.rest_calls();
    app.sandbox.sandbox.set_all_credentials_valid(false);
    let (a, b, c) = tokio::join!(look(), look(), look());
    for answer in [a, b, c] {
        let answer: Connection = answer.unwrap().json().await.unwrap();
        assert!(answer.refreshing && answer.credentials_valid == Some(true), "answered at once, from the store");
    }
    let started = std::time::Instant::now();
    let status = loop {
        let list: Vec<LinkedConnection> =
            app.client.get(format!("{}/api/connections", later.url)).send().await.unwrap().json().await.unwrap();
        if list[0].status == ConnectionStatus::LoginNeeded || started.elapsed().as_secs() > 5 {
            break list[0].status;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(status, ConnectionStatus::LoginNeeded, "the background look learned of the changed password");
    // The accounts are asked for after the login: let that finish.
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    assert_eq!(app.sandbox.sandbox.rest_calls(), calls + 2, "one /users and one /accounts for three looks");
}
