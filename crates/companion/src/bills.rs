//! A user's bills: `GET /api/bills`, passed through from Pelm through the
//! cache, and each bill's PDF, streamed.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use crate::data::{cached_get, owner, Fetch};
use crate::encoding::Encoding;
use crate::error::ApiError;
use crate::extract::valid_id;
use crate::session::Session;
use crate::state::AppState;
use crate::store::Owned;

pub fn routes() -> Router<AppState> {
    Router::new().route("/bills", get(bills)).route("/bills/{bill_id}/pdf", get(bill_pdf))
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
