//! The reference companion backend for the Pelm energy app.
//!
//! It holds the Pelm secret, creates Connect tokens, exchanges authorization
//! codes for access tokens, keeps those tokens in SQLite, and answers the
//! browser app under `/api`. In one-port deployments it also serves the built
//! app, and in sandbox mode it mounts the Pelm sandbox at `/sandbox`.

mod cache;
pub mod config;
mod connections;
pub mod crypto;
pub mod csp;
mod data;
pub mod encoding;
pub mod error;
pub mod faults;
pub mod hosts;
mod intervals;
pub mod limits;
pub mod metrics;
pub mod pelm;
mod routes;
pub mod server;
pub mod session;
pub mod startup;
pub mod static_files;
pub mod store;
pub mod telemetry;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::HeaderValue;
use axum::{middleware, Router};
use tokio::net::TcpListener;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub use config::Config;
use pelm::{PelmClient, Upstream};
pub use pelm_sandbox::Sandbox;
pub use startup::Application;
use store::Store;

/// Largest request body the API accepts; its bodies are a few short fields.
pub(crate) const API_BODY_LIMIT: usize = 16 * 1024;
/// CSP violation reports taken per client address per minute. Kept per
/// instance even with a shared store: they guard this instance's log.
const CSP_REPORTS_PER_MINUTE: u32 = 30;
/// Beyond the calls' own timeouts, for the waits between retries.
const SLOT_LEASE_SLACK: Duration = Duration::from_secs(30);

#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    store: Store,
    pelm: PelmClient,
    connect_script_url: String,
    /// The sandbox mounted at /sandbox, in sandbox mode.
    mounted_sandbox: Option<Sandbox>,
    cache: cache::ResponseCache,
    limits: Limits,
    /// Data requests each user may have waiting on Pelm at once.
    user_slots: limits::UserSlots,
    session_rules: store::SessionRules,
    /// Sources the site adds to the served policy.
    csp_extra: csp::CspExtra,
    /// Violations reported so far.
    csp_reports: std::sync::atomic::AtomicU64,
    /// Answers compressed to be kept in the cache so far.
    compressed: std::sync::atomic::AtomicU64,
    /// Sweeps of the store made by this instance.
    sweeps: std::sync::atomic::AtomicU64,
    /// Connections being asked about in the background now.
    refreshing: std::sync::Mutex<std::collections::HashSet<String>>,
    trusted_proxies: limits::TrustedProxies,
    hosts: hosts::HostPolicy,
    /// Scripted answers for the app, in sandbox mode.
    app_faults: Option<faults::AppFaults>,
}

/// The settings a companion must not start without, checked.
struct Guards {
    cipher: crypto::TokenCipher,
    trusted_proxies: limits::TrustedProxies,
    hosts: hosts::HostPolicy,
}

impl Guards {
    fn of(config: &Config, sandbox_mounted: bool) -> Result<Self, StartError> {
        let cipher = match &config.token_key {
            Some(key) => crypto::TokenCipher::from_text(key.expose()).map_err(StartError::Config)?,
            None if sandbox_mounted => {
                tracing::warn!("no PELM_TOKEN_KEY: tokens are sealed with a random key and will not survive a restart");
                crypto::TokenCipher::random()
            }
            None => {
                return Err(StartError::Config(
                    "PELM_TOKEN_KEY is required to encrypt access tokens at rest".to_owned(),
                ))
            }
        };
        let trusted_proxies = limits::TrustedProxies::parse(&config.trusted_proxies)
            .map_err(|err| StartError::Config(format!("PELM_TRUSTED_PROXIES: {err}")))?;
        if config.identity_header.is_some()
            && config.identity_header_secret.is_none()
            && config.trusted_proxies.is_empty()
        {
            return Err(StartError::Config(
                "PELM_IDENTITY_HEADER needs PELM_IDENTITY_HEADER_SECRET or PELM_TRUSTED_PROXIES, so that only \
                 the site's proxy can name the user"
                    .to_owned(),
            ));
        }
        let hosts = hosts::HostPolicy::new(
            &config.allowed_hosts,
            config.public_origin.as_deref(),
            config.sandbox,
            config.listen,
        )
        .map_err(StartError::Config)?;
        Ok(Self { cipher, trusted_proxies, hosts })
    }
}

