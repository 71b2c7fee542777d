//! What the user reads about each error: one table of plain-language
//! messages and next steps, keyed by error code and by kind of error.
//!
//! The words are the catalogue's (`error.*`, `kind.*`, `next.*` in
//! `locales/en.json`), in the language the app speaks. A site can also
//! replace any code's entry with a JSON object keyed by code
//! ([`Messages::with_overrides`]).

use std::collections::HashMap;

use serde::Deserialize;

use pelm_model::companion::error_code as own;

use crate::kind::{normalize_code, Kind};
use crate::words::{error, kind, next, Catalogue, Text};

/// One entry: what happened, and what the user can do about it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Message {
    pub message: String,
    #[serde(alias = "next")]
    pub next_step: String,
}

/// What a kind of error says when its code has no entry of its own.
const KINDS: &[(Kind, Text, Text)] = &[
    (Kind::Reconnect, kind::RECONNECT, next::RECONNECT),
    (Kind::WaitForData, kind::WAIT_FOR_DATA, next::WAIT_FOR_DATA),
    (Kind::Transient, kind::TRANSIENT, next::MOMENT),
    (Kind::RateLimited, kind::RATE_LIMITED, next::WAIT),
    (Kind::Quota, kind::QUOTA, next::LATER),
    (Kind::Forbidden, kind::FORBIDDEN, next::FORBIDDEN),
    (Kind::Unsupported, kind::UNSUPPORTED, next::UNSUPPORTED),
    (Kind::Invalid, kind::INVALID, next::CHECK_ENTERED),
    (Kind::NotFound, kind::NOT_FOUND, next::ACCOUNTS),
    (Kind::Connect, kind::CONNECT, next::CONNECT),
    (Kind::SignIn, kind::SIGN_IN, next::SIGN_IN),
    (Kind::Network, kind::NETWORK, next::NETWORK),
    (Kind::Timeout, kind::TIMEOUT, next::MOMENT),
    (Kind::Unreadable, kind::UNREADABLE, next::UNREADABLE),
    (Kind::Cancelled, kind::CANCELLED, next::WHEN_READY),
    (Kind::Other, kind::OTHER, next::OTHER),
];

