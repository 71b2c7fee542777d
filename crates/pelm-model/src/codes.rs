//! Every error code on the wire, Pelm's and the companion's own, written
//! once: the sandbox and the companion answer with them, and the app's
//! message table is tested to have words for each.

/// Pelm's documented error codes (`seeds/000`), with the HTTP status Pelm
/// pairs them with. Kept as one list so the sandbox, the companion and the
/// tests agree on them.
pub mod pelm {
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

    /// Every code above, for the tests that hold other tables to them.
    pub const ALL: &[&str] = &[
        PARAMETER_MISSING,
        PARAMETER_INVALID,
        TOKEN_INVALID,
        CREDENTIALS_INVALID,
        PERMISSION_DENIED,
        DATA_UNAVAILABLE,
        QUOTA_REACHED,
        UTILITY_UNAVAILABLE,
        FEATURE_UNAVAILABLE,
        INTERNAL_ERROR,
        MFA_REQUIRED,
        MFA_FAILED,
        CONNECT_MAX_ATTEMPTED_LOGINS,
    ];
}

/// The error codes the companion answers with besides Pelm's own
/// ([`pelm`]): written here once, used by the companion,
/// and the app's message table is tested to have words for every one.
pub mod companion {
    use super::pelm;

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
