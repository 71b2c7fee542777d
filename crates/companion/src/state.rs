//! What every request handler shares: the configuration, the store, the
//! client for Pelm, the cache and the limits, built once from the
//! configuration ([`AppState::from_config`]) and checked as it is built.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use pelm_sandbox::Sandbox;
use tokio::net::TcpListener;

use crate::config::{self, Config};
use crate::pelm::{self, PelmClient, Upstream};
use crate::store::{self, Store};
use crate::{cache, crypto, csp, encoding, faults, hosts, limits, metrics, server};

/// CSP violation reports taken per client address per minute. Kept per
/// instance even with a shared store: they guard this instance's log.
const CSP_REPORTS_PER_MINUTE: u32 = 30;
/// Beyond the calls' own timeouts, for the waits between retries.
const SLOT_LEASE_SLACK: Duration = Duration::from_secs(30);

#[derive(Clone)]
pub struct AppState {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) config: Config,
    pub(crate) store: Store,
    pub(crate) pelm: PelmClient,
    pub(crate) connect_script_url: String,
    /// The sandbox mounted at /sandbox, in sandbox mode.
    pub(crate) mounted_sandbox: Option<Sandbox>,
    pub(crate) cache: cache::ResponseCache,
    pub(crate) limits: Limits,
    /// Data requests each user may have waiting on Pelm at once.
    pub(crate) user_slots: limits::UserSlots,
    pub(crate) session_rules: store::SessionRules,
    /// Sources the site adds to the served policy.
    pub(crate) csp_extra: csp::CspExtra,
    /// Violations reported so far.
    pub(crate) csp_reports: std::sync::atomic::AtomicU64,
    /// Answers compressed to be kept in the cache so far.
    pub(crate) compressed: std::sync::atomic::AtomicU64,
    /// Sweeps of the store made by this instance.
    pub(crate) sweeps: std::sync::atomic::AtomicU64,
    /// Connections being asked about in the background now.
    pub(crate) refreshing: std::sync::Mutex<std::collections::HashSet<String>>,
    pub(crate) trusted_proxies: limits::TrustedProxies,
    pub(crate) hosts: Arc<hosts::HostPolicy>,
    /// Scripted answers for the app, in sandbox mode.
    pub(crate) app_faults: Option<Arc<faults::AppFaults>>,
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
pub(crate) struct Limits {
    pub(crate) per_user: limits::RateLimiter,
    pub(crate) per_address: limits::RateLimiter,
    /// CSP reports per client address: a page in a loop of violations must
    /// not flood this instance's log.
    pub(crate) csp_reports: limits::RateLimiter,
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
        let app_faults = mounted_sandbox.is_some().then(Arc::default);
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
                hosts: Arc::new(hosts),
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
            sandbox_config.faults = config.sandbox_faults.faults();
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
        self.inner.app_faults.as_deref()
    }
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
