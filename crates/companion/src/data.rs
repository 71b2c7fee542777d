//! Asking Pelm for a user's data: through which connection, in which of the
//! user's slots, what each answer says of the connection's health, and the
//! cache in front of it all.

use axum::body::Bytes;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use pelm_model::companion::ConnectionStatus;
use pelm_model::pelm::Account;

use crate::encoding::Encoding;
use crate::error::ApiError;
use crate::linked;
use crate::session::Session;
use crate::state::AppState;
use crate::store::{Health, Owned, StoredConnection};

/// An answer of `content_type` whose body is already in `encoding`.
pub fn encoded_response(body: Bytes, content_type: &'static str, encoding: Encoding) -> Response {
    let mut response = ([(header::CONTENT_TYPE, HeaderValue::from_static(content_type))], body).into_response();
    let headers = response.headers_mut();
    if let Some(coding) = encoding.header() {
        headers.insert(header::CONTENT_ENCODING, coding);
    }
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    response
}

/// The connection whose token answers for `owned`. With one connection,
/// that one, asking nothing (Pelm says if the account is not its). With
/// several, the one that last answered with the account or meter; a
/// request must then name one.
pub async fn owner(
    state: &AppState,
    session: &Session,
    owned: Option<Owned<'_>>,
) -> Result<StoredConnection, ApiError> {
    let held = linked::stored(state, session).await?;
    match (&held[..], owned) {
        ([], _) => Err(ApiError::NotConnected),
        ([only], _) => Ok(only.clone()),
        (_, None) => Err(ApiError::invalid("account_id", "Name the account: several utilities are linked.")),
        (_, Some(owned)) => {
            let field = match owned {
                Owned::Account(_) => "account_id",
                Owned::Meter(_) => "meter_id",
            };
            let id = state.inner.store.owner_of(&session.identity, owned).await?;
            let found = id.and_then(|id| held.iter().find(|c| c.id == id).cloned());
            found.ok_or(ApiError::UnknownAccount { field })
        }
    }
}

/// Records what a data answer from Pelm says of its connection: a success
/// ends "collecting" (but not "login needed", which only the login's own
/// check or a reconnect ends), a failure may say why.
pub async fn note_health<T>(
    state: &AppState,
    identity: &str,
    connection: &StoredConnection,
    result: &Result<T, ApiError>,
    data_through: Option<i64>,
) {
    let health = match result {
        Ok(_) => Health {
            status: matches!(connection.status, ConnectionStatus::Collecting | ConnectionStatus::Unknown)
                .then_some(ConnectionStatus::Connected),
            data_through: data_through.filter(|&end| connection.data_through.is_none_or(|seen| end > seen)),
        },
        Err(err) => return note_failure(state, identity, connection, err).await,
    };
    linked::record(state, identity, connection, health).await;
}

/// Records what a failed data call says of its connection, if anything.
pub async fn note_failure(state: &AppState, identity: &str, connection: &StoredConnection, err: &ApiError) {
    if let Some(health) = linked::health_of_failure(err) {
        linked::record(state, identity, connection, health).await;
    }
}

/// One data GET to Pelm: what it is, its path, and how to read the end of
/// the newest data in its answer, for the connection's health.
pub struct Fetch<'a> {
    pub what: &'a str,
    pub path: &'a str,
    pub newest: fn(&[u8]) -> Option<i64>,
}

/// Asks Pelm, in one of the user's slots. The caller notes what the answer
/// says of the connection's health.
pub async fn ask_pelm(
    state: &AppState,
    identity: &str,
    connection: &StoredConnection,
    what: &str,
    path: &str,
) -> Result<Bytes, ApiError> {
    let _slot = state.inner.user_slots.acquire(identity).await;
    state.inner.pelm.get_json(what, path, Some(connection.access_token.expose())).await
}

/// A data GET for `connection`, from the cache when it is fresh, in the
/// coding the client accepts. The cache keeps Pelm's answer and each coding
/// of it made so far, so a hit is never compressed again.
pub async fn cached_get(
    state: &AppState,
    session: &Session,
    connection: &StoredConnection,
    fetch: Fetch<'_>,
    encoding: Encoding,
) -> Result<Response, ApiError> {
    let user_id = &connection.pelm_user_id;
    let key = |encoding: Encoding| format!("{}|{}|{}", connection.generation, encoding.tag(), fetch.path);
    let json = "application/json";
    if let Some(body) = state.inner.cache.get(user_id, &key(encoding)) {
        crate::metrics::cache("answer", true);
        return Ok(encoded_response(body, json, encoding));
    }
    let kept = state.inner.cache.get(user_id, &key(Encoding::Identity));
    crate::metrics::cache("answer", kept.is_some());
    let plain = match kept {
        Some(body) => body,
        None => {
            let answer = ask_pelm(state, &session.identity, connection, fetch.what, fetch.path).await;
            let data_through = answer.as_ref().ok().and_then(|body| (fetch.newest)(body));
            note_health(state, &session.identity, connection, &answer, data_through).await;
            let body = answer?;
            state.inner.cache.put(user_id, &key(Encoding::Identity), body.clone());
            body
        }
    };
    let body = state.compress(encoding, plain).await;
    if encoding != Encoding::Identity {
        state.inner.cache.put(user_id, &key(encoding), body.clone());
    }
    Ok(encoded_response(body, json, encoding))
}

/// One connection's accounts from Pelm, marked, remembered, and its health noted.
pub async fn pelm_accounts(
    state: &AppState,
    identity: &str,
    connection: &StoredConnection,
) -> Result<Vec<Account>, ApiError> {
    let answer = {
        let _slot = state.inner.user_slots.acquire(identity).await;
        state.inner.pelm.accounts(connection.access_token.expose()).await
    };
    note_health(state, identity, connection, &answer, None).await;
    let accounts: Vec<Account> = answer?.into_iter().map(|account| marked(account, connection)).collect();
    if let Err(err) = state.inner.store.save_accounts(&connection.id, &accounts).await {
        tracing::warn!(%err, "could not remember a connection's accounts");
    }
    Ok(accounts)
}

/// `account` with its connection and utility.
pub fn marked(account: Account, connection: &StoredConnection) -> Account {
    Account { connection_id: Some(connection.id.clone()), utility: connection.utility.clone(), ..account }
}

/// The accounts each connection last answered with, as the store remembers
/// them; those of a connection whose login or utility is failing are marked
/// with why. `None` when a connection has none remembered yet.
pub async fn remembered_accounts(
    state: &AppState,
    held: &[StoredConnection],
) -> Result<Option<Vec<Account>>, ApiError> {
    let mut all = Vec::new();
    for connection in held {
        let accounts = state.inner.store.remembered_accounts(&connection.id).await?;
        if accounts.is_empty() {
            return Ok(None);
        }
        let failing = matches!(connection.status, ConnectionStatus::LoginNeeded | ConnectionStatus::UtilityUnsupported);
        all.extend(accounts.into_iter().map(|account| Account {
            connection_status: failing.then_some(connection.status),
            ..marked(account, connection)
        }));
    }
    Ok(Some(all))
}
