use clap::Parser;
use pelm_companion::{AppState, Config};

#[tokio::main]
async fn main() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    // PELM_LOG_FORMAT=json: one JSON object per line, for log collectors.
    if std::env::var("PELM_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")) {
        tracing_subscriber::fmt().json().with_env_filter(filter).init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).init();
    }
    let config = Config::parse();
    if let Err(err) = serve(config).await {
        eprintln!("pelm-companion: {err}");
        std::process::exit(1);
    }
}

async fn serve(config: Config) -> Result<(), pelm_companion::StartError> {
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let sandbox = config.sandbox;
    let state = AppState::from_config(config, addr).await?;
    let mode = if sandbox { "sandbox mode: Pelm is simulated at /sandbox" } else { "live Pelm API" };
    tracing::info!(%addr, mode, "companion listening");
    println!("Pelm companion ready at http://{addr}/  ({mode})");
    pelm_companion::run(listener, state).await?;
    Ok(())
}