/// Codes with words of their own, and the kind each one is. Pelm's every
/// code (`seeds/000`), the companion's own, the generic codes of the
/// `ResponseStatus` API (`seeds/001`) that a companion could relay, and the
/// Billwerk+Optimize codes (`seeds/003`) that are not about billing itself.
/// Codes that mean the same share their words, so a translator writes them once.
const CODES: &[(&str, Kind, Text, Text)] = &[
    // Pelm.
    ("parameter_missing", Kind::Invalid, error::PARAMETER_MISSING, next::CHECK_FIELD),
    ("parameter_invalid", Kind::Invalid, error::PARAMETER_INVALID, next::CHECK_FIELD),
    (
        "connect_max_attempted_logins",
        Kind::Connect,
        error::CONNECT_MAX_ATTEMPTED_LOGINS,
        next::CONNECT_MAX_ATTEMPTED_LOGINS,
    ),
    ("credentials_invalid", Kind::Reconnect, error::CREDENTIALS_INVALID, next::RECONNECT),
    ("mfa_required", Kind::Connect, error::MFA_REQUIRED, next::MFA_REQUIRED),
    ("mfa_failed", Kind::Connect, error::MFA_FAILED, next::MFA_FAILED),
    ("utility_unavailable", Kind::Unsupported, error::UTILITY_UNAVAILABLE, next::UTILITY_UNAVAILABLE),
    ("card_invalid", Kind::Invalid, error::CARD_INVALID, next::CARD_INVALID),
    ("feature_unavailable", Kind::Unsupported, error::FEATURE_UNAVAILABLE, next::UNSUPPORTED),
    ("add_payment_failed", Kind::Other, error::ADD_PAYMENT_FAILED, next::ADD_PAYMENT_FAILED),
    ("address_invalid", Kind::Invalid, error::ADDRESS_INVALID, next::ADDRESS_INVALID),
    ("job_failed", Kind::Other, error::JOB_FAILED, next::JOB_FAILED),
    ("job_does_not_exist", Kind::NotFound, error::JOB_DOES_NOT_EXIST, next::JOB_DOES_NOT_EXIST),
    // The companion's own (`pelm_model::companion::error_code`).
    (own::TOO_MANY_CONNECTIONS, Kind::Connect, error::TOO_MANY_CONNECTIONS, next::TOO_MANY_CONNECTIONS),
    (own::RESPONSE_TOO_LARGE, Kind::Invalid, error::RESPONSE_TOO_LARGE, next::RESPONSE_TOO_LARGE),
    (own::MISDIRECTED_REQUEST, Kind::Other, error::MISDIRECTED_REQUEST, next::RELOAD),
    (own::METHOD_NOT_ALLOWED, Kind::Other, error::METHOD_NOT_ALLOWED, next::RELOAD),
    // The app's own.
    ("app_part_unavailable", Kind::Network, error::APP_PART_UNAVAILABLE, next::NETWORK),
    // Generic codes of the ResponseStatus API.
    ("parameter_required", Kind::Invalid, error::PARAMETER_MISSING, next::CHECK_FIELD),
    ("parameter_too_long", Kind::Invalid, error::PARAMETER_TOO_LONG, next::PARAMETER_TOO_LONG),
    ("parameter_too_short", Kind::Invalid, error::PARAMETER_TOO_SHORT, next::CHECK_FIELD),
    (
        "one_of_several_parameters_required",
        Kind::Invalid,
        error::ONE_OF_SEVERAL_PARAMETERS_REQUIRED,
        next::ONE_OF_SEVERAL_PARAMETERS_REQUIRED,
    ),
    ("conflicting_parameters", Kind::Invalid, error::CONFLICTING_PARAMETERS, next::CHECK_FIELDS),
    ("invalid_date_range", Kind::Invalid, error::INVALID_DATE_RANGE, next::INVALID_DATE_RANGE),
    ("invalid_model_state", Kind::Invalid, error::INVALID_MODEL_STATE, next::RELOAD_TRY),
    ("invalid_patch_payload", Kind::Invalid, error::INVALID_PATCH_PAYLOAD, next::RELOAD_TRY),
    ("invalid_http_method", Kind::Other, error::INVALID_HTTP_METHOD, next::RELOAD),
    ("invalid_http_uri_format", Kind::Other, error::INVALID_HTTP_METHOD, next::RELOAD),
    ("invalid_permissions", Kind::Forbidden, kind::FORBIDDEN, next::SUPPORT_DETAILS),
    ("invalid_permission_value", Kind::Forbidden, kind::FORBIDDEN, next::SUPPORT_DETAILS),
    (
        "permission_exceeds_access_boundary",
        Kind::Forbidden,
        error::PERMISSION_EXCEEDS_ACCESS_BOUNDARY,
        next::SUPPORT_DETAILS,
    ),
    ("account_not_found", Kind::NotFound, error::ACCOUNT_NOT_FOUND, next::ACCOUNTS),
    ("address_not_found", Kind::NotFound, error::ADDRESS_NOT_FOUND, next::ACCOUNTS),
    ("property_not_found", Kind::NotFound, error::PROPERTY_NOT_FOUND, next::ACCOUNTS),
    ("location_not_found", Kind::NotFound, error::LOCATION_NOT_FOUND, next::LOCATION_NOT_FOUND),
    ("unknown_time_zone", Kind::Invalid, error::UNKNOWN_TIME_ZONE, next::UNKNOWN_TIME_ZONE),
    (
        "scheduled_time_out_of_range",
        Kind::Invalid,
        error::SCHEDULED_TIME_OUT_OF_RANGE,
        next::SCHEDULED_TIME_OUT_OF_RANGE,
    ),
    ("project_limit_reached", Kind::Quota, error::PROJECT_LIMIT_REACHED, next::SUPPORT),
    ("invalid_email_format", Kind::Invalid, error::INVALID_EMAIL_FORMAT, next::INVALID_EMAIL_FORMAT),
    // Billwerk+Optimize: its numeric codes for request limits, and its
    // transaction error from the seed's example.
    ("123", Kind::RateLimited, error::CODE_123, next::WAIT),
    ("credit_card_expired", Kind::Invalid, error::CREDIT_CARD_EXPIRED, next::CREDIT_CARD_EXPIRED),
];

