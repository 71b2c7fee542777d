//! The sandbox's in-memory state: Connect tokens, authorization codes, access
//! tokens and the users they belong to, with Pelm's lifetimes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pelm_model::pelm::{Account, Meter, MeterType};
use rand::Rng;

use crate::scenarios::{AccountSeed, Scenario};

pub const CONNECT_TOKEN_LIFETIME: Duration = Duration::from_secs(30 * 60);
pub const AUTHORIZATION_CODE_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// The smallest map worth sweeping for expired entries.
const SWEEP_AT_LEAST: usize = 256;

/// Wall-clock time in Unix seconds, with an offset tests can move forward.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_secs: Arc<AtomicI64>,
}

impl Clock {
    pub fn system() -> Self {
        Self::default()
    }

    pub fn now(&self) -> i64 {
        let real = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
        real + self.offset_secs.load(Ordering::Relaxed)
    }

    pub fn advance(&self, by: Duration) {
        self.offset_secs.fetch_add(by.as_secs() as i64, Ordering::Relaxed);
    }
}

pub fn random_hex(bytes: usize) -> String {
    let mut rng = rand::rng();
    (0..bytes).map(|_| format!("{:02x}", rng.random::<u8>())).collect()
}

/// A Connect token and the Connect session opened with it.
#[derive(Debug, Clone)]
pub struct ConnectSession {
    pub user_id: String,
    /// Preselected utility (`utility_id` on the token request).
    pub utility_id: Option<String>,
    pub issued_at: i64,
    pub failed_logins: u32,
    /// Set after a login that needs MFA: who is waiting for which code.
    pub pending_mfa: Option<(&'static Scenario, String)>,
}

#[derive(Debug, Clone)]
struct AuthorizationCode {
    user_id: String,
    issued_at: i64,
    used: bool,
}

/// An account and what its data is generated from.
#[derive(Debug, Clone)]
pub struct AccountRecord {
    pub account: Account,
    pub seed: AccountSeed,
    /// Meter ids in the order of `seed.meter_types`.
    pub meter_ids: Vec<String>,
}

/// A user's link to a utility, made by a successful Connect login.
#[derive(Debug, Clone)]
pub struct Connection {
    pub utility_id: String,
    pub username: String,
    pub accounts: Vec<AccountRecord>,
    pub connected_at: i64,
    /// Seconds after `connected_at` before data calls answer.
    pub data_delay: u64,
    /// Seconds the newest data lags behind the usual day.
    pub data_lag: i64,
    pub credentials_valid: bool,
}

#[derive(Default)]
struct State {
    connect_sessions: HashMap<String, ConnectSession>,
    codes: HashMap<String, AuthorizationCode>,
    /// Sizes at which the two maps above are next cleared of expired entries.
    sweep_at: (usize, usize),
    /// access token -> user id
    access_tokens: HashMap<String, String>,
    /// user id -> connection
    connections: HashMap<String, Connection>,
}

pub struct Store {
    clock: Clock,
    state: Mutex<State>,
}

/// Why a code could not be exchanged.
#[derive(Debug, PartialEq, Eq)]
pub enum CodeRejected {
    Unknown,
    Expired,
    Used,
}

impl Store {
    pub fn new(clock: Clock) -> Self {
        Self { clock, state: Mutex::default() }
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain maps behind, still usable.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn issue_connect_token(&self, user_id: &str, utility_id: Option<String>) -> String {
        let token = format!("connect-{}", random_hex(16));
        let session = ConnectSession {
            user_id: user_id.to_owned(),
            utility_id,
            issued_at: self.now(),
            failed_logins: 0,
            pending_mfa: None,
        };
        let now = self.now();
        let mut state = self.state();
        let state = &mut *state;
        // A long-running demo issues tokens without end: expired ones go
        // whenever the map has doubled since the last sweep.
        sweep(&mut state.connect_sessions, &mut state.sweep_at.0, |s| {
            now - s.issued_at < CONNECT_TOKEN_LIFETIME.as_secs() as i64
        });
        state.connect_sessions.insert(token.clone(), session);
        token
    }

    /// Connect sessions and codes held now, live or not.
    #[cfg(test)]
    pub fn held(&self) -> (usize, usize) {
        let state = self.state();
        (state.connect_sessions.len(), state.codes.len())
    }

    /// The live session for `token`, or `None` when unknown or older than 30 minutes.
    pub fn connect_session(&self, token: &str) -> Option<ConnectSession> {
        let now = self.now();
        let state = self.state();
        let session = state.connect_sessions.get(token)?;
        (now - session.issued_at < CONNECT_TOKEN_LIFETIME.as_secs() as i64).then(|| session.clone())
    }

    pub fn update_connect_session(&self, token: &str, update: impl FnOnce(&mut ConnectSession)) {
        if let Some(session) = self.state().connect_sessions.get_mut(token) {
            update(session);
        }
    }

    pub fn is_connected(&self, user_id: &str) -> bool {
        self.state().connections.contains_key(user_id)
    }

    /// Records a successful login and issues the authorization code for it.
    pub fn connect(&self, user_id: &str, utility_id: &str, scenario: &Scenario) -> String {
        let now = self.now();
        let connection = Connection {
            utility_id: utility_id.to_owned(),
            username: scenario.username.to_owned(),
            accounts: scenario.accounts.iter().enumerate().map(|(i, seed)| account(user_id, i, seed)).collect(),
            connected_at: now,
            data_delay: scenario.data_delay,
            data_lag: scenario.data_lag,
            credentials_valid: true,
        };
        let code = random_hex(20);
        let mut state = self.state();
        let state = &mut *state;
        sweep(&mut state.codes, &mut state.sweep_at.1, |c| {
            now - c.issued_at < AUTHORIZATION_CODE_LIFETIME.as_secs() as i64
        });
        state.connections.insert(user_id.to_owned(), connection);
        state
            .codes
            .insert(code.clone(), AuthorizationCode { user_id: user_id.to_owned(), issued_at: now, used: false });
        code
    }

    /// Exchanges a code for a new access token. A code works once, within 10 minutes.
    pub fn exchange_code(&self, code: &str) -> Result<String, CodeRejected> {
        let now = self.now();
        let mut state = self.state();
        let entry = state.codes.get_mut(code).ok_or(CodeRejected::Unknown)?;
        if entry.used {
            return Err(CodeRejected::Used);
        }
        if now - entry.issued_at >= AUTHORIZATION_CODE_LIFETIME.as_secs() as i64 {
            return Err(CodeRejected::Expired);
        }
        entry.used = true;
        let user_id = entry.user_id.clone();
        let token = format!("{}-{}", random_hex(4), random_hex(12));
        state.access_tokens.insert(token.clone(), user_id);
        Ok(token)
    }

    pub fn user_for_token(&self, token: &str) -> Option<String> {
        self.state().access_tokens.get(token).cloned()
    }

    pub fn connection(&self, user_id: &str) -> Option<Connection> {
        self.state().connections.get(user_id).cloned()
    }

    /// The user who owns `account_id`, whoever that is.
    pub fn account_owner(&self, account_id: &str) -> Option<String> {
        let state = self.state();
        state
            .connections
            .iter()
            .find(|(_, c)| c.accounts.iter().any(|a| a.account.id == account_id))
            .map(|(user, _)| user.clone())
    }

    /// The user and account that own `meter_id`, whoever that is.
    pub fn meter_owner(&self, meter_id: &str) -> Option<(String, String)> {
        let state = self.state();
        state.connections.iter().find_map(|(user, c)| {
            c.accounts
                .iter()
                .find(|a| a.meter_ids.iter().any(|m| m == meter_id))
                .map(|a| (user.clone(), a.account.id.clone()))
        })
    }

    /// Every connection, for finding who owns a bill.
    pub fn connections(&self) -> Vec<(String, Connection)> {
        self.state().connections.iter().map(|(u, c)| (u.clone(), c.clone())).collect()
    }

    /// Revokes every access token; answers how many there were.
    pub fn revoke_all(&self) -> usize {
        let mut state = self.state();
        let count = state.access_tokens.len();
        state.access_tokens.clear();
        count
    }

    /// Revokes every access token of `user_id`; answers how many there were.
    pub fn revoke_user(&self, user_id: &str) -> usize {
        let mut state = self.state();
        let before = state.access_tokens.len();
        state.access_tokens.retain(|_, owner| owner != user_id);
        before - state.access_tokens.len()
    }

    /// Every connected user's id.
    pub fn user_ids(&self) -> Vec<String> {
        self.state().connections.keys().cloned().collect()
    }

    /// Revokes an access token; true if it existed.
    pub fn revoke(&self, token: &str) -> bool {
        self.state().access_tokens.remove(token).is_some()
    }

    /// Marks the user's utility credentials as (in)valid, as when they change
    /// their utility password; false if the user is unknown.
    pub fn set_credentials_valid(&self, user_id: &str, valid: bool) -> bool {
        match self.state().connections.get_mut(user_id) {
            Some(connection) => {
                connection.credentials_valid = valid;
                true
            }
            None => false,
        }
    }
}

/// Drops `map`'s expired entries once it has doubled since the last sweep,
/// so it follows what is live rather than all that was ever issued.
fn sweep<V>(map: &mut HashMap<String, V>, sweep_at: &mut usize, live: impl Fn(&V) -> bool) {
    if map.len() >= (*sweep_at).max(SWEEP_AT_LEAST) {
        map.retain(|_, value| live(value));
        *sweep_at = map.len() * 2;
    }
}

/// Ids are derived from the user and the account's position, so a user who
/// connects again sees the same accounts.
fn account(user_id: &str, index: usize, seed: &AccountSeed) -> AccountRecord {
    let id = uuid_like(&format!("{user_id}/{index}"));
    let meter_ids: Vec<String> =
        seed.meter_types.iter().enumerate().map(|(m, _)| uuid_like(&format!("{id}/meter/{m}"))).collect();
    let account = Account {
        id: id.clone(),
        account_number: Some(seed.account_number.to_owned()),
        address: Some(seed.address.to_owned()),
        usage_unit: Some("kwh".to_owned()),
        emissions_unit: Some("kg_co2e_per_kwh".to_owned()),
        available_meter_types: seed.meter_types.to_vec(),
        gas_usage_unit: seed.meter_types.contains(&MeterType::Gas).then(|| "therm".to_owned()),
        ghg_emissions_unit: Some("kg_co2e".to_owned()),
        meters: meter_ids.iter().map(|id| Meter { id: id.clone() }).collect(),
        ..Account::default()
    };
    AccountRecord { account, seed: *seed, meter_ids }
}

/// A stable UUID-shaped id from any string (FNV-1a, twice, with different seeds).
pub fn uuid_like(key: &str) -> String {
    fn fnv(seed: u64, key: &str) -> u64 {
        key.bytes().fold(seed, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3))
    }
    let hi = fnv(0xcbf2_9ce4_8422_2325, key);
    let lo = fnv(0x8422_2325_cbf2_9ce4, key);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xffff,
        hi & 0x0fff,
        ((lo >> 48) & 0x3fff) | 0x8000,
        lo & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expired_connect_sessions_and_codes_do_not_pile_up() {
        let clock = Clock::system();
        let store = Store::new(clock.clone());
        let scenario = crate::scenarios::scenario("user@pelm.com").expect("the default login");
        for round in 0..20 {
            for i in 0..500 {
                let user = format!("user-{round}-{i}");
                store.issue_connect_token(&user, None);
                store.connect(&user, "1", scenario);
            }
            clock.advance(AUTHORIZATION_CODE_LIFETIME + CONNECT_TOKEN_LIFETIME);
        }
        let (sessions, codes) = store.held();
        assert!(sessions <= 2 * 500 + SWEEP_AT_LEAST, "{sessions} Connect sessions held after 10,000");
        assert!(codes <= 2 * 500 + SWEEP_AT_LEAST, "{codes} codes held after 10,000");
    }

    #[test]
    fn uuid_like_is_stable_and_shaped() {
        let a = uuid_like("user-1/0");
        assert_eq!(a, uuid_like("user-1/0"));
        assert_ne!(a, uuid_like("user-1/1"));
        let parts: Vec<_> = a.split('-').map(str::len).collect();
        assert_eq!(parts, [8, 4, 4, 4, 12]);
    }
}
