//! Users and their Pelm access tokens, through migrations, in SQLite by
//! default or in PostgreSQL when `DATABASE_URL` names one, so several
//! companion instances can share a store.
//!
//! The same SQL serves both: `$n` placeholders (SQLite numbers `$1`, `$2`
//! in order of appearance) and `ON CONFLICT` clauses both engines know.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};

use crate::crypto::TokenCipher;

/// Where an authorization code stands.
#[derive(Debug, PartialEq, Eq)]
pub enum CodeClaim {
    /// This caller claimed it and must exchange it.
    Mine,
    /// Another request (maybe on another instance) is exchanging it now.
    Pending,
    /// Already exchanged for this user.
    Done,
    /// No claim stands (a failed exchange gave it up, or a stale one was
    /// cleared): claim again.
    Released,
    /// Posted before by a different user.
    OtherUser,
}

/// A claim older than this was left by an instance that died mid-exchange.
const STALE_CLAIM_SECS: i64 = 60;

/// How long a connected user's id and token are remembered between requests.
/// Every data request needs them, and asking SQLite costs a hand-off to its
/// worker thread and back, which dominates a cached answer. This instance
/// forgets at once on connect and disconnect; another instance sharing the
/// store sees a disconnect within this long.
const REMEMBERED: Duration = Duration::from_secs(2);
const REMEMBERED_USERS: usize = 10_000;

/// identity → (Pelm user id, access token, when read).
type Remembered = HashMap<String, (String, String, Instant)>;

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    cipher: TokenCipher,
    recent: Arc<Mutex<Remembered>>,
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