/// Codes with no entry of their own are still recognised by their family.
/// Codes whose words are their kind's: the kind they are is all they add,
/// and a site's words for the kind (`kind:<name>`) are theirs too.
const KIND_WORDS: &[(&str, Kind)] = &[
    ("token_invalid", Kind::Reconnect),
    ("quota_reached", Kind::Quota),
    ("data_unavailable", Kind::WaitForData),
    ("internal_error", Kind::Transient),
    ("permission_denied", Kind::Forbidden),
    (own::UNAUTHENTICATED, Kind::SignIn),
    (own::RATE_LIMITED, Kind::RateLimited),
    (own::NOT_FOUND, Kind::NotFound),
    ("forbidden", Kind::Forbidden),
    ("record_not_found", Kind::NotFound),
    ("122", Kind::RateLimited),
];

const FAMILIES: &[(&str, &str, Kind)] = &[
    ("", "_not_found", Kind::NotFound),
    ("", "_was_deleted", Kind::NotFound),
    ("", "_does_not_exist", Kind::NotFound),
    ("parameter_", "", Kind::Invalid),
    ("invalid_", "", Kind::Invalid),
    ("unknown_", "", Kind::Invalid),
    ("", "_exists", Kind::Invalid),
    ("", "_cannot_be_deleted", Kind::Invalid),
    ("", "_belongs_to_different_property", Kind::Forbidden),
    ("", "_unavailable", Kind::Unsupported),
    ("", "_not_enabled", Kind::Unsupported),
    ("", "_limit_reached", Kind::Quota),
    ("", "_limit_exceeded", Kind::Quota),
    ("no_", "_agreement", Kind::Forbidden),
    ("", "_not_owned", Kind::Forbidden),
    ("", "_forbidden", Kind::Forbidden),
    ("", "_failed", Kind::Other),
];

/// The table the app reads its words from.
#[derive(Debug, Clone)]
pub struct Messages {
    /// Each code with words of its own, and its kind; the codes of
    /// [`KIND_WORDS`] are read from that list.
    codes: HashMap<String, (Kind, Message)>,
    kinds: HashMap<Kind, Message>,
}

impl Default for Messages {
    fn default() -> Self {
        Self::in_words(&Catalogue::default())
    }
}

/// The kind of a code of [`KIND_WORDS`], already normalized.
fn kind_words(code: &str) -> Option<Kind> {
    KIND_WORDS.iter().find(|(listed, _)| *listed == code).map(|(_, kind)| *kind)
}

/// Why a site's overrides were refused. Nothing of them is applied then, so
/// a typo never leaves half a translation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OverrideError {
    NotJson(String),
    /// A key that is neither a known code nor `kind:<name>`; new codes must
    /// say their kind, as `{"kind": "quota", ...}`.
    UnknownKey(String),
}

impl std::fmt::Display for OverrideError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OverrideError::NotJson(why) => write!(f, "error messages are not valid JSON: {why}"),
            OverrideError::UnknownKey(key) => {
                write!(f, "error messages: `{key}` is not a known code or kind; give it a \"kind\"")
            }
        }
    }
}

impl std::error::Error for OverrideError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Override {
    message: String,
    #[serde(alias = "next")]
    next_step: String,
    #[serde(default)]
    kind: Option<String>,
}

