//! The app-facing API. Paths are relative to the configured prefix (`/api`).

use std::collections::BTreeMap;

use axum::body::{Body, Bytes};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use pelm_model::companion::{AuthorizationRequest, ConnectTokenGrant, ConnectTokenRequest, Connection};
use pelm_model::pelm::Account;

use crate::error::ApiError;
use crate::session::Session;
use crate::store::CodeClaim;
use crate::AppState;

pub fn api() -> Router<AppState> {
    Router::new()
        .route("/connect-token", post(connect_token))
        .route("/authorization", post(authorization))
        .route("/connection", get(connection).delete(disconnect))
        .route("/accounts", get(accounts))
        .route("/intervals", get(intervals))
        .route("/bills", get(bills))
        .route("/bills/{bill_id}/pdf", get(bill_pdf))
        .fallback(|| async { ApiError::NotFound })
}

async fn pelm_user_id(state: &AppState, session: &Session) -> Result<String, ApiError> {
    Ok(state.inner.store.pelm_user_id(&session.identity).await?)
}

/// The user's Pelm id and access token, without minting a user who has none.
/// Data requests may use what was read a moment ago; see `Store::connected_recently`.
async fn connected_user(state: &AppState, session: &Session) -> Result<Option<(String, String)>, ApiError> {
    Ok(state.inner.store.connected_recently(&session.identity).await?)
}

async fn access_token(state: &AppState, session: &Session) -> Result<String, ApiError> {
    let user = connected_user(state, session).await?;
    user.map(|(_, token)| token).ok_or(ApiError::NotConnected)
}

async fn connect_token(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    body: axum::body::Bytes,
) -> Result<Json<ConnectTokenGrant>, ApiError> {
    // The page's choice of utility, else the companion's. The body is optional.
    let request: ConnectTokenRequest = match body.is_empty() {
        true => ConnectTokenRequest::default(),
        false => serde_json::from_slice(&body).map_err(|err| ApiError::invalid("body", err.to_string()))?,
    };
    let asked = request.utility_id;
    if let Some(id) = &asked {
        if id.is_empty() || id.len() > 10 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ApiError::invalid("utility_id", "A utility id is Pelm's number for it, such as \"1\"."));
        }
    }
    let user_id = pelm_user_id(&state, &session).await?;
    let utility = asked.as_deref().or(state.config().utility_id.as_deref());
    let token = state.inner.pelm.connect_token(&user_id, utility).await?;
    Ok(Json(ConnectTokenGrant {
        connect_token: token.connect_token,
        expires_in: token.expires_in,
        connect_script_url: state.inner.connect_script_url.clone(),
    }))
}

/// Codes are opaque to us, but a sane one is short and printable; anything
/// else is refused before it costs an upstream call.
fn validate_code(code: &str) -> Result<&str, ApiError> {
    let code = code.trim();
    if code.is_empty() {
        return Err(ApiError::invalid("authorization_code", "The authorization code is missing."));
    }
    if code.len() > 512 || !code.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::invalid("authorization_code", "The authorization code is malformed."));
    }
    Ok(code)
}

/// How long a request waits for another one exchanging the same code.
const EXCHANGE_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

