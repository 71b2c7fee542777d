//! A person's connections: linking a utility (Connect's token, the code it
//! returns), renewing and removing one, listing them with their health.
//!
//! Each connection is its own Pelm user with its own token. Its id, and the
//! Pelm user id behind it, are derived from the person's identity under the
//! companion's key, so the next connection's ids need no row before Connect
//! opens, and an id posted by anyone else names nothing of theirs.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Extension;
use axum::{Json, Router};
use futures_util::future::join_all;
use pelm_model::companion::{
    AuthorizationRequest, ConnectTokenGrant, ConnectTokenRequest, Connection, ConnectionStatus, Later,
    LinkedConnection, Utility, MOST_CONNECTIONS,
};
use std::time::Duration;

use crate::data::{pelm_accounts, remembered_accounts};
use crate::encoding::Uncompressed;
use crate::error::ApiError;
use crate::extract::{valid_id, JsonBody, OptionalJsonBody};
use crate::limits::Caller;
use crate::linked::{health_of_failure, record, stored};
use crate::session::{NewSession, Session, SessionKind};
use crate::state::AppState;
use crate::store::{CodeClaim, Health, Link, StoredConnection};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/connect-token", post(connect_token))
        .route("/authorization", post(authorization))
        .route("/connection", get(connection).delete(disconnect_all))
        .route("/connections", get(connections))
        .route("/connections/{connection_id}", delete(disconnect_one))
}

/// How far back a new connection's id is still taken: the ids of the last
/// this many connections begun, so a Connect left open in another tab while
/// one was linked here still lands.
const NEW_IDS_KEPT: i64 = 16;

/// The id of `identity`'s `n`th connection.
fn nth_connection_id(state: &AppState, identity: &str, n: i64) -> String {
    let mac = state.inner.store.cipher().sign(&["connection id", identity, &n.to_string()]);
    hex::encode(&mac[..8])
}

/// The Pelm user behind a connection: neither the cookie nor the site's own
/// user id ever reaches Pelm.
fn pelm_user_id(state: &AppState, identity: &str, connection_id: &str) -> String {
    let mac = state.inner.store.cipher().sign(&["pelm user id", identity, connection_id]);
    format!("user-{}", hex::encode(&mac[..12]))
}

/// Which connection a Connect token or a code is for: `asked`, when it is
/// one of this user's or one of their recent new ids; else their next new
/// one. Says too whether it is new, and on whose behalf Pelm is called.
async fn link_for(state: &AppState, session: &Session, asked: Option<&str>) -> Result<(Link, bool, Caller), ApiError> {
    let store = &state.inner.store;
    let held = stored(state, session).await?;
    let caller = if held.is_empty() { Caller::Newcomer } else { Caller::Connected };
    if let Some(found) = asked.and_then(|id| held.iter().find(|c| c.id == id)) {
        let link = Link { connection_id: found.id.clone(), pelm_user_id: found.pelm_user_id.clone() };
        return Ok((link, false, caller));
    }
    let made = match session.may_hold_a_connection() {
        true => store.connections_made(&session.identity).await?,
        false => 0,
    };
    let connection_id = match asked {
        None => nth_connection_id(state, &session.identity, made),
        Some(id) => ((made - NEW_IDS_KEPT).max(0)..=made)
            .rev()
            .map(|n| nth_connection_id(state, &session.identity, n))
            .find(|candidate| candidate == id)
            .ok_or(ApiError::UnknownConnection)?,
    };
    let link = Link { pelm_user_id: pelm_user_id(state, &session.identity, &connection_id), connection_id };
    Ok((link, true, caller))
}

/// Whether an anonymous session names a user who has since connected: a
/// cookie left over, or planted by someone who kept a copy. It may not act
/// for that user.
async fn anonymous_but_taken(state: &AppState, session: &Session) -> Result<bool, ApiError> {
    if session.kind != SessionKind::Anonymous {
        return Ok(false);
    }
    Ok(state.inner.store.known(&session.identity).await?)
}

