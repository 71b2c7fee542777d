//! The app-facing API. Paths are relative to the configured prefix (`/api`).

use std::collections::BTreeMap;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::StreamExt;
use pelm_model::companion::{AuthorizationRequest, ConnectTokenGrant, ConnectTokenRequest, Connection};
use pelm_model::pelm::Account;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::limits::Caller;
use crate::session::{NewSession, Session, SessionKind};
use crate::store::CodeClaim;
use crate::{AppState, API_BODY_LIMIT};

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

/// The Pelm user id a new identity will have: derived from it under the
/// companion's key, so none needs storing before the user connects, and
/// Pelm never sees the cookie or the site's own user id.
fn derived_pelm_user_id(state: &AppState, identity: &str) -> String {
    let mac = state.inner.store.cipher().sign(&["pelm user id", identity]);
    format!("user-{}", hex::encode(&mac[..12]))
}

/// The user's Pelm id and access token, if they have connected. Anonymous
/// sessions hold nothing, and cost no query. Data requests may
/// use what was read a moment ago; see `Store::connected_recently`.
async fn connected_user(state: &AppState, session: &Session) -> Result<Option<(String, String)>, ApiError> {
    if !session.may_hold_a_connection() {
        return Ok(None);
    }
    Ok(state.inner.store.connected_recently(&session.identity).await?)
}

async fn access_token(state: &AppState, session: &Session) -> Result<String, ApiError> {
    let user = connected_user(state, session).await?;
    user.map(|(_, token)| token).ok_or(ApiError::NotConnected)
}

/// The Pelm id this session signs in as, and on whose behalf that is.
async fn pelm_user(state: &AppState, session: &Session) -> Result<(String, Caller), ApiError> {
    if session.may_hold_a_connection() {
        let store = &state.inner.store;
        if let Some(id) = store.existing_pelm_user_id(&session.identity).await? {
            let caller = match store.connected(&session.identity).await? {
                Some(_) => Caller::Connected,
                None => Caller::Newcomer,
            };
            return Ok((id, caller));
        }
    }
    Ok((derived_pelm_user_id(state, &session.identity), Caller::Newcomer))
}

/// Whether an anonymous session names a user who has since connected: a
/// cookie left over, or planted by someone who kept a copy. It may not act
/// for that user.
async fn anonymous_but_taken(state: &AppState, session: &Session) -> Result<bool, ApiError> {
    if session.kind != SessionKind::Anonymous {
        return Ok(false);
    }
    let derived = derived_pelm_user_id(state, &session.identity);
    Ok(state.inner.store.identity_of(&derived).await?.is_some())
}

async fn connect_token(
    State(state): State<AppState>,
    session: Session,
    OptionalJsonBody(request): OptionalJsonBody<ConnectTokenRequest>,
) -> Result<Json<ConnectTokenGrant>, ApiError> {
    // The page's choice of utility, else the companion's.
    let asked = request.utility_id;
    if let Some(id) = &asked {
        if id.is_empty() || id.len() > 10 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ApiError::invalid("utility_id", "A utility id is Pelm's number for it, such as \"1\"."));
        }
    }
    Ok(Json(grant(&state, &session, asked.as_deref()).await?))
}

