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
}

/// The optional body of `POST /api/connect-token`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectTokenRequest {
    /// The utility Connect should open at, by Pelm's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utility_id: Option<String>,
}

/// `POST /api/authorization`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    pub authorization_code: String,
}

/// `GET /api/connection`, and the answer to a successful `POST /api/authorization`.
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
}

impl Connection {
    pub fn none() -> Self {
        Self { connected: false, utility: None, credentials_valid: None, connect_script_url: None, connect: None }
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