pub fn sha256_hex(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

impl Store {
    /// Opens the database at `url` (an SQLite file is created if missing) and
    /// brings its schema up to date.
    pub async fn open(url: &str, cipher: TokenCipher) -> Result<Self, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let postgres = url.starts_with("postgres://") || url.starts_with("postgresql://");
        if postgres {
            let pool = AnyPoolOptions::new().max_connections(16).connect(url).await?;
            sqlx::migrate!("./migrations/postgres").run(&pool).await?;
            return Ok(Self { pool, cipher, recent: Arc::default() });
        }
        let url = if url.contains('?') { url.to_owned() } else { format!("{url}?mode=rwc") };
        let pool = AnyPoolOptions::new()
            .max_connections(8)
            .after_connect(|connection, _| {
                Box::pin(async move {
                    connection.execute("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;").await?;
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        // WAL lets readers go on while a token is written; it sticks to the file.
        pool.execute("PRAGMA journal_mode = WAL").await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(Self { pool, cipher, recent: Arc::default() })
    }

    /// The Pelm user id for `identity`, minted on first sight. Pelm only ever
    /// sees this random id, never the cookie or the site's own user id.
    pub async fn pelm_user_id(&self, identity: &str) -> Result<String, sqlx::Error> {
        let fresh = format!("user-{}", hex::encode(rand::random::<[u8; 12]>()));
        sqlx::query(
            "INSERT INTO users (identity, pelm_user_id, created_at) VALUES ($1, $2, $3) ON CONFLICT (identity) DO NOTHING",
        )
        .bind(identity)
        .bind(&fresh)
        .bind(now())
        .execute(&self.pool)
        .await?;
        sqlx::query_scalar("SELECT pelm_user_id FROM users WHERE identity = $1")
            .bind(identity)
            .fetch_one(&self.pool)
            .await
    }

    /// The Pelm user id for `identity`, if it was ever minted. Read paths use
    /// this, so a visitor who only looks creates no row.
    pub async fn existing_pelm_user_id(&self, identity: &str) -> Result<Option<String>, sqlx::Error> {
        sqlx::query_scalar("SELECT pelm_user_id FROM users WHERE identity = $1")
            .bind(identity)
            .fetch_optional(&self.pool)
            .await
    }

    /// As [`Store::connected`], but from memory when read in the last
    /// [`REMEMBERED`]: for data requests, which come many at a time.
    pub async fn connected_recently(&self, identity: &str) -> Result<Option<(String, String)>, sqlx::Error> {
        if let Some((user_id, token, at)) = self.recent().get(identity) {
            if at.elapsed() < REMEMBERED {
                return Ok(Some((user_id.clone(), token.clone())));
            }
        }
        self.connected(identity).await
    }

    /// The Pelm user id and access token of `identity`, if it is connected,
    /// read from the store in one query.
    pub async fn connected(&self, identity: &str) -> Result<Option<(String, String)>, sqlx::Error> {
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT u.pelm_user_id, c.access_token FROM users u \
             JOIN connections c ON c.pelm_user_id = u.pelm_user_id WHERE u.identity = $1",
        )
        .bind(identity)
        .fetch_optional(&self.pool)
        .await?;
        let connected = row.and_then(|(user_id, sealed)| self.unseal(&user_id, &sealed).map(|token| (user_id, token)));
        if let Some((user_id, token)) = &connected {
            let mut recent = self.recent();
            if recent.len() >= REMEMBERED_USERS {
                recent.retain(|_, (_, _, at)| at.elapsed() < REMEMBERED);
            }
            if recent.len() < REMEMBERED_USERS {
                recent.insert(identity.to_owned(), (user_id.clone(), token.clone(), Instant::now()));
            }
        }
        Ok(connected)
    }

    fn recent(&self) -> std::sync::MutexGuard<'_, Remembered> {
        self.recent.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn forget(&self, pelm_user_id: &str) {
        self.recent().retain(|_, (user_id, _, _)| user_id != pelm_user_id);
    }

    /// The user's access token. One sealed with another key (the key was
    /// changed) or for another user (the row was moved) reads as none, so the
    /// user is asked to connect again.
    pub async fn access_token(&self, pelm_user_id: &str) -> Result<Option<String>, sqlx::Error> {
        let sealed: Option<String> = sqlx::query_scalar("SELECT access_token FROM connections WHERE pelm_user_id = $1")
            .bind(pelm_user_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(sealed.and_then(|sealed| self.unseal(pelm_user_id, &sealed)))
    }

    fn unseal(&self, pelm_user_id: &str, sealed: &str) -> Option<String> {
        let token = self.cipher.open(pelm_user_id, sealed);
        if token.is_none() {
            tracing::warn!(%pelm_user_id, "a stored access token does not open with the configured key");
        }
        token
    }

    /// Stores the token from exchanging `code` and marks the code's claim done.
    pub async fn save_connection(&self, pelm_user_id: &str, code: &str, access_token: &str) -> Result<(), sqlx::Error> {
        self.forget(pelm_user_id);
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO connections (pelm_user_id, access_token, connected_at) VALUES ($1, $2, $3)
             ON CONFLICT (pelm_user_id) DO UPDATE SET access_token = excluded.access_token, connected_at = excluded.connected_at",
        )
        .bind(pelm_user_id)
        .bind(self.cipher.seal(pelm_user_id, access_token))
        .bind(now())
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE code_exchanges SET done = 1 WHERE code_hash = $1")
            .bind(sha256_hex(code))
            .execute(&mut *tx)
            .await?;
        tx.commit().await
    }

    /// Claims `code` for exchanging, or says who is on it. Only one claim can
    /// win, across every companion instance sharing this store.
    pub async fn claim_code(&self, pelm_user_id: &str, code: &str) -> Result<CodeClaim, sqlx::Error> {
        let hash = sha256_hex(code);
        let inserted = sqlx::query(
            "INSERT INTO code_exchanges (code_hash, pelm_user_id, exchanged_at, done) VALUES ($1, $2, $3, 0)
             ON CONFLICT (code_hash) DO NOTHING",
        )
        .bind(&hash)
        .bind(pelm_user_id)
        .bind(now())
        .execute(&self.pool)
        .await?;
        if inserted.rows_affected() == 1 {
            return Ok(CodeClaim::Mine);
        }
        let count = |sql: &'static str| {
            let hash = hash.clone();
            async move { sqlx::query_scalar::<_, i64>(sql).bind(hash).bind(pelm_user_id).fetch_one(&self.pool).await }
        };
        if count("SELECT COUNT(*) FROM code_exchanges WHERE code_hash = $1 AND pelm_user_id = $2 AND done = 1").await?
            > 0
        {
            return Ok(CodeClaim::Done);
        }
        if count("SELECT COUNT(*) FROM code_exchanges WHERE code_hash = $1 AND pelm_user_id = $2").await? > 0 {
            let stale =
                sqlx::query("DELETE FROM code_exchanges WHERE code_hash = $1 AND done = 0 AND exchanged_at < $2")
                    .bind(&hash)
                    .bind(now() - STALE_CLAIM_SECS)
                    .execute(&self.pool)
                    .await?;
            return Ok(if stale.rows_affected() > 0 { CodeClaim::Released } else { CodeClaim::Pending });
        }
        // The row may have just been released by a failed exchange.
        if count("SELECT COUNT(*) FROM code_exchanges WHERE code_hash = $1 AND pelm_user_id <> $2").await? > 0 {
            return Ok(CodeClaim::OtherUser);
        }
        Ok(CodeClaim::Released)
    }

    /// Gives up a claim after a failed exchange, so the code can be tried again.
    pub async fn release_code(&self, code: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM code_exchanges WHERE code_hash = $1 AND done = 0")
            .bind(sha256_hex(code))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn delete_connection(&self, pelm_user_id: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM connections WHERE pelm_user_id = $1").bind(pelm_user_id).execute(&self.pool).await?;
        self.forget(pelm_user_id);
        Ok(())
    }
}
