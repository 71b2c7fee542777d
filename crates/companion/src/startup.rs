//! The one way to start the companion, for `main` and the tests alike:
//! [`Application::build`] binds the listener and builds the state from the
//! configuration, [`Application::run_until_stopped`] serves it.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::Config;
use crate::router::app;
use crate::server;
use crate::state::{AppState, StartError};

pub struct Application {
    listener: TcpListener,
    /// Where metrics are served, when they are.
    metrics: Option<SocketAddr>,
    state: AppState,
    stop: Arc<watch::Sender<bool>>,
}

/// Ends an [`Application`]'s serving: new connections are refused, those in
/// flight finish within the grace period. Cloned freely; stopping twice is
/// stopping once.
#[derive(Clone)]
pub struct Stopper(Arc<watch::Sender<bool>>);

impl Stopper {
    pub fn stop(&self) {
        self.0.send_replace(true);
    }
}

impl Application {
    /// Binds `config.listen` and builds the state: Pelm at the configured
    /// URL, or in sandbox mode a sandbox mounted at `/sandbox`.
    pub async fn build(config: Config) -> Result<Self, StartError> {
        let listener = TcpListener::bind(config.listen).await?;
        let metrics_listener = match config.metrics_listen {
            Some(addr) => Some(TcpListener::bind(addr).await?),
            None => None,
        };
        let state = AppState::from_config(config, listener.local_addr()?).await?;
        let metrics = match metrics_listener {
            Some(metrics_listener) => {
                let addr = metrics_listener.local_addr()?;
                crate::metrics::serve(metrics_listener, state.inner.store.clone());
                Some(addr)
            }
            None => None,
        };
        Ok(Self { listener, metrics, state, stop: Arc::new(watch::channel(false).0) })
    }

    /// Where `GET /metrics` answers, when metrics are on.
    pub fn metrics_url(&self) -> Option<String> {
        self.metrics.map(|addr| format!("http://{}/metrics", server::reachable(addr)))
    }

    /// The address bound, with its real port when the configuration said 0.
    pub fn addr(&self) -> SocketAddr {
        self.state.config().listen
    }

    /// Where to call it, on loopback when it listens on every interface.
    pub fn url(&self) -> String {
        format!("http://{}", server::reachable(self.addr()))
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn stopper(&self) -> Stopper {
        Stopper(self.stop.clone())
    }

    /// Stops on SIGTERM or Ctrl-C, as a process should; tests leave this out,
    /// since the handler would outlive them and swallow a Ctrl-C meant for
    /// the test run.
    pub fn stop_on_signals(self) -> Self {
        let stopper = self.stopper();
        tokio::spawn(async move {
            shutdown_signal().await;
            stopper.stop();
        });
        self
    }

    /// Serves until stopped, then lets requests in flight finish for the
    /// configured grace period.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let limits = server::ServeLimits::from_config(self.state.config());
        let mut stopped = self.stop.subscribe();
        let stop = async move {
            // The sender lives in `self.stop` for as long as this runs.
            let _ = stopped.wait_for(|stop| *stop).await;
        };
        server::serve(self.listener, app(self.state), limits, stop).await
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
