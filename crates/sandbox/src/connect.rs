//! Connect: the stand-in scripts at both of Pelm's paths, and the JSON API
//! their modal talks to.
//!
//! Both scripts share one modal; they differ in the surface they put on
//! `window.PelmConnect`, exactly as Pelm's two script generations do, and in
//! where the modal is drawn:
//! - `/connect/pelm-connect.js` (legacy): `create(config)` resolves to a handle
//!   with `open()`, `exit()` and `validateToken(token)`; the modal is drawn
//!   in the page;
//! - `/initialize.js` (current): `initialize({...config, onReady})`, then
//!   `open(config?)` and `exit()`; the modal is drawn in a frame,
//!   `/connect/frame.html`, from the script's own origin, as real widgets
//!   are, and speaks to the page only by `postMessage`, each side naming
//!   the other's origin and checking it.

use axum::extract::State;
use axum::http::{header, Method};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tower_http::cors::{Any, CorsLayer};

use crate::error::PelmError;
use crate::scenarios::{self, Outcome, MAX_LOGIN_ATTEMPTS};
use crate::state::Sandbox;
use crate::store::ConnectSession;

const SCRIPT: &str = include_str!("../assets/connect.js");

pub fn routes() -> Router<Sandbox> {
    // The modal runs in the embedding page, on whatever origin that is.
    let cors = CorsLayer::new().allow_origin(Any).allow_methods([Method::POST]).allow_headers([header::CONTENT_TYPE]);
    let modal_api = Router::new()
        .route("/session", post(session))
        .route("/login", post(login))
        .route("/mfa", post(mfa))
        .route("/validate", post(validate))
        .layer(cors);
    Router::new()
        .route("/connect/pelm-connect.js", get(|| async { script("legacy") }))
        .route("/initialize.js", get(|| async { script("current") }))
        .route("/connect/frame.js", get(|| async { script("frame") }))
        .route("/connect/frame.html", get(frame_page))
        .nest("/connect/api", modal_api)
}

fn script(generation: &str) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")],
        SCRIPT.replace("__PELM_CONNECT_GENERATION__", generation),
    )
}

/// The frame the current script opens. Any site may frame it; inside, only
/// its own script and the modal's API.
async fn frame_page() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; base-uri 'none'; \
                 form-action 'none'; frame-ancestors *",
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        FRAME_PAGE,
    )
}

const FRAME_PAGE: &str = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Pelm Connect (sandbox)</title></head>\
<body><script src=\"frame.js\"></script></body></html>";

#[derive(Deserialize)]
struct TokenOnly {
    connect_token: String,
}

#[derive(Serialize)]
struct UtilityView {
    id: &'static str,
    full_name: &'static str,
}

#[derive(Serialize)]
struct TestLogin {
    username: &'static str,
    password: &'static str,
    purpose: &'static str,
}

#[derive(Serialize)]
struct SessionView {
    /// "create" shows the terms first; "update" (a user Pelm already knows) starts at utility selection.
    mode: &'static str,
    utilities: Vec<UtilityView>,
    preselected_utility_id: Option<String>,
    test_logins: Vec<TestLogin>,
}

#[derive(Serialize)]
struct Connected {
    authorization_code: String,
}

fn live_session(sandbox: &Sandbox, token: &str) -> Result<ConnectSession, PelmError> {
    sandbox.store().connect_session(token).ok_or_else(|| PelmError::token_invalid("connect token"))
}

async fn session(State(sandbox): State<Sandbox>, Json(req): Json<TokenOnly>) -> Result<Json<SessionView>, PelmError> {
    let session = live_session(&sandbox, &req.connect_token)?;
    let mode = if sandbox.store().is_connected(&session.user_id) { "update" } else { "create" };
    Ok(Json(SessionView {
        mode,
        utilities: scenarios::UTILITIES.iter().map(|u| UtilityView { id: u.id, full_name: u.full_name }).collect(),
        preselected_utility_id: session.utility_id,
        test_logins: scenarios::SCENARIOS
            .iter()
            .map(|s| TestLogin { username: s.username, password: s.password, purpose: s.purpose })
            .collect(),
    }))
}

#[derive(Deserialize)]
struct LoginRequest {
    connect_token: String,
    utility_id: String,
    username: String,
    password: String,
}

/// Counts a failed attempt and answers `failure`, or the lock-out once the
/// session has used up its attempts.
fn fail_attempt(sandbox: &Sandbox, token: &str, failure: PelmError) -> PelmError {
    let mut locked = false;
    sandbox.store().update_connect_session(token, |s| {
        s.failed_logins += 1;
        locked = s.failed_logins >= MAX_LOGIN_ATTEMPTS;
    });
    if locked {
        PelmError::max_attempted_logins()
    } else {
        failure
    }
}

async fn login(State(sandbox): State<Sandbox>, Json(req): Json<LoginRequest>) -> Result<Json<Connected>, PelmError> {
    let session = live_session(&sandbox, &req.connect_token)?;
    if session.failed_logins >= MAX_LOGIN_ATTEMPTS {
        return Err(PelmError::max_attempted_logins());
    }
    let utility = scenarios::utility(&req.utility_id)
        .ok_or_else(|| PelmError::parameter_invalid("utility_id", "unknown utility"))?;
    if !utility.supported {
        return Err(PelmError::utility_unavailable(utility.full_name));
    }
    let Some(scenario) = scenarios::scenario(&req.username).filter(|s| s.password == req.password) else {
        return Err(fail_attempt(&sandbox, &req.connect_token, PelmError::login_rejected()));
    };
    match scenario.outcome {
        Outcome::Connects => {
            let authorization_code = sandbox.store().connect(&session.user_id, utility.id, scenario);
            Ok(Json(Connected { authorization_code }))
        }
        Outcome::Mfa { .. } => {
            let utility_id = utility.id.to_owned();
            sandbox
                .store()
                .update_connect_session(&req.connect_token, |s| s.pending_mfa = Some((scenario, utility_id)));
            Err(PelmError::mfa_required())
        }
    }
}

#[derive(Deserialize)]
struct MfaRequest {
    connect_token: String,
    code: String,
}

async fn mfa(State(sandbox): State<Sandbox>, Json(req): Json<MfaRequest>) -> Result<Json<Connected>, PelmError> {
    let session = live_session(&sandbox, &req.connect_token)?;
    if session.failed_logins >= MAX_LOGIN_ATTEMPTS {
        return Err(PelmError::max_attempted_logins());
    }
    let Some((scenario, utility_id)) = session.pending_mfa else {
        return Err(PelmError::parameter_invalid("code", "no login is waiting for MFA"));
    };
    let Outcome::Mfa { code } = scenario.outcome else {
        return Err(PelmError::parameter_invalid("code", "this login does not use MFA"));
    };
    if req.code.trim() != code {
        return Err(fail_attempt(&sandbox, &req.connect_token, PelmError::mfa_failed()));
    }
    sandbox.store().update_connect_session(&req.connect_token, |s| s.pending_mfa = None);
    let authorization_code = sandbox.store().connect(&session.user_id, &utility_id, scenario);
    Ok(Json(Connected { authorization_code }))
}

#[derive(Serialize)]
struct Validity {
    valid: bool,
}

async fn validate(State(sandbox): State<Sandbox>, Json(req): Json<TokenOnly>) -> Json<Validity> {
    Json(Validity { valid: sandbox.store().connect_session(&req.connect_token).is_some() })
}
