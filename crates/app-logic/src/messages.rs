//! What the user reads about each error: one table of plain-language
//! messages and next steps, keyed by error code and by kind of error.
//!
//! A site can replace any entry, to reword or translate it, with a JSON
//! object of the same keys ([`Messages::with_overrides`]).

use std::collections::HashMap;

use serde::Deserialize;

use pelm_model::companion::error_code as own;

use crate::kind::{normalize_code, Kind};

/// One entry: what happened, and what the user can do about it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Message {
    pub message: String,
    #[serde(alias = "next")]
    pub next_step: String,
}

/// What a kind of error says when its code has no entry of its own.
const KINDS: &[(Kind, &str, &str)] = &[
    (
        Kind::Reconnect,
        "Your utility account needs to be connected again.",
        "Press Reconnect and sign in to your utility; you'll come back to this page.",
    ),
    (
        Kind::WaitForData,
        "Your utility is still sending your data. This usually takes up to 15 minutes.",
        "This page checks again by itself; you can leave it open.",
    ),
    (Kind::Transient, "Something went wrong on the server.", "Try again in a moment."),
    (Kind::RateLimited, "Too many requests were made in a short time.", "Wait a moment, then try again."),
    (
        Kind::Quota,
        "The energy data service has reached its usage limit for now. This is not something you did.",
        "Try again later. If it lasts, contact this site's support.",
    ),
    (
        Kind::Forbidden,
        "You don't have permission to see this.",
        "If you think you should, contact this site's support with the details below.",
    ),
    (
        Kind::Unsupported,
        "Your utility doesn't support this yet.",
        "Nothing is wrong with your account; the rest of your data is still here.",
    ),
    (Kind::Invalid, "Part of the request wasn't valid.", "Check what you entered, then try again."),
    (Kind::NotFound, "We couldn't find what was asked for.", "Go back to your accounts and choose again."),
    (
        Kind::Connect,
        "Your utility account couldn't be linked.",
        "Connect again; if it keeps failing, check your login on the utility's website.",
    ),
    (
        Kind::SignIn,
        "You need to be signed in to this site to see your energy data.",
        "Sign in, then come back to this page.",
    ),
    (Kind::Network, "We couldn't reach the server.", "Check your internet connection, then try again."),
    (Kind::Timeout, "The server took too long to answer.", "Try again in a moment."),
    (
        Kind::Unreadable,
        "The server sent an answer we couldn't read.",
        "Try again in a moment; if it keeps happening, contact this site's support.",
    ),
    (Kind::Cancelled, "The request was cancelled.", "Try again when you're ready."),
    (
        Kind::Other,
        "Something went wrong.",
        "Try again; if it keeps happening, contact this site's support with the details below.",
    ),
];

