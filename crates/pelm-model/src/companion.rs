//! The contract between the browser app and its companion backend.
//!
//! Data routes (`/api/accounts`, ...) answer with Pelm's own shapes from
//! [`crate::pelm`]; this module holds what only the companion says.

use serde::{Deserialize, Serialize};

/// The longest span one `GET /api/intervals` may cover, in seconds: ten
/// years of days. The companion refuses more, and the app never asks for
/// more; this is the one place the figure is written.
pub const LONGEST_RANGE_SECS: i64 = 3650 * 86_400;

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

/// A utility, as Pelm names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Utility {
    pub id: String,
    pub name: String,
}

/// What the companion last learned of a connection's health.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    Connected,
    /// Pelm is still fetching this login's data (`data_unavailable`).
    Collecting,
    /// The utility no longer takes the stored login (`credentials_valid:
    /// false`, `token_invalid`): Connect must be opened for it again.
    LoginNeeded,
    /// Pelm cannot fetch from this utility (`utility_unavailable`).
    UtilityUnsupported,
    /// A status a newer companion sends.
    #[serde(other)]
    Unknown,
}

impl ConnectionStatus {
    /// The status Pelm's error code means, if it says anything of the
    /// connection's health (a quota or an outage does not).
    pub fn from_error_code(code: &str) -> Option<Self> {
        match code {
            crate::pelm::error_code::DATA_UNAVAILABLE => Some(Self::Collecting),
            crate::pelm::error_code::TOKEN_INVALID => Some(Self::LoginNeeded),
            crate::pelm::error_code::UTILITY_UNAVAILABLE => Some(Self::UtilityUnsupported),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connected => "connected",
            Self::Collecting => "collecting",
            Self::LoginNeeded => "login_needed",
            Self::UtilityUnsupported => "utility_unsupported",
            Self::Unknown => "unknown",
        }
    }

    pub fn parse(text: &str) -> Self {
        [Self::Connected, Self::Collecting, Self::LoginNeeded, Self::UtilityUnsupported]
            .into_iter()
            .find(|s| s.as_str() == text)
            .unwrap_or(Self::Unknown)
    }
}

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

/// The error codes the companion answers with besides Pelm's own
/// ([`crate::pelm::error_code`]): written here once, used by the companion,
/// and the app's message table is tested to have words for every one.
pub mod error_code {
    use crate::pelm::error_code as pelm;

    pub const UNAUTHENTICATED: &str = "unauthenticated";
    pub const RATE_LIMITED: &str = "rate_limited";
    pub const NOT_FOUND: &str = "not_found";
    pub const TOO_MANY_CONNECTIONS: &str = "too_many_connections";
    pub const RESPONSE_TOO_LARGE: &str = "response_too_large";
    pub const MISDIRECTED_REQUEST: &str = "misdirected_request";
    pub const METHOD_NOT_ALLOWED: &str = "method_not_allowed";

    /// Every code an answer of the companion's own can carry: its codes and
    /// the Pelm codes it reuses. Pelm's answers pass through with theirs.
    pub const ANSWERED: &[&str] = &[
        UNAUTHENTICATED,
        RATE_LIMITED,
        NOT_FOUND,
        TOO_MANY_CONNECTIONS,
        RESPONSE_TOO_LARGE,
        MISDIRECTED_REQUEST,
        METHOD_NOT_ALLOWED,
        pelm::PARAMETER_INVALID,
        pelm::TOKEN_INVALID,
        pelm::PERMISSION_DENIED,
        pelm::INTERNAL_ERROR,
        pelm::DATA_UNAVAILABLE,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pelms_error_codes_name_the_health_they_mean_and_only_those() {
        assert_eq!(ConnectionStatus::from_error_code("data_unavailable"), Some(ConnectionStatus::Collecting));
        assert_eq!(ConnectionStatus::from_error_code("token_invalid"), Some(ConnectionStatus::LoginNeeded));
        assert_eq!(
            ConnectionStatus::from_error_code("utility_unavailable"),
            Some(ConnectionStatus::UtilityUnsupported)
        );
        for says_nothing in ["quota_reached", "internal_error", "parameter_invalid", "rate_limited"] {
            assert_eq!(ConnectionStatus::from_error_code(says_nothing), None, "{says_nothing}");
        }
    }

    #[test]
    fn statuses_read_back_as_written_and_a_newer_one_is_unknown() {
        for status in [
            ConnectionStatus::Connected,
            ConnectionStatus::Collecting,
            ConnectionStatus::LoginNeeded,
            ConnectionStatus::UtilityUnsupported,
        ] {
            assert_eq!(ConnectionStatus::parse(status.as_str()), status);
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()), "the store's words are the API's");
        }
        assert_eq!(ConnectionStatus::parse("paused"), ConnectionStatus::Unknown);
        let newer: ConnectionStatus = serde_json::from_str("\"paused\"").unwrap();
        assert_eq!(newer, ConnectionStatus::Unknown, "an app reads a newer companion's status");
    }
}
