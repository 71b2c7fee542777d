//! `POST /api/csp-report`: where browsers report what the served
//! Content-Security-Policy blocked.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;

use crate::csp::{violations, REPORT_LIMIT};
use crate::error::ApiError;
use crate::extract::read_body;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/csp-report", post(report))
}

/// `POST /api/csp-report`: logs each violation at warn level. Browsers send
/// these without cookies or a useful `Origin`, so the route stands outside
/// the session and origin checks; it has its own limit per client address,
/// a size cap and the body timeout, and answers 204.
async fn report(State(state): State<AppState>, request: Request) -> Response {
    let address = crate::session::client_address(&state, &request);
    if let Err(retry_after) = state.inner.limits.csp_reports.check_here(&address.to_string()) {
        crate::metrics::refused("csp_reports");
        return ApiError::RateLimited { retry_after }.into_response();
    }
    let body = match read_body(request.into_body(), REPORT_LIMIT, &state).await {
        Ok(body) => body,
        Err(err) => return err.into_response(),
    };
    match violations(&body) {
        Ok(found) => {
            state.inner.csp_reports.fetch_add(found.len() as u64, std::sync::atomic::Ordering::Relaxed);
            for v in found {
                tracing::warn!(blocked = %v.blocked, directive = %v.directive, document = %v.document, %address, "the browser blocked something under the Content-Security-Policy");
            }
            StatusCode::NO_CONTENT.into_response()
        }
        Err(why) => ApiError::invalid("body", format!("Not a CSP report: {why}.")).into_response(),
    }
}
