//! The companion's one HTTP client to Pelm (or to the sandbox standing in for it).

use std::time::Duration;

use pelm_model::pelm::{AccessToken, Account, ConnectToken, ErrorBody, User};
use reqwest::{RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Where Pelm is and how to sign in to it. `Debug` leaves the secret out.
#[derive(Clone)]
pub struct Upstream {
    pub base_url: String,
    pub client_id: String,
    pub secret: String,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream").field("base_url", &self.base_url).field("secret", &"<redacted>").finish()
    }
}

#[derive(Clone, Debug)]
pub struct PelmClient {
    http: reqwest::Client,
    upstream: Upstream,
}

impl PelmClient {
    pub fn new(upstream: Upstream, connect_timeout: Duration, timeout: Duration) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder().connect_timeout(connect_timeout).timeout(timeout).build()?;
        Ok(Self { http, upstream })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.upstream.base_url.trim_end_matches('/'))
    }

    fn signed(&self, request: RequestBuilder) -> RequestBuilder {
        request.header("Pelm-Client-Id", &self.upstream.client_id).header("Pelm-Secret", &self.upstream.secret)
    }

    /// Sends `request` and decodes Pelm's answer: `T` on success, Pelm's error
    /// body passed through on failure, and [`ApiError::Upstream`] for anything
    /// that is not Pelm speaking (a proxy's HTML page, a dropped connection).
    async fn call<T: DeserializeOwned>(&self, what: &str, request: RequestBuilder) -> Result<T, ApiError> {
        // Errors are described without the URL's query or any header: no token
        // or secret may reach a log line.
        let response = self
            .signed(request)
            .send()
            .await
            .map_err(|err| ApiError::Upstream(format!("{what}: {}", describe(&err))))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|err| ApiError::Upstream(format!("{what}: reading body: {}", describe(&err))))?;
        if status.is_success() {
            return serde_json::from_slice(&bytes)
                .map_err(|err| ApiError::Upstream(format!("{what}: HTTP {status} with an unexpected body: {err}")));
        }
        match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(body) => Err(ApiError::Pelm { status: passthrough_status(status), body }),
            Err(_) => Err(ApiError::Upstream(format!("{what}: HTTP {status} without a Pelm error body"))),
        }
    }

    pub async fn connect_token(&self, user_id: &str, utility_id: Option<&str>) -> Result<ConnectToken, ApiError> {
        let mut form = vec![("user_id", user_id)];
        if let Some(id) = utility_id {
            form.push(("utility_id", id));
        }
        self.call("connect token", self.http.post(self.url("/auth/connect-token")).form(&form)).await
    }

    pub async fn exchange_code(&self, code: &str) -> Result<AccessToken, ApiError> {
        let form = [("code", code), ("grant_type", "code")];
        self.call("code exchange", self.http.post(self.url("/auth/token")).form(&form)).await
    }

    pub async fn accounts(&self, access_token: &str) -> Result<Vec<Account>, ApiError> {
        self.call("accounts", self.http.get(self.url("/accounts")).bearer_auth(access_token)).await
    }

    pub async fn user(&self, user_id: &str) -> Result<User, ApiError> {
        let path = format!("/users/{}", urlencode(user_id));
        self.call("user", self.http.get(self.url(&path))).await
    }
}

/// Pelm's statuses pass through as they are, except that a status outside
/// 4xx/5xx paired with an error body is reported as a gateway failure.
fn passthrough_status(status: StatusCode) -> StatusCode {
    if status.is_client_error() || status.is_server_error() {
        status
    } else {
        StatusCode::BAD_GATEWAY
    }
}

fn describe(err: &reqwest::Error) -> String {
    let kind = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "could not connect"
    } else if err.is_decode() || err.is_body() {
        "broken body"
    } else {
        "request failed"
    };
    let source = std::error::Error::source(err).map(|s| format!(": {s}")).unwrap_or_default();
    format!("{kind}{source}")
}

fn urlencode(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
