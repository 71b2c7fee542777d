use clap::Parser;
use pelm_companion::telemetry::{self, Format};
use pelm_companion::{Application, Config, StartError};

#[tokio::main]
async fn main() {
    telemetry::init(telemetry::filter_from_env("info"), Format::from_env(), std::io::stdout);
    if let Err(err) = serve(Config::parse()).await {
        eprintln!("pelm-companion: {err}");
        std::process::exit(1);
    }
}

async fn serve(config: Config) -> Result<(), StartError> {
    let mode = if config.sandbox { "sandbox mode: Pelm is simulated at /sandbox" } else { "live Pelm API" };
    let application = Application::build(config).await?.stop_on_signals();
    let addr = application.addr();
    tracing::info!(%addr, mode, "companion listening");
    println!("Pelm companion ready at http://{addr}/  ({mode})");
    application.run_until_stopped().await?;
    Ok(())
}
