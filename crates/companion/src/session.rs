//! Who the end user is, and whether a request may come from where it came from.
//!
//! A visitor gets a session with their first request. Until they connect,
//! that session is *anonymous*: a cookie the companion signed, which costs no
//! row anywhere, so a script that sends no cookie, or a made-up one, fills
//! nothing. Connecting turns it into
//! a *stored* session, a row in `sessions` under a new id; disconnecting
//! issues another new id. Only ids the companion signed or still holds are
//! accepted; anything else is a stranger, who gets a new anonymous session.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::limits::Refusal;
use crate::state::AppState;
use crate::store::{now, sha256_hex};

/// The cookie's name over plain http, where the `__Host-` prefix cannot be had.
pub const COOKIE: &str = "pelm_session";
/// Its name whenever it is `Secure`: browsers take a `__Host-` cookie only
/// from a secure origin, for `Path=/` and without `Domain`, so a sibling
/// subdomain or a plain-http page cannot plant one.
pub const SECURE_COOKIE: &str = "__Host-pelm_session";
/// The header a trusted proxy proves itself with, in identity-header mode.
pub const PROXY_SECRET_HEADER: &str = "pelm-proxy-secret";
const ANONYMOUS_PREFIX: &str = "a1.";

/// The end user, as far as the companion knows them.
#[derive(Clone, Debug)]
pub struct Session {
    /// Stored, and the key of the user's row: a hash, so the database never
    /// holds a usable cookie or the site's own user name.
    pub identity: String,
    pub kind: SessionKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionKind {
    /// A signed session that holds nothing yet.
    Anonymous,
    /// A session row, made when the user connected; `id_hash` is its key.
    Stored { id_hash: String },
    /// Named by the site's authenticating proxy.
    Header,
}

impl Session {
    /// Whether anything can be stored for this user; anonymous sessions hold nothing.
    pub fn may_hold_a_connection(&self) -> bool {
        matches!(self.kind, SessionKind::Stored { .. } | SessionKind::Header)
    }
}

/// The session extractor for handlers; the middleware below puts it there.
impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts.extensions.get::<Session>().cloned().ok_or_else(|| ApiError::Internal("no session layer".to_owned()))
    }
}

/// A handler that changed who the session is (connect, disconnect) leaves
/// the new cookie value here; the middleware writes the `Set-Cookie`.
#[derive(Clone, Debug)]
pub struct NewSession(pub String);

/// Whether this request's cookie is `Secure`, which decides its name.
/// `X-Forwarded-Proto` is believed from a trusted proxy only, as
/// `X-Forwarded-For` is: anyone else could name a cookie at will.
fn secure_cookie(state: &AppState, headers: &HeaderMap, peer: IpAddr) -> bool {
    let config = state.config();
    let forwarded_https = state.inner.trusted_proxies.trusts(peer)
        && headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    config.cross_site_cookies
        || config.secure_cookies
        || config.public_origin.as_deref().is_some_and(|o| o.starts_with("https://"))
        || forwarded_https
}

/// Every value the request carries for the cookie named `name`: a planted
/// cookie (another path, a parent domain) arrives beside the real one.
fn cookie_values<'a>(headers: &'a HeaderMap, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(move |(n, _)| *n == name)
        .map(|(_, value)| value)
}

fn set_cookie(state: &AppState, secure: bool, value: &str) -> Option<HeaderValue> {
    let config = state.config();
    let name = if secure { SECURE_COOKIE } else { COOKIE };
    let same_site = if config.cross_site_cookies { "None" } else { "Lax" };
    let max_age = config.session_lifetime_secs;
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{name}={value}; Path=/; HttpOnly; SameSite={same_site}; Max-Age={max_age}{secure}"))
        .ok()
}