impl Messages {
    /// The table in one language's words (English where it has none).
    pub fn in_words(words: &Catalogue) -> Self {
        let entry = |message: Text, next: Text| Message {
            message: words.text(message).to_owned(),
            next_step: words.text(next).to_owned(),
        };
        Self {
            codes: CODES.iter().map(|(code, kind, m, n)| ((*code).to_owned(), (*kind, entry(*m, *n)))).collect(),
            kinds: KINDS.iter().map(|(kind, m, n)| (*kind, entry(*m, *n))).collect(),
        }
    }

    /// The entry for a code, matched whatever its case or separators.
    pub fn code(&self, code: &str) -> Option<(Kind, &Message)> {
        let code = normalize_code(code);
        match self.codes.get(&code) {
            Some((kind, own)) => Some((*kind, own)),
            None => kind_words(&code).map(|kind| (kind, self.kind(kind))),
        }
    }

    /// The kind a code belongs to: its own entry's, or its family's.
    pub fn kind_of(&self, code: &str) -> Option<Kind> {
        let code = normalize_code(code);
        if let Some((kind, _)) = self.codes.get(&code) {
            return Some(*kind);
        }
        if let Some(kind) = kind_words(&code) {
            return Some(kind);
        }
        FAMILIES
            .iter()
            .find(|(prefix, suffix, _)| {
                code.len() > prefix.len() + suffix.len() && code.starts_with(prefix) && code.ends_with(suffix)
            })
            .map(|(_, _, kind)| *kind)
    }

    pub fn kind(&self, kind: Kind) -> &Message {
        self.kinds.get(&kind).or_else(|| self.kinds.get(&Kind::Other)).expect("every kind has words")
    }

    /// This table with a site's entries over it. Keys are codes (any case)
    /// or `kind:<name>` (`kind:quota`); each value is
    /// `{"message": "...", "next_step": "..."}`.
    pub fn with_overrides(mut self, json: &str) -> Result<Self, OverrideError> {
        let entries: HashMap<String, Override> =
            serde_json::from_str(json).map_err(|e| OverrideError::NotJson(e.to_string()))?;
        for (key, entry) in entries {
            let words = Message { message: entry.message, next_step: entry.next_step };
            if let Some(name) = key.strip_prefix("kind:") {
                let kind = Kind::from_name(name).ok_or_else(|| OverrideError::UnknownKey(key.clone()))?;
                self.kinds.insert(kind, words);
                continue;
            }
            let code = normalize_code(&key);
            let kind = match entry.kind.as_deref() {
                Some(name) => Kind::from_name(name).ok_or_else(|| OverrideError::UnknownKey(key.clone()))?,
                None => self.kind_of(&code).ok_or_else(|| OverrideError::UnknownKey(key.clone()))?,
            };
            self.codes.insert(code, (kind, words));
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_codes_own_words_are_never_its_kinds_copied() {
        for (code, kind, message, next) in CODES {
            let words = KINDS.iter().find(|(k, _, _)| k == kind).expect("every kind has words");
            assert!((words.1, words.2) != (*message, *next), "{code}: list it in KIND_WORDS instead");
        }
        let table = Messages::default();
        for (code, kind) in KIND_WORDS {
            assert_eq!(table.code(code), Some((*kind, table.kind(*kind))), "{code}");
        }
    }

    /// Every code the companion or Pelm answers with has words of its own:
    /// a code added to either list without them fails here.
    #[test]
    fn every_code_pelm_or_the_companion_answers_with_has_words() {
        let messages = Messages::default();
        let missing: Vec<&&str> = pelm_model::companion::error_code::ANSWERED
            .iter()
            .chain(pelm_model::pelm::error_code::ALL)
            .filter(|code| messages.code(code).is_none())
            .collect();
        assert!(missing.is_empty(), "no words for {missing:?}");
    }
}