/// Codes with words of their own, and the kind each one is. Pelm's every
/// code (`seeds/000`), the companion's own, the generic codes of the
/// `ResponseStatus` API (`seeds/001`) that a companion could relay, and the
/// Billwerk+Optimize codes (`seeds/003`) that are not about billing itself.
const CODES: &[(&str, Kind, &str, &str)] = &[
    // Pelm.
    (
        "parameter_missing",
        Kind::Invalid,
        "Something the request needs was missing.",
        "Check the highlighted field, then try again.",
    ),
    (
        "parameter_invalid",
        Kind::Invalid,
        "One of the values asked for isn't valid.",
        "Check the highlighted field, then try again.",
    ),
    (
        "connect_max_attempted_logins",
        Kind::Connect,
        "There have been too many login attempts for this utility account.",
        "Wait a while before trying again, or reset your password on the utility's website.",
    ),
    (
        "credentials_invalid",
        Kind::Reconnect,
        "Your utility login needs to be confirmed again.",
        "Press Reconnect and sign in to your utility; you'll come back to this page.",
    ),
    (
        "mfa_required",
        Kind::Connect,
        "Your utility asked for a verification code.",
        "Connect again and enter the code your utility sends you.",
    ),
    (
        "mfa_failed",
        Kind::Connect,
        "The verification code wasn't accepted.",
        "Connect again and enter the newest code your utility sent.",
    ),
    (
        "utility_unavailable",
        Kind::Unsupported,
        "We can't connect to this utility yet.",
        "Nothing is wrong with your account; support for this utility is still being built.",
    ),
    ("card_invalid", Kind::Invalid, "The card wasn't accepted.", "Check the card's details, or use another card."),
    (
        "feature_unavailable",
        Kind::Unsupported,
        "Your utility doesn't provide this yet.",
        "Nothing is wrong with your account; the rest of your data is still here.",
    ),
    (
        "add_payment_failed",
        Kind::Other,
        "The payment method couldn't be added to your utility account.",
        "Check its details, or try another payment method.",
    ),
    (
        "address_invalid",
        Kind::Invalid,
        "That address can't be used; service may already exist there.",
        "Check the address with your utility.",
    ),
    (
        "job_failed",
        Kind::Other,
        "Your utility couldn't make the service change.",
        "Try again later, or contact your utility.",
    ),
    ("job_does_not_exist", Kind::NotFound, "That service change couldn't be found.", "Start the change again."),
    // The companion's own (`pelm_model::companion::error_code`).
    (
        own::TOO_MANY_CONNECTIONS,
        Kind::Connect,
        "You've linked as many utility logins as this site allows.",
        "Disconnect one you no longer need, then add the new one.",
    ),
    (
        own::RESPONSE_TOO_LARGE,
        Kind::Invalid,
        "There is more utility data here than this site takes at once.",
        "Choose a shorter range, then try again.",
    ),
    (
        own::MISDIRECTED_REQUEST,
        Kind::Other,
        "This page reached a server that doesn't answer for it.",
        "Reload the page; if it keeps happening, contact this site's support.",
    ),
    (
        own::METHOD_NOT_ALLOWED,
        Kind::Other,
        "This page asked the server for something in a way it doesn't take.",
        "Reload the page; if it keeps happening, contact this site's support.",
    ),
    // The app's own.
    (
        "app_part_unavailable",
        Kind::Network,
        "This part of the page couldn't be downloaded.",
        "Check your internet connection, then try again.",
    ),
    // Generic codes of the ResponseStatus API.
    (
        "parameter_required",
        Kind::Invalid,
        "Something the request needs was missing.",
        "Check the highlighted field, then try again.",
    ),
    (
        "parameter_too_long",
        Kind::Invalid,
        "One of the values entered is too long.",
        "Shorten the highlighted field, then try again.",
    ),
    (
        "parameter_too_short",
        Kind::Invalid,
        "One of the values entered is too short.",
        "Check the highlighted field, then try again.",
    ),
    (
        "one_of_several_parameters_required",
        Kind::Invalid,
        "One of several values is needed, and none was given.",
        "Fill in one of the highlighted fields, then try again.",
    ),
    (
        "conflicting_parameters",
        Kind::Invalid,
        "Some of the values asked for contradict each other.",
        "Check the highlighted fields, then try again.",
    ),
    (
        "invalid_date_range",
        Kind::Invalid,
        "That date range isn't valid.",
        "Choose a start date on or before the end date, within the dates your utility keeps.",
    ),
    ("invalid_model_state", Kind::Invalid, "The request wasn't valid.", "Reload the page, then try again."),
    ("invalid_patch_payload", Kind::Invalid, "The change asked for wasn't valid.", "Reload the page, then try again."),
    (
        "invalid_http_method",
        Kind::Other,
        "This page and its server don't match.",
        "Reload the page; if it keeps happening, contact this site's support.",
    ),
    (
        "invalid_http_uri_format",
        Kind::Other,
        "This page and its server don't match.",
        "Reload the page; if it keeps happening, contact this site's support.",
    ),
    (
        "invalid_permissions",
        Kind::Forbidden,
        "You don't have permission to see this.",
        "Contact this site's support with the details below.",
    ),
    (
        "invalid_permission_value",
        Kind::Forbidden,
        "You don't have permission to see this.",
        "Contact this site's support with the details below.",
    ),
    (
        "permission_exceeds_access_boundary",
        Kind::Forbidden,
        "This asks for more access than you have.",
        "Contact this site's support with the details below.",
    ),
    (
        "account_not_found",
        Kind::NotFound,
        "We couldn't find that account.",
        "Go back to your accounts and choose again.",
    ),
    (
        "address_not_found",
        Kind::NotFound,
        "We couldn't find that address.",
        "Go back to your accounts and choose again.",
    ),
    (
        "property_not_found",
        Kind::NotFound,
        "We couldn't find that property.",
        "Go back to your accounts and choose again.",
    ),
    ("location_not_found", Kind::NotFound, "We couldn't find that place.", "Check the location, then try again."),
    (
        "unknown_time_zone",
        Kind::Invalid,
        "The time zone asked for isn't known.",
        "Check your device's time zone, then reload the page.",
    ),
    (
        "scheduled_time_out_of_range",
        Kind::Invalid,
        "That date or time is out of range.",
        "Choose another date, then try again.",
    ),
    (
        "project_limit_reached",
        Kind::Quota,
        "A limit of this site's plan has been reached. This is not something you did.",
        "Contact this site's support.",
    ),
    ("invalid_email_format", Kind::Invalid, "That email address doesn't look right.", "Check it, then try again."),
    // Billwerk+Optimize: its numeric codes for request limits, and its
    // transaction error from the seed's example.
    ("123", Kind::RateLimited, "Too many requests were made at once.", "Wait a moment, then try again."),
    ("credit_card_expired", Kind::Invalid, "The card has expired.", "Use another card."),
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
        let entry = |message: &str, next: &str| Message { message: message.to_owned(), next_step: next.to_owned() };
        Self {
            codes: CODES.iter().map(|(code, kind, m, n)| ((*code).to_owned(), (*kind, entry(m, n)))).collect(),
            kinds: KINDS.iter().map(|(kind, m, n)| (*kind, entry(m, n))).collect(),
        }
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
