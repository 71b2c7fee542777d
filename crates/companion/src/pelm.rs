//! The companion's one HTTP client to Pelm (or to the sandbox standing in for it).
//!
//! GETs are idempotent, so they are retried on failures that say nothing about
//! the request itself: a refused or dropped connection, a timeout, a 5xx other
//! than `data_unavailable`, a 429 (after the `Retry-After` it names, when that
//! is short). POSTs are sent
//! once: exchanging a code twice would fail the second time. Other 4xx
//! answers are never retried, whoever wrote them.
//!
//! Every call, retries included, is counted against the site-wide
//! [`PelmBudget`], and no answer is read past the configured size.

use std::time::Duration;

use axum::body::Bytes;
use pelm_model::pelm::{AccessToken, Account, ConnectToken, ErrorBody, User};
use rand::Rng;
use reqwest::{RequestBuilder, StatusCode};
use serde::de::{DeserializeOwned, IgnoredAny};

use crate::config::Secret;
use crate::error::ApiError;
use crate::limits::{Caller, PelmBudget, Refusal};

/// Where Pelm is and how to sign in to it. `Debug` leaves the secret out.
#[derive(Clone)]
pub struct Upstream {
    pub base_url: String,
    pub client_id: String,
    pub secret: Secret,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream").field("base_url", &self.base_url).field("secret", &"<redacted>").finish()
    }
}

/// How GETs are retried: up to `attempts` tries, waiting a random time up to
/// `base * 2^n` (capped at `max_delay`) before try n+1 ("full jitter").
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    pub attempts: u32,
    pub base: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { attempts: 4, base: Duration::from_millis(100), max_delay: Duration::from_secs(2) }
    }
}

impl RetryPolicy {
    fn delay(&self, retry: u32) -> Duration {
        let ceiling = self.base.saturating_mul(1 << retry.min(16)).min(self.max_delay);
        ceiling.mul_f64(rand::rng().random::<f64>())
    }
}

pub struct PelmClient {
    http: reqwest::Client,
    upstream: Upstream,
    retry: RetryPolicy,
    budget: PelmBudget,
    max_body: usize,
}

impl std::fmt::Debug for PelmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PelmClient").field("upstream", &self.upstream).field("retry", &self.retry).finish()
    }
}

/// The longest `Retry-After` worth waiting for inside one request; a longer
/// one is passed to the app, which knows how to wait.
const LONGEST_RETRY_AFTER: Duration = Duration::from_secs(5);

/// Whether a failed GET is worth another try, and how long to wait at least.
fn retryable(err: &ApiError) -> Option<Duration> {
    let too_many = |status: &StatusCode| *status == StatusCode::TOO_MANY_REQUESTS;
    match err {
        ApiError::Transport { .. } | ApiError::Malformed { .. } => Some(Duration::ZERO),
        ApiError::Pelm { status, retry_after, .. } if too_many(status) => {
            retry_after.unwrap_or(Duration::ZERO).le(&LONGEST_RETRY_AFTER).then(|| retry_after.unwrap_or_default())
        }
        // Pelm is still collecting the user's data: asking again at once
        // only spends calls; the app polls at its own pace.
        ApiError::Pelm { body, .. } if body.error_code == pelm_model::pelm::error_code::DATA_UNAVAILABLE => None,
        ApiError::Pelm { status, .. } | ApiError::UpstreamStatus { status, .. } => {
            (status.is_server_error() || too_many(status)).then_some(Duration::ZERO)
        }
        _ => None,
    }
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let seconds = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim().parse::<u64>().ok()?;
    Some(Duration::from_secs(seconds))
}

