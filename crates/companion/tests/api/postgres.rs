//! The same companion on PostgreSQL, as several instances sharing one store
//! would run it. `./dev test` starts a PostgreSQL server on loopback and sets
//! PELM_TEST_POSTGRES_URL; without one these tests are ignored, and say why.

use crate::helpers::{browser, connect_token_at, hex_key, sign_in_at, start_companion_at, upstream_of};
use pelm_companion::crypto::TokenCipher;
use pelm_model::companion::Connection;
use pelm_model::pelm::Account;
use pelm_sandbox::Sandbox;
use reqwest::StatusCode;
use serde_json::json;

mod instances;

const NEEDS: &str = "needs PostgreSQL: ./dev test starts one and sets PELM_TEST_POSTGRES_URL";

/// A fresh database on the test server, for one test.
async fn fresh_database() -> String {
    let admin = std::env::var("PELM_TEST_POSTGRES_URL").expect(NEEDS);
    let name = format!("companion_{}", hex::encode(rand::random::<[u8; 6]>()));
    let pool = sqlx::PgPool::connect(&admin).await.expect("connect to the test PostgreSQL");
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&pool).await.unwrap();
    let base = admin.rsplit_once('/').map(|(base, _)| base).unwrap_or(&admin);
    format!("{base}/{name}")
}

#[tokio::test]
#[ignore = "needs PostgreSQL: ./dev test starts one and sets PELM_TEST_POSTGRES_URL"]
async fn two_companions_share_one_postgres_store() {
    let database = fresh_database().await;
    let sandbox = pelm_sandbox::spawn(Sandbox::new(pelm_sandbox::Config::random())).await.unwrap();
    let key = hex_key();
    let first = start_companion_at(database.clone(), upstream_of(&sandbox), &key, |_| {}).await;
    let second = start_companion_at(database.clone(), upstream_of(&sandbox), &key, |_| {}).await;
    let user = browser();

    // Post the code to both instances at once, as a double-firing Connect
    // behind a load balancer would; the sandbox takes a code only once.
    let connect_token = connect_token_at(&user, &first).await;
    let code = sign_in_at(&sandbox, &connect_token, "user@pelm.com").await;
    let post = |base: &str| {
        user.post(format!("{base}/api/authorization"))
            .header("Origin", base)
            .json(&json!({ "authorization_code": code }))
            .send()
    };
    let (a, b) = tokio::join!(post(&first), post(&second));
    assert_eq!((a.unwrap().status(), b.unwrap().status()), (StatusCode::OK, StatusCode::OK));

    // The second instance knows the user: same cookie, same store.
    let connection: Connection =
        user.get(format!("{second}/api/connection")).send().await.unwrap().json().await.unwrap();
    assert!(connection.connected);
    let accounts: Vec<Account> = user.get(format!("{second}/api/accounts")).send().await.unwrap().json().await.unwrap();
    assert_eq!(accounts.len(), 2);

    // Sealed at rest there too.
    let pool = sqlx::PgPool::connect(&database).await.unwrap();
    let (owner, sealed): (String, String) =
        sqlx::query_as("SELECT pelm_user_id, access_token FROM connections").fetch_one(&pool).await.unwrap();
    assert!(sealed.starts_with("v1:"));
    assert!(TokenCipher::from_text(&key).unwrap().open(&owner, &sealed).is_some());

    // A disconnect through the second is seen by the first.
    let response = user.delete(format!("{second}/api/connection")).header("Origin", &second).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let connection: Connection =
        user.get(format!("{first}/api/connection")).send().await.unwrap().json().await.unwrap();
    assert!(!connection.connected);
}

#[tokio::test]
#[ignore = "needs PostgreSQL: ./dev test starts one and sets PELM_TEST_POSTGRES_URL"]
async fn migrations_run_once_however_many_instances_start() {
    let database = fresh_database().await;
    let sandbox = pelm_sandbox::spawn(Sandbox::new(pelm_sandbox::Config::random())).await.unwrap();
    let key = hex_key();
    let (a, b) = tokio::join!(
        start_companion_at(database.clone(), upstream_of(&sandbox), &key, |_| {}),
        start_companion_at(database.clone(), upstream_of(&sandbox), &key, |_| {}),
    );
    for url in [a, b] {
        assert_eq!(reqwest::get(format!("{url}/api/connection")).await.unwrap().status(), StatusCode::OK);
    }
    let pool = sqlx::PgPool::connect(&database).await.unwrap();
    let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations").fetch_one(&pool).await.unwrap();
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres")).unwrap().count();
    assert_eq!(applied as usize, files, "each migration applied exactly once");
}

#[tokio::test]
#[ignore = "needs PostgreSQL: ./dev test starts one and sets PELM_TEST_POSTGRES_URL"]
async fn a_database_of_one_connection_per_user_migrates_on_postgres() {
    let sandbox = pelm_sandbox::spawn(Sandbox::new(pelm_sandbox::Config::random())).await.unwrap();
    crate::connections::one_connection_migrates(fresh_database().await, &sandbox).await;
}
