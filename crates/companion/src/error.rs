//! The companion's one error type. Every failure leaves as Pelm's error body
//! plus a request id; 5xx causes are logged and never sent.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use pelm_model::companion::error_code as own;
use pelm_model::companion::ErrorBody;
use pelm_model::pelm::{self, error_code};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Pelm answered with an error body: passed through with Pelm's status
    /// (and its `Retry-After`, when it said one).
    #[error("Pelm answered {status}: {}", body.error_code)]
    Pelm { status: StatusCode, body: pelm::ErrorBody, retry_after: Option<std::time::Duration> },
    /// Pelm could not be reached, timed out, or its answer was cut short.
    #[error("{what}: the call to Pelm failed")]
    Transport {
        what: String,
        #[source]
        source: reqwest::Error,
    },
    /// Pelm's answer was not JSON, or not of the shape expected.
    #[error("{what}: an answer that is not the JSON expected")]
    Malformed {
        what: String,
        #[source]
        source: serde_json::Error,
    },
    /// Another request is exchanging the same code and has not finished.
    #[error("the exchange of this code is still in progress")]
    ExchangePending,
    /// Something other than Pelm answered with this status and a body that is
    /// not Pelm's (a proxy's HTML page). Retried only when it is a 5xx or 429.
    #[error("upstream answered {status} without a Pelm error body: {detail}")]
    UpstreamStatus { status: StatusCode, detail: String },
    /// Pelm's answer was larger than the companion reads.
    #[error("an answer from Pelm over {limit} bytes")]
    UpstreamTooLarge { limit: usize },
    /// The site-wide ceiling on calls to Pelm was reached.
    #[error("the ceiling on calls to Pelm was reached; wait {retry_after:?}")]
    PelmBusy { retry_after: std::time::Duration },
    /// The request took longer than the companion allows.
    #[error("the request timed out")]
    Timeout,
    /// The client took too long to send the request's body.
    #[error("the request body came too slowly")]
    BodyTimeout,
    /// `Host` named a host this companion does not serve.
    #[error("a host this companion does not serve")]
    MisdirectedHost,
    /// The framework refused the request before a handler saw it.
    #[error("refused by the framework: {status}")]
    Refused { status: StatusCode },
    /// A parameter failed validation; no upstream call was made.
    #[error("invalid {field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error("request body too large")]
    TooLarge,
    #[error("this user has no connected utility account")]
    NotConnected,
    #[error("no such route")]
    NotFound,
    /// A connection id that is not one of this user's.
    #[error("no such connection")]
    UnknownConnection,
    /// An account or meter none of this user's connections answered with.
    #[error("an account none of the user's connections holds")]
    UnknownAccount { field: &'static str },
    /// The user holds as many connections as one may.
    #[error("too many connections")]
    TooManyConnections,
    #[error("no identity header from the site's proxy")]
    Unauthenticated,
    #[error("rate limited for {retry_after:?}")]
    RateLimited { retry_after: std::time::Duration },
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The store that keeps the limits shared by every instance did not
    /// answer, and this request is one the limits must not let through unchecked.
    #[error("the shared limits did not answer")]
    LimitsUnavailable,
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
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

impl ApiError {
    /// What the client is told: status, error code, message and the field at
    /// fault. One arm per variant, so that the whole contract reads as one
    /// table; that is why this runs past eighty lines.
    fn public(&self) -> (StatusCode, String, String, Option<&'static str>) {
        match self {
            // Pelm still collecting a new connection's data is the normal
            // first minutes, not a failure: 202 ("not yet"), whatever status
            // Pelm sent it with, so no browser logs an error for it.
            ApiError::Pelm { body, .. } if body.error_code == error_code::DATA_UNAVAILABLE => {
                (StatusCode::ACCEPTED, body.error_code.clone(), body.message.clone(), None)
            }
            ApiError::Pelm { status, body, .. } => (*status, body.error_code.clone(), body.message.clone(), None),
            ApiError::Transport { .. }
            | ApiError::Malformed { .. }
            | ApiError::ExchangePending
            | ApiError::UpstreamStatus { .. } => (
                StatusCode::BAD_GATEWAY,
                error_code::INTERNAL_ERROR.to_owned(),
                "Pelm could not be reached. Try again in a moment.".to_owned(),
                None,
            ),
            ApiError::Invalid { field, message } => {
                (StatusCode::BAD_REQUEST, error_code::PARAMETER_INVALID.to_owned(), message.clone(), Some(*field))
            }
            // The same words as the framework's own refusals: one table, `refused`.
            ApiError::TooLarge => refused(StatusCode::PAYLOAD_TOO_LARGE),
            ApiError::NotConnected => (
                StatusCode::UNAUTHORIZED,
                error_code::TOKEN_INVALID.to_owned(),
                "No utility account is connected yet.".to_owned(),
                None,
            ),
            ApiError::Unauthenticated => {
                (StatusCode::UNAUTHORIZED, own::UNAUTHENTICATED.to_owned(), "Sign in to the site first.".to_owned(), None)
            }
            ApiError::RateLimited { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                own::RATE_LIMITED.to_owned(),
                "Too many requests. Wait a moment and try again.".to_owned(),
                None,
            ),
            ApiError::NotFound => refused(StatusCode::NOT_FOUND),
            ApiError::UnknownConnection => (
                StatusCode::NOT_FOUND,
                own::NOT_FOUND.to_owned(),
                "There is no such connection.".to_owned(),
                Some("connection_id"),
            ),
            ApiError::UnknownAccount { field } => (
                StatusCode::NOT_FOUND,
                own::NOT_FOUND.to_owned(),
                "This account is not one of those linked here.".to_owned(),
                Some(*field),
            ),
            ApiError::TooManyConnections => (
                StatusCode::CONFLICT,
                own::TOO_MANY_CONNECTIONS.to_owned(),
                format!(
                    "At most {} utility logins can be linked. Disconnect one to link another.",
                    pelm_model::companion::MOST_CONNECTIONS
                ),
                None,
            ),
            ApiError::Forbidden(message) => {
                (StatusCode::FORBIDDEN, error_code::PERMISSION_DENIED.to_owned(), message.clone(), None)
            }
            ApiError::UpstreamTooLarge { limit } => (
                StatusCode::BAD_GATEWAY,
                own::RESPONSE_TOO_LARGE.to_owned(),
                format!(
                    "The utility data for this request is larger than this site accepts ({} MB). Ask for a shorter range.",
                    limit / (1024 * 1024)
                ),
                None,
            ),
            ApiError::PelmBusy { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                own::RATE_LIMITED.to_owned(),
                "This site is asking the utility data service for a lot right now. Try again in a minute.".to_owned(),
                None,
            ),
            ApiError::LimitsUnavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                error_code::INTERNAL_ERROR.to_owned(),
                "This service is busy. Try again in a moment.".to_owned(),
                None,
            ),
            ApiError::Timeout => (
                StatusCode::SERVICE_UNAVAILABLE,
                error_code::INTERNAL_ERROR.to_owned(),
                "That took too long. Try again in a moment.".to_owned(),
                None,
            ),
            ApiError::BodyTimeout => (
                StatusCode::REQUEST_TIMEOUT,
                error_code::PARAMETER_INVALID.to_owned(),
                "The request body came too slowly.".to_owned(),
                Some("body"),
            ),
            ApiError::MisdirectedHost => (
                StatusCode::MISDIRECTED_REQUEST,
                own::MISDIRECTED_REQUEST.to_owned(),
                "This server does not answer for that host name.".to_owned(),
                None,
            ),
            ApiError::Refused { status } => refused(*status),
            ApiError::Database(_) | ApiError::Internal(_) => refused(StatusCode::INTERNAL_SERVER_ERROR),
        }
    }
}