/// Exchanges `code` unless this or another instance already did (or is
/// doing it now), so a code posted twice costs one upstream exchange and
/// both posts succeed.
async fn exchange_once(state: &AppState, user_id: &str, code: &str) -> Result<(), ApiError> {
    let store = &state.inner.store;
    let started = tokio::time::Instant::now();
    loop {
        match store.claim_code(user_id, code).await? {
            CodeClaim::Done => return Ok(()),
            CodeClaim::OtherUser => {
                return Err(ApiError::Forbidden("This code was posted by someone else.".to_owned()))
            }
            CodeClaim::Mine => {
                return match state.inner.pelm.exchange_code(code).await {
                    Ok(token) => {
                        store.save_connection(user_id, code, &token.access_token).await?;
                        tracing::info!(pelm_user_id = %user_id, "utility account connected");
                        Ok(())
                    }
                    Err(err) => {
                        store.release_code(code).await?;
                        Err(err)
                    }
                };
            }
            CodeClaim::Pending | CodeClaim::Released => {
                if started.elapsed() > EXCHANGE_WAIT {
                    return Err(ApiError::Upstream("the exchange of this code is still in progress".to_owned()));
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    }
}

async fn authorization(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    body: Result<Json<AuthorizationRequest>, JsonRejection>,
) -> Result<Json<Connection>, ApiError> {
    let Json(request) = body?;
    let code = validate_code(&request.authorization_code)?;
    let user_id = pelm_user_id(&state, &session).await?;
    exchange_once(&state, &user_id, code).await?;
    Ok(Json(describe_connection(&state, &user_id).await))
}

/// What Pelm says of a connected user. A failure here must not hide that the
/// user is connected, so it only leaves the details out.
async fn describe_connection(state: &AppState, user_id: &str) -> Connection {
    match state.inner.pelm.user(user_id).await {
        Ok(user) => Connection {
            connected: true,
            utility: Some(user.utility.full_name),
            credentials_valid: Some(user.credentials_valid),
        },
        Err(err) => {
            tracing::warn!(error = %err, "could not describe the connection");
            Connection { connected: true, utility: None, credentials_valid: None }
        }
    }
}

async fn connection(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
) -> Result<Json<Connection>, ApiError> {
    // Asked afresh: a disconnect through another instance shows here at once.
    match state.inner.store.connected(&session.identity).await? {
        Some((user_id, _)) => Ok(Json(describe_connection(&state, &user_id).await)),
        None => Ok(Json(Connection::none())),
    }
}

async fn disconnect(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
) -> Result<Json<Connection>, ApiError> {
    if let Some((user_id, _)) = connected_user(&state, &session).await? {
        state.inner.store.delete_connection(&user_id).await?;
        state.inner.cache.forget_user(&user_id);
        tracing::info!(pelm_user_id = %user_id, "utility account disconnected");
    }
    Ok(Json(Connection::none()))
}

/// The accounts, asked of Pelm every time: they are the first thing the app
/// loads, so a token Pelm revoked shows at once rather than after the cache
/// lets go. They are read into the model, so a wrong shape is an upstream error.
async fn accounts(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
) -> Result<Json<Vec<Account>>, ApiError> {
    let token = access_token(&state, &session).await?;
    Ok(Json(state.inner.pelm.accounts(&token).await?))
}

/// The longest range one `/intervals` call may ask for.
const MAX_RANGE_SECS: i64 = 10 * 366 * 24 * 3600;

/// Ids are opaque, but Pelm's are short and plain; anything else is refused
/// before it reaches Pelm or a URL.
fn valid_id<'a>(field: &'static str, value: &'a str) -> Result<&'a str, ApiError> {
    let value = value.trim();
    let plain = value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if value.is_empty() || value.len() > 64 || !plain {
        return Err(ApiError::invalid(field, format!("{field} is not a valid id.")));
    }
    Ok(value)
}

fn unix_seconds(field: &'static str, value: Option<&String>) -> Result<Option<i64>, ApiError> {
    match value.map(|v| v.trim()).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|t| *t >= 0)
            .map(Some)
            .ok_or_else(|| ApiError::invalid(field, format!("{field} must be a Unix time in seconds."))),
    }
}

/// Pelm's query for `/intervals`, validated and in one canonical order, so
/// the same question is the same cache key however the app spelled it.
fn intervals_query(query: &BTreeMap<String, String>) -> Result<String, ApiError> {
    let mut upstream = BTreeMap::new();
    match (query.get("account_id"), query.get("meter_id")) {
        (Some(_), Some(_)) => return Err(ApiError::invalid("meter_id", "Give account_id or meter_id, not both.")),
        (None, None) => return Err(ApiError::invalid("account_id", "Give account_id (with type) or meter_id.")),
        (Some(account), None) => {
            upstream.insert("account_id", valid_id("account_id", account)?.to_owned());
            let kind =
                query.get("type").map(|t| t.trim().to_ascii_uppercase()).unwrap_or_else(|| "ELECTRIC".to_owned());
            if kind != "ELECTRIC" && kind != "GAS" {
                return Err(ApiError::invalid("type", "type must be ELECTRIC or GAS."));
            }
            upstream.insert("type", kind);
        }
        (None, Some(meter)) => {
            upstream.insert("meter_id", valid_id("meter_id", meter)?.to_owned());
        }
    }
    let start = unix_seconds("start_date", query.get("start_date"))?;
    let end = unix_seconds("end_date", query.get("end_date"))?;
    if let (Some(start), Some(end)) = (start, end) {
        if start >= end {
            return Err(ApiError::invalid("start_date", "The start must be before the end."));
        }
        if end - start > MAX_RANGE_SECS {
            return Err(ApiError::invalid("start_date", "Ask for at most ten years at a time."));
        }
    }
    if let Some(start) = start {
        upstream.insert("start_date", start.to_string());
    }
    if let Some(end) = end {
        upstream.insert("end_date", end.to_string());
    }
    Ok(upstream.iter().map(|(k, v)| format!("{k}={}", pelm_model::place::encode(v))).collect::<Vec<_>>().join("&"))
}

fn json_response(body: Bytes) -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response()
}

/// A data GET for the connected user, from the cache when it is fresh.
async fn cached_get(state: &AppState, session: &Session, what: &str, path: &str) -> Result<Response, ApiError> {
    let (user_id, token) = connected_user(state, session).await?.ok_or(ApiError::NotConnected)?;
    if let Some(body) = state.inner.cache.get(&user_id, path) {
        return Ok(json_response(body));
    }
    let body = state.inner.pelm.get_json(what, path, Some(&token)).await?;
    state.inner.cache.put(&user_id, path, body.clone());
    Ok(json_response(body))
}

async fn intervals(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    let path = format!("/intervals?{}", intervals_query(&query)?);
    cached_get(&state, &session, "intervals", &path).await
}

async fn bills(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    let path = match query.get("account_id") {
        Some(account) => format!("/bills?account_id={}", valid_id("account_id", account)?),
        None => "/bills".to_owned(),
    };
    cached_get(&state, &session, "bills", &path).await
}

/// The bill's PDF, streamed from Pelm as it arrives.
async fn bill_pdf(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Path(bill_id): Path<String>,
) -> Result<Response, ApiError> {
    let bill_id = valid_id("bill_id", &bill_id)?;
    let token = access_token(&state, &session).await?;
    let upstream = state.inner.pelm.get_stream("bill PDF", &format!("/bills/{bill_id}/pdf"), &token).await?;
    let disposition = HeaderValue::from_str(&format!("inline; filename=\"bill-{bill_id}.pdf\""))
        .unwrap_or_else(|_| HeaderValue::from_static("inline"));
    let mut response = Response::new(Body::from_stream(upstream.bytes_stream()));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    headers.insert(header::CONTENT_DISPOSITION, disposition);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(response)
}