/// Signs a new anonymous session: `a1.<issued>.<nonce>.<mac>`.
fn mint_anonymous(state: &AppState) -> (String, Session) {
    let issued = now().to_string();
    let nonce = hex::encode(rand::random::<[u8; 16]>());
    let mac = state.inner.store.cipher().sign(&["anonymous session", &issued, &nonce]);
    let value = format!("{ANONYMOUS_PREFIX}{issued}.{nonce}.{}", hex::encode(&mac[..16]));
    (value, Session { identity: anonymous_identity(&nonce), kind: SessionKind::Anonymous })
}

fn anonymous_identity(nonce: &str) -> String {
    format!("session:{}", sha256_hex(nonce))
}

/// The anonymous session `value` names, if this companion signed it and it has not expired.
fn open_anonymous(state: &AppState, value: &str) -> Option<Session> {
    let mut parts = value.strip_prefix(ANONYMOUS_PREFIX)?.split('.');
    let (issued, nonce, mac) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || nonce.len() != 32 || mac.len() != 32 {
        return None;
    }
    let given = hex::decode(mac).ok()?;
    let expected = state.inner.store.cipher().sign(&["anonymous session", issued, nonce]);
    if !bool::from(subtle::ConstantTimeEq::ct_eq(&expected[..16], &given[..])) {
        return None;
    }
    let age = now() - issued.parse::<i64>().ok()?;
    if age < -60 || age > state.config().session_lifetime_secs as i64 {
        return None;
    }
    Some(Session { identity: anonymous_identity(nonce), kind: SessionKind::Anonymous })
}

/// The session the request's cookies name, stored ones first: a planted
/// anonymous cookie beside a user's real one must not displace it.
async fn session_from_cookies(
    state: &AppState,
    headers: &HeaderMap,
    secure: bool,
) -> Result<Option<Session>, ApiError> {
    let name = if secure { SECURE_COOKIE } else { COOKIE };
    let mut anonymous = None;
    for value in cookie_values(headers, name).take(4) {
        if value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()) {
            let id_hash = sha256_hex(value);
            if let Some(identity) = state.inner.store.live_session(&id_hash, &state.inner.session_rules).await? {
                return Ok(Some(Session { identity, kind: SessionKind::Stored { id_hash } }));
            }
        } else if anonymous.is_none() {
            anonymous = open_anonymous(state, value);
        }
    }
    Ok(anonymous)
}

/// Whether the request's cookie names a stored session whose user holds a
/// connection: a look, for the page's headers, that mints nothing and
/// counts against no limit. An identity-header deployment is not looked at.
pub async fn holds_a_connection(state: &AppState, headers: &HeaderMap, peer: IpAddr) -> bool {
    if state.config().identity_header.is_some() {
        return false;
    }
    let secure = secure_cookie(state, headers, peer);
    match session_from_cookies(state, headers, secure).await {
        Ok(Some(session)) if session.may_hold_a_connection() => {
            state.inner.store.connections_recently(&session.identity).await.is_ok_and(|held| !held.is_empty())
        }
        _ => false,
    }
}

/// The user a trusted proxy names. The proxy must prove itself, by the
/// shared secret or by its address, and must name exactly one user: a proxy
/// that appends rather than replaces would otherwise let the client's own
/// copy through.
fn session_from_proxy(state: &AppState, headers: &HeaderMap, name: &str, peer: IpAddr) -> Result<Session, ApiError> {
    let config = state.config();
    let proven = match &config.identity_header_secret {
        Some(secret) => {
            let mut given = headers.get_all(PROXY_SECRET_HEADER).iter();
            match (given.next(), given.next()) {
                (Some(value), None) => {
                    bool::from(subtle::ConstantTimeEq::ct_eq(value.as_bytes(), secret.expose().as_bytes()))
                }
                _ => false,
            }
        }
        None => state.inner.trusted_proxies.trusts(peer),
    };
    if !proven {
        tracing::warn!(%peer, "an identity-header request did not come through the trusted proxy");
        return Err(ApiError::Unauthenticated);
    }
    let mut values = headers.get_all(name).iter();
    let user = match (values.next(), values.next()) {
        (Some(value), None) => value.to_str().ok().map(str::trim).filter(|u| !u.is_empty() && !u.contains(',')),
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid("identity header", "The identity header was sent more than once."))
        }
        (None, _) => None,
    };
    let user = user.ok_or(ApiError::Unauthenticated)?;
    Ok(Session { identity: format!("header:{}", sha256_hex(user)), kind: SessionKind::Header })
}