/// When to ask again while Pelm collects, unless Pelm said.
const COLLECTING_RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(5);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message, field) = self.public();
        if status.is_server_error() {
            tracing::error!(error = %Chain(&self), %status, "request failed");
        } else if status == StatusCode::ACCEPTED {
            tracing::info!("Pelm is still collecting this connection's data");
        }
        let body = ErrorBody { error_code: code, message, request_id: None, field: field.map(str::to_owned) };
        let mut response = status.into_response();
        let retry_after = match &self {
            ApiError::RateLimited { retry_after } | ApiError::PelmBusy { retry_after } => Some(*retry_after),
            ApiError::Pelm { retry_after, .. } if status == StatusCode::ACCEPTED => {
                Some(retry_after.unwrap_or(COLLECTING_RETRY_AFTER))
            }
            ApiError::Pelm { retry_after, .. } => *retry_after,
            _ => None,
        };
        if let Some(retry_after) = retry_after {
            let seconds = retry_after.as_secs_f64().ceil().max(1.0) as u64;
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        // The request id is known only to the middleware below, which writes the body.
        response.extensions_mut().insert(body);
        response
    }
}

/// An error and each of its sources, so a log line says why, not only what.
pub(crate) struct Chain<'a>(pub(crate) &'a dyn std::error::Error);

