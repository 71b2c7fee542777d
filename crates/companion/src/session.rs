//! Who the end user is, and whether a state-changing request may come from
//! where it came from.

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

/// Gives every API request a [`Session`], minting the cookie on first sight.
pub async fn with_session(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let existing = session_cookie(request.headers());
    let fresh = existing.is_none();
    let value = existing.unwrap_or_else(|| hex::encode(rand::random::<[u8; 32]>()));
    let secure = state.config().secure_cookies || served_over_https(request.headers());
    request.extensions_mut().insert(Session { identity: format!("session:{}", sha256_hex(&value)) });
    let mut response = next.run(request).await;
    if fresh {
        let cookie = format!(
            "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={SESSION_MAX_AGE_SECS}{}",
            if secure { "; Secure" } else { "" }
        );
        if let Ok(cookie) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
    }
    response
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
