//! Users and their Pelm access tokens, in SQLite through migrations.

use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::SqlitePool;

use crate::crypto::TokenCipher;

#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
    cipher: TokenCipher,
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

pub fn sha256_hex(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

impl Store {
    /// Opens (creating if needed) the database at `url` and brings its schema up to date.
    pub async fn open(url: &str, cipher: TokenCipher) -> Result<Self, sqlx::Error> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            // WAL lets readers go on while a token is written.
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Self { pool, cipher })
    }

    /// The Pelm user id for `identity`, minted on first sight. Pelm only ever
    /// sees this random id, never the cookie or the site's own user id.
    pub async fn pelm_user_id(&self, identity: &str) -> Result<String, sqlx::Error> {
        let fresh = format!("user-{}", hex::encode(rand::random::<[u8; 12]>()));
        sqlx::query(
            "INSERT INTO users (identity, pelm_user_id, created_at) VALUES (?, ?, ?) ON CONFLICT (identity) DO NOTHING",
        )
        .bind(identity)
        .bind(&fresh)
        .bind(now())
        .execute(&self.pool)
        .await?;
        sqlx::query_scalar("SELECT pelm_user_id FROM users WHERE identity = ?")
            .bind(identity)
            .fetch_one(&self.pool)
            .await
    }

    /// The Pelm user id for `identity`, if it was ever minted. Read paths use
    /// this, so a visitor who only looks creates no row.
    pub async fn existing_pelm_user_id(&self, identity: &str) -> Result<Option<String>, sqlx::Error> {
        sqlx::query_scalar("SELECT pelm_user_id FROM users WHERE identity = ?")
            .bind(identity)
            .fetch_optional(&self.pool)
            .await
    }

    /// The user's access token. One sealed with another key (the key was
    /// changed) or for another user (the row was moved) reads as none, so the
    /// user is asked to connect again.
    pub async fn access_token(&self, pelm_user_id: &str) -> Result<Option<String>, sqlx::Error> {
        let sealed: Option<String> = sqlx::query_scalar("SELECT access_token FROM connections WHERE pelm_user_id = ?")
            .bind(pelm_user_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(sealed.and_then(|sealed| {
            let token = self.cipher.open(pelm_user_id, &sealed);
            if token.is_none() {
                tracing::warn!(%pelm_user_id, "a stored access token does not open with the configured key");
            }
            token
        }))
    }

    /// Stores the token from exchanging `code`, remembering the code so a
    /// repeat of it is recognised without another exchange.
    pub async fn save_connection(&self, pelm_user_id: &str, code: &str, access_token: &str) -> Result<(), sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO connections (pelm_user_id, access_token, connected_at) VALUES (?, ?, ?)
             ON CONFLICT (pelm_user_id) DO UPDATE SET access_token = excluded.access_token, connected_at = excluded.connected_at",
        )
        .bind(pelm_user_id)
        .bind(self.cipher.seal(pelm_user_id, access_token))
        .bind(now())
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT OR IGNORE INTO code_exchanges (code_hash, pelm_user_id, exchanged_at) VALUES (?, ?, ?)")
            .bind(sha256_hex(code))
            .bind(pelm_user_id)
            .bind(now())
            .execute(&mut *tx)
            .await?;
        tx.commit().await
    }

    /// True when `code` was already exchanged for this user.
    pub async fn code_exchanged(&self, pelm_user_id: &str, code: &str) -> Result<bool, sqlx::Error> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM code_exchanges WHERE code_hash = ? AND pelm_user_id = ?")
                .bind(sha256_hex(code))
                .bind(pelm_user_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(found.is_some())
    }

    pub async fn delete_connection(&self, pelm_user_id: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM connections WHERE pelm_user_id = ?").bind(pelm_user_id).execute(&self.pool).await?;
        Ok(())
    }
}
