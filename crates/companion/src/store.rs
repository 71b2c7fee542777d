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

/// What was read from the database a moment ago, for [`REMEMBERED`], for at
/// most [`REMEMBERED_USERS`] keys: the connected users' ids and tokens, and
/// the live sessions.
struct Remembered<V>(Mutex<HashMap<String, (V, Instant)>>);

impl<V: Clone> Remembered<V> {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, (V, Instant)>> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The value read for `key`, if it was read recently enough.
    fn get(&self, key: &str) -> Option<V> {
        self.map().get(key).filter(|(_, at)| at.elapsed() < REMEMBERED).map(|(value, _)| value.clone())
    }

    /// Remembers `value`, unless the map is full of recent reads.
    fn put(&self, key: &str, value: V) {
        let mut map = self.map();
        if map.len() >= REMEMBERED_USERS {
            map.retain(|_, (_, at)| at.elapsed() < REMEMBERED);
        }
        if map.len() < REMEMBERED_USERS {
            map.insert(key.to_owned(), (value, Instant::now()));
        }
    }

    fn forget(&self, key: &str) {
        self.map().remove(key);
    }

    fn forget_where(&self, gone: impl Fn(&V) -> bool) {
        self.map().retain(|_, (value, _)| !gone(value));
    }
}

impl<V> Default for Remembered<V> {
    fn default() -> Self {
        Self(Mutex::default())
    }
}

/// A session as read: identity, created_at, seen_at.
type SessionRow = (String, i64, i64);

/// How long sessions live, from the configuration.
#[derive(Clone, Copy, Debug)]
pub struct SessionRules {
    pub idle_secs: i64,
    pub lifetime_secs: i64,
}

impl SessionRules {
    /// `seen_at` is written at most this often per session, not on every request.
    fn touch_after(&self) -> i64 {
        (self.idle_secs / 10).min(3600)
    }

    fn live(&self, created_at: i64, seen_at: i64, now: i64) -> bool {
        now - created_at <= self.lifetime_secs && now - seen_at <= self.idle_secs
    }
}

/// What one sweep removed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub sessions: u64,
    pub users: u64,
    pub code_claims: u64,
}

/// Code claims are kept a day: Pelm's codes live ten minutes, and a claim
/// only has to outlive a code posted twice.
const CODE_CLAIM_KEPT_SECS: i64 = 24 * 3600;

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    cipher: TokenCipher,
    /// identity → (Pelm user id, access token).
    recent: Arc<Remembered<(String, String)>>,
    /// session id hash → its row.
    sessions: Arc<Remembered<SessionRow>>,
}

