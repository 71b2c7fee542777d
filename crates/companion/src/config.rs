use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

/// Which of the sandbox's Connect scripts the app loads in sandbox mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SandboxScript {
    /// The seed's script: its modal is drawn in the page.
    Legacy,
    /// The current script: its modal is drawn in a frame from another origin.
    Current,
}

/// A value that must never reach a log line, an error message or `Debug`
/// output: the Pelm secret, the token key, the proxy's shared secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself, for the one place that sends or uses it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Ok(Self(value.to_owned()))
    }
}

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

    /// In sandbox mode, which Connect script the app loads: `legacy`
    /// (`/sandbox/connect/pelm-connect.js`, its modal in the page) or `current`
    /// (`initialize.js`, its modal in a frame from another origin: the sandbox
    /// is then also served on a second listener, as a real widget's origin).
    #[arg(long, env = "PELM_SANDBOX_CONNECT_SCRIPT", value_enum, default_value_t = SandboxScript::Legacy)]
    pub sandbox_connect_script: SandboxScript,

    /// Where the second listener for `--sandbox-connect-script current` listens.
    #[arg(long, env = "PELM_SANDBOX_CONNECT_LISTEN", default_value = "127.0.0.1:0")]
    pub sandbox_connect_listen: SocketAddr,

    #[command(flatten)]
    pub sandbox_faults: pelm_sandbox::FaultArgs,

    /// Base URL of Pelm's API (ignored with --sandbox).
    #[arg(long, env = "PELM_API_URL", default_value = PELM_API_URL)]
    pub pelm_api_url: String,

    /// Pelm-Client-Id, from Pelm's registration email (required without --sandbox).
    #[arg(long, env = "PELM_CLIENT_ID", hide_env_values = true)]
    pub pelm_client_id: Option<String>,

    /// Pelm-Secret, from Pelm's registration email (required without --sandbox).
    /// Prefer the environment variable: flags show up in process listings.
    #[arg(long, env = "PELM_SECRET", hide_env_values = true)]
    pub pelm_secret: Option<Secret>,

    /// Connect script the app should load. Defaults to Pelm's official script, or
    /// to the sandbox's with --sandbox.
    #[arg(long, env = "PELM_CONNECT_SCRIPT_URL")]
    pub connect_script_url: Option<String>,

    /// Sources to add to the Content-Security-Policy served with the app, as
    /// `frame-src https://connect.example.com; img-src https://cdn.example.com`:
    /// each directive's sources are merged into it, or start it.
    #[arg(long, env = "PELM_CSP_EXTRA")]
    pub csp_extra: Option<String>,

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
    pub token_key: Option<Secret>,

    /// Know the user by this request header, set by the site's authenticating proxy,
    /// instead of by the companion's session cookie. Needs
    /// --identity-header-secret or --trusted-proxies, so that only the proxy can set it.
    #[arg(long, env = "PELM_IDENTITY_HEADER")]
    pub identity_header: Option<String>,

    /// With --identity-header: a secret the proxy sends as `Pelm-Proxy-Secret`
    /// on every request. Requests without it are refused.
    #[arg(long, env = "PELM_IDENTITY_HEADER_SECRET", hide_env_values = true)]
    pub identity_header_secret: Option<Secret>,

    /// Addresses (IPs or CIDR blocks, comma-separated) of the proxies in front
    /// of the companion. Only requests from them may name the client's address
    /// in X-Forwarded-For, and, with --identity-header, the user. Empty: the
    /// peer's own address is the client's.
    #[arg(long, env = "PELM_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<String>,

    /// The origin (scheme://host[:port]) users reach the companion at, such as
    /// https://energy.example.com. Its own pages' requests are recognised by it,
    /// and its host is allowed when --allowed-hosts is empty.
    #[arg(long, env = "PELM_PUBLIC_ORIGIN")]
    pub public_origin: Option<String>,

    /// Host names (optionally with :port) requests may name in `Host`;
    /// others get 421. Comma-separated. Defaults to the public origin's host,
    /// or in sandbox mode to the loopback names. Required otherwise.
    #[arg(long, env = "PELM_ALLOWED_HOSTS", value_delimiter = ',')]
    pub allowed_hosts: Vec<String>,

    /// Where to serve Prometheus metrics (`GET /metrics`), such as
    /// 127.0.0.1:9464: a listener of their own, never the public port. Off
    /// when unset.
    #[arg(long, env = "PELM_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    /// API requests one user may make per minute; more get 429 with Retry-After.
    #[arg(long, env = "PELM_RATE_LIMIT", default_value_t = 300)]
    pub rate_limit_per_minute: u32,

    /// State-changing API requests, and new sessions, one client address may
    /// make per minute; more get 429 with Retry-After.
    #[arg(long, env = "PELM_ADDRESS_RATE_LIMIT", default_value_t = 60)]
    pub address_rate_limit_per_minute: u32,

    /// Calls to Pelm the whole companion may make per minute, retries
    /// included; past it the app gets 429 with Retry-After. Calls for visitors
    /// who have not connected yet may use at most half of it.
    #[arg(long, env = "PELM_CALLS_PER_MINUTE", default_value_t = 1200)]
    pub pelm_calls_per_minute: u32,

    /// Data requests one user may have waiting on Pelm at once; more wait their turn.
    #[arg(long, env = "PELM_USER_CONCURRENCY", default_value_t = 4)]
    pub user_concurrency: u32,

    /// Largest answer read from Pelm, in bytes; a larger one is refused with a clear error.
    #[arg(long, env = "PELM_UPSTREAM_MAX_BYTES", default_value_t = 32 * 1024 * 1024)]
    pub upstream_max_bytes: usize,

    /// Seconds Pelm's data answers are kept per user and query (0 turns the cache off).
    #[arg(long, env = "PELM_CACHE_TTL", default_value_t = 60)]
    pub cache_ttl: u64,

    /// Bytes of Pelm's answers the cache may hold in all.
    #[arg(long, env = "PELM_CACHE_MAX_BYTES", default_value_t = 64 * 1024 * 1024)]
    pub cache_max_bytes: usize,

    /// Seconds after which a look at the connection asks Pelm again, in the
    /// background, about each connection's login, utility name and accounts.
    /// Looks in between are answered from the store alone.
    #[arg(long, env = "PELM_REFRESH_AFTER", default_value_t = 600)]
    pub refresh_after_secs: u64,

    /// Seconds a session may go unused before it ends (default 90 days).
    #[arg(long, env = "PELM_SESSION_IDLE_SECS", default_value_t = 90 * 24 * 3600)]
    pub session_idle_secs: u64,

    /// Seconds a session lasts at most, used or not (default 400 days, the
    /// longest a browser keeps a cookie).
    #[arg(long, env = "PELM_SESSION_LIFETIME_SECS", default_value_t = 400 * 24 * 3600)]
    pub session_lifetime_secs: u64,

    /// Seconds a client has to send a request's headers, and the longest a
    /// kept-alive connection may sit idle.
    #[arg(long, env = "PELM_HEADER_TIMEOUT", default_value_t = 10)]
    pub header_read_timeout_secs: u64,

    /// Seconds a client has to send a request's body.
    #[arg(long, env = "PELM_BODY_TIMEOUT", default_value_t = 10)]
    pub body_timeout_secs: u64,

    /// Seconds an API request may take in all before it is answered 503.
    #[arg(long, env = "PELM_REQUEST_TIMEOUT", default_value_t = 60)]
    pub request_timeout_secs: u64,

    /// Connections served at once; more wait in the listen queue.
    #[arg(long, env = "PELM_MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,

    /// Seconds a shutdown waits for requests in flight before it closes them.
    #[arg(long, env = "PELM_SHUTDOWN_GRACE", default_value_t = 10)]
    pub shutdown_grace_secs: u64,

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

    /// Sandbox mode on 127.0.0.1:0, nothing served but the API, with limits
    /// no test meets by accident. Every other setting is its flag's default,
    /// read from the flags themselves (each default is written once, in its
    /// `#[arg]`), with the environment ignored so no variable can change a test.
    pub fn for_tests(database_url: String) -> Self {
        use clap::{CommandFactory, FromArgMatches};
        let command = Config::command().mut_args(|arg| arg.env(None));
        let matches = command.try_get_matches_from(["pelm-companion"]).expect("every flag has a default");
        let mut config = Config::from_arg_matches(&matches).expect("the defaults make a configuration");
        config.listen = "127.0.0.1:0".parse().expect("literal address");
        config.database_url = database_url;
        config.sandbox = true;
        config.token_key = Some(Secret::new(hex::encode(rand::random::<[u8; 32]>())));
        config.rate_limit_per_minute = 10_000;
        config.address_rate_limit_per_minute = 10_000;
        config.pelm_calls_per_minute = 100_000;
        config
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Config;

    const DOCS: &str = include_str!("../../../docs/configuration.md");

    /// docs/configuration.md cannot drift from the companion: every flag is
    /// in its table with its variable, on a row that gives its default (a
    /// switch's is "off").
    #[test]
    fn every_flag_is_documented_with_its_variable_and_default() {
        let mut wrong = Vec::new();
        for arg in Config::command().get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            if long == "help" || long == "version" {
                continue;
            }
            let flag = format!("`--{long}`");
            let Some(row) = DOCS.lines().find(|l| l.starts_with('|') && l.contains(&flag)) else {
                wrong.push(format!("--{long} is not in the table"));
                continue;
            };
            if let Some(env) = arg.get_env() {
                let env = format!("`{}`", env.to_string_lossy());
                if !row.contains(&env) {
                    wrong.push(format!("--{long}: its variable {env} is not on its row"));
                }
            }
            let default = match arg.get_action() {
                clap::ArgAction::SetTrue => Some("off".to_owned()),
                _ => arg.get_default_values().first().map(|d| format!("`{}`", d.to_string_lossy())),
            };
            // The default column is the third.
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            if let Some(default) = default {
                if !cells.get(3).is_some_and(|cell| cell.contains(&default)) {
                    wrong.push(format!("--{long}: the default {default} is not in its row's default column"));
                }
            }
        }
        assert!(wrong.is_empty(), "docs/configuration.md has drifted:\n{}", wrong.join("\n"));
    }
}
