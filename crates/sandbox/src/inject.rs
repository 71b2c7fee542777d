//! The middleware that makes the faults a sandbox is set to make, before
//! Pelm's answer or in place of it.

use std::sync::atomic::Ordering;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::PelmError;
use crate::faults::{Fault, MALFORMED_BODY};
use crate::state::Sandbox;

fn dropped() -> Response {
    let failure = futures_util::stream::once(async {
        Err::<Bytes, _>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "connection dropped (fault injection)",
        ))
    });
    let mut response = Response::new(Body::from_stream(failure));
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

pub async fn inject(State(sandbox): State<Sandbox>, request: Request, next: Next) -> Response {
    let faults = &sandbox.config().faults;
    if !faults.latency.is_zero() {
        tokio::time::sleep(faults.latency).await;
    }
    let calls = sandbox.inner.calls.fetch_add(1, Ordering::Relaxed) + 1;
    if faults.quota.is_some_and(|quota| calls > quota) {
        return PelmError::quota_reached().into_response();
    }
    match sandbox.next_scripted_fault() {
        Some(Fault::InternalError) => return PelmError::internal_error().into_response(),
        Some(Fault::Drop) => return dropped(),
        Some(Fault::Malformed) => return malformed(),
        Some(Fault::Stall(pause)) => tokio::time::sleep(pause).await,
        None => {}
    }
    if rand::random::<f64>() < faults.drop_rate {
        return dropped();
    }
    if rand::random::<f64>() < faults.error_rate {
        return PelmError::internal_error().into_response();
    }
    let response = next.run(request).await;
    if response.status() == StatusCode::OK && rand::random::<f64>() < faults.malformed_rate {
        return malformed();
    }
    response
}

fn malformed() -> Response {
    let mut broken = Response::new(Body::from(MALFORMED_BODY));
    broken.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    broken
}
