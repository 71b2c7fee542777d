//! The app-facing API. Paths are relative to the configured prefix (`/api`).

use std::collections::BTreeMap;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use futures_util::future::join_all;
use futures_util::StreamExt;
use pelm_model::companion::ConnectionStatus;
use pelm_model::pelm::Account;
use serde::de::DeserializeOwned;

use crate::connections;
use crate::data::{cached_get, marked, owner, pelm_accounts, Fetch};
use crate::encoding::Encoding;
use crate::error::ApiError;
use crate::session::Session;
use crate::store::Owned;
use crate::{AppState, API_BODY_LIMIT};

pub fn api() -> Router<AppState> {
    Router::new()
        .route("/connect-token", post(connections::connect_token))
        .route("/authorization", post(connections::authorization))
        .route("/connection", get(connections::connection).delete(connections::disconnect_all))
        .route("/connections", get(connections::connections))
        .route("/connections/{connection_id}", delete(connections::disconnect_one))
        .route("/accounts", get(accounts))
        .route("/intervals", get(crate::intervals::intervals))
        .route("/typical-day", get(crate::intervals::typical))
        .route("/bills", get(bills))
        .route("/bills/{bill_id}/pdf", get(bill_pdf))
        .fallback(|| async { ApiError::NotFound })
}

/// A JSON request body, read within the body timeout and size limit, as
/// JSON only, into `T` (whose unknown fields are refused by its own type).
pub struct JsonBody<T>(pub T);

/// As [`JsonBody`], for a body that may be left out: then `T::default()`.
pub struct OptionalJsonBody<T>(pub T);

async fn read_json<T: DeserializeOwned>(
    request: Request,
    state: &AppState,
    optional: bool,
) -> Result<Option<T>, ApiError> {
    let (parts, body) = request.into_parts();
    let json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .is_some_and(|v| v == "application/json" || v.ends_with("+json"));
    let bytes = read_body(body, API_BODY_LIMIT, state).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return match optional {
            true => Ok(None),
            false => Err(ApiError::invalid("body", "The request body is missing.")),
        };
    }
    if !json {
        return Err(ApiError::Refused { status: axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE });
    }
    serde_json::from_slice(&bytes).map(Some).map_err(|err| ApiError::invalid("body", err.to_string()))
}

/// A request body, whole, if it is at most `limit` bytes and comes within the
/// body timeout: the one reader for every body the API takes.
pub(crate) async fn read_body(body: Body, limit: usize, state: &AppState) -> Result<Vec<u8>, ApiError> {
    let mut stream = body.into_data_stream();
    let mut bytes = Vec::new();
    let read = async {
        while let Some(chunk) = stream.next().await {
            // The server-wide body timeout (between chunks) ends a trickle too.
            let chunk = chunk.map_err(|err| match is_body_timeout(&err) {
                true => ApiError::BodyTimeout,
                false => ApiError::invalid("body", "The request body could not be read."),
            })?;
            if bytes.len() + chunk.len() > limit {
                return Err(ApiError::TooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(())
    };
    let timeout = Duration::from_secs(state.config().body_timeout_secs.max(1));
    tokio::time::timeout(timeout, read).await.map_err(|_| ApiError::BodyTimeout)??;
    Ok(bytes)
}

fn is_body_timeout(err: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(err) = source {
        if err.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        source = err.source();
    }
    false
}

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let body = read_json(request, state, false).await?;
        Ok(Self(body.expect("a required body is never None")))
    }
}

impl<T: DeserializeOwned + Default> FromRequest<AppState> for OptionalJsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        Ok(Self(read_json(request, state, true).await?.unwrap_or_default()))
    }
}

/// Ids are opaque, but Pelm's are short and plain; anything else is refused
/// before it reaches Pelm or a URL. `.` and `..` are plain characters that
/// a URL reads as a step up or sideways, so they are refused too.
pub(crate) fn valid_id<'a>(field: &'static str, value: &'a str) -> Result<&'a str, ApiError> {
    let value = value.trim();
    let plain = value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if value.is_empty() || value.len() > 64 || !plain || value == "." || value == ".." {
        return Err(ApiError::invalid(field, format!("{field} is not a valid id.")));
    }
    Ok(value)
}

/// The accounts of every connection, each marked with its connection and
/// utility, asked of Pelm every time: they are the first thing the app
/// loads, so a token Pelm revoked shows at once rather than after the cache
/// lets go. They are read into the model, so a wrong shape is an upstream
/// error. A connection Pelm will not answer for does not fail the others:
/// its accounts are the ones it last answered with, marked with why.
async fn accounts(State(state): State<AppState>, session: Session) -> Result<Json<Vec<Account>>, ApiError> {
    let held = connections::stored(&state, &session).await?;
    if held.is_empty() {
        return Err(ApiError::NotConnected);
    }
    // One connection answers as it always has: its error is the answer.
    if let [only] = &held[..] {
        return pelm_accounts(&state, &session.identity, only).await.map(Json);
    }
    let answers = join_all(held.iter().map(|connection| pelm_accounts(&state, &session.identity, connection))).await;
    let mut merged = Vec::new();
    let mut first_error = None;
    for (connection, answer) in held.iter().zip(answers) {
        match answer {
            Ok(accounts) => merged.extend(accounts),
            Err(err) => {
                let status =
                    connections::health_of_failure(&err).and_then(|h| h.status).unwrap_or(ConnectionStatus::Unknown);
                let remembered = state.inner.store.remembered_accounts(&connection.id).await?;
                merged.extend(
                    remembered
                        .into_iter()
                        .map(|account| Account { connection_status: Some(status), ..marked(account, connection) }),
                );
                first_error.get_or_insert(err);
            }
        }
    }
    match (merged.is_empty(), first_error) {
        (true, Some(err)) => Err(err),
        _ => Ok(Json(merged)),
    }
}

/// An optional `account_id` parameter, validated.
fn account_param(query: &BTreeMap<String, String>) -> Result<Option<&str>, ApiError> {
    query.get("account_id").map(|account| valid_id("account_id", account)).transpose()
}

async fn bills(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    let account = account_param(&query)?;
    let path = match account {
        Some(account) => format!("/bills?account_id={account}"),
        None => "/bills".to_owned(),
    };
    let connection = owner(&state, &session, account.map(Owned::Account)).await?;
    let fetch = Fetch { what: "bills", path: &path, newest: |_| None };
    cached_get(&state, &session, &connection, fetch, Encoding::accepted(&headers)).await
}

/// The bill's PDF, streamed from Pelm as it arrives. With several
/// connections, `account_id` says whose bill it is.
async fn bill_pdf(
    State(state): State<AppState>,
    session: Session,
    Path(bill_id): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    let bill_id = valid_id("bill_id", &bill_id)?;
    let connection = owner(&state, &session, account_param(&query)?.map(Owned::Account)).await?;
    let _slot = state.inner.user_slots.acquire(&session.identity).await;
    let token = connection.access_token.expose();
    let upstream = state.inner.pelm.get_stream("bill PDF", &format!("/bills/{bill_id}/pdf"), token).await?;
    let disposition = HeaderValue::from_str(&format!("inline; filename=\"bill-{bill_id}.pdf\""))
        .unwrap_or_else(|_| HeaderValue::from_static("inline"));
    let mut response = Response::new(Body::from_stream(upstream.bytes_stream()));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    headers.insert(header::CONTENT_DISPOSITION, disposition);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(response)
}
