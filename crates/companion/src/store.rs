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

use pelm_model::companion::{ConnectionStatus, LinkedConnection, Utility};
use pelm_model::pelm::Account;

use crate::config::Secret;
use crate::crypto::TokenCipher;

/// Where an authorization code stands.
#[derive(Debug, PartialEq, Eq)]
pub enum CodeClaim {
    /// This caller claimed it and must exchange it.
    Mine,
    /// Another request (maybe on another instance) is exchanging it now.
    Pending,
    /// Already exchanged, by this user, for this Pelm user.
    Done { pelm_user_id: String },
    /// No claim stands (a failed exchange gave it up, or a stale one was
    /// cleared): claim again.
    Released,
    /// Posted before by a different user.
    OtherUser,
}

/// A claim older than this was left by an instance that died mid-exchange.
const STALE_CLAIM_SECS: i64 = 60;

/// How long a connected user's id and token are remembered between requests,
/// with SQLite. Every data request needs them, and asking SQLite costs a
/// hand-off to its worker thread and back, which dominates a cached answer;
/// the instance forgets at once on connect and disconnect, and is the only
/// one. Instances sharing a PostgreSQL store remember nothing between
/// requests: a disconnect, a renewal or a rotated session on one must hold
/// on every other the moment it is answered, and only reading the store
/// promises that. (LISTEN/NOTIFY would still leave the time a notice takes
/// to arrive; a generation number checked per request costs the same round
/// trip as the read itself.)
const REMEMBERED: Duration = Duration::from_secs(2);
const REMEMBERED_USERS: usize = 10_000;

/// How long the accounts last written for a connection are remembered, so
/// the same accounts are not written again: another instance writing in
/// between is caught within this long.
const ACCOUNTS_REMEMBERED: Duration = Duration::from_secs(600);

/// What was read from the database a moment ago, for [`REMEMBERED`], for at
/// most [`REMEMBERED_USERS`] keys: the connected users' ids and tokens, and
/// the live sessions.
struct Remembered<V> {
    map: Mutex<HashMap<String, (V, Instant)>>,
    lasts: Duration,
}

impl<V: Clone> Remembered<V> {
    /// Values kept for `lasts` rather than [`REMEMBERED`].
    fn lasting(lasts: Duration) -> Self {
        Self { map: Mutex::default(), lasts }
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, (V, Instant)>> {
        self.map.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The value read for `key`, if it was read recently enough.
    fn get(&self, key: &str) -> Option<V> {
        self.map().get(key).filter(|(_, at)| at.elapsed() < self.lasts).map(|(value, _)| value.clone())
    }

    /// Remembers `value`, unless the map is full of recent reads.
    fn put(&self, key: &str, value: V) {
        if self.lasts.is_zero() {
            return;
        }
        let mut map = self.map();
        if map.len() >= REMEMBERED_USERS {
            map.retain(|_, (_, at)| at.elapsed() < self.lasts);
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
        Self { map: Mutex::default(), lasts: REMEMBERED }
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
    /// Shared limits' buckets full again and slots whose lease ran out.
    pub limits: u64,
}

/// Code claims are kept a day: Pelm's codes live ten minutes, and a claim
/// only has to outlive a code posted twice.
const CODE_CLAIM_KEPT_SECS: i64 = 24 * 3600;

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    /// PostgreSQL, which several instances may share.
    shared: bool,
    cipher: TokenCipher,
    /// identity → their connections.
    recent: Arc<Remembered<Arc<[StoredConnection]>>>,
    /// session id hash → its row.
    sessions: Arc<Remembered<SessionRow>>,
    /// connection id → a hash of the accounts last written for it.
    saved_accounts: Arc<Remembered<String>>,
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
            return Ok(Self::with(pool, cipher, true));
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
        Ok(Self::with(pool, cipher, false))
    }

    fn with(pool: AnyPool, cipher: TokenCipher, shared: bool) -> Self {
        let lasting = |lasts| if shared { Duration::ZERO } else { lasts };
        Self {
            pool,
            shared,
            cipher,
            recent: Arc::new(Remembered::lasting(lasting(REMEMBERED))),
            sessions: Arc::new(Remembered::lasting(lasting(REMEMBERED))),
            saved_accounts: Arc::new(Remembered::lasting(lasting(ACCOUNTS_REMEMBERED))),
        }
    }

    /// The pool of a store several instances may share (PostgreSQL), where
    /// the limits are kept too; `None` for SQLite.
    pub fn shared_pool(&self) -> Option<AnyPool> {
        self.shared.then(|| self.pool.clone())
    }

    /// Whether the store answers, for readiness.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(&self.pool).await.map(drop)
    }

    pub fn cipher(&self) -> &TokenCipher {
        &self.cipher
    }

    /// Whether `identity` ever connected (and so has a row).
    pub async fn known(&self, identity: &str) -> Result<bool, sqlx::Error> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE identity = $1")
            .bind(identity)
            .fetch_one(&self.pool)
            .await?;
        Ok(count > 0)
    }