/// The address the request came from, as the trusted-proxies setting allows.
pub fn client_address(state: &AppState, request: &Request) -> IpAddr {
    let peer = peer_address(request);
    let forwarded: Vec<&str> =
        request.headers().get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
    state.inner.trusted_proxies.client_address(peer, &forwarded)
}

/// The address of the connection's other end, whoever that is.
pub(crate) fn peer_address(request: &Request) -> IpAddr {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |ConnectInfo(addr)| addr.ip())
}

/// Whether a request may change something: anything but a read.
fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Gives every API request a [`Session`] and applies the limits: per client
/// address on every state-changing request and every request without a
/// live session, and per user on everything a user sends.
pub async fn with_session(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let address = client_address(&state, &request);
    let changes_state = changes_state(request.method());
    let secure = secure_cookie(&state, request.headers(), peer_address(&request));
    let found = match &state.config().identity_header {
        Some(name) => session_from_proxy(&state, request.headers(), name, peer_address(&request)).map(Some),
        None => session_from_cookies(&state, request.headers(), secure).await,
    };
    let (session, minted) = match found {
        Err(err) => return err.into_response(),
        Ok(Some(session)) => (session, None),
        // A stranger gets a session at once, though it costs nothing until
        // they connect: the app's first request is a look at the connection,
        // and a page whose copies then ask for Connect tokens together must
        // send one session with all of them, not race to set several.
        Ok(None) => {
            let (value, session) = mint_anonymous(&state);
            (session, Some(value))
        }
    };
    let limits = &state.inner.limits;
    // Fail closed where the limits guard against strangers and changes.
    let guarded = changes_state || !session.may_hold_a_connection();
    if guarded {
        match limits.per_address.check(&address.to_string()).await {
            Ok(()) => {}
            Err(Refusal::Wait(retry_after)) => {
                tracing::warn!(%address, "a client address went over its limit");
                crate::metrics::refused("address");
                return ApiError::RateLimited { retry_after }.into_response();
            }
            Err(Refusal::Unreachable) => {
                crate::metrics::refused("unreachable");
                return ApiError::LimitsUnavailable.into_response();
            }
        }
    }
    match limits.per_user.check(&session.identity).await {
        Ok(()) => {}
        Err(Refusal::Wait(retry_after)) => {
            crate::metrics::refused("user");
            return ApiError::RateLimited { retry_after }.into_response();
        }
        Err(Refusal::Unreachable) if guarded => {
            crate::metrics::refused("unreachable");
            return ApiError::LimitsUnavailable.into_response();
        }
        Err(Refusal::Unreachable) => {}
    }
    request.extensions_mut().insert(session);
    let mut response = next.run(request).await;
    let rotated = response.extensions_mut().remove::<NewSession>().map(|NewSession(value)| value);
    if let Some(cookie) = rotated.or(minted).and_then(|value| set_cookie(&state, secure, &value)) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// Refuses state-changing requests that a browser did not send from the
/// companion's own origin or an allowed one (cross-site request forgery).
pub async fn require_allowed_origin(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !changes_state(request.method()) || origin_allowed(&state, request.headers()) {
        return next.run(request).await;
    }
    ApiError::Forbidden("This request must come from the app's own page.".to_owned()).into_response()
}

pub(crate) fn origin_allowed(state: &AppState, headers: &HeaderMap) -> bool {
    let text = |name| headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
    // A DNS-rebinding page is same-origin with itself; the Host check, which
    // runs first, is what turns it away.
    if text("sec-fetch-site") == Some("same-origin") {
        return true;
    }
    let Some(origin) = text("origin") else {
        return false;
    };
    state.inner.hosts.is_own_origin(origin)
        || state.config().allowed_origins.iter().any(|allowed| allowed.trim_end_matches('/') == origin)
}