impl std::fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

/// The error body for a status the framework answered on its own.
fn refused(status: StatusCode) -> (StatusCode, String, String, Option<&'static str>) {
    let (code, message, field) = match status {
        StatusCode::NOT_FOUND => (own::NOT_FOUND, "There is no such API route.", None),
        StatusCode::METHOD_NOT_ALLOWED => (own::METHOD_NOT_ALLOWED, "This API route does not take that method.", None),
        StatusCode::PAYLOAD_TOO_LARGE => {
            (error_code::PARAMETER_INVALID, "The request body is too large.", Some("body"))
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            (error_code::PARAMETER_INVALID, "Send the body as JSON (Content-Type: application/json).", Some("body"))
        }
        StatusCode::REQUEST_TIMEOUT => (error_code::PARAMETER_INVALID, "The request came too slowly.", None),
        status if status.is_server_error() => {
            (error_code::INTERNAL_ERROR, "Something went wrong on our side. Try again in a moment.", None)
        }
        _ => (error_code::PARAMETER_INVALID, "The request is malformed.", None),
    };
    (status, code.to_owned(), message.to_owned(), field)
}

/// Holds every answer under the API to the contract: an error the framework
/// wrote itself (404, 405, 413, 415, a path that is not UTF-8) leaves as the
/// documented JSON body, and nothing per-user is kept by a cache.
pub async fn api_contract(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let status = response.status();
    let ours = response.extensions().get::<ErrorBody>().is_some();
    let json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if (status.is_client_error() || status.is_server_error()) && !ours && !json {
        let headers = std::mem::take(response.headers_mut());
        response = ApiError::Refused { status }.into_response();
        for name in [header::ALLOW, header::RETRY_AFTER] {
            if let Some(value) = headers.get(&name) {
                response.headers_mut().insert(name, value.clone());
            }
        }
    }
    response.headers_mut().entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("private, no-store"));
    response
}

/// Answers 503 when an API request takes longer than `limit` in all
/// (upstream retries and waiting for a slot included).
pub async fn time_limit(limit: std::time::Duration, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::Timeout.into_response(),
    }
}

/// A client's own `x-request-id` is kept only when it is short and plain, so
/// it can neither flood the logs nor forge a line in them; otherwise the
/// request gets a new one.
pub async fn sanitize_request_id(mut request: Request, next: Next) -> Response {
    let acceptable = |value: &HeaderValue| value.to_str().is_ok_and(pelm_model::companion::is_id);
    let ids = request.headers().get_all("x-request-id");
    let mut ids = ids.iter();
    let keep = matches!((ids.next(), ids.next()), (Some(value), None) if acceptable(value));
    if !keep {
        request.headers_mut().remove("x-request-id");
    }
    next.run(request).await
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
        // The body written here is plain, whatever was done to the one it replaces.
        response.headers_mut().remove(header::CONTENT_ENCODING);
        *response.body_mut() = Body::from(json);
    }
    response
}
