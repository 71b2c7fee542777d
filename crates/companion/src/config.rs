use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

pub const PELM_API_URL: &str = "https://api.pelm.com";
pub const PELM_CONNECT_SCRIPT_URL: &str = "https://api.pelm.com/connect/pelm-connect.js";

/// The Pelm companion: holds the Pelm secret, exchanges Connect authorization
/// codes for access tokens, stores them, and answers the browser app.
///
/// Every option can also be set through the environment variable named beside it.
#[derive(Parser, Debug, Clone)]
#[command(name = "pelm-companion", version)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "PELM_COMPANION_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Where access tokens are stored. SQLite by default; the file is created if missing.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://pelm-companion.db")]
    pub database_url: String,

    /// Run against the built-in Pelm sandbox, mounted at /sandbox on this same port,
    /// instead of the real Pelm API. Needs no credentials.
    #[arg(long, env = "PELM_SANDBOX")]
    pub sandbox: bool,

    /// Seconds that sandbox data calls answer data_unavailable after a user connects.
    #[arg(long, env = "PELM_SANDBOX_DATA_DELAY", default_value_t = 0)]
    pub sandbox_data_delay: u64,

    /// Sandbox fault: milliseconds added before every answer of its REST API.
    #[arg(long, env = "PELM_SANDBOX_LATENCY_MS", default_value_t = 0)]
    pub sandbox_latency_ms: u64,

    /// Sandbox fault: share (0 to 1) of its REST calls answered 500 internal_error.
    #[arg(long, env = "PELM_SANDBOX_ERROR_RATE", default_value_t = 0.0)]
    pub sandbox_error_rate: f64,

    /// Sandbox fault: share (0 to 1) of its REST calls whose connection drops mid-answer.
    #[arg(long, env = "PELM_SANDBOX_DROP_RATE", default_value_t = 0.0)]
    pub sandbox_drop_rate: f64,

    /// Base URL of Pelm's API (ignored with --sandbox).
    #[arg(long, env = "PELM_API_URL", default_value = PELM_API_URL)]
    pub pelm_api_url: String,

    /// Pelm-Client-Id, from Pelm's registration email (required without --sandbox).
    #[arg(long, env = "PELM_CLIENT_ID", hide_env_values = true)]
    pub pelm_client_id: Option<String>,

    /// Pelm-Secret, from Pelm's registration email (required without --sandbox).
    /// Prefer the environment variable: flags show up in process listings.
    #[arg(long, env = "PELM_SECRET", hide_env_values = true)]
    pub pelm_secret: Option<String>,

    /// Connect script the app should load. Defaults to Pelm's official script, or
    /// to the sandbox's with --sandbox.
    #[arg(long, env = "PELM_CONNECT_SCRIPT_URL")]
    pub connect_script_url: Option<String>,

    /// Preselect this utility in Connect (Pelm's utility_id), skipping utility selection.
    #[arg(long, env = "PELM_UTILITY_ID")]
    pub utility_id: Option<String>,

    /// Directory of the built app (Trunk's dist/) to serve at /. Without it only the API is served.
    #[arg(long, env = "PELM_DIST")]
    pub dist: Option<PathBuf>,

    /// Path prefix of the app-facing API.
    #[arg(long, env = "PELM_API_PREFIX", default_value = "/api")]
    pub api_prefix: String,

    /// Where the app is served: `/`, or a sub-path such as `/energy` for an
    /// app built with `trunk build --public-url /energy/`.
    #[arg(long, env = "PELM_APP_PATH", default_value = "/")]
    pub app_path: String,

    /// The example host page (`examples/host`, built by `./dev build`), served
    /// at `/example/` beside the app, as a site that embeds it.
    #[arg(long, env = "PELM_EXAMPLE_DIST")]
    pub example_dist: Option<PathBuf>,

    /// Origins (scheme://host[:port]) besides the companion's own whose pages
    /// may call the API: they get CORS with credentials, and may send
    /// state-changing requests. Comma-separated.
    #[arg(long, env = "PELM_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,

    /// Always mark the session cookie Secure. It is marked Secure anyway when the
    /// request arrived over https (X-Forwarded-Proto: https).
    #[arg(long, env = "PELM_SECURE_COOKIES")]
    pub secure_cookies: bool,

    /// Send the session cookie with `SameSite=None; Secure`, for an app on
    /// another *site* (not just another origin) than the companion. Needs
    /// https, and browsers that allow third-party cookies.
    #[arg(long, env = "PELM_CROSS_SITE_COOKIES")]
    pub cross_site_cookies: bool,

    /// Key that encrypts access tokens at rest: 64 hex digits or base64 of 32 bytes.
    /// Required without --sandbox; with it, a missing key means a random one per run.
    #[arg(long, env = "PELM_TOKEN_KEY", hide_env_values = true)]
    pub token_key: Option<String>,

    /// Know the user by this request header, set by the site's authenticating proxy,
    /// instead of by the companion's session cookie. Only use it behind such a proxy.
    #[arg(long, env = "PELM_IDENTITY_HEADER")]
    pub identity_header: Option<String>,

    /// API requests one user may make per minute; more get 429 with Retry-After.
    #[arg(long, env = "PELM_RATE_LIMIT", default_value_t = 300)]
    pub rate_limit_per_minute: u32,

    /// Seconds Pelm's data answers are kept per user and query (0 turns the cache off).
    #[arg(long, env = "PELM_CACHE_TTL", default_value_t = 60)]
    pub cache_ttl: u64,

    /// Tries for each GET to Pelm, with exponential backoff and jitter (1 turns retries off).
    #[arg(long, env = "PELM_UPSTREAM_ATTEMPTS", default_value_t = 4)]
    pub upstream_attempts: u32,

    /// Seconds allowed to open a connection to Pelm.
    #[arg(long, env = "PELM_CONNECT_TIMEOUT", default_value_t = 5)]
    pub upstream_connect_timeout: u64,

    /// Seconds allowed for a whole call to Pelm.
    #[arg(long, env = "PELM_TIMEOUT", default_value_t = 30)]
    pub upstream_timeout: u64,
}

impl Config {
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.upstream_connect_timeout)
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.upstream_timeout)
    }

    /// Sandbox mode on 127.0.0.1:0, nothing served but the API. Built field by
    /// field rather than parsed, so no environment variable can change a test.
    pub fn for_tests(database_url: String) -> Self {
        Config {
            listen: "127.0.0.1:0".parse().expect("literal address"),
            database_url,
            sandbox: true,
            sandbox_data_delay: 0,
            sandbox_latency_ms: 0,
            sandbox_error_rate: 0.0,
            sandbox_drop_rate: 0.0,
            pelm_api_url: PELM_API_URL.to_owned(),
            pelm_client_id: None,
            pelm_secret: None,
            connect_script_url: None,
            utility_id: None,
            dist: None,
            api_prefix: "/api".to_owned(),
            app_path: "/".to_owned(),
            example_dist: None,
            allowed_origins: Vec::new(),
            secure_cookies: false,
            cross_site_cookies: false,
            token_key: Some(hex::encode(rand::random::<[u8; 32]>())),
            identity_header: None,
            rate_limit_per_minute: 10_000,
            cache_ttl: 60,
            upstream_attempts: 4,
            upstream_connect_timeout: 5,
            upstream_timeout: 30,
        }
    }
}
