//! The companion's one error type. Every failure leaves as Pelm's error body
//! plus a request id; 5xx causes are logged and never sent.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use pelm_model::companion::ErrorBody;
use pelm_model::pelm::{self, error_code};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Pelm answered with an error body: passed through with Pelm's status.
    #[error("Pelm answered {status}: {}", body.error_code)]
    Pelm { status: StatusCode, body: pelm::ErrorBody },
    /// Pelm could not be reached, timed out, or answered something that is not Pelm's.
    #[error("upstream failure: {0}")]
    Upstream(String),
    /// A parameter failed validation; no upstream call was made.
    #[error("invalid {field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error("request body too large")]
    TooLarge,
    #[error("this user has no connected utility account")]
    NotConnected,
    #[error("no such route")]
    NotFound,
    #[error("no identity header from the site's proxy")]
    Unauthenticated,
    #[error("rate limited for {retry_after:?}")]
    RateLimited { retry_after: std::time::Duration },
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("internal: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid { field, message: message.into() }
    }
}

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::JsonRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Self::TooLarge
        } else {
            Self::invalid("body", rejection.body_text())
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        Self::Internal(format!("database: {err}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message, field) = match &self {
            ApiError::Pelm { status, body } => (*status, body.error_code.clone(), body.message.clone(), None),
            ApiError::Upstream(_) => (
                StatusCode::BAD_GATEWAY,
                error_code::INTERNAL_ERROR.to_owned(),
                "Pelm could not be reached. Try again in a moment.".to_owned(),
                None,
            ),
            ApiError::Invalid { field, message } => {
                (StatusCode::BAD_REQUEST, error_code::PARAMETER_INVALID.to_owned(), message.clone(), Some(*field))
            }
            ApiError::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                error_code::PARAMETER_INVALID.to_owned(),
                "The request body is too large.".to_owned(),
                Some("body"),
            ),
            ApiError::NotConnected => (
                StatusCode::UNAUTHORIZED,
                error_code::TOKEN_INVALID.to_owned(),
                "No utility account is connected yet.".to_owned(),
                None,
            ),
            ApiError::Unauthenticated => {
                (StatusCode::UNAUTHORIZED, "unauthenticated".to_owned(), "Sign in to the site first.".to_owned(), None)
            }
            ApiError::RateLimited { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited".to_owned(),
                "Too many requests. Wait a moment and try again.".to_owned(),
                None,
            ),
            ApiError::NotFound => {
                (StatusCode::NOT_FOUND, "not_found".to_owned(), "There is no such API route.".to_owned(), None)
            }
            ApiError::Forbidden(message) => {
                (StatusCode::FORBIDDEN, error_code::PERMISSION_DENIED.to_owned(), message.clone(), None)
            }
            ApiError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                error_code::INTERNAL_ERROR.to_owned(),
                "Something went wrong on our side. Try again in a moment.".to_owned(),
                None,
            ),
        };
        if status.is_server_error() {
            tracing::error!(error = %self, %status, "request failed");
        }
        let body = ErrorBody { error_code: code, message, request_id: None, field: field.map(str::to_owned) };
        let mut response = status.into_response();
        if let ApiError::RateLimited { retry_after } = &self {
            let seconds = retry_after.as_secs_f64().ceil().max(1.0) as u64;
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        // The request id is known only to the middleware below, which writes the body.
        response.extensions_mut().insert(body);
        response
    }
}

/// Writes every [`ApiError`]'s body with the request's id, which it also
/// returns as `x-request-id` on every response.
pub async fn with_request_id(request: Request, next: Next) -> Response {
    let request_id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let mut response = next.run(request).await;
    if let Some(mut body) = response.extensions_mut().remove::<ErrorBody>() {
        body.request_id = request_id.clone();
        let json = serde_json::to_vec(&body).unwrap_or_default();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response.headers_mut().remove(header::CONTENT_LENGTH);
        *response.body_mut() = Body::from(json);
    }
    response
}
