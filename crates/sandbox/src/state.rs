//! The sandbox's one piece of shared state: its settings, its clock and
//! store of users and tokens, and the faults it is told to make.

use std::sync::Arc;
use std::time::Duration;

use crate::faults::{Fault, Faults};
use crate::store::Clock;
use crate::{scenarios, store};

/// What a sandbox is started with.
#[derive(Clone, Debug)]
pub struct Config {
    /// The `Pelm-Client-Id` that REST calls must carry.
    pub client_id: String,
    /// The `Pelm-Secret` that REST calls must carry.
    pub secret: String,
    /// How long data calls answer `data_unavailable` after a user connects.
    pub data_delay: Duration,
    /// Faults injected into the REST API.
    pub faults: Faults,
    /// Answer `/bills` in the seed's older shape: a map from bill id to RFC 1123 dates.
    pub legacy_bills: bool,
    /// Require the user's own bearer token on `/users/{id}`, as a stricter
    /// Pelm might: Pelm's docs say only that data calls carry it.
    pub users_need_bearer: bool,
    /// Answer `data_unavailable` with 500 rather than the error table's 400,
    /// as Pelm has been seen to.
    pub data_unavailable_as_500: bool,
    /// Answer intervals as loosely as Pelm's docs allow: some rows twice,
    /// some out of order, and an hour's row beside the quarter hours it
    /// holds. Clients must count each reading once all the same.
    pub messy_intervals: bool,
}

impl Config {
    /// Fresh random credentials, for tests and for the companion's sandbox mode.
    pub fn random() -> Self {
        Self {
            client_id: format!("sandbox-client-{}", store::random_hex(8)),
            secret: format!("sandbox-secret-{}", store::random_hex(24)),
            data_delay: Duration::ZERO,
            faults: Faults::default(),
            legacy_bills: false,
            users_need_bearer: false,
            data_unavailable_as_500: false,
            messy_intervals: false,
        }
    }
}

/// Scripted faults that may wait at once, so a long-running demo cannot be
/// made to hold an endless queue.
pub const MAX_SCRIPTED: usize = 10_000;

/// The sandbox's shared state: configuration plus the in-memory store.
#[derive(Clone)]
pub struct Sandbox {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) config: Config,
    pub(crate) store: store::Store,
    /// REST calls so far, for the quota fault.
    pub(crate) calls: std::sync::atomic::AtomicU64,
    /// REST answers sent compressed, as a client that asks for it gets them.
    pub(crate) compressed: std::sync::atomic::AtomicU64,
    /// Failures to give the next REST calls, in order.
    pub(crate) scripted: std::sync::Mutex<std::collections::VecDeque<Fault>>,
}

impl Sandbox {
    pub fn new(config: Config) -> Self {
        Self::with_clock(config, Clock::system())
    }

    /// A sandbox whose notion of "now" is `clock`, so tests can expire tokens
    /// without waiting 30 minutes.
    pub fn with_clock(config: Config, clock: Clock) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                store: store::Store::new(clock),
                calls: Default::default(),
                compressed: Default::default(),
                scripted: Default::default(),
            }),
        }
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// REST calls answered so far (Connect's script and modal not counted).
    pub fn rest_calls(&self) -> u64 {
        self.inner.calls.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// REST answers sent compressed so far: Pelm's answers are large JSON,
    /// and a client that accepts gzip or brotli gets them so.
    pub fn compressed_answers(&self) -> u64 {
        self.inner.compressed.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Revokes every access token, as Pelm's support could; answers how many.
    pub fn revoke_all_tokens(&self) -> usize {
        self.store().revoke_all()
    }

    /// Links `user_id` at `utility_id` as `username` and answers a fresh
    /// access token, as Connect and the code exchange would: for tests that
    /// need a token made outside any companion (a database written by an
    /// older one). None for a login that does not connect.
    pub fn token_for(&self, user_id: &str, utility_id: &str, username: &str) -> Option<String> {
        let scenario = scenarios::scenario(username)?;
        let code = self.store().connect(user_id, utility_id, scenario);
        self.store().exchange_code(&code).ok()
    }

    /// Revokes the access tokens of one user, and only theirs; answers how many.
    pub fn revoke_tokens_of(&self, user_id: &str) -> usize {
        self.store().revoke_user(user_id)
    }

    /// Revokes the access tokens of every user linked at `utility_id`, and
    /// only theirs; answers how many.
    pub fn revoke_tokens_at(&self, utility_id: &str) -> usize {
        let users = self.store().connections().into_iter().filter(|(_, c)| c.utility_id == utility_id);
        users.map(|(user, _)| self.store().revoke_user(&user)).sum()
    }

    /// Marks every connected user's utility credentials (in)valid, as when
    /// they change their utility password.
    pub fn set_all_credentials_valid(&self, valid: bool) {
        for user in self.store().user_ids() {
            self.store().set_credentials_valid(&user, valid);
        }
    }

    /// Makes the next REST calls fail with `faults`, one each, in order.
    /// At most [`MAX_SCRIPTED`] wait at a time; more are dropped.
    pub fn fail_next(&self, faults: &[Fault]) {
        let mut scripted = self.inner.scripted.lock().unwrap_or_else(|p| p.into_inner());
        let room = MAX_SCRIPTED.saturating_sub(scripted.len());
        scripted.extend(faults.iter().copied().take(room));
    }

    pub(crate) fn next_scripted_fault(&self) -> Option<Fault> {
        self.inner.scripted.lock().unwrap_or_else(|p| p.into_inner()).pop_front()
    }

    pub(crate) fn store(&self) -> &store::Store {
        &self.inner.store
    }
}
