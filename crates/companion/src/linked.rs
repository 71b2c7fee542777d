//! The connections a person holds, as stored, and their health as Pelm's
//! answers show it: read by every handler that asks Pelm, written by them.

use std::sync::Arc;

use pelm_model::companion::ConnectionStatus;

use crate::error::ApiError;
use crate::session::Session;
use crate::state::AppState;
use crate::store::{Health, StoredConnection};

/// This session's connections; an anonymous session holds none and costs
/// no query. Data requests may use what was read a moment ago.
pub async fn stored(state: &AppState, session: &Session) -> Result<Arc<[StoredConnection]>, ApiError> {
    if !session.may_hold_a_connection() {
        return Ok(Arc::from([]));
    }
    Ok(state.inner.store.connections_recently(&session.identity).await?)
}

/// What a failed call to Pelm says of the connection's health, if anything:
/// an outage or a quota says nothing of it.
pub fn health_of_failure(err: &ApiError) -> Option<Health> {
    match err {
        ApiError::Pelm { body, .. } => ConnectionStatus::from_error_code(&body.error_code)
            .map(|status| Health { status: Some(status), data_through: None }),
        _ => None,
    }
}

/// Records a connection's health: only when it changes something, or the
/// last check is a minute old, so a chart's many requests and every page's
/// look cost no writes. Logs rather than fails: the answer the user waits
/// for matters more than the record.
pub async fn record(state: &AppState, identity: &str, connection: &StoredConnection, health: Health) {
    let changed = health.status.is_some_and(|s| s != connection.status) || health.data_through.is_some();
    let stale = connection.checked_at.is_none_or(|at| crate::store::now() - at >= HEALTH_WRITE_SECS);
    if !(changed || stale) {
        return;
    }
    if let Err(err) = state.inner.store.save_health(identity, &connection.id, health).await {
        tracing::warn!(%err, "could not record a connection's health");
    }
}

/// How often an unchanged connection's `checked_at` is written.
const HEALTH_WRITE_SECS: i64 = 60;