pub fn now() -> i64 {
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
            return Ok(Self { pool, cipher, recent: Arc::default(), sessions: Arc::default() });
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
        Ok(Self { pool, cipher, recent: Arc::default(), sessions: Arc::default() })
    }

    pub fn cipher(&self) -> &TokenCipher {
        &self.cipher
    }

    /// The Pelm user id stored for `identity`, if they ever connected.
    pub async fn existing_pelm_user_id(&self, identity: &str) -> Result<Option<String>, sqlx::Error> {
        sqlx::query_scalar("SELECT pelm_user_id FROM users WHERE identity = $1")
            .bind(identity)
            .fetch_optional(&self.pool)
            .await
    }

    /// As [`Store::connected`], but from memory when read in the last
    /// [`REMEMBERED`]: for data requests, which come many at a time.
    pub async fn connected_recently(&self, identity: &str) -> Result<Option<(String, String)>, sqlx::Error> {
        if let Some(connected) = self.recent.get(identity) {
            return Ok(Some(connected));
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
        if let Some(connected) = &connected {
            self.recent.put(identity, connected.clone());
        }
        Ok(connected)
    }

    fn forget(&self, pelm_user_id: &str) {
        self.recent.forget_where(|(user_id, _)| user_id == pelm_user_id);
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

    /// Stores the user (on first connect) and the token from exchanging
    /// `code`, and marks the code's claim done; for a cookie user, also
    /// starts a new session in place of `replacing`. All in one transaction,
    /// so a user is never stored without a way to reach them. Answers the
    /// new session's cookie value.
    pub async fn save_connection(
        &self,
        identity: &str,
        pelm_user_id: &str,
        code: &str,
        access_token: &str,
        replacing: Option<&str>,
    ) -> Result<Option<String>, sqlx::Error> {
        self.forget(pelm_user_id);
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO users (identity, pelm_user_id, created_at) VALUES ($1, $2, $3) ON CONFLICT (identity) DO NOTHING",
        )
        .bind(identity)
        .bind(pelm_user_id)
        .bind(now())
        .execute(&mut *tx)
        .await?;
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
        let session = match identity.starts_with("session:") {
            true => Some(Self::rotate_session(&mut tx, identity, replacing).await?),
            false => None,
        };
        tx.commit().await?;
        if let Some(old) = replacing {
            self.sessions.forget(old);
        }
        Ok(session)
    }

    /// A new session for `identity`, in place of `replacing`; answers its cookie value.
    pub async fn start_session(&self, identity: &str, replacing: Option<&str>) -> Result<String, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let value = Self::rotate_session(&mut tx, identity, replacing).await?;
        tx.commit().await?;
        if let Some(old) = replacing {
            self.sessions.forget(old);
        }
        Ok(value)
    }

    async fn rotate_session(
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        identity: &str,
        replacing: Option<&str>,
    ) -> Result<String, sqlx::Error> {
        if let Some(old) = replacing {
            sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(old).execute(&mut **tx).await?;
        }
        let value = hex::encode(rand::random::<[u8; 32]>());
        let at = now();
        sqlx::query("INSERT INTO sessions (id_hash, identity, created_at, seen_at) VALUES ($1, $2, $3, $4)")
            .bind(sha256_hex(&value))
            .bind(identity)
            .bind(at)
            .bind(at)
            .execute(&mut **tx)
            .await?;
        Ok(value)
    }

    /// The identity of the live session whose id hashes to `id_hash`. Read
    /// from memory when read in the last [`REMEMBERED`]; `seen_at` is moved
    /// forward now and then.
    pub async fn live_session(&self, id_hash: &str, rules: &SessionRules) -> Result<Option<String>, sqlx::Error> {
        let now = now();
        let (identity, created_at, seen_at) = match self.sessions.get(id_hash) {
            Some(row) => row,
            None => {
                let row: Option<SessionRow> =
                    sqlx::query_as("SELECT identity, created_at, seen_at FROM sessions WHERE id_hash = $1")
                        .bind(id_hash)
                        .fetch_optional(&self.pool)
                        .await?;
                let Some(row) = row else { return Ok(None) };
                row
            }
        };
        if !rules.live(created_at, seen_at, now) {
            self.sessions.forget(id_hash);
            return Ok(None);
        }
        let mut seen = seen_at;
        if now - seen_at >= rules.touch_after() {
            sqlx::query("UPDATE sessions SET seen_at = $1 WHERE id_hash = $2")
                .bind(now)
                .bind(id_hash)
                .execute(&self.pool)
                .await?;
            seen = now;
        }
        self.sessions.put(id_hash, (identity.clone(), created_at, seen));
        Ok(Some(identity))
    }

    /// Who holds `pelm_user_id`, if anyone stored it.
    pub async fn identity_of(&self, pelm_user_id: &str) -> Result<Option<String>, sqlx::Error> {
        sqlx::query_scalar("SELECT identity FROM users WHERE pelm_user_id = $1")
            .bind(pelm_user_id)
            .fetch_optional(&self.pool)
            .await
    }

    /// Removes expired sessions, the cookie users they leave with no session
    /// (their tokens go with them), and old code claims.
    pub async fn sweep(&self, rules: &SessionRules) -> Result<Swept, sqlx::Error> {
        let now = now();
        let sessions = sqlx::query("DELETE FROM sessions WHERE seen_at < $1 OR created_at < $2")
            .bind(now - rules.idle_secs)
            .bind(now - rules.lifetime_secs)
            .execute(&self.pool)
            .await?
            .rows_affected();
        let users = sqlx::query(
            "DELETE FROM users WHERE identity LIKE 'session:%' \
             AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.identity = users.identity)",
        )
        .execute(&self.pool)
        .await?
        .rows_affected();
        let code_claims = sqlx::query("DELETE FROM code_exchanges WHERE exchanged_at < $1")
            .bind(now - CODE_CLAIM_KEPT_SECS)
            .execute(&self.pool)
            .await?
            .rows_affected();
        if users > 0 {
            self.recent.forget_where(|_| true);
        }
        Ok(Swept { sessions, users, code_claims })
    }

    /// Rows in `table`, for tests and the benchmark's tally.
    pub async fn count(&self, table: &'static str) -> Result<i64, sqlx::Error> {
        let table = match table {
            "users" | "sessions" | "connections" | "code_exchanges" => table,
            _ => return Ok(0),
        };
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(&self.pool).await
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

    /// Remembers the utility Pelm named for this connection.
    pub async fn save_utility(&self, pelm_user_id: &str, utility_id: &str, name: &str) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE connections SET utility_id = $1, utility_name = $2 WHERE pelm_user_id = $3")
            .bind(utility_id)
            .bind(name)
            .bind(pelm_user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The utility remembered for this connection: its id and name.
    pub async fn utility(&self, pelm_user_id: &str) -> Result<Option<(String, String)>, sqlx::Error> {
        let row: Option<(Option<String>, Option<String>)> =
            sqlx::query_as("SELECT utility_id, utility_name FROM connections WHERE pelm_user_id = $1")
                .bind(pelm_user_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.and_then(|(id, name)| Some((id?, name?))))
    }

    pub async fn delete_connection(&self, pelm_user_id: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM connections WHERE pelm_user_id = $1").bind(pelm_user_id).execute(&self.pool).await?;
        self.forget(pelm_user_id);
        Ok(())
    }
}
