//! The companion's one router: each feature's routes merged under the API
//! prefix with the checks every API request passes (host, origin, session,
//! limits, timeouts, the error contract), beside the health checks, the
//! mounted sandbox and the built app.

use std::time::Duration;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::HeaderValue;
use axum::{middleware, Router};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::config::Config;
use crate::error::ApiError;
use crate::extract::API_BODY_LIMIT;
use crate::state::AppState;
use crate::{
    accounts, bills, connections, csp, csp_report, encoding, error, faults, hosts, intervals, metrics, session,
    static_files, telemetry,
};

/// The app-facing API, paths relative to the configured prefix (`/api`):
/// every feature's routes, and a JSON 404 for any other path.
fn api() -> Router<AppState> {
    Router::new()
        .merge(connections::routes())
        .merge(accounts::routes())
        .merge(intervals::routes())
        .merge(bills::routes())
        .fallback(|| async { ApiError::NotFound })
}

/// What the app asks for before its Connect button works, sent with the page
/// as a `Link` header so the browser fetches it while the wasm downloads:
/// the connection state (the app's first call, whose `fetch` the browser
/// answers from this preload) and the Connect script. A site serving the
/// page itself can send the same header.
fn first_requests(state: &AppState) -> String {
    format!("{}, <{}>; rel=preload; as=script", connection_request(state), state.inner.connect_script_url)
}

/// The app's first call, preloaded.
fn connection_request(state: &AppState) -> String {
    let api = state.config().api_prefix.trim_end_matches('/');
    format!("<{api}/connection>; rel=preload; as=fetch; crossorigin")
}

/// `GET /readyz`: whether this instance can serve, for a balancer deciding
/// where to send requests: the store answers (and with it, where several
/// instances share one, the limits kept there). `/healthz` says only that
/// the process is up.
async fn ready(State(state): State<AppState>) -> axum::response::Response {
    use axum::response::IntoResponse;
    match tokio::time::timeout(READY_WITHIN, state.inner.store.ping()).await {
        Ok(Ok(())) => "ready".into_response(),
        Ok(Err(err)) => {
            tracing::warn!(%err, "not ready: the store does not answer");
            (axum::http::StatusCode::SERVICE_UNAVAILABLE, "the store does not answer").into_response()
        }
        Err(_) => {
            tracing::warn!("not ready: the store took too long to answer");
            (axum::http::StatusCode::SERVICE_UNAVAILABLE, "the store does not answer").into_response()
        }
    }
}

/// How long readiness waits for the store.
const READY_WITHIN: Duration = Duration::from_secs(2);

/// The companion's routes: the API under its prefix, `/healthz`, `/readyz`, the mounted
/// sandbox in sandbox mode, and the built app when a dist directory is set.
pub fn app(state: AppState) -> Router {
    let request_timeout = Duration::from_secs(state.config().request_timeout_secs.max(1));
    let api = api()
        .route_layer(middleware::from_fn(metrics::note_route))
        .layer(middleware::from_fn_with_state(state.clone(), session::require_allowed_origin))
        .layer(middleware::from_fn_with_state(state.clone(), session::with_session))
        .layer(DefaultBodyLimit::max(API_BODY_LIMIT))
        .layer(middleware::from_fn(move |request, next| error::time_limit(request_timeout, request, next)))
        .layer(middleware::from_fn(error::api_contract))
        .layer(middleware::from_fn_with_state(state.inner.app_faults.clone(), faults::inject))
        .layer(cors(state.config()))
        .layer(encoding::layer())
        .layer(middleware::from_fn(metrics::requests))
        .with_state(state.clone());
    // Reports come without cookies or a useful Origin: outside the session
    // and origin checks, with their own limit.
    let api = api.merge(csp_report::routes().layer(middleware::from_fn(error::api_contract)).with_state(state.clone()));
    let mut router = Router::new()
        .nest(&state.config().api_prefix, api)
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .route("/readyz", axum::routing::get(ready).with_state(state.clone()));
    if let (Some(sandbox), Some(faults)) = (&state.inner.mounted_sandbox, &state.inner.app_faults) {
        router = router.nest("/sandbox", pelm_sandbox::app(sandbox.clone())).route(
            "/_sandbox/app-faults",
            axum::routing::post(faults::queue).delete(faults::clear).with_state(faults.clone()),
        );
    }
    let report_path = format!("{}/csp-report", state.config().api_prefix.trim_end_matches('/'));
    let policy =
        |html: &str| csp::served_policy(html, &state.inner.connect_script_url, &state.inner.csp_extra, &report_path);
    let preload = first_requests(&state);
    if let Some(example) = &state.config().example_dist {
        router = router.nest_service("/example", static_files::service(example, policy, &report_path, &preload));
    }
    if let Some(dist) = &state.config().dist {
        let parts = static_files::connected_parts(dist, &state.config().app_path)
            .and_then(|parts| HeaderValue::from_str(&format!("{}, {parts}", connection_request(&state))).ok());
        let app = static_files::service(dist, policy, &report_path, &preload)
            .layer(middleware::from_fn_with_state((state.clone(), parts), preload_connected_part));
        match state.config().app_path.trim_end_matches('/') {
            "" => router = router.fallback_service(app),
            // Under a sub-path the app's own router sees the rest of the path.
            path => router = router.nest_service(path, app),
        }
    }
    // Outermost last: the request id is checked and set before anything else runs.
    let body_timeout = Duration::from_secs(state.config().body_timeout_secs.max(1));
    router
        .layer(middleware::from_fn_with_state(
            hosts::HostCheck {
                policy: state.inner.hosts.clone(),
                api_prefix: state.config().api_prefix.as_str().into(),
            },
            hosts::require_allowed_host,
        ))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(body_timeout))
        .layer(middleware::from_fn(error::with_request_id))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(telemetry::request_span))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(middleware::from_fn(error::sanitize_request_id))
}

/// The page, for a user who is connected, with a `Link` that starts fetching
/// the connected pages' wasm with it (the app would otherwise ask for it only
/// once its first call has answered that the user is connected) in place of
/// the Connect script, which a connected user's page does not load.
async fn preload_connected_part(
    State((state, parts)): State<(AppState, Option<HeaderValue>)>,
    request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    let Some(parts) = parts else { return next.run(request).await };
    let connected = session::holds_a_connection(&state, request.headers(), session::peer_address(&request)).await;
    let mut response = next.run(request).await;
    let html = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"text/html"));
    if html && connected {
        response.headers_mut().insert(axum::http::header::LINK, parts);
    }
    response
}

/// CORS for the allowed origins' pages, with credentials so the session
/// cookie goes along; none at all without allowed origins.
fn cors(config: &Config) -> tower_http::cors::CorsLayer {
    use axum::http::{header, HeaderName, HeaderValue, Method};
    let origins: Vec<HeaderValue> = config
        .allowed_origins
        .iter()
        .filter_map(|origin| HeaderValue::from_str(origin.trim().trim_end_matches('/')).ok())
        .collect();
    tower_http::cors::CorsLayer::new()
        .allow_origin(origins)
        .allow_credentials(true)
        .allow_methods([Method::GET, Method::POST, Method::DELETE])
        .allow_headers([header::CONTENT_TYPE])
        .expose_headers([HeaderName::from_static("x-request-id"), header::RETRY_AFTER])
        .max_age(Duration::from_secs(600))
}
