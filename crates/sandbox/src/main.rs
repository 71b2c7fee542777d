use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use pelm_sandbox::{Config, FaultArgs, Sandbox};

/// A local simulator of Pelm's API and of Connect, for development and tests.
///
/// REST calls must carry the configured Pelm-Client-Id and Pelm-Secret. Connect's
/// scripts are at /connect/pelm-connect.js (legacy API) and /initialize.js (current API).
/// The fault options apply to the REST API only, never to Connect's scripts.
#[derive(Parser, Debug)]
#[command(name = "pelm-sandbox", version)]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "PELM_SANDBOX_LISTEN", default_value = "127.0.0.1:8090")]
    listen: SocketAddr,
    /// Client id that REST calls must send as Pelm-Client-Id.
    #[arg(long, env = "PELM_CLIENT_ID", default_value = "sandbox-client")]
    client_id: String,
    /// Secret that REST calls must send as Pelm-Secret.
    #[arg(long, env = "PELM_SECRET", default_value = "sandbox-secret", hide_env_values = true)]
    secret: String,
    /// Seconds that data calls answer data_unavailable after a user connects.
    #[arg(long, env = "PELM_SANDBOX_DATA_DELAY", default_value_t = 0)]
    data_delay: u64,
    /// Answer /bills in the seed's older shape (a map from bill id to RFC 1123 dates).
    #[arg(long, env = "PELM_SANDBOX_LEGACY_BILLS")]
    legacy_bills: bool,
    /// Require the user's own `Authorization: Bearer` token on /users/{id},
    /// as a stricter reading of Pelm's docs would.
    #[arg(long, env = "PELM_SANDBOX_USERS_NEED_BEARER")]
    users_need_bearer: bool,
    /// Answer intervals loosely: some rows twice, some out of order, and an
    /// hour's row beside the quarter hours it holds.
    #[arg(long, env = "PELM_SANDBOX_MESSY_INTERVALS")]
    messy_intervals: bool,
    #[command(flatten)]
    faults: FaultArgs,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let args = Args::parse();
    let config = Config {
        client_id: args.client_id,
        secret: args.secret,
        data_delay: Duration::from_secs(args.data_delay),
        legacy_bills: args.legacy_bills,
        users_need_bearer: args.users_need_bearer,
        data_unavailable_as_500: false,
        messy_intervals: args.messy_intervals,
        faults: args.faults.faults(),
    };
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    tracing::info!(addr = %listener.local_addr()?, "Pelm sandbox listening");
    pelm_sandbox::run(listener, Sandbox::new(config)).await
}