pub async fn connect_token(
    State(state): State<AppState>,
    session: Session,
    OptionalJsonBody(request): OptionalJsonBody<ConnectTokenRequest>,
) -> Result<(Extension<Uncompressed>, Json<ConnectTokenGrant>), ApiError> {
    // The page's choice of utility, else the companion's.
    let asked = request.utility_id;
    if let Some(id) = &asked {
        if id.is_empty() || id.len() > 10 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ApiError::invalid("utility_id", "A utility id is Pelm's number for it, such as \"1\"."));
        }
    }
    let connection = request.connection_id.as_deref().map(|id| valid_id("connection_id", id)).transpose()?;
    Ok((Extension(Uncompressed), Json(grant(&state, &session, asked.as_deref(), connection).await?)))
}

/// A Connect token for one of this session's connections (update mode) or
/// its next new one, opening at `asked` or the companion's utility.
async fn grant(
    state: &AppState,
    session: &Session,
    asked: Option<&str>,
    connection: Option<&str>,
) -> Result<ConnectTokenGrant, ApiError> {
    // An anonymous session whose user has since connected: most often the
    // same browser, renewing its Connect token while its connect was being
    // answered, which already holds the new session; else whoever kept a
    // copy. Neither may sign in as that user, and neither gets a cookie here,
    // which would overwrite the connected one.
    if anonymous_but_taken(state, session).await? {
        return Err(ApiError::Forbidden("This session has ended. Reload the page to continue.".to_owned()));
    }
    let (link, new, caller) = link_for(state, session, connection).await?;
    // Refused before the user spends minutes in Connect for nothing.
    if new && stored(state, session).await?.len() >= MOST_CONNECTIONS {
        return Err(ApiError::TooManyConnections);
    }
    let utility = asked.or(state.config().utility_id.as_deref());
    let token = state.inner.pelm.connect_token(&link.pelm_user_id, utility, caller).await?;
    if session.may_hold_a_connection() {
        state.inner.store.save_linking(&session.identity, &link.connection_id).await?;
    }
    Ok(ConnectTokenGrant {
        connect_token: token.connect_token,
        expires_in: token.expires_in,
        connect_script_url: state.inner.connect_script_url.clone(),
        connection_id: Some(link.connection_id),
    })
}

/// Codes are opaque to us, but a sane one is short and printable; anything
/// else is refused before it costs an upstream call.
fn validate_code(code: &str) -> Result<&str, ApiError> {
    if code.is_empty() {
        return Err(ApiError::invalid("authorization_code", "The authorization code is missing."));
    }
    if code.len() > 512 || !code.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::invalid("authorization_code", "The authorization code is malformed."));
    }
    Ok(code)
}

/// How long a request waits for another one exchanging the same code.
const EXCHANGE_WAIT: Duration = Duration::from_secs(20);

/// How an exchange ended for the poster.
enum Exchanged {
    /// This request exchanged the code; here is the token.
    Now(String),
    /// This user's code was exchanged before (by a twin post, maybe on
    /// another instance), for this Pelm user.
    Before { pelm_user_id: String },
}