/// The request-rate limits: per user, and per client address.
struct Limits {
    per_user: limits::RateLimiter,
    per_address: limits::RateLimiter,
    /// CSP reports per client address: a page in a loop of violations must
    /// not flood this instance's log.
    csp_reports: limits::RateLimiter,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("configuration: {0}")]
    Config(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl AppState {
    /// State for a companion whose Pelm is `upstream`. `config.listen` is
    /// the address actually bound (its port decides the companion's own
    /// origins when no public origin is configured).
    async fn new(
        config: Config,
        upstream: Upstream,
        connect_script_url: String,
        mounted_sandbox: Option<Sandbox>,
    ) -> Result<Self, StartError> {
        let Guards { cipher, trusted_proxies, hosts } = Guards::of(&config, mounted_sandbox.is_some())?;
        let store = Store::open(&config.database_url, cipher).await?;
        let retry = pelm::RetryPolicy { attempts: config.upstream_attempts.max(1), ..pelm::RetryPolicy::default() };
        let shared = store.shared_pool();
        let budget = limits::PelmBudget::new(config.pelm_calls_per_minute, shared.clone());
        let pelm = PelmClient::new(
            upstream,
            config.connect_timeout(),
            config.timeout(),
            retry,
            budget,
            config.upstream_max_bytes,
        )?;
        let cache = cache::ResponseCache::new(Duration::from_secs(config.cache_ttl), config.cache_max_bytes);
        let limits = Limits {
            per_user: limits::RateLimiter::shared("user", config.rate_limit_per_minute, shared.clone()),
            per_address: limits::RateLimiter::shared("address", config.address_rate_limit_per_minute, shared.clone()),
            csp_reports: limits::RateLimiter::new(CSP_REPORTS_PER_MINUTE),
        };
        // A lease outlasts the longest call to Pelm, each try timing out.
        let lease = (config.timeout() + config.connect_timeout()) * config.upstream_attempts.max(1) + SLOT_LEASE_SLACK;
        let csp_extra = match &config.csp_extra {
            Some(text) => text.parse().map_err(|err| StartError::Config(format!("PELM_CSP_EXTRA: {err}")))?,
            None => csp::CspExtra::default(),
        };
        let session_rules = store::SessionRules {
            idle_secs: config.session_idle_secs.min(i64::MAX as u64) as i64,
            lifetime_secs: config.session_lifetime_secs.min(i64::MAX as u64) as i64,
        };
        let app_faults = mounted_sandbox.is_some().then(faults::AppFaults::default);
        let state = Self {
            inner: Arc::new(Inner {
                user_slots: limits::UserSlots::new(config.user_concurrency, shared, lease),
                config,
                store,
                pelm,
                connect_script_url,
                mounted_sandbox,
                cache,
                limits,
                session_rules,
                csp_extra,
                csp_reports: Default::default(),
                compressed: Default::default(),
                sweeps: Default::default(),
                refreshing: Default::default(),
                trusted_proxies,
                hosts,
                app_faults,
            }),
        };
        state.start_sweeping();
        Ok(state)
    }

    /// Removes expired sessions (and what they leave unreachable) now and
    /// then, for as long as the state lives; of instances sharing a store,
    /// one a period.
    fn start_sweeping(&self) {
        let weak = Arc::downgrade(&self.inner);
        let every = Duration::from_secs((self.inner.session_rules.idle_secs as u64 / 4).clamp(1, 600));
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let Some(inner) = weak.upgrade() else { return };
                match inner.store.sweep_if_due(&inner.session_rules, every).await {
                    Ok(Some(swept)) => {
                        inner.sweeps.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        metrics::sweep("ran", swept.sessions + swept.users + swept.code_claims + swept.limits);
                        if swept != store::Swept::default() {
                            tracing::info!(?swept, "expired sessions swept");
                        }
                    }
                    Ok(None) => {
                        metrics::sweep("skipped", 0);
                        tracing::debug!("another instance swept this period");
                    }
                    Err(err) => tracing::warn!(%err, "sweeping expired sessions failed"),
                }
            }
        });
    }

    /// Sweeps this instance has made.
    pub fn sweeps(&self) -> u64 {
        self.inner.sweeps.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// State as the command line describes it, for a companion that will serve on `local_addr`.
    pub(crate) async fn from_config(mut config: Config, local_addr: SocketAddr) -> Result<Self, StartError> {
        config.listen = local_addr;
        if config.sandbox {
            let mut sandbox_config = pelm_sandbox::Config::random();
            sandbox_config.data_delay = Duration::from_secs(config.sandbox_data_delay);
            sandbox_config.faults = pelm_sandbox::Faults {
                latency: Duration::from_millis(config.sandbox_latency_ms),
                error_rate: config.sandbox_error_rate,
                drop_rate: config.sandbox_drop_rate,
                ..pelm_sandbox::Faults::default()
            };
            let sandbox = Sandbox::new(sandbox_config.clone());
            // The companion calls its own /sandbox over loopback, as it would call Pelm.
            let own = server::reachable(local_addr);
            let upstream = Upstream {
                base_url: format!("http://{own}/sandbox"),
                client_id: sandbox_config.client_id,
                secret: config::Secret::new(sandbox_config.secret),
            };
            let script = match (&config.connect_script_url, config.sandbox_connect_script) {
                (Some(url), _) => url.clone(),
                (None, config::SandboxScript::Legacy) => "/sandbox/connect/pelm-connect.js".to_owned(),
                (None, config::SandboxScript::Current) => {
                    let origin = serve_connect_origin(&config, &sandbox).await?;
                    format!("{origin}/initialize.js")
                }
            };
            return Self::new(config, upstream, script, Some(sandbox)).await;
        }
        let (Some(client_id), Some(secret)) = (config.pelm_client_id.clone(), config.pelm_secret.clone()) else {
            return Err(StartError::Config(
                "PELM_CLIENT_ID and PELM_SECRET are required (or run with --sandbox)".to_owned(),
            ));
        };
        let upstream = Upstream { base_url: config.pelm_api_url.clone(), client_id, secret };
        let script = config.connect_script_url.clone().unwrap_or_else(|| config::PELM_CONNECT_SCRIPT_URL.to_owned());
        Self::new(config, upstream, script, None).await
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Violations the browser has reported to `/api/csp-report` since start.
    pub fn csp_reports(&self) -> u64 {
        self.inner.csp_reports.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Answers compressed to be kept (and sent) since start: a cached
    /// answer sent again is not compressed again.
    pub fn compressed_answers(&self) -> u64 {
        self.inner.compressed.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// `body` in `encoding`, counted.
    pub(crate) async fn compress(&self, encoding: encoding::Encoding, body: axum::body::Bytes) -> axum::body::Bytes {
        if encoding != encoding::Encoding::Identity {
            self.inner.compressed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        encoding.compress(body).await
    }

    /// Of `due`, those not being refreshed already, now marked as being
    /// refreshed; and whether any of `due` is being refreshed at all.
    pub(crate) fn claim_refresh(&self, due: Vec<store::StoredConnection>) -> (Vec<store::StoredConnection>, bool) {
        let mut refreshing = self.inner.refreshing.lock().unwrap_or_else(|p| p.into_inner());
        let busy = !due.is_empty();
        let claimed = due.into_iter().filter(|c| refreshing.insert(c.id.clone())).collect();
        (claimed, busy)
    }

    pub(crate) fn release_refresh(&self, done: &[store::StoredConnection]) {
        let mut refreshing = self.inner.refreshing.lock().unwrap_or_else(|p| p.into_inner());
        for connection in done {
            refreshing.remove(&connection.id);
        }
    }

    /// The Connect script the app is told to load.
    pub fn connect_script_url(&self) -> &str {
        &self.inner.connect_script_url
    }

    /// The sandbox mounted at /sandbox, in sandbox mode.
    pub fn mounted_sandbox(&self) -> Option<&Sandbox> {
        self.inner.mounted_sandbox.as_ref()
    }

    /// Answers scripted for the app, in sandbox mode.
    pub fn app_faults(&self) -> Option<&faults::AppFaults> {
        self.inner.app_faults.as_ref()
    }
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
    let api = routes::api()
        .route_layer(middleware::from_fn(metrics::note_route))
        .layer(middleware::from_fn_with_state(state.clone(), session::require_allowed_origin))
        .layer(middleware::from_fn_with_state(state.clone(), session::with_session))
        .layer(DefaultBodyLimit::max(API_BODY_LIMIT))
        .layer(middleware::from_fn(move |request, next| error::time_limit(request_timeout, request, next)))
        .layer(middleware::from_fn(error::api_contract))
        .layer(middleware::from_fn_with_state(state.clone(), faults::inject))
        .layer(cors(state.config()))
        .layer(encoding::layer())
        .layer(middleware::from_fn(metrics::requests))
        .with_state(state.clone());
    // Reports come without cookies or a useful Origin: outside the session
    // and origin checks, with their own limit.
    let api = api.merge(
        Router::new()
            .route("/csp-report", axum::routing::post(csp::report))
            .layer(middleware::from_fn(error::api_contract))
            .with_state(state.clone()),
    );
    let mut router = Router::new()
        .nest(&state.config().api_prefix, api)
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .route("/readyz", axum::routing::get(ready).with_state(state.clone()));
    if let Some(sandbox) = &state.inner.mounted_sandbox {
        router = router.nest("/sandbox", pelm_sandbox::app(sandbox.clone())).route(
            "/_sandbox/app-faults",
            axum::routing::post(faults::queue).delete(faults::clear).with_state(state.clone()),
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
        .layer(middleware::from_fn_with_state(state.clone(), hosts::require_allowed_host))
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

/// Serves `sandbox` on a listener of its own, the origin its framed Connect
/// comes from, as a real widget comes from its provider's; answers that origin.
async fn serve_connect_origin(config: &Config, sandbox: &Sandbox) -> Result<String, StartError> {
    let listener = TcpListener::bind(config.sandbox_connect_listen).await?;
    let origin = format!("http://{}", server::reachable(listener.local_addr()?));
    let limits = server::ServeLimits::from_config(config);
    server::spawn(listener, pelm_sandbox::app(sandbox.clone()), limits, "the sandbox's Connect origin");
    tracing::info!(%origin, "the sandbox's framed Connect is served from its own origin");
    Ok(origin)
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
