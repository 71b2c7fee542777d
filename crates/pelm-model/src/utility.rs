//! Which utility an account is with, and how its linked login stands: what
//! the companion adds to Pelm's accounts and reports of its connections.

use serde::{Deserialize, Serialize};

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
            crate::codes::pelm::DATA_UNAVAILABLE => Some(Self::Collecting),
            crate::codes::pelm::TOKEN_INVALID => Some(Self::LoginNeeded),
            crate::codes::pelm::UTILITY_UNAVAILABLE => Some(Self::UtilityUnsupported),
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
