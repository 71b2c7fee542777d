//! The contract between the browser app and its companion backend.
//!
//! Data routes (`/api/accounts`, ...) answer with Pelm's own shapes from
//! [`crate::pelm`]; this module holds what only the companion says.

use serde::{Deserialize, Serialize};

pub use crate::codes::companion as error_code;
pub use crate::utility::{ConnectionStatus, Utility};

/// The longest span one `GET /api/intervals` may cover, in seconds: ten
/// years of days. The companion refuses more, and the app never asks for
/// more; this is the one place the figure is written.
pub const LONGEST_RANGE_SECS: i64 = 3650 * 86_400;

/// The one shape of an id the companion takes or gives back (accounts,
/// bills, connections, request ids): 1 to 64 letters, digits, `-`, `_` or
/// `.`, not starting with a dot, so that `.` and `..`, which a URL reads as
/// steps, are never ids. Pelm's ids are of this shape; anything else is
/// refused before it reaches Pelm, a URL or a log line. `openapi.json`
/// states the same rule as this pattern, and a test holds them together.
pub const ID_PATTERN: &str = "^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$";

/// Whether `text` is an id ([`ID_PATTERN`]).
pub fn is_id(text: &str) -> bool {
    let plain = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.');
    (1..=64).contains(&text.len()) && !text.starts_with('.') && text.as_bytes().iter().all(plain)
}

/// `POST /api/connect-token`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectTokenGrant {
    pub connect_token: String,
    /// Seconds until the token expires.
    pub expires_in: u64,
    /// The Connect script that matches the Pelm deployment which issued the
    /// token: a sandbox token opens only in the sandbox's Connect.
    pub connect_script_url: String,
    /// The connection this token links: an existing one (update mode) or the
    /// next new one. Posted back with the authorization code, it says which
    /// connection the code is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
}

/// The optional body of `POST /api/connect-token`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectTokenRequest {
    /// The utility Connect should open at, by Pelm's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utility_id: Option<String>,
    /// Open Connect for this connection again (update mode), to confirm its
    /// login; left out, Connect links a new one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
}

/// `POST /api/authorization`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    pub authorization_code: String,
    /// The grant's `connection_id`. Left out, the code is taken to be for
    /// the next new connection, as a client written before there could be
    /// several would post it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
}

/// How many connections one person may hold: enough for every utility a
/// household deals with, few enough that a script cannot fill the store.
pub const MOST_CONNECTIONS: usize = 8;

/// One utility login a person linked: `GET /api/connections`. Times are
/// Unix seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkedConnection {
    pub id: String,
    /// Left out until Pelm has named it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utility: Option<Utility>,
    pub connected_at: i64,
    pub status: ConnectionStatus,
    /// The end of the newest interval the companion has seen for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_through: Option<i64>,
    /// When Pelm was last asked about it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_at: Option<i64>,
}

/// `GET /api/connection`: a summary of the user's connections (any
/// connected, the first one's utility and login); and the answer to a
/// successful `POST /api/authorization` or `DELETE /api/connections/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Connection {
    pub connected: bool,
    /// The utility's full name, when Pelm reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utility: Option<String>,
    /// False when the utility no longer accepts the stored credentials; the
    /// app then offers to reconnect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_valid: Option<bool>,
    /// When not connected, the Connect script the app will load: it starts
    /// loading it at once, while it asks for a Connect token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_script_url: Option<String>,
    /// When not connected, a Connect token already, so the Connect button
    /// works without asking for one: the answer to `POST /api/connect-token`
    /// for no particular utility. Left out when none could be had at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect: Option<ConnectTokenGrant>,
    /// In the answer to `POST /api/authorization`: the id of the connection
    /// the code added or renewed, whose utility `utility` then names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linked: Option<String>,
    /// When connected: the connections, as `GET /api/connections` lists
    /// them, so the app's first call brings what its first view needs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connections: Option<Later<Vec<LinkedConnection>>>,
    /// When connected: every connection's accounts as Pelm last answered
    /// them (as `GET /api/accounts` would), when the companion knows them
    /// all; left out otherwise, and the app asks `GET /api/accounts`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accounts: Option<Later<Vec<crate::pelm::Account>>>,
    /// The companion is asking Pelm about the connections in the background
    /// now; `GET /api/connections` says what it learns in a moment.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub refreshing: bool,
}

/// A `T` kept as the JSON it came as, and read only when asked: the part
/// of the app that reads whether a user is connected carries no reader for
/// what only the connected pages show.
#[derive(Debug, Clone)]
pub struct Later<T> {
    json: Box<serde_json::value::RawValue>,
    of: std::marker::PhantomData<fn() -> T>,
}

impl<T: Serialize> Later<T> {
    pub fn new(value: &T) -> Result<Self, serde_json::Error> {
        Ok(Self { json: serde_json::value::to_raw_value(value)?, of: std::marker::PhantomData })
    }
}

impl<T: serde::de::DeserializeOwned> Later<T> {
    pub fn read(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.json.get())
    }
}

impl<T> PartialEq for Later<T> {
    fn eq(&self, other: &Self) -> bool {
        self.json.get() == other.json.get()
    }
}

impl<T> Serialize for Later<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.json.serialize(serializer)
    }
}

impl<'de, T> Deserialize<'de> for Later<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self { json: Box::deserialize(deserializer)?, of: std::marker::PhantomData })
    }
}

impl Connection {
    pub fn none() -> Self {
        Self {
            connected: false,
            utility: None,
            credentials_valid: None,
            connect_script_url: None,
            connect: None,
            linked: None,
            connections: None,
            accounts: None,
            refreshing: false,
        }
    }
}

/// The companion's error body: Pelm's, plus the request id for support.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error_code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The parameter at fault, for validation errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_short_plain_and_never_a_step_in_a_path() {
        for id in ["a", "0", "acct_1-2.3", "f14f6482-5a70-42ff-9157-21d41dd25f08", &"x".repeat(64), "-", "_x."] {
            assert!(is_id(id), "{id:?}");
        }
        for not in ["", ".", "..", ".hidden", " a", "a ", "a/b", "a%2F", "é", "a\n", &"x".repeat(65)] {
            assert!(!is_id(not), "{not:?}");
        }
    }
}