impl PelmClient {
    pub fn new(
        upstream: Upstream,
        connect_timeout: Duration,
        timeout: Duration,
        retry: RetryPolicy,
        budget: PelmBudget,
        max_body: usize,
    ) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder().connect_timeout(connect_timeout).timeout(timeout).build()?;
        Ok(Self { http, upstream, retry, budget, max_body })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.upstream.base_url.trim_end_matches('/'))
    }

    fn signed(&self, request: RequestBuilder) -> RequestBuilder {
        request.header("Pelm-Client-Id", &self.upstream.client_id).header("Pelm-Secret", self.upstream.secret.expose())
    }

    /// Sends once, if the budget allows, and starts the answer. Errors keep
    /// no URL (and reqwest's never hold a header), so no identifier in a
    /// query reaches a log line.
    async fn start(&self, what: &str, caller: Caller, request: RequestBuilder) -> Result<reqwest::Response, ApiError> {
        match self.budget.spend(caller).await {
            Ok(()) => {}
            Err(Refusal::Wait(retry_after)) => {
                tracing::warn!(what, ?caller, "the ceiling on calls to Pelm was reached");
                crate::metrics::refused("pelm_ceiling");
                return Err(ApiError::PelmBusy { retry_after });
            }
            // The site's quota is guarded for strangers even then; a
            // connected user's call goes ahead (the failure is logged).
            Err(Refusal::Unreachable) if caller == Caller::Newcomer => {
                crate::metrics::refused("unreachable");
                return Err(ApiError::LimitsUnavailable);
            }
            Err(Refusal::Unreachable) => {}
        }
        let began = std::time::Instant::now();
        let sent = self.signed(request).send().await;
        let outcome = || sent.as_ref().map_or_else(|_| "transport".to_owned(), |r| r.status().as_u16().to_string());
        crate::metrics::pelm_call(what, outcome, began);
        sent.map_err(|err| transport(what, err))
    }

    /// Sends once and reads the whole answer, up to the size limit.
    async fn send(
        &self,
        what: &str,
        caller: Caller,
        request: RequestBuilder,
    ) -> Result<(StatusCode, Option<Duration>, Bytes), ApiError> {
        let mut response = self.start(what, caller, request).await?;
        let status = response.status();
        let wait = retry_after(response.headers());
        let too_large = ApiError::UpstreamTooLarge { limit: self.max_body };
        if response.content_length().is_some_and(|length| length > self.max_body as u64) {
            return Err(too_large);
        }
        let mut body = Vec::new();
        while let Some(chunk) =
            response.chunk().await.map_err(|err| transport(&format!("{what}: reading the body"), err))?
        {
            if body.len() + chunk.len() > self.max_body {
                tracing::warn!(what, limit = self.max_body, "refused an answer from Pelm over the size limit");
                return Err(too_large);
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status, wait, Bytes::from(body)))
    }

    /// The body of a successful answer, known to be JSON; Pelm's error body
    /// passed through otherwise; [`ApiError::Upstream`] for anything that is
    /// not Pelm speaking (a proxy's HTML page, a cut-short body).
    fn check(what: &str, status: StatusCode, wait: Option<Duration>, bytes: Bytes) -> Result<Bytes, ApiError> {
        if status.is_success() {
            serde_json::from_slice::<IgnoredAny>(&bytes)
                .map_err(|source| ApiError::Malformed { what: format!("{what}: HTTP {status}"), source })?;
            return Ok(bytes);
        }
        Err(error_from(what, status, wait, &bytes))
    }

    async fn post<T: DeserializeOwned>(
        &self,
        what: &str,
        caller: Caller,
        request: RequestBuilder,
    ) -> Result<T, ApiError> {
        let (status, wait, bytes) = self.send(what, caller, request).await?;
        decode(what, &Self::check(what, status, wait, bytes)?)
    }

    /// Runs `attempt` until it succeeds, fails for good, or the policy's tries
    /// are spent, sleeping with backoff and jitter in between.
    async fn retrying<T, Fut>(&self, mut attempt: impl FnMut() -> Fut) -> Result<T, ApiError>
    where
        Fut: std::future::Future<Output = Result<T, ApiError>>,
    {
        let mut retry = 0;
        loop {
            match attempt().await {
                Err(err) if retry + 1 < self.retry.attempts => match retryable(&err) {
                    Some(at_least) => {
                        tracing::warn!(error = %crate::error::Chain(&err), retry = retry + 1, "retrying a GET to Pelm");
                        tokio::time::sleep(self.retry.delay(retry).max(at_least)).await;
                        retry += 1;
                    }
                    None => return Err(err),
                },
                other => return other,
            }
        }
    }

    /// A GET, retried by the policy, answering validated JSON bytes.
    pub async fn get_json(&self, what: &str, path: &str, access_token: Option<&str>) -> Result<Bytes, ApiError> {
        // Every GET is for a connected user.
        self.retrying(|| async {
            let mut request = self.http.get(self.url(path));
            if let Some(token) = access_token {
                request = request.bearer_auth(token);
            }
            let (status, wait, bytes) = self.send(what, Caller::Connected, request).await?;
            Self::check(what, status, wait, bytes)
        })
        .await
    }

    /// A GET whose successful body is streamed to the caller, not buffered;
    /// retried until a successful answer starts.
    pub async fn get_stream(&self, what: &str, path: &str, access_token: &str) -> Result<reqwest::Response, ApiError> {
        self.retrying(|| async {
            let request = self.http.get(self.url(path)).bearer_auth(access_token);
            let response = self.start(what, Caller::Connected, request).await?;
            if response.status().is_success() {
                return Ok(response);
            }
            let (status, wait) = (response.status(), retry_after(response.headers()));
            // An error body is short; one that is not is not Pelm's.
            let body = match response.content_length().is_some_and(|length| length > 64 * 1024) {
                true => Bytes::new(),
                false => response.bytes().await.unwrap_or_default(),
            };
            Err(error_from(what, status, wait, &body))
        })
        .await
    }

    pub async fn connect_token(
        &self,
        user_id: &str,
        utility_id: Option<&str>,
        caller: Caller,
    ) -> Result<ConnectToken, ApiError> {
        let mut form = vec![("user_id", user_id)];
        if let Some(id) = utility_id {
            form.push(("utility_id", id));
        }
        self.post("connect token", caller, self.http.post(self.url("/auth/connect-token")).form(&form)).await
    }

    pub async fn exchange_code(&self, code: &str, caller: Caller) -> Result<AccessToken, ApiError> {
        let form = [("code", code), ("grant_type", "code")];
        self.post("code exchange", caller, self.http.post(self.url("/auth/token")).form(&form)).await
    }

    pub async fn accounts(&self, access_token: &str) -> Result<Vec<Account>, ApiError> {
        decode("accounts", &self.get_json("accounts", "/accounts", Some(access_token)).await?)
    }

    /// The user as Pelm knows them. The user's own token goes along: Pelm's
    /// docs name it only for data calls, but a stricter Pelm may want it
    /// here too, and one that does not ignores it.
    pub async fn user(&self, user_id: &str, access_token: &str) -> Result<User, ApiError> {
        let path = format!("/users/{}", escape(user_id));
        decode("user", &self.get_json("user", &path, Some(access_token)).await?)
    }
}

/// Everything but RFC 3986's unreserved characters is escaped, so that an id
/// stays one path segment and a value one query value, whatever it holds.
const ESCAPED: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// A path segment or query value as it goes to Pelm.
pub(crate) fn escape(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, ESCAPED).to_string()
}

fn decode<T: DeserializeOwned>(what: &str, bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|source| ApiError::Malformed { what: what.to_owned(), source })
}

fn error_from(what: &str, status: StatusCode, retry_after: Option<Duration>, bytes: &[u8]) -> ApiError {
    match serde_json::from_slice::<ErrorBody>(bytes) {
        Ok(body) => ApiError::Pelm { status: passthrough_status(status), body, retry_after },
        Err(_) => ApiError::UpstreamStatus { status, detail: what.to_owned() },
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

fn transport(what: &str, err: reqwest::Error) -> ApiError {
    ApiError::Transport { what: what.to_owned(), source: err.without_url() }
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn an_id_stays_one_segment_and_a_value_one_value() {
        assert_eq!(escape("a b/c?d&e=f+ü"), "a%20b%2Fc%3Fd%26e%3Df%2B%C3%BC");
        assert_eq!(escape("Az09-_.~"), "Az09-_.~");
    }
}
