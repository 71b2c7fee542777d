//! Pelm's REST API: `/auth/*`, `/accounts` and `/users/{user_id}`.

use std::collections::HashMap;

use axum::extract::rejection::FormRejection;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use pelm_model::pelm::{AccessToken, Account, ConnectToken, User, Utility};

use crate::error::PelmError;
use crate::scenarios;
use crate::store::{CodeRejected, CONNECT_TOKEN_LIFETIME};
use crate::Sandbox;

pub fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/auth/connect-token", post(connect_token))
        .route("/auth/token", post(token))
        .route("/accounts", get(accounts))
        .route("/users/{user_id}", get(user))
}

/// Proof that the request carried this sandbox's `Pelm-Client-Id` and `Pelm-Secret`.
struct ClientAuth;

impl FromRequestParts<Sandbox> for ClientAuth {
    type Rejection = PelmError;

    async fn from_request_parts(parts: &mut Parts, sandbox: &Sandbox) -> Result<Self, PelmError> {
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
        let config = sandbox.config();
        let id_ok = header("pelm-client-id") == Some(config.client_id.as_str());
        let secret_ok = header("pelm-secret") == Some(config.secret.as_str());
        if id_ok && secret_ok {
            Ok(ClientAuth)
        } else {
            Err(PelmError::credentials_invalid())
        }
    }
}

/// The user whose access token came in `Authorization: Bearer`, after client auth.
struct BearerUser(String);

impl FromRequestParts<Sandbox> for BearerUser {
    type Rejection = PelmError;

    async fn from_request_parts(parts: &mut Parts, sandbox: &Sandbox) -> Result<Self, PelmError> {
        ClientAuth::from_request_parts(parts, sandbox).await?;
        let token = parts
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| PelmError::token_invalid("access token"))?;
        let user = sandbox
            .store()
            .user_for_token(token)
            .ok_or_else(|| PelmError::token_invalid("access token"))?;
        Ok(BearerUser(user))
    }
}

type FormFields = Result<Form<HashMap<String, String>>, FormRejection>;

fn fields(form: FormFields) -> Result<HashMap<String, String>, PelmError> {
    form.map(|Form(fields)| fields)
        .map_err(|rejection| PelmError::parameter_invalid("body", &rejection.body_text()))
}

fn required<'a>(fields: &'a HashMap<String, String>, name: &str) -> Result<&'a str, PelmError> {
    match fields.get(name).map(|v| v.trim()) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(PelmError::parameter_missing(name)),
    }
}

async fn connect_token(
    State(sandbox): State<Sandbox>,
    _: ClientAuth,
    form: FormFields,
) -> Result<Json<ConnectToken>, PelmError> {
    let fields = fields(form)?;
    let user_id = required(&fields, "user_id")?;
    // Older docs call it utility_id, newer ones utility_slug.
    let utility_id = fields
        .get("utility_id")
        .or_else(|| fields.get("utility_slug"))
        .filter(|v| !v.is_empty());
    if let Some(id) = utility_id {
        if scenarios::utility(id).is_none() {
            return Err(PelmError::parameter_invalid(
                "utility_id",
                "unknown utility",
            ));
        }
    }
    let connect_token = sandbox
        .store()
        .issue_connect_token(user_id, utility_id.cloned());
    Ok(Json(ConnectToken {
        connect_token,
        expires_in: CONNECT_TOKEN_LIFETIME.as_secs(),
    }))
}

async fn token(
    State(sandbox): State<Sandbox>,
    _: ClientAuth,
    form: FormFields,
) -> Result<Json<AccessToken>, PelmError> {
    let fields = fields(form)?;
    let code = required(&fields, "code")?;
    let grant_type = required(&fields, "grant_type")?;
    if grant_type != "code" {
        return Err(PelmError::parameter_invalid(
            "grant_type",
            "must be \"code\"",
        ));
    }
    let access_token = sandbox
        .store()
        .exchange_code(code)
        .map_err(|why| match why {
            CodeRejected::Unknown => PelmError::token_invalid("authorization code"),
            CodeRejected::Expired => {
                PelmError::token_invalid("authorization code (it expired after 10 minutes)")
            }
            CodeRejected::Used => {
                PelmError::token_invalid("authorization code (it was already used)")
            }
        })?;
    Ok(Json(AccessToken {
        access_token,
        access_token_expires_in: Some(3600),
        refresh_token: Some(crate::store::random_hex(32)),
        refresh_token_expires_in: Some(1_314_000),
    }))
}

/// The user's connection, once its data is ready.
fn ready_connection(
    sandbox: &Sandbox,
    user_id: &str,
) -> Result<crate::store::Connection, PelmError> {
    let connection = sandbox
        .store()
        .connection(user_id)
        .ok_or_else(|| PelmError::token_invalid("access token"))?;
    let ready_at = connection.connected_at + sandbox.config().data_delay.as_secs() as i64;
    if sandbox.store().now() < ready_at {
        return Err(PelmError::data_unavailable());
    }
    Ok(connection)
}

async fn accounts(
    State(sandbox): State<Sandbox>,
    BearerUser(user_id): BearerUser,
) -> Result<Json<Vec<Account>>, PelmError> {
    Ok(Json(ready_connection(&sandbox, &user_id)?.accounts))
}

async fn user(
    State(sandbox): State<Sandbox>,
    _: ClientAuth,
    Path(user_id): Path<String>,
) -> Result<Json<User>, PelmError> {
    let connection = sandbox
        .store()
        .connection(&user_id)
        .ok_or_else(|| PelmError::parameter_invalid("user_id", "unknown user"))?;
    let utility = scenarios::utility(&connection.utility_id)
        .map(|u| u.full_name)
        .unwrap_or("Unknown utility");
    Ok(Json(User {
        id: user_id,
        utility: Utility {
            id: connection.utility_id,
            full_name: utility.to_owned(),
        },
        utility_username: Some(connection.username),
        credentials_valid: connection.credentials_valid,
    }))
}
