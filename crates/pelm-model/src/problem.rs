//! Turning any failed or odd response into one typed error the app can show
//! and act on. Pure, so it is tested natively.

use std::fmt;

use serde::Deserialize;

/// What the app should do about an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// The user must connect (again): no token, or Pelm rejected it.
    Reconnect,
    /// Data is still being collected after connecting: poll.
    WaitForData,
    /// Worth trying again: the network, a gateway, or a 5xx.
    Retry,
    /// Nothing the user can do here but read the message.
    None,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The error code as the server sent it, when it sent one.
    pub code: Option<String>,
    /// A sentence for the user.
    pub message: String,
    pub status: Option<u16>,
    pub request_id: Option<String>,
    /// The request field at fault, for validation errors.
    pub field: Option<String>,
    pub recovery: Recovery,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Problem {}

#[derive(Deserialize)]
struct CodedBody {
    error_code: String,
    #[serde(default)]
    message: Option<String>,
    #[serde(default, alias = "request-id")]
    request_id: Option<String>,
    #[serde(default)]
    field: Option<String>,
}

/// A plain-language message for the codes Pelm and the companion send.
fn known_message(code: &str) -> Option<&'static str> {
    Some(match code {
        "token_invalid" | "credentials_invalid" => "Your utility account needs to be connected again.",
        "data_unavailable" => "Your utility is sending your data; this usually takes up to 15 minutes.",
        "permission_denied" => "You don't have access to this data.",
        "quota_reached" => "The data service is busy for now. This is not something you did; try again later.",
        "utility_unavailable" => "We can't connect to this utility yet.",
        "feature_unavailable" => "Your utility doesn't provide this yet.",
        "internal_error" => "Something went wrong on our side. Try again in a moment.",
        _ => return None,
    })
}

fn recovery(status: Option<u16>, code: Option<&str>) -> Recovery {
    match (code, status) {
        (Some("token_invalid" | "credentials_invalid"), _) | (None, Some(401)) => Recovery::Reconnect,
        (Some("data_unavailable"), _) => Recovery::WaitForData,
        (Some("internal_error"), _) | (_, Some(429 | 500..=599)) | (_, None) => Recovery::Retry,
        _ => Recovery::None,
    }
}

impl Problem {
    fn new(status: Option<u16>, code: Option<String>, message: String) -> Self {
        let recovery = recovery(status, code.as_deref());
        Self { code, message, status, request_id: None, field: None, recovery }
    }

    /// The request never got an answer.
    pub fn network() -> Self {
        Self::new(None, None, "We couldn't reach the server. Check your connection and try again.".to_owned())
    }

    /// A successful status whose body is not what the app expects.
    pub fn unexpected_body(status: u16) -> Self {
        let mut problem = Self::new(
            Some(status),
            None,
            "The server sent an answer we couldn't read. Try again in a moment.".to_owned(),
        );
        problem.recovery = Recovery::Retry;
        problem
    }

    /// Decodes a failed response (`status` outside 2xx).
    pub fn from_response(status: u16, body: &str) -> Self {
        if let Ok(coded) = serde_json::from_str::<CodedBody>(body) {
            let message = known_message(&coded.error_code)
                .map(str::to_owned)
                .or(coded.message.filter(|m| !m.trim().is_empty()))
                .unwrap_or_else(|| format!("The server reported an error ({}).", coded.error_code));
            let mut problem = Self::new(Some(status), Some(coded.error_code), message);
            problem.request_id = coded.request_id;
            problem.field = coded.field;
            return problem;
        }
        let trimmed = body.trim_start();
        let message = if trimmed.is_empty() {
            format!("The server gave an empty answer (HTTP {status}). Try again in a moment.")
        } else if trimmed.starts_with('<') {
            format!("The server answered with an error page instead of data (HTTP {status}). Try again in a moment.")
        } else {
            format!("The server reported an error (HTTP {status}). Try again in a moment.")
        };
        Self::new(Some(status), None, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pelm_body_gets_a_plain_message_and_its_recovery() {
        let p = Problem::from_response(
            400,
            r#"{"error_code":"data_unavailable","message":"Data is unavailable for the user","request_id":"r-1"}"#,
        );
        assert_eq!(p.code.as_deref(), Some("data_unavailable"));
        assert_eq!(p.recovery, Recovery::WaitForData);
        assert_eq!(p.request_id.as_deref(), Some("r-1"));
        assert!(p.message.contains("15 minutes"));
    }

    #[test]
    fn unknown_codes_are_kept_with_the_servers_message() {
        let p = Problem::from_response(409, r#"{"error_code":"brand_new_code","message":"Try the other door."}"#);
        assert_eq!(p.code.as_deref(), Some("brand_new_code"));
        assert_eq!(p.message, "Try the other door.");
        assert_eq!(p.recovery, Recovery::None);
    }

    #[test]
    fn html_from_a_proxy_is_never_shown_raw() {
        let p = Problem::from_response(502, "<html><body><h1>502 Bad Gateway</h1></body></html>");
        assert!(!p.message.contains('<'));
        assert!(p.message.contains("502"));
        assert_eq!(p.recovery, Recovery::Retry);
    }

    #[test]
    fn empty_body_and_bare_401_are_understood() {
        assert!(Problem::from_response(503, "").message.contains("empty answer"));
        assert_eq!(Problem::from_response(401, "").recovery, Recovery::Reconnect);
    }

    #[test]
    fn hyphenated_request_id_is_read() {
        let p = Problem::from_response(500, r#"{"error_code":"internal_error","request-id":"abc"}"#);
        assert_eq!(p.request_id.as_deref(), Some("abc"));
    }
}
