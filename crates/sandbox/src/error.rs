use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use pelm_model::pelm::{error_code, ErrorBody};

/// An error as Pelm answers it: an HTTP status from Pelm's table and the body
/// `{"error_code", "message"}`.
#[derive(Debug, Clone, PartialEq)]
pub struct PelmError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl PelmError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into() }
    }

    pub fn parameter_missing(name: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, error_code::PARAMETER_MISSING, format!("Missing required parameter: {name}"))
    }

    pub fn parameter_invalid(name: &str, why: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, error_code::PARAMETER_INVALID, format!("Invalid parameter {name}: {why}"))
    }

    pub fn credentials_invalid() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, error_code::CREDENTIALS_INVALID, "The provided API keys are invalid")
    }

    pub fn token_invalid(what: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, error_code::TOKEN_INVALID, format!("The provided {what} is invalid"))
    }

    pub fn permission_denied(what: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            error_code::PERMISSION_DENIED,
            format!("Unauthorized for requested resource: {what}"),
        )
    }

    pub fn data_unavailable() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            error_code::DATA_UNAVAILABLE,
            "Data is unavailable for the user, usually becomes available within 15 minutes",
        )
    }

    pub fn feature_unavailable(what: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            error_code::FEATURE_UNAVAILABLE,
            format!("Support for {what} hasn't been built out yet"),
        )
    }

    pub fn quota_reached() -> Self {
        Self::new(
            StatusCode::PAYMENT_REQUIRED,
            error_code::QUOTA_REACHED,
            "Maximum number of calls for the plan has been reached",
        )
    }

    pub fn internal_error() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            error_code::INTERNAL_ERROR,
            "Something went wrong on Pelm's servers",
        )
    }

    pub fn utility_unavailable(name: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            error_code::UTILITY_UNAVAILABLE,
            format!("Support has not been built out yet for {name}"),
        )
    }

    /// A Connect login the utility did not accept. Pelm's table has no code of
    /// its own for this, so the sandbox reuses `credentials_invalid`.
    pub fn login_rejected() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            error_code::CREDENTIALS_INVALID,
            "The utility did not accept that username and password",
        )
    }

    pub fn mfa_required() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, error_code::MFA_REQUIRED, "MFA is required to connect the account")
    }

    pub fn mfa_failed() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, error_code::MFA_FAILED, "MFA verification failed")
    }

    pub fn max_attempted_logins() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            error_code::CONNECT_MAX_ATTEMPTED_LOGINS,
            "The maximum number of Connect login attempts has been reached",
        )
    }
}

impl IntoResponse for PelmError {
    fn into_response(self) -> Response {
        let body = ErrorBody { error_code: self.code.to_owned(), message: self.message };
        (self.status, Json(body)).into_response()
    }
}