    /// How many connections `identity` has begun: the number of the next one.
    pub async fn connections_made(&self, identity: &str) -> Result<i64, sqlx::Error> {
        let made: Option<i64> = sqlx::query_scalar("SELECT connections_made FROM users WHERE identity = $1")
            .bind(identity)
            .fetch_optional(&self.pool)
            .await?;
        Ok(made.unwrap_or(0))
    }

    /// Remembers which connection `identity`'s last Connect token was for.
    pub async fn save_linking(&self, identity: &str, connection_id: &str) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE users SET linking = $1 WHERE identity = $2")
            .bind(connection_id)
            .bind(identity)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The connection `identity`'s last Connect token was for.
    pub async fn linking(&self, identity: &str) -> Result<Option<String>, sqlx::Error> {
        let linking: Option<Option<String>> = sqlx::query_scalar("SELECT linking FROM users WHERE identity = $1")
            .bind(identity)
            .fetch_optional(&self.pool)
            .await?;
        Ok(linking.flatten())
    }

    /// As [`Store::connections`], but from memory when read in the last
    /// [`REMEMBERED`]: for data requests, which come many at a time.
    pub async fn connections_recently(&self, identity: &str) -> Result<Arc<[StoredConnection]>, sqlx::Error> {
        if let Some(connections) = self.recent.get(identity) {
            return Ok(connections);
        }
        self.connections(identity).await
    }

    /// Every connection of `identity`, oldest first, read from the store in
    /// one query. One whose token does not open is left out, so the user is
    /// asked to connect it again.
    pub async fn connections(&self, identity: &str) -> Result<Arc<[StoredConnection]>, sqlx::Error> {
        let rows: Vec<ConnectionRow> = sqlx::query_as(
            "SELECT id, pelm_user_id, access_token, connected_at, utility_id, utility_name, status, checked_at, \
             data_through FROM connections WHERE identity = $1 ORDER BY position, connected_at, id",
        )
        .bind(identity)
        .fetch_all(&self.pool)
        .await?;
        let connections: Arc<[StoredConnection]> = rows.into_iter().filter_map(|row| self.opened(row)).collect();
        if !connections.is_empty() {
            self.recent.put(identity, connections.clone());
        }
        Ok(connections)
    }

    fn opened(&self, row: ConnectionRow) -> Option<StoredConnection> {
        let (id, pelm_user_id, sealed, connected_at, utility_id, utility_name, status, checked_at, data_through) = row;
        let access_token = Secret::new(self.unseal(&pelm_user_id, &sealed)?);
        // Sealing draws a new nonce, so a renewed token is a new generation.
        let generation = sha256_hex(&sealed)[..16].to_owned();
        let utility = utility_id.zip(utility_name).map(|(id, name)| Utility { id, name });
        let status = ConnectionStatus::parse(&status);
        Some(StoredConnection {
            id,
            pelm_user_id,
            access_token,
            connected_at,
            utility,
            status,
            checked_at,
            data_through,
            generation,
        })
    }

    /// Forgets what was read of `identity`'s connections, after a change.
    pub fn forget(&self, identity: &str) {
        self.recent.forget(identity);
    }

    /// A token sealed with another key (the key was changed) or for another
    /// Pelm user (the row was moved) opens as none.
    fn unseal(&self, pelm_user_id: &str, sealed: &str) -> Option<String> {
        let token = self.cipher.open(pelm_user_id, sealed);
        if token.is_none() {
            tracing::warn!(%pelm_user_id, "a stored access token does not open with the configured key");
        }
        token
    }

