//! Faults on demand for Pelm's REST API, so the companion's retries, timeouts
//! and error handling meet the failures a real network and a real Pelm have.

use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::PelmError;
use crate::Sandbox;

/// What to inject. The default injects nothing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Faults {
    /// Added before every answer.
    pub latency: Duration,
    /// Share of calls (0 to 1) answered 500 `internal_error`.
    pub error_rate: f64,
    /// Share of calls whose connection drops after the status line.
    pub drop_rate: f64,
    /// Calls allowed in all; later ones get 402 `quota_reached`.
    pub quota: Option<u64>,
    /// Share of successful answers whose body is cut short (invalid JSON).
    pub malformed_rate: f64,
}

/// One scripted failure, for tests that need a fault on a given call rather
/// than at a rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    InternalError,
    Drop,
    Malformed,
    /// Answer normally, but only after this long.
    Stall(Duration),
}

/// A JSON body that stops mid-way, as a proxy that gave up would send it.
pub const MALFORMED_BODY: &str = r#"{"intervals": [{"start": 1646996400, "end": 16"#;

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
