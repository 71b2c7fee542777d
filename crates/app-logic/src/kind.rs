//! What kind of failure an error is, as far as the user and the app's next
//! step care, and how codes from any format are compared. Both the decoder
//! ([`crate::problem`]) and the words ([`crate::messages`]) stand on it.

/// What went wrong, as far as the user and the app's next step care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// The access token is gone or refused: connect again.
    Reconnect,
    /// Pelm is still collecting the data after a connect: poll.
    WaitForData,
    /// A server fault that may pass.
    Transient,
    RateLimited,
    /// The site's plan ran out of calls: not the user's doing.
    Quota,
    Forbidden,
    /// The utility does not offer this (yet).
    Unsupported,
    /// The request had a bad value, often in a named field.
    Invalid,
    NotFound,
    /// Linking the utility account failed (MFA, too many logins).
    Connect,
    /// The site's own sign-in is missing.
    SignIn,
    Network,
    Timeout,
    /// An answer that is not what was asked for: broken, empty or a web page.
    Unreadable,
    /// The app itself stopped the request, e.g. the user left the page.
    Cancelled,
    Other,
}

impl Kind {
    pub const ALL: [Kind; 16] = [
        Kind::Reconnect,
        Kind::WaitForData,
        Kind::Transient,
        Kind::RateLimited,
        Kind::Quota,
        Kind::Forbidden,
        Kind::Unsupported,
        Kind::Invalid,
        Kind::NotFound,
        Kind::Connect,
        Kind::SignIn,
        Kind::Network,
        Kind::Timeout,
        Kind::Unreadable,
        Kind::Cancelled,
        Kind::Other,
    ];

    /// Its name in message overrides (`kind:quota`) and in `data-kind`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Reconnect => "reconnect",
            Kind::WaitForData => "wait_for_data",
            Kind::Transient => "transient",
            Kind::RateLimited => "rate_limited",
            Kind::Quota => "quota",
            Kind::Forbidden => "forbidden",
            Kind::Unsupported => "unsupported",
            Kind::Invalid => "invalid",
            Kind::NotFound => "not_found",
            Kind::Connect => "connect",
            Kind::SignIn => "sign_in",
            Kind::Network => "network",
            Kind::Timeout => "timeout",
            Kind::Unreadable => "unreadable",
            Kind::Cancelled => "cancelled",
            Kind::Other => "other",
        }
    }

    pub fn from_name(name: &str) -> Option<Kind> {
        let name = normalize_code(name);
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    pub fn recovery(self) -> Recovery {
        match self {
            Kind::Reconnect => Recovery::Reconnect,
            Kind::WaitForData => Recovery::WaitForData,
            Kind::Transient | Kind::RateLimited | Kind::Network | Kind::Timeout | Kind::Unreadable => Recovery::Retry,
            _ => Recovery::None,
        }
    }

    /// Whether a "Try again" button makes sense once automatic recovery is
    /// over: not where trying again cannot change the answer.
    pub fn can_try_again(self) -> bool {
        !matches!(self, Kind::Reconnect | Kind::Forbidden | Kind::Unsupported | Kind::SignIn | Kind::NotFound)
    }

    /// The kind an HTTP status implies when the body names no code we know.
    pub fn from_status(status: u16) -> Kind {
        match status {
            0 => Kind::Network,
            400 | 413 | 422 => Kind::Invalid,
            401 => Kind::Reconnect,
            402 => Kind::Quota,
            403 => Kind::Forbidden,
            404 | 410 => Kind::NotFound,
            408 | 504 => Kind::Timeout,
            429 => Kind::RateLimited,
            500..=599 => Kind::Transient,
            _ => Kind::Other,
        }
    }
}

/// What the app does about an error without being asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// Offer to connect again.
    Reconnect,
    /// Ask again with a growing pause until the data is there.
    WaitForData,
    /// Retry with backoff, a few times.
    Retry,
    /// Show the message and leave the next step to the user.
    None,
}

/// Codes compared whatever their case and separators: `FORBIDDEN`,
/// `forbidden`, `tokenInvalid` and `token-invalid` are the same code.
pub fn normalize_code(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut after_lower = false;
    // Codes are ASCII identifiers in every format seen; ASCII rules keep
    // Unicode's case tables out of the app's download.
    for c in code.trim().chars() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && after_lower {
                out.push('_');
            }
            after_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            out.push(c.to_ascii_lowercase());
        } else {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            after_lower = false;
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}