    /// Stores the user (on their first connection) and the token from
    /// exchanging `code` under `link`, adding the connection or renewing it,
    /// and marks the code's claim done; for a cookie user, also starts a new
    /// session in place of `replacing`. All in one transaction, so a user is
    /// never stored without a way to reach them. Answers the new session's
    /// cookie value.
    pub async fn save_connection(
        &self,
        identity: &str,
        link: &Link,
        code: &str,
        access_token: &str,
        replacing: Option<&str>,
    ) -> Result<Option<String>, sqlx::Error> {
        let now = now();
        let sealed = self.cipher.seal(&link.pelm_user_id, access_token);
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO users (identity, pelm_user_id, created_at) VALUES ($1, $2, $3) ON CONFLICT (identity) DO NOTHING",
        )
        .bind(identity)
        .bind(&link.pelm_user_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        // Renewing keeps the connection's id and its first connected_at; the
        // login may be another, so its health starts afresh.
        let renewed = sqlx::query(
            "UPDATE connections SET access_token = $1, status = 'connected', checked_at = $2 \
             WHERE id = $3 AND identity = $4 AND pelm_user_id = $5",
        )
        .bind(&sealed)
        .bind(now)
        .bind(&link.connection_id)
        .bind(identity)
        .bind(&link.pelm_user_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if renewed == 0 {
            sqlx::query(
                "INSERT INTO connections \
                 (id, identity, pelm_user_id, access_token, connected_at, status, checked_at, position) \
                 VALUES ($1, $2, $3, $4, $5, 'connected', $5, \
                 (SELECT connections_made FROM users WHERE identity = $2))",
            )
            .bind(&link.connection_id)
            .bind(identity)
            .bind(&link.pelm_user_id)
            .bind(&sealed)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE users SET connections_made = connections_made + 1 WHERE identity = $1")
                .bind(identity)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("UPDATE code_exchanges SET done = 1 WHERE code_hash = $1")
            .bind(sha256_hex(code))
            .execute(&mut *tx)
            .await?;
        let session = match identity.starts_with("session:") {
            true => Some(Self::rotate_session(&mut tx, identity, replacing).await?),
            false => None,
        };
        tx.commit().await?;
        self.forget(identity);
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

    /// Sweeps, unless an instance sharing the store swept less than `every`
    /// ago: `None` then. The claim is one conditional write, so of instances
    /// sweeping together exactly one wins.
    pub async fn sweep_if_due(&self, rules: &SessionRules, every: Duration) -> Result<Option<Swept>, sqlx::Error> {
        let now = now();
        // A second's slack, so that an instance's own timer, a shade early, still finds it due.
        let due_before = now - (every.as_secs() as i64 - 1).max(0);
        let claimed: Option<String> = sqlx::query_scalar(
            "INSERT INTO sweeps (name, swept_at) VALUES ('store', $1) \
             ON CONFLICT (name) DO UPDATE SET swept_at = excluded.swept_at WHERE sweeps.swept_at <= $2 \
             RETURNING name",
        )
        .bind(now)
        .bind(due_before)
        .fetch_optional(&self.pool)
        .await?;
        match claimed {
            Some(_) => self.sweep(rules).await.map(Some),
            None => Ok(None),
        }
    }

    /// Removes expired sessions, the cookie users they leave with no session
    /// (their tokens go with them), and old code claims; in a shared store,
    /// also the limits' full buckets and run-out leases.
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
        let mut limits = 0;
        if self.shared {
            // A bucket untouched for a minute is full again: the same as none.
            for sql in [
                "DELETE FROM rate_buckets WHERE at < extract(epoch FROM clock_timestamp()) - 120",
                "DELETE FROM user_slots WHERE until < extract(epoch FROM clock_timestamp())",
            ] {
                limits += sqlx::query(sql).execute(&self.pool).await?.rows_affected();
            }
        }
        if users > 0 {
            self.recent.forget_where(|_| true);
        }
        Ok(Swept { sessions, users, code_claims, limits })
    }

    /// Rows in `table`, for tests and the benchmark's tally.
    pub async fn count(&self, table: &'static str) -> Result<i64, sqlx::Error> {
        let table = match table {
            "users" | "sessions" | "connections" | "code_exchanges" | "connection_accounts" | "connection_meters" => {
                table
            }
            _ => return Ok(0),
        };
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(&self.pool).await
    }

    /// Claims `code` for exchanging into `pelm_user_id`'s token, or says who
    /// is on it. Only one claim can win, across every companion instance
    /// sharing this store.
    pub async fn claim_code(&self, identity: &str, pelm_user_id: &str, code: &str) -> Result<CodeClaim, sqlx::Error> {
        let hash = sha256_hex(code);
        let inserted = sqlx::query(
            "INSERT INTO code_exchanges (code_hash, pelm_user_id, identity, exchanged_at, done) \
             VALUES ($1, $2, $3, $4, 0) ON CONFLICT (code_hash) DO NOTHING",
        )
        .bind(&hash)
        .bind(pelm_user_id)
        .bind(identity)
        .bind(now())
        .execute(&self.pool)
        .await?;
        if inserted.rows_affected() == 1 {
            return Ok(CodeClaim::Mine);
        }
        let row: Option<(Option<String>, String, i64, i64)> = sqlx::query_as(
            "SELECT identity, pelm_user_id, exchanged_at, done FROM code_exchanges WHERE code_hash = $1",
        )
        .bind(&hash)
        .fetch_optional(&self.pool)
        .await?;
        // The row may have just been released by a failed exchange.
        let Some((claimant, claimed_for, at, done)) = row else { return Ok(CodeClaim::Released) };
        if claimant.as_deref() != Some(identity) {
            return Ok(CodeClaim::OtherUser);
        }
        if done == 1 {
            return Ok(CodeClaim::Done { pelm_user_id: claimed_for });
        }
        if at < now() - STALE_CLAIM_SECS {
            let stale =
                sqlx::query("DELETE FROM code_exchanges WHERE code_hash = $1 AND done = 0 AND exchanged_at = $2")
                    .bind(&hash)
                    .bind(at)
                    .execute(&self.pool)
                    .await?;
            if stale.rows_affected() > 0 {
                return Ok(CodeClaim::Released);
            }
        }
        Ok(CodeClaim::Pending)
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
    pub async fn save_utility(
        &self,
        identity: &str,
        connection_id: &str,
        utility: &Utility,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE connections SET utility_id = $1, utility_name = $2 WHERE id = $3")
            .bind(&utility.id)
            .bind(&utility.name)
            .bind(connection_id)
            .execute(&self.pool)
            .await?;
        self.forget(identity);
        Ok(())
    }

    /// Records what Pelm just said of a connection: its status if that
    /// changed, when it was asked, and the newest data seen (kept only if
    /// newer than what was).
    pub async fn save_health(&self, identity: &str, connection_id: &str, health: Health) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE connections SET status = COALESCE($1, status), checked_at = $2, \
             data_through = CASE WHEN data_through IS NULL OR data_through < $3 THEN $3 ELSE data_through END \
             WHERE id = $4",
        )
        .bind(health.status.map(ConnectionStatus::as_str))
        .bind(now())
        .bind(health.data_through)
        .bind(connection_id)
        .execute(&self.pool)
        .await?;
        self.forget(identity);
        Ok(())
    }

    /// Remembers the accounts a connection answered with, and their meters,
    /// in place of what was remembered. The same accounts as last time (what
    /// nearly every call brings) cost no write.
    pub async fn save_accounts(&self, connection_id: &str, accounts: &[Account]) -> Result<(), sqlx::Error> {
        let json: Vec<String> = accounts.iter().map(|a| serde_json::to_string(a).unwrap_or_default()).collect();
        let fingerprint = sha256_hex(&json.concat());
        if self.saved_accounts.get(connection_id).as_deref() == Some(fingerprint.as_str()) {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        for table in ["connection_accounts", "connection_meters"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE connection_id = $1"))
                .bind(connection_id)
                .execute(&mut *tx)
                .await?;
        }
        for (position, (account, json)) in accounts.iter().zip(json).enumerate() {
            sqlx::query(
                "INSERT INTO connection_accounts (connection_id, account_id, account, position) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(connection_id)
            .bind(&account.id)
            .bind(json)
            .bind(position as i32)
            .execute(&mut *tx)
            .await?;
            for meter in &account.meters {
                sqlx::query(
                    "INSERT INTO connection_meters (connection_id, meter_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                )
                .bind(connection_id)
                .bind(&meter.id)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        self.saved_accounts.put(connection_id, fingerprint);
        Ok(())
    }

    /// The accounts a connection last answered with.
    pub async fn remembered_accounts(&self, connection_id: &str) -> Result<Vec<Account>, sqlx::Error> {
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT account FROM connection_accounts WHERE connection_id = $1 ORDER BY position, account_id",
        )
        .bind(connection_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().filter_map(|json| serde_json::from_str(json).ok()).collect())
    }

    /// Which of `identity`'s connections last answered with this account or
    /// meter.
    pub async fn owner_of(&self, identity: &str, owned: Owned<'_>) -> Result<Option<String>, sqlx::Error> {
        let (sql, id) = match owned {
            Owned::Account(id) => (
                "SELECT c.id FROM connections c JOIN connection_accounts a ON a.connection_id = c.id \
                 WHERE c.identity = $1 AND a.account_id = $2",
                id,
            ),
            Owned::Meter(id) => (
                "SELECT c.id FROM connections c JOIN connection_meters m ON m.connection_id = c.id \
                 WHERE c.identity = $1 AND m.meter_id = $2",
                id,
            ),
        };
        sqlx::query_scalar(sql).bind(identity).bind(id).fetch_optional(&self.pool).await
    }

    /// Removes one of `identity`'s connections (every one, for `None`);
    /// answers the Pelm user ids of those removed.
    pub async fn delete_connections(&self, identity: &str, id: Option<&str>) -> Result<Vec<String>, sqlx::Error> {
        let gone: Vec<(String, String)> = sqlx::query_as(
            "DELETE FROM connections WHERE identity = $1 AND ($2 IS NULL OR id = $2) RETURNING id, pelm_user_id",
        )
        .bind(identity)
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        self.forget(identity);
        for (id, _) in &gone {
            // Its rows went with it: the same accounts again must be written again.
            self.saved_accounts.forget(id);
        }
        Ok(gone.into_iter().map(|(_, pelm_user_id)| pelm_user_id).collect())
    }
}

/// An account or a meter, by Pelm's id, as a data request names it.
#[derive(Clone, Copy, Debug)]
pub enum Owned<'a> {
    Account(&'a str),
    Meter(&'a str),
}

/// What one answer from Pelm said of a connection's health.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Health {
    /// Left out when the answer says nothing of it (a quota, an outage).
    pub status: Option<ConnectionStatus>,
    pub data_through: Option<i64>,
}

/// Which connection an exchanged code goes to: a new one, or one renewed.
#[derive(Clone, Debug)]
pub struct Link {
    pub connection_id: String,
    pub pelm_user_id: String,
}

/// A connection as stored, its token opened.
#[derive(Clone, Debug)]
pub struct StoredConnection {
    pub id: String,
    pub pelm_user_id: String,
    pub access_token: Secret,
    pub connected_at: i64,
    pub utility: Option<Utility>,
    pub status: ConnectionStatus,
    pub checked_at: Option<i64>,
    pub data_through: Option<i64>,
    /// Which token this is: what the cache files this connection's answers
    /// under, so an instance that did not see a renewal still never serves
    /// the old token's data.
    pub generation: String,
}

impl StoredConnection {
    /// What the app is told of it.
    pub fn public(&self) -> LinkedConnection {
        LinkedConnection {
            id: self.id.clone(),
            utility: self.utility.clone(),
            connected_at: self.connected_at,
            status: self.status,
            data_through: self.data_through,
            checked_at: self.checked_at,
        }
    }
}

/// A `connections` row as read: id, Pelm user id, sealed token,
/// connected_at, utility id and name, status, checked_at, data_through.
type ConnectionRow = (String, String, String, i64, Option<String>, Option<String>, String, Option<i64>, Option<i64>);
