//! What the API's handlers take from a request, checked before they run:
//! a JSON body within its limits, and ids in the one shape they may have.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::state::AppState;

/// Largest request body the API accepts; its bodies are a few short fields.
pub(crate) const API_BODY_LIMIT: usize = 16 * 1024;

/// A JSON request body, read within the body timeout and size limit, as
/// JSON only, into `T` (whose unknown fields are refused by its own type).
pub struct JsonBody<T>(pub T);

/// As [`JsonBody`], for a body that may be left out: then `T::default()`.
pub struct OptionalJsonBody<T>(pub T);

async fn read_json<T: DeserializeOwned>(
    request: Request,
    state: &AppState,
    optional: bool,
) -> Result<Option<T>, ApiError> {
    let (parts, body) = request.into_parts();
    let json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .is_some_and(|v| v == "application/json" || v.ends_with("+json"));
    let bytes = read_body(body, API_BODY_LIMIT, state).await?;
    if bytes.is_empty() {
        return match optional {
            true => Ok(None),
            false => Err(ApiError::invalid("body", "The request body is missing.")),
        };
    }
    if !json {
        return Err(ApiError::Refused { status: axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE });
    }
    // serde reads a struct from an array too; every body is documented as an object.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::invalid("body", "The request body must be a JSON object."));
    }
    serde_json::from_slice(&bytes).map(Some).map_err(|err| ApiError::invalid("body", err.to_string()))
}

/// A request body, whole, if it is at most `limit` bytes and comes within the
/// body timeout: the one reader for every body the API takes.
pub(crate) async fn read_body(body: Body, limit: usize, state: &AppState) -> Result<Vec<u8>, ApiError> {
    let mut stream = body.into_data_stream();
    let mut bytes = Vec::new();
    let read = async {
        while let Some(chunk) = stream.next().await {
            // The server-wide body timeout (between chunks) ends a trickle too.
            let chunk = chunk.map_err(|err| match is_body_timeout(&err) {
                true => ApiError::BodyTimeout,
                false => ApiError::invalid("body", "The request body could not be read."),
            })?;
            if bytes.len() + chunk.len() > limit {
                return Err(ApiError::TooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(())
    };
    let timeout = Duration::from_secs(state.config().body_timeout_secs.max(1));
    tokio::time::timeout(timeout, read).await.map_err(|_| ApiError::BodyTimeout)??;
    Ok(bytes)
}

fn is_body_timeout(err: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(err) = source {
        if err.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        source = err.source();
    }
    false
}

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let body = read_json(request, state, false).await?;
        Ok(Self(body.expect("a required body is never None")))
    }
}

impl<T: DeserializeOwned + Default> FromRequest<AppState> for OptionalJsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        Ok(Self(read_json(request, state, true).await?.unwrap_or_default()))
    }
}

/// `value` if it is an id ([`pelm_model::companion::is_id`]), or the
/// refusal that names `field`.
pub(crate) fn valid_id<'a>(field: &'static str, value: &'a str) -> Result<&'a str, ApiError> {
    match pelm_model::companion::is_id(value) {
        true => Ok(value),
        false => Err(ApiError::invalid(field, format!("{field} is not a valid id."))),
    }
}
