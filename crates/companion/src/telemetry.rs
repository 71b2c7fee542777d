//! Logging: the subscriber every companion process installs, and the span
//! each request's lines carry.

use std::io::IsTerminal;

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Lines for a person at a terminal.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

impl Format {
    /// `PELM_LOG_FORMAT=json` asks for JSON; anything else is text.
    pub fn from_env() -> Self {
        match std::env::var("PELM_LOG_FORMAT") {
            Ok(format) if format.eq_ignore_ascii_case("json") => Format::Json,
            _ => Format::Text,
        }
    }
}

/// `RUST_LOG` when it is set, else `default`.
pub fn filter_from_env(default: &str) -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| default.into())
}

/// Installs the process's subscriber, writing to `writer`. Only the first
/// call in a process installs one; later calls change nothing.
pub fn init<W>(filter: EnvFilter, format: Format, writer: W)
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let colour = format == Format::Text && std::io::stdout().is_terminal();
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(colour).with_writer(writer);
    let _ = match format {
        Format::Json => builder.json().try_init(),
        Format::Text => builder.try_init(),
    };
}

/// Every log line of a request carries its id, the one the client sees in
/// `x-request-id` and in error bodies. The query string is left out.
pub fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
    tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
}
