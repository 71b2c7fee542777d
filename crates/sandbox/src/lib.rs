//! A local simulator of Pelm's REST API and of its Connect widget.
//!
//! It stands in for `https://api.pelm.com` in the demo and in every test. It
//! runs standalone (`pelm-sandbox --help`), nested inside the companion in
//! sandbox mode, or in-process on `127.0.0.1:0` through [`spawn`].
//!
//! Test logins for Connect are listed in [`scenarios::SCENARIOS`] and in
//! docs/sandbox.md.

mod api;
pub mod bills;
/// Calendar dates and US time zones, shared with the app's aggregation.
pub use pelm_usage::civil;
mod connect;
pub mod data;
mod error;
pub mod faults;
mod inject;
pub mod scenarios;
pub mod state;
mod store;
pub mod tariffs;
#[cfg(feature = "test-support")]
pub mod test_support;

use std::net::SocketAddr;

use axum::Router;
use tokio::net::TcpListener;

pub use error::PelmError;
pub use faults::{Fault, FaultArgs, Faults};
pub use state::{Config, Sandbox, MAX_SCRIPTED};
pub use store::Clock;

/// The sandbox's routes: Pelm's REST API and the Connect scripts, rooted at `/`.
pub fn app(sandbox: Sandbox) -> Router {
    let rest = api::routes()
        .route_layer(axum::middleware::from_fn_with_state(sandbox.clone(), inject::inject))
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(axum::middleware::from_fn_with_state(sandbox.clone(), count_compressed));
    rest.merge(connect::routes()).merge(tariffs::routes()).with_state(sandbox)
}

async fn count_compressed(
    axum::extract::State(sandbox): axum::extract::State<Sandbox>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let response = next.run(request).await;
    if response.headers().contains_key(axum::http::header::CONTENT_ENCODING) {
        sandbox.inner.compressed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    response
}

/// Serves the sandbox on `listener` until the process ends.
pub async fn run(listener: TcpListener, sandbox: Sandbox) -> std::io::Result<()> {
    axum::serve(listener, app(sandbox)).await
}

/// A sandbox running on its own task, for tests.
pub struct Spawned {
    pub addr: SocketAddr,
    pub sandbox: Sandbox,
}

impl Spawned {
    /// Base URL of Pelm's API on this sandbox, without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Starts a sandbox on `127.0.0.1:0` on the current tokio runtime.
pub async fn spawn(sandbox: Sandbox) -> std::io::Result<Spawned> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let served = sandbox.clone();
    tokio::spawn(async move {
        if let Err(err) = run(listener, served).await {
            tracing::error!(%err, "sandbox stopped");
        }
    });
    Ok(Spawned { addr, sandbox })
}
