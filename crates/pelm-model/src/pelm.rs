//! Pelm's REST API (base `https://api.pelm.com`), as documented in Pelm's
//! getting-started guide and error table.

use serde::{Deserialize, Serialize};

/// `POST /auth/connect-token`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectToken {
    pub connect_token: String,
    /// Seconds; Pelm issues tokens for 30 minutes.
    pub expires_in: u64,
}

/// `POST /auth/token`. Only `access_token` matters: it never expires. The
/// other three fields belong to Pelm's legacy authorization framework.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessToken {
    pub access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_expires_in: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_expires_in: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum MeterType {
    Electric,
    Gas,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meter {
    pub id: String,
}

/// One element of `GET /accounts`. The seed's accounts carry only the first
/// five fields; later versions add meter types, gas units and meters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage_unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emissions_unit: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub available_meter_types: Vec<MeterType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gas_usage_unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ghg_emissions_unit: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub meters: Vec<Meter>,
}

/// `GET /users/{user_id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub utility: Utility,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utility_username: Option<String>,
    pub credentials_valid: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Utility {
    pub id: String,
    pub full_name: String,
}

/// Every Pelm error body: `{"error_code": "...", "message": "..."}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error_code: String,
    pub message: String,
}

/// Pelm's documented error codes (`seeds/000`), with the HTTP status Pelm
/// pairs them with. Kept as one list so the sandbox, the companion and the
/// tests agree on them.
pub mod error_code {
    pub const PARAMETER_MISSING: &str = "parameter_missing";
    pub const PARAMETER_INVALID: &str = "parameter_invalid";
    pub const TOKEN_INVALID: &str = "token_invalid";
    pub const CREDENTIALS_INVALID: &str = "credentials_invalid";
    pub const PERMISSION_DENIED: &str = "permission_denied";
    pub const DATA_UNAVAILABLE: &str = "data_unavailable";
    pub const QUOTA_REACHED: &str = "quota_reached";
    pub const UTILITY_UNAVAILABLE: &str = "utility_unavailable";
    pub const FEATURE_UNAVAILABLE: &str = "feature_unavailable";
    pub const INTERNAL_ERROR: &str = "internal_error";
    pub const MFA_REQUIRED: &str = "mfa_required";
    pub const MFA_FAILED: &str = "mfa_failed";
    pub const CONNECT_MAX_ATTEMPTED_LOGINS: &str = "connect_max_attempted_logins";
}
