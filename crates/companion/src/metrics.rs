//! Prometheus metrics, for operators: served on a listener of their own
//! (`PELM_METRICS_LISTEN`), off by default and never on the public port,
//! since they describe the deployment to whoever can read them.
//!
//! Recording goes through the `metrics` facade. With metrics off nothing is
//! recorded and no label is built: every function here returns at once, so
//! a request's path allocates nothing for them. One recorder serves the
//! process.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;

use crate::store::Store;

/// Whether a recorder is installed, so that anything is worth recording.
static ON: AtomicBool = AtomicBool::new(false);

fn on() -> bool {
    ON.load(Ordering::Relaxed)
}

/// The route a request matched, carried out to the layer that counts it.
#[derive(Clone)]
struct Route(String);

/// Inside the router: notes which route matched, for [`requests`].
pub async fn note_route(request: Request, next: Next) -> Response {
    if !on() {
        return next.run(request).await;
    }
    let route = request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned());
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(Route(route));
    }
    response
}

/// Around the API: counts each request by route and status, and times it.
/// A request refused before routing (a limit, a bad host) counts as route
/// `-`; its refusal is counted by kind too.
pub async fn requests(request: Request, next: Next) -> Response {
    if !on() {
        return next.run(request).await;
    }
    let began = Instant::now();
    let response = next.run(request).await;
    let route = response.extensions().get::<Route>().map_or_else(|| "-".to_owned(), |r| r.0.clone());
    let status = response.status().as_u16().to_string();
    metrics::histogram!("pelm_companion_request_seconds", "route" => route.clone())
        .record(began.elapsed().as_secs_f64());
    metrics::counter!("pelm_companion_requests_total", "route" => route, "status" => status).increment(1);
    response
}

/// A request refused by a limit, by which: `address`, `user`, `pelm_ceiling`,
/// `csp_reports`, `unreachable`.
pub fn refused(kind: &'static str) {
    if !on() {
        return;
    }
    metrics::counter!("pelm_companion_limit_refusals_total", "kind" => kind).increment(1);
}

/// One try of a call to Pelm: its endpoint, how it ended (the status, or
/// `transport`), and how long until its answer began.
pub fn pelm_call(endpoint: &str, outcome: impl FnOnce() -> String, began: Instant) {
    if !on() {
        return;
    }
    let outcome = outcome();
    metrics::histogram!("pelm_companion_pelm_call_seconds", "endpoint" => endpoint.to_owned())
        .record(began.elapsed().as_secs_f64());
    metrics::counter!("pelm_companion_pelm_calls_total", "endpoint" => endpoint.to_owned(), "outcome" => outcome)
        .increment(1);
}

/// A look in the cache: `answer` or `intervals`, found or not.
pub fn cache(kind: &'static str, hit: bool) {
    if !on() {
        return;
    }
    let result = if hit { "hit" } else { "miss" };
    metrics::counter!("pelm_companion_cache_lookups_total", "kind" => kind, "result" => result).increment(1);
}

/// A sweep period: `ran` here, or `skipped` (another instance swept).
pub fn sweep(outcome: &'static str, removed: u64) {
    if !on() {
        return;
    }
    metrics::counter!("pelm_companion_sweeps_total", "outcome" => outcome).increment(1);
    metrics::counter!("pelm_companion_swept_rows_total").increment(removed);
}

/// Seconds: histograms, so that latencies add up across instances (a
/// summary's quantiles would not).
const LATENCY_BUCKETS: [f64; 13] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 30.0];

/// The process's recorder, installed on first use.
fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            match PrometheusBuilder::new().set_buckets(&LATENCY_BUCKETS).and_then(|b| b.install_recorder()) {
                Ok(handle) => {
                    ON.store(true, Ordering::Relaxed);
                    Some(handle)
                }
                Err(err) => {
                    tracing::error!(%err, "metrics are off: a recorder could not be installed");
                    None
                }
            }
        })
        .as_ref()
}

/// Serves `GET /metrics` on `listener` for as long as the process runs.
pub fn serve(listener: TcpListener, store: Store) {
    let Some(handle) = handle() else { return };
    let app = Router::new().route("/metrics", axum::routing::get(scrape)).with_state((store, handle));
    tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, app).await {
            tracing::error!(%err, "the metrics listener stopped");
        }
    });
}

/// The metrics, with the store's sessions and connections counted now (for
/// the whole deployment, when the store is shared).
async fn scrape(State((store, handle)): State<(Store, &'static PrometheusHandle)>) -> Response {
    for (table, name) in [("sessions", "pelm_companion_sessions"), ("connections", "pelm_companion_connections")] {
        match store.count(table).await {
            Ok(rows) => metrics::gauge!(name).set(rows as f64),
            Err(err) => tracing::warn!(%err, table, "could not count for the metrics"),
        }
    }
    handle.render().into_response()
}
