//! The app-facing API. Paths are relative to the configured prefix (`/api`).

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use pelm_model::companion::{AuthorizationRequest, ConnectTokenGrant, Connection};
use pelm_model::pelm::Account;

use crate::error::ApiError;
use crate::session::Session;
use crate::AppState;

pub fn api() -> Router<AppState> {
    Router::new()
        .route("/connect-token", post(connect_token))
        .route("/authorization", post(authorization))
        .route("/connection", get(connection).delete(disconnect))
        .route("/accounts", get(accounts))
        .fallback(|| async { ApiError::NotFound })
}

async fn pelm_user_id(state: &AppState, session: &Session) -> Result<String, ApiError> {
    Ok(state.inner.store.pelm_user_id(&session.identity).await?)
}

/// The user's Pelm id and access token, without minting a user who has none.
async fn connected_user(state: &AppState, session: &Session) -> Result<Option<(String, String)>, ApiError> {
    let store = &state.inner.store;
    let Some(user_id) = store.existing_pelm_user_id(&session.identity).await? else {
        return Ok(None);
    };
    Ok(store.access_token(&user_id).await?.map(|token| (user_id, token)))
}

async fn access_token(state: &AppState, session: &Session) -> Result<String, ApiError> {
    let user = connected_user(state, session).await?;
    user.map(|(_, token)| token).ok_or(ApiError::NotConnected)
}

async fn connect_token(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
) -> Result<Json<ConnectTokenGrant>, ApiError> {
    let user_id = pelm_user_id(&state, &session).await?;
    let token = state.inner.pelm.connect_token(&user_id, state.config().utility_id.as_deref()).await?;
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

async fn authorization(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    body: Result<Json<AuthorizationRequest>, JsonRejection>,
) -> Result<Json<Connection>, ApiError> {
    let Json(request) = body?;
    let code = validate_code(&request.authorization_code)?;
    let user_id = pelm_user_id(&state, &session).await?;
    {
        let _one_at_a_time = state.inner.exchange_lock.lock().await;
        if !state.inner.store.code_exchanged(&user_id, code).await? {
            let token = state.inner.pelm.exchange_code(code).await?;
            state.inner.store.save_connection(&user_id, code, &token.access_token).await?;
            tracing::info!(pelm_user_id = %user_id, "utility account connected");
        }
    }
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
    match connected_user(&state, &session).await? {
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
        tracing::info!(pelm_user_id = %user_id, "utility account disconnected");
    }
    Ok(Json(Connection::none()))
}

async fn accounts(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
) -> Result<Json<Vec<Account>>, ApiError> {
    let token = access_token(&state, &session).await?;
    Ok(Json(state.inner.pelm.accounts(&token).await?))
}
