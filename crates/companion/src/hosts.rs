//! Which `Host` names the companion answers to, and which origins are its own.
//!
//! A DNS-rebinding page points its own name at the companion's address, so
//! the browser treats it as same-origin and sends the companion
//! `Host: attacker.example`. Answering only configured hosts turns that page
//! away, and taking the companion's own origin from configuration rather than
//! from `Host` keeps it from passing the same-origin check.

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct HostPolicy {
    /// Lower-case host names, each with a port when the setting named one.
    allowed: Vec<(String, Option<u16>)>,
    own_origins: Vec<String>,
}

const LOOPBACK: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

/// `host[:port]`, with IPv6 literals in brackets, split and lower-cased.
fn split_host(text: &str) -> Option<(String, Option<u16>)> {
    let text = text.trim().to_ascii_lowercase();
    if text.is_empty() {
        return None;
    }
    let (host, port) = match text.rfind(':') {
        Some(at) if !text[at..].contains(']') => (&text[..at], Some(text[at + 1..].parse::<u16>().ok()?)),
        _ => (text.as_str(), None),
    };
    let valid = host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'[' | b']' | b':'));
    (valid && !host.is_empty()).then(|| (host.to_owned(), port))
}

impl HostPolicy {
    /// From the settings. `port` is the one the companion listens on;
    /// `sandbox` allows the loopback names when nothing else is configured.
    pub fn new(
        allowed_hosts: &[String],
        public_origin: Option<&str>,
        sandbox: bool,
        listen: std::net::SocketAddr,
    ) -> Result<Self, String> {
        let public = match public_origin {
            Some(origin) => {
                let origin = origin.trim().trim_end_matches('/');
                let host = origin
                    .strip_prefix("https://")
                    .or_else(|| origin.strip_prefix("http://"))
                    .filter(|rest| !rest.is_empty() && !rest.contains('/'))
                    .ok_or_else(|| format!("PELM_PUBLIC_ORIGIN must look like https://host[:port], not {origin:?}"))?;
                Some((origin.to_owned(), split_host(host).ok_or_else(|| format!("bad host in {origin:?}"))?))
            }
            None => None,
        };
        let mut allowed = Vec::new();
        for entry in allowed_hosts.iter().filter(|e| !e.trim().is_empty()) {
            allowed.push(split_host(entry).ok_or_else(|| format!("PELM_ALLOWED_HOSTS: {entry:?} is not a host name"))?);
        }
        if allowed.is_empty() {
            if let Some((_, host)) = &public {
                allowed.push(host.clone());
            } else if sandbox {
                allowed.extend(LOOPBACK.iter().map(|h| (h.to_string(), None)));
                if !listen.ip().is_unspecified() && !listen.ip().is_loopback() {
                    allowed.push((listen.ip().to_string(), None));
                }
            } else {
                return Err("PELM_ALLOWED_HOSTS or PELM_PUBLIC_ORIGIN is required: the host names this companion \
                            answers to (sandbox mode defaults to the loopback names)"
                    .to_owned());
            }
        }
        let own_origins = match &public {
            Some((origin, _)) => vec![origin.clone()],
            None => allowed
                .iter()
                .flat_map(|(host, port)| {
                    let port = port.unwrap_or(listen.port());
                    ["http", "https"].map(|scheme| format!("{scheme}://{host}:{port}")).into_iter().chain(
                        // The scheme's default port is left out of an origin.
                        [
                            (port == 80).then(|| format!("http://{host}")),
                            (port == 443).then(|| format!("https://{host}")),
                        ]
                        .into_iter()
                        .flatten(),
                    )
                })
                .collect(),
        };
        Ok(Self { allowed, own_origins })
    }

    pub fn allows(&self, host: &str) -> bool {
        let Some((name, port)) = split_host(host) else { return false };
        self.allowed
            .iter()
            .any(|(allowed, allowed_port)| *allowed == name && (allowed_port.is_none() || *allowed_port == port))
    }

    pub fn is_own_origin(&self, origin: &str) -> bool {
        self.own_origins.iter().any(|own| own.eq_ignore_ascii_case(origin))
    }
}

/// What the host check needs: the policy, and where the API starts (its
/// refusals are JSON there).
#[derive(Clone)]
pub struct HostCheck {
    pub policy: Arc<HostPolicy>,
    pub api_prefix: Arc<str>,
}

/// Answers 421 to a request for a host the companion does not serve.
/// `/healthz` and `/readyz` are left open for load balancers, which often ask by address.
pub async fn require_allowed_host(State(check): State<HostCheck>, request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or(request.uri().authority().map(|a| a.as_str()));
    if matches!(request.uri().path(), "/healthz" | "/readyz") || host.is_some_and(|h| check.policy.allows(h)) {
        return next.run(request).await;
    }
    tracing::warn!(host = host.unwrap_or("-"), "refused a request for a host this companion does not serve");
    if request.uri().path().starts_with(&*check.api_prefix) {
        return ApiError::MisdirectedHost.into_response();
    }
    (StatusCode::MISDIRECTED_REQUEST, "This server does not answer for that host name.\n").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listen() -> std::net::SocketAddr {
        "127.0.0.1:8080".parse().unwrap()
    }

    #[test]
    fn sandbox_mode_answers_the_loopback_names_only() {
        let policy = HostPolicy::new(&[], None, true, listen()).unwrap();
        for host in ["127.0.0.1:8080", "localhost:8080", "LOCALHOST", "[::1]:8080"] {
            assert!(policy.allows(host), "{host}");
        }
        for host in ["attacker.example:8080", "127.0.0.1.nip.io", "", "localhost:notaport"] {
            assert!(!policy.allows(host), "{host}");
        }
        assert!(policy.is_own_origin("http://127.0.0.1:8080"));
        assert!(!policy.is_own_origin("http://attacker.example:8080"));
    }

    #[test]
    fn a_public_origin_names_the_host_and_the_own_origin() {
        let policy = HostPolicy::new(&[], Some("https://energy.example.com"), false, listen()).unwrap();
        assert!(policy.allows("energy.example.com"));
        assert!(!policy.allows("127.0.0.1:8080"));
        assert!(policy.is_own_origin("https://energy.example.com"));
        assert!(!policy.is_own_origin("http://energy.example.com"));
    }

    #[test]
    fn outside_sandbox_mode_the_hosts_must_be_configured() {
        assert!(HostPolicy::new(&[], None, false, listen()).is_err());
        assert!(HostPolicy::new(&["bad host/".to_owned()], None, false, listen()).is_err());
        assert!(HostPolicy::new(&[], Some("energy.example.com"), false, listen()).is_err());
        let policy = HostPolicy::new(&["api.example.com:8443".to_owned()], None, false, listen()).unwrap();
        assert!(policy.allows("api.example.com:8443"));
        assert!(!policy.allows("api.example.com:9999"));
    }
}