/// A Connect token for this session's user, opening at `asked` or the
/// companion's utility.
async fn grant(state: &AppState, session: &Session, asked: Option<&str>) -> Result<ConnectTokenGrant, ApiError> {
    // An anonymous session whose user has since connected: most often the
    // same browser, renewing its Connect token while its connect was being
    // answered, which already holds the new session; else whoever kept a
    // copy. Neither may sign in as that user, and neither gets a cookie here,
    // which would overwrite the connected one.
    if anonymous_but_taken(state, session).await? {
        return Err(ApiError::Forbidden("This session has ended. Reload the page to continue.".to_owned()));
    }
    let (user_id, caller) = pelm_user(state, session).await?;
    let utility = asked.or(state.config().utility_id.as_deref());
    let token = state.inner.pelm.connect_token(&user_id, utility, caller).await?;
    Ok(ConnectTokenGrant {
        connect_token: token.connect_token,
        expires_in: token.expires_in,
        connect_script_url: state.inner.connect_script_url.clone(),
    })
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

/// How an exchange ended for the poster.
enum Exchanged {
    /// This request exchanged the code; here is the token.
    Now(String),
    /// This user's code was exchanged before (by a twin post, maybe on another instance).
    Before,
}

/// Exchanges `code` unless this or another instance already did (or is
/// doing it now), so a code posted twice costs one upstream exchange and
/// both posts succeed.
async fn exchange_once(state: &AppState, user_id: &str, code: &str, caller: Caller) -> Result<Exchanged, ApiError> {
    let store = &state.inner.store;
    let started = tokio::time::Instant::now();
    loop {
        match store.claim_code(user_id, code).await? {
            CodeClaim::Done => return Ok(Exchanged::Before),
            CodeClaim::OtherUser => {
                return Err(ApiError::Forbidden("This code was posted by someone else.".to_owned()))
            }
            CodeClaim::Mine => {
                return match state.inner.pelm.exchange_code(code, caller).await {
                    Ok(token) => Ok(Exchanged::Now(token.access_token)),
                    Err(err) => {
                        store.release_code(code).await?;
                        Err(err)
                    }
                };
            }
            CodeClaim::Pending | CodeClaim::Released => {
                if started.elapsed() > EXCHANGE_WAIT {
                    return Err(ApiError::ExchangePending);
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    }
}

async fn authorization(
    State(state): State<AppState>,
    session: Session,
    JsonBody(request): JsonBody<AuthorizationRequest>,
) -> Result<Response, ApiError> {
    let code = validate_code(&request.authorization_code)?;
    let store = &state.inner.store;
    let (user_id, caller) = pelm_user(&state, &session).await?;
    let taken = anonymous_but_taken(&state, &session).await?;
    let replacing = match &session.kind {
        SessionKind::Stored { id_hash } => Some(id_hash.as_str()),
        _ => None,
    };
    let new_session = match exchange_once(&state, &user_id, code, caller).await? {
        // A fresh code for a user who connected since this anonymous session
        // began: whoever holds the session is not that user.
        Exchanged::Now(_) if taken => {
            return Err(ApiError::Forbidden(
                "This sign-in began in an earlier session. Press Connect again.".to_owned(),
            ))
        }
        Exchanged::Now(token) => {
            let value = store.save_connection(&session.identity, &user_id, code, &token, replacing).await?;
            // A new connection may be another login: nothing of the old one may be served.
            state.inner.cache.forget_user(&user_id);
            tracing::info!(pelm_user_id = %user_id, "utility account connected");
            value
        }
        // The twin of a post that connected this anonymous session: it gets a session too.
        Exchanged::Before if taken => Some(store.start_session(&session.identity, None).await?),
        Exchanged::Before => None,
    };
    // What is stored, not what was hoped: a code replayed after a disconnect
    // is not a connection.
    let connection = match store.connected(&session.identity).await? {
        Some((user_id, token)) => describe_connection(&state, &user_id, &token).await,
        None => not_connected(&state),
    };
    let mut response = Json(connection).into_response();
    if let Some(value) = new_session {
        response.extensions_mut().insert(NewSession(value));
    }
    Ok(response)
}

/// What Pelm says of a connected user. A failure here must not hide that
/// the user is connected, nor their utility's name, which was remembered at
/// connect time; whether their login is still valid is then unknown, said
/// so in the log, and asked again at the next look.
async fn describe_connection(state: &AppState, user_id: &str, access_token: &str) -> Connection {
    let store = &state.inner.store;
    match state.inner.pelm.user(user_id, access_token).await {
        Ok(user) => {
            let remembered = store.utility(user_id).await.ok().flatten();
            let named = user.utility.map(|u| (u.id, u.full_name));
            if let Some(utility) = named.as_ref().filter(|named| remembered.as_ref() != Some(*named)) {
                if let Err(err) = store.save_utility(user_id, &utility.0, &utility.1).await {
                    tracing::warn!(%err, "could not remember the connection's utility");
                }
            }
            // An answer without the utility leaves the remembered one.
            let utility = named.or(remembered).map(|(_, name)| name);
            Connection {
                connected: true,
                utility,
                credentials_valid: Some(user.credentials_valid),
                ..Connection::none()
            }
        }
        Err(err) => {
            tracing::warn!(
                error = %err,
                pelm_user_id = %user_id,
                "could not learn from Pelm whether the utility login is still valid; it will be asked again at the next look"
            );
            let utility = store.utility(user_id).await.ok().flatten().map(|(_, name)| name);
            Connection { connected: true, utility, ..Connection::none() }
        }
    }
}

async fn connection(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
) -> Result<Json<Connection>, ApiError> {
    if session.may_hold_a_connection() {
        // Asked afresh: a disconnect through another instance shows here at once.
        if let Some((user_id, token)) = state.inner.store.connected(&session.identity).await? {
            return Ok(Json(describe_connection(&state, &user_id, &token).await));
        }
    }
    let mut answer = not_connected(&state);
    // The app's first call, which its page preloads: with a Connect token in
    // it, the Connect button needs no second round trip. Only for the app's
    // own page (its origin or an allowed one), so that a cross-site link or
    // image cannot spend Pelm calls; and only if Pelm answers quickly, so a
    // slow Pelm delays the token (which the app then asks for) and not the page.
    if crate::session::origin_allowed(&state, &headers) {
        match tokio::time::timeout(GRANT_WAIT, grant(&state, &session, None)).await {
            Ok(Ok(grant)) => answer.connect = Some(grant),
            Ok(Err(err)) => tracing::info!(error = %err, "no Connect token in the connection's answer"),
            Err(_) => tracing::info!("no Connect token in the connection's answer: Pelm was slow"),
        }
    }
    Ok(Json(answer))
}

/// How long the connection's answer waits for a Connect token.
const GRANT_WAIT: Duration = Duration::from_millis(1500);

/// Not connected, with the Connect script to start loading.
fn not_connected(state: &AppState) -> Connection {
    Connection { connect_script_url: Some(state.connect_script_url().to_owned()), ..Connection::none() }
}

async fn disconnect(State(state): State<AppState>, session: Session) -> Result<Response, ApiError> {
    if let Some((user_id, _)) = connected_user(&state, &session).await? {
        state.inner.store.delete_connection(&user_id).await?;
        state.inner.cache.forget_user(&user_id);
        tracing::info!(pelm_user_id = %user_id, "utility account disconnected");
    }
    let mut response = Json(not_connected(&state)).into_response();
    // Whoever held the old id holds nothing now.
    if let SessionKind::Stored { id_hash } = &session.kind {
        let value = state.inner.store.start_session(&session.identity, Some(id_hash)).await?;
        response.extensions_mut().insert(NewSession(value));
    }
    Ok(response)
}

/// The accounts, asked of Pelm every time: they are the first thing the app
/// loads, so a token Pelm revoked shows at once rather than after the cache
/// lets go. They are read into the model, so a wrong shape is an upstream error.
async fn accounts(State(state): State<AppState>, session: Session) -> Result<Json<Vec<Account>>, ApiError> {
    let token = access_token(&state, &session).await?;
    let _slot = state.inner.user_slots.acquire(&session.identity).await;
    Ok(Json(state.inner.pelm.accounts(&token).await?))
}

/// Pelm's default range when a query names no dates: the past two months.
const DEFAULT_RANGE_SECS: i64 = 61 * 24 * 3600;
/// How far past now an end date may lie.
const FURTHEST_END_SECS: i64 = 366 * 24 * 3600;

/// Ids are opaque, but Pelm's are short and plain; anything else is refused
/// before it reaches Pelm or a URL. `.` and `..` are plain characters that
/// a URL reads as a step up or sideways, so they are refused too.
fn valid_id<'a>(field: &'static str, value: &'a str) -> Result<&'a str, ApiError> {
    let value = value.trim();
    let plain = value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if value.is_empty() || value.len() > 64 || !plain || value == "." || value == ".." {
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
    // Missing dates are filled in as Pelm would, before the range is
    // checked, so the cap holds for every query, not only complete ones.
    let now = crate::store::now();
    let end = unix_seconds("end_date", query.get("end_date"))?.unwrap_or(now);
    let start = unix_seconds("start_date", query.get("start_date"))?.unwrap_or((end - DEFAULT_RANGE_SECS).max(0));
    if end > now + FURTHEST_END_SECS {
        return Err(ApiError::invalid("end_date", "The end lies too far in the future."));
    }
    if start >= end {
        return Err(ApiError::invalid("start_date", "The start must be before the end."));
    }
    if end - start > pelm_model::companion::LONGEST_RANGE_SECS {
        return Err(ApiError::invalid("start_date", "Ask for at most ten years at a time."));
    }
    upstream.insert("start_date", start.to_string());
    upstream.insert("end_date", end.to_string());
    Ok(upstream.iter().map(|(k, v)| format!("{k}={}", crate::pelm::escape(v))).collect::<Vec<_>>().join("&"))
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
    let _slot = state.inner.user_slots.acquire(&session.identity).await;
    let body = state.inner.pelm.get_json(what, path, Some(&token)).await?;
    state.inner.cache.put(&user_id, path, body.clone());
    Ok(json_response(body))
}

async fn intervals(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    let path = format!("/intervals?{}", intervals_query(&query)?);
    cached_get(&state, &session, "intervals", &path).await
}

async fn bills(
    State(state): State<AppState>,
    session: Session,
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
    session: Session,
    Path(bill_id): Path<String>,
) -> Result<Response, ApiError> {
    let bill_id = valid_id("bill_id", &bill_id)?;
    let token = access_token(&state, &session).await?;
    let _slot = state.inner.user_slots.acquire(&session.identity).await;
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