/// Exchanges `code` unless this or another instance already did (or is
/// doing it now), so a code posted twice costs one upstream exchange and
/// both posts succeed.
async fn exchange_once(
    state: &AppState,
    identity: &str,
    link: &Link,
    code: &str,
    caller: Caller,
) -> Result<Exchanged, ApiError> {
    let store = &state.inner.store;
    let started = tokio::time::Instant::now();
    loop {
        match store.claim_code(identity, &link.pelm_user_id, code).await? {
            CodeClaim::Done { pelm_user_id } => return Ok(Exchanged::Before { pelm_user_id }),
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
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

pub async fn authorization(
    State(state): State<AppState>,
    session: Session,
    JsonBody(request): JsonBody<AuthorizationRequest>,
) -> Result<Response, ApiError> {
    let code = validate_code(&request.authorization_code)?;
    let store = &state.inner.store;
    // A code posted without its connection goes where the last Connect token was for.
    let asked = match request.connection_id {
        Some(id) => Some(valid_id("connection_id", &id)?.to_owned()),
        None if session.may_hold_a_connection() => store.linking(&session.identity).await?,
        None => None,
    };
    let (link, new, caller) = link_for(&state, &session, asked.as_deref()).await?;
    let taken = anonymous_but_taken(&state, &session).await?;
    let replacing = match &session.kind {
        SessionKind::Stored { id_hash } => Some(id_hash.as_str()),
        _ => None,
    };
    let (new_session, linked_user) = match exchange_once(&state, &session.identity, &link, code, caller).await? {
        // A fresh code for a user who connected since this anonymous session
        // began: whoever holds the session is not that user.
        Exchanged::Now(_) if taken => {
            return Err(ApiError::Forbidden(
                "This sign-in began in an earlier session. Press Connect again.".to_owned(),
            ))
        }
        Exchanged::Now(token) => {
            if new && stored(&state, &session).await?.len() >= MOST_CONNECTIONS {
                return Err(ApiError::TooManyConnections);
            }
            let value = store.save_connection(&session.identity, &link, code, &token, replacing).await?;
            // A renewed connection may be another login: nothing of the old one may be served.
            state.inner.cache.forget_user(&link.pelm_user_id);
            tracing::info!(pelm_user_id = %link.pelm_user_id, new, "utility account connected");
            (value, link.pelm_user_id)
        }
        // The twin of a post that connected this anonymous session: it gets a session too.
        Exchanged::Before { pelm_user_id } if taken => {
            (Some(store.start_session(&session.identity, None).await?), pelm_user_id)
        }
        Exchanged::Before { pelm_user_id } => (None, pelm_user_id),
    };
    // What is stored, not what was hoped: a code replayed after a disconnect
    // is not a connection.
    let held = store.connections(&session.identity).await?;
    // The accounts of the one just linked are asked for now, beside its
    // login and utility, so the app's first view needs no other answer.
    let just = held.iter().find(|c| c.pelm_user_id == linked_user).cloned();
    let linked_accounts = async {
        if let Some(just) = &just {
            if let Err(err) = pelm_accounts(&state, &session.identity, just).await {
                tracing::info!(error = %err, "no accounts in the answer to a new connection");
            }
        }
    };
    let (mut answer, ()) = tokio::join!(summary(&state, &session.identity, held, true), linked_accounts);
    let held = store.connections_recently(&session.identity).await?;
    // The summary's utility and login are the ones just linked, which the app names.
    if let Some(just) = held.iter().find(|c| c.pelm_user_id == linked_user) {
        answer.utility = just.utility.as_ref().map(|u| u.name.clone());
        answer.credentials_valid = Some(just.status != ConnectionStatus::LoginNeeded);
        answer.linked = Some(just.id.clone());
    }
    if answer.connected {
        answer.connections = Some(later(&held.iter().map(StoredConnection::public).collect())?);
        answer.accounts = remembered_accounts(&state, &held).await?.map(|a| later(&a)).transpose()?;
    }
    let mut response = Json(answer).into_response();
    if let Some(value) = new_session {
        response.extensions_mut().insert(NewSession(value));
    }
    Ok(response)
}

/// Asks Pelm about each connection (`/users`) and records what it says:
/// the utility's name, and whether the login is still good. A failure here
/// must not hide that the user is connected, nor their utility's name,
/// remembered from before; it is said in the log and asked again at the
/// next look.
async fn check(state: &AppState, identity: &str, held: &[StoredConnection]) {
    let store = &state.inner.store;
    join_all(held.iter().map(|connection| async move {
        match state.inner.pelm.user(&connection.pelm_user_id, connection.access_token.expose()).await {
            Ok(user) => {
                let named = user.utility.map(|u| Utility { id: u.id, name: u.full_name });
                if let Some(utility) = named.as_ref().filter(|named| connection.utility.as_ref() != Some(*named)) {
                    if let Err(err) = store.save_utility(identity, &connection.id, utility).await {
                        tracing::warn!(%err, "could not remember the connection's utility");
                    }
                }
                let status = match (user.credentials_valid, connection.status) {
                    (false, _) => Some(ConnectionStatus::LoginNeeded),
                    (true, ConnectionStatus::LoginNeeded | ConnectionStatus::Unknown) => {
                        Some(ConnectionStatus::Connected)
                    }
                    (true, _) => None,
                };
                record(state, identity, connection, Health { status, data_through: None }).await;
            }
            Err(err) => {
                tracing::warn!(
                    error = %err,
                    pelm_user_id = %connection.pelm_user_id,
                    "could not learn from Pelm whether the utility login is still valid; it will be asked again at the next look"
                );
                if let Some(health) = health_of_failure(&err) {
                    record(state, identity, connection, health).await;
                }
            }
        }
    }))
    .await;
}

/// The answer to `GET /api/connection`: any connected, and the first one's
/// utility and login. With `ask`, Pelm is asked about each first, so the
/// health `GET /api/connections` then lists is fresh.
async fn summary(state: &AppState, identity: &str, held: Arc<[StoredConnection]>, ask: bool) -> Connection {
    let held = match ask && !held.is_empty() {
        true => {
            check(state, identity, &held).await;
            state.inner.store.connections(identity).await.unwrap_or(held)
        }
        false => held,
    };
    let Some(first) = held.first() else { return not_connected(state) };
    Connection {
        connected: true,
        utility: first.utility.as_ref().map(|u| u.name.clone()),
        credentials_valid: Some(first.status != ConnectionStatus::LoginNeeded),
        ..Connection::none()
    }
}

/// Not connected, with the Connect script to start loading.
pub fn not_connected(state: &AppState) -> Connection {
    Connection { connect_script_url: Some(state.connect_script_url().to_owned()), ..Connection::none() }
}

/// `GET /api/connection`: the summary, for sites written before there could
/// be several connections, and the app's first call.
pub async fn connection(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if session.may_hold_a_connection() {
        // Asked afresh: a disconnect through another instance shows here at once.
        let held = state.inner.store.connections(&session.identity).await?;
        if !held.is_empty() {
            return Ok(Json(first_view(&state, &session.identity, held).await?).into_response());
        }
    }
    let mut answer = not_connected(&state);
    // The app's first call, which its page preloads: with a Connect token in
    // it, the Connect button needs no second round trip. Only for the app's
    // own page (its origin or an allowed one), so that a cross-site link or
    // image cannot spend Pelm calls; and only if Pelm answers quickly, so a
    // slow Pelm delays the token (which the app then asks for) and not the page.
    if crate::session::origin_allowed(&state, &headers) {
        match tokio::time::timeout(GRANT_WAIT, grant(&state, &session, None, None)).await {
            Ok(Ok(grant)) => answer.connect = Some(grant),
            Ok(Err(err)) => tracing::info!(error = %err, "no Connect token in the connection's answer"),
            Err(_) => tracing::info!("no Connect token in the connection's answer: Pelm was slow"),
        }
    }
    // It may carry a Connect token: never compressed.
    Ok((Extension(Uncompressed), Json(answer)).into_response())
}

/// What a connected user's first view needs, from the store alone: the
/// summary, the connections and their accounts. Pelm is asked about the
/// connections again in the background when the last look is old.
async fn first_view(state: &AppState, identity: &str, held: Arc<[StoredConnection]>) -> Result<Connection, ApiError> {
    let refreshing = refresh_in_background(state, identity, &held);
    let accounts = remembered_accounts(state, &held).await?;
    let mut answer = summary(state, identity, held.clone(), false).await;
    answer.connections = Some(later(&held.iter().map(StoredConnection::public).collect())?);
    answer.accounts = accounts.map(|a| later(&a)).transpose()?;
    answer.refreshing = refreshing;
    Ok(answer)
}

fn later<T: serde::Serialize>(value: &T) -> Result<Later<T>, ApiError> {
    Later::new(value).map_err(|err| ApiError::Internal(format!("writing an answer: {err}")))
}

/// Asks Pelm again, on a task of its own, about each connection last asked
/// about longer ago than `PELM_REFRESH_AFTER`: its login, its utility's name
/// and its accounts, each call within the user's slots and the site's
/// ceiling, and no connection twice at once. Answers whether any is being
/// asked about now.
fn refresh_in_background(state: &AppState, identity: &str, held: &[StoredConnection]) -> bool {
    let (now, after) = (crate::store::now(), state.config().refresh_after_secs.min(i64::MAX as u64) as i64);
    let due: Vec<StoredConnection> =
        held.iter().filter(|c| c.checked_at.is_none_or(|at| now - at >= after)).cloned().collect();
    let (claimed, busy) = state.claim_refresh(due);
    if !claimed.is_empty() {
        let (state, identity) = (state.clone(), identity.to_owned());
        tokio::spawn(async move {
            check(&state, &identity, &claimed).await;
            join_all(claimed.iter().map(|connection| async {
                if let Err(err) = pelm_accounts(&state, &identity, connection).await {
                    tracing::info!(error = %err, "could not refresh a connection's accounts; asked again at a later look");
                }
            }))
            .await;
            state.release_refresh(&claimed);
        });
    }
    busy
}

/// How long the connection's answer waits for a Connect token.
const GRANT_WAIT: Duration = Duration::from_millis(1500);

/// `GET /api/connections`: from the store alone, so it costs no Pelm call.
pub async fn connections(
    State(state): State<AppState>,
    session: Session,
) -> Result<Json<Vec<LinkedConnection>>, ApiError> {
    let held = match session.may_hold_a_connection() {
        true => state.inner.store.connections(&session.identity).await?,
        false => Arc::from([]),
    };
    Ok(Json(held.iter().map(StoredConnection::public).collect()))
}

/// `DELETE /api/connections/{id}`: removes one, and answers the summary of
/// those left (without asking Pelm).
pub async fn disconnect_one(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = valid_id("connection_id", &id)?;
    if !session.may_hold_a_connection() {
        return Err(ApiError::UnknownConnection);
    }
    let gone = state.inner.store.delete_connections(&session.identity, Some(id)).await?;
    if gone.is_empty() {
        return Err(ApiError::UnknownConnection);
    }
    forget(&state, &gone);
    let held = state.inner.store.connections(&session.identity).await?;
    let answer = summary(&state, &session.identity, held, false).await;
    rotated(&state, &session, answer).await
}

/// `DELETE /api/connection`: removes every connection.
pub async fn disconnect_all(State(state): State<AppState>, session: Session) -> Result<Response, ApiError> {
    if session.may_hold_a_connection() {
        let gone = state.inner.store.delete_connections(&session.identity, None).await?;
        forget(&state, &gone);
    }
    rotated(&state, &session, not_connected(&state)).await
}

fn forget(state: &AppState, pelm_user_ids: &[String]) {
    for user_id in pelm_user_ids {
        state.inner.cache.forget_user(user_id);
        tracing::info!(pelm_user_id = %user_id, "utility account disconnected");
    }
}

/// `answer`, with a new session id: whoever held the old one holds nothing now.
async fn rotated(state: &AppState, session: &Session, answer: Connection) -> Result<Response, ApiError> {
    let mut response = Json(answer).into_response();
    if let SessionKind::Stored { id_hash } = &session.kind {
        let value = state.inner.store.start_session(&session.identity, Some(id_hash)).await?;
        response.extensions_mut().insert(NewSession(value));
    }
    Ok(response)
}
