//! Who the end user is, and whether a state-changing request may come from
//! where it came from.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::store::sha256_hex;
use crate::AppState;

pub const SESSION_COOKIE: &str = "pelm_session";
const SESSION_MAX_AGE_SECS: u64 = 400 * 24 * 60 * 60;

/// The end user, as far as the companion knows them. `identity` is stored; it
/// is a hash, so the database never holds a usable cookie.
#[derive(Clone, Debug)]
pub struct Session {
    pub identity: String,
}

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
        // Only values this companion could have minted are accepted.
        .filter(|value| value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn served_over_https(headers: &HeaderMap) -> bool {
    headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// Gives every API request a [`Session`]: from the trusted identity header
/// when one is configured, otherwise from the session cookie, minted on first
/// sight. Then applies the per-user rate limit.
pub async fn with_session(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let (identity, new_cookie) = match &state.config().identity_header {
        Some(name) => {
            let user = request.headers().get(name.as_str()).and_then(|v| v.to_str().ok()).map(str::trim);
            match user.filter(|u| !u.is_empty()) {
                Some(user) => (format!("header:{}", sha256_hex(user)), None),
                None => return ApiError::Unauthenticated.into_response(),
            }
        }
        None => {
            let existing = session_cookie(request.headers());
            let value = existing.clone().unwrap_or_else(|| hex::encode(rand::random::<[u8; 32]>()));
            let cross_site = state.config().cross_site_cookies;
            let secure = cross_site || state.config().secure_cookies || served_over_https(request.headers());
            let cookie = existing.is_none().then(|| {
                format!(
                    "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite={}; Max-Age={SESSION_MAX_AGE_SECS}{}",
                    if cross_site { "None" } else { "Lax" },
                    if secure { "; Secure" } else { "" }
                )
            });
            (format!("session:{}", sha256_hex(&value)), cookie)
        }
    };
    let mut response = match state.inner.rate_limiter.check(&identity) {
        Err(retry_after) => ApiError::RateLimited { retry_after }.into_response(),
        Ok(()) => {
            request.extensions_mut().insert(Session { identity });
            next.run(request).await
        }
    };
    if let Some(cookie) = new_cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// A token bucket per user: a minute's allowance may be spent at once, and
/// it refills evenly over the minute.
pub struct RateLimiter {
    per_minute: f64,
    buckets: Mutex<Buckets>,
}

/// A full bucket is the same as none, so full ones are dropped whenever the
/// map has doubled since the last pruning: memory follows the users active
/// in the last minute, not every user ever seen.
#[derive(Default)]
struct Buckets {
    map: HashMap<String, (f64, Instant)>,
    prune_at: usize,
}

/// The smallest map worth pruning.
const MIN_PRUNE_AT: usize = 1024;

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self { per_minute: f64::from(per_minute.max(1)), buckets: Mutex::default() }
    }

    /// Takes one request from `identity`'s bucket, or says how long until one is allowed.
    pub fn check(&self, identity: &str) -> Result<(), Duration> {
        let per_second = self.per_minute / 60.0;
        let now = Instant::now();
        let mut guard = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let Buckets { map: buckets, prune_at } = &mut *guard;
        if buckets.len() >= (*prune_at).max(MIN_PRUNE_AT) {
            let capacity = self.per_minute;
            buckets.retain(|_, (tokens, at)| *tokens + at.elapsed().as_secs_f64() * per_second < capacity);
            *prune_at = buckets.len() * 2;
        }
        let (tokens, at) = buckets.entry(identity.to_owned()).or_insert((self.per_minute, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * per_second).min(self.per_minute);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - *tokens) / per_second))
        }
    }
}

/// Refuses state-changing requests that a browser did not send from the
/// companion's own origin or an allowed one (cross-site request forgery).
pub async fn require_allowed_origin(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || origin_allowed(&state, request.headers())
    {
        return next.run(request).await;
    }
    ApiError::Forbidden("This request must come from the app's own page.".to_owned()).into_response()
}

fn origin_allowed(state: &AppState, headers: &HeaderMap) -> bool {
    let text = |name| headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
    if text("sec-fetch-site") == Some("same-origin") {
        return true;
    }
    let Some(origin) = text("origin") else {
        return false;
    };
    let own =
        text("host").is_some_and(|host| origin == format!("http://{host}") || origin == format!("https://{host}"));
    own || state.config().allowed_origins.iter().any(|allowed| allowed.trim_end_matches('/') == origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_users_buckets_are_dropped_as_new_users_come() {
        // A minute's allowance refills in a few milliseconds here.
        let limiter = RateLimiter::new(60_000_000);
        for user in 0..MIN_PRUNE_AT {
            limiter.check(&format!("user-{user}")).unwrap();
        }
        std::thread::sleep(Duration::from_millis(20));
        limiter.check("newcomer").unwrap();
        let tracked = limiter.buckets.lock().unwrap().map.len();
        assert_eq!(tracked, 1, "full buckets were kept");
    }
}
