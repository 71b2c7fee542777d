//! `GET /api/accounts`: every connection's accounts, asked of Pelm.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use futures_util::future::join_all;
use pelm_model::companion::ConnectionStatus;
use pelm_model::pelm::Account;

use crate::data::{marked, pelm_accounts};
use crate::error::ApiError;
use crate::linked;
use crate::session::Session;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/accounts", get(accounts))
}

/// The accounts of every connection, each marked with its connection and
/// utility, asked of Pelm every time: they are the first thing the app
/// loads, so a token Pelm revoked shows at once rather than after the cache
/// lets go. They are read into the model, so a wrong shape is an upstream
/// error. A connection Pelm will not answer for does not fail the others:
/// its accounts are the ones it last answered with, marked with why.
async fn accounts(State(state): State<AppState>, session: Session) -> Result<Json<Vec<Account>>, ApiError> {
    let held = linked::stored(&state, &session).await?;
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
                    linked::health_of_failure(&err).and_then(|h| h.status).unwrap_or(ConnectionStatus::Unknown);
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
