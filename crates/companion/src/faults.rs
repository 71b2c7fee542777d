//! Answers scripted for the browser app, in sandbox mode only, so tests and
//! a developer at the demo can make every error the app must handle happen:
//! any status, headers and body, in any error format, on chosen API paths.
//!
//! `POST /_sandbox/app-faults` with a [`ScriptedAnswer`] queues one;
//! `DELETE` clears them. Requests to the API are also recorded, so a test
//! can count retries and the pauses between them.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use std::sync::Arc;

/// One answer to give instead of the real one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptedAnswer {
    /// Requests whose path under the API prefix starts with this: `/intervals`.
    pub path: String,
    pub status: u16,
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    #[serde(default)]
    pub body: String,
    /// How many matching requests get it; then they reach the real API again.
    #[serde(default = "once")]
    pub times: u32,
    /// Cut the connection after the status line instead of sending `body`,
    /// as a network failure does.
    #[serde(default)]
    pub drop: bool,
}

fn once() -> u32 {
    1
}

impl ScriptedAnswer {
    /// `body` as `content_type` with this status, for the next `times` requests to `path`.
    pub fn new(path: &str, status: u16, content_type: &str, body: &str, times: u32) -> Self {
        Self {
            path: path.to_owned(),
            status,
            headers: vec![("content-type".to_owned(), content_type.to_owned())],
            body: body.to_owned(),
            times,
            drop: false,
        }
    }

    pub fn json(path: &str, status: u16, body: &str, times: u32) -> Self {
        Self::new(path, status, "application/json", body, times)
    }

    /// The next `times` requests to `path` lose their connection.
    pub fn dropped(path: &str, times: u32) -> Self {
        Self { drop: true, ..Self::json(path, 200, "", times) }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    fn response(&self) -> Response {
        let body = match self.drop {
            true => Body::from_stream(futures_util::stream::once(async {
                Err::<Vec<u8>, _>(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "dropped (scripted)"))
            })),
            false => Body::from(self.body.clone()),
        };
        let mut response = Response::new(body);
        *response.status_mut() = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        for (name, value) in &self.headers {
            if let (Ok(name), Ok(value)) = (HeaderName::try_from(name.as_str()), HeaderValue::try_from(value.as_str()))
            {
                response.headers_mut().append(name, value);
            }
        }
        response
    }
}

/// Scripted answers that may wait at once; more are refused.
pub const MAX_SCRIPTED: usize = 1000;
/// API calls remembered; older ones are forgotten, so a long-running demo's
/// log stays the same size.
pub const MAX_CALLS_LOGGED: usize = 10_000;

#[derive(Default)]
pub struct AppFaults {
    script: Mutex<Vec<ScriptedAnswer>>,
    calls: Mutex<VecDeque<(String, Instant)>>,
}

impl AppFaults {
    /// Queues `answer`; false when [`MAX_SCRIPTED`] already wait.
    pub fn push(&self, answer: ScriptedAnswer) -> bool {
        let mut script = self.script.lock().expect("fault script");
        if script.len() >= MAX_SCRIPTED {
            return false;
        }
        script.push(answer);
        true
    }

    /// How many API calls are remembered now.
    pub fn calls_logged(&self) -> usize {
        self.calls.lock().expect("call log").len()
    }

    pub fn clear(&self) {
        self.script.lock().expect("fault script").clear();
    }

    /// When each API request whose path starts with `prefix` arrived.
    pub fn calls(&self, prefix: &str) -> Vec<Instant> {
        let calls = self.calls.lock().expect("call log");
        calls.iter().filter(|(path, _)| path.starts_with(prefix)).map(|(_, at)| *at).collect()
    }

    /// The scripted answer for `path`, used up by one.
    fn take(&self, path: &str) -> Option<ScriptedAnswer> {
        let mut script = self.script.lock().expect("fault script");
        let at = script.iter().position(|a| path.starts_with(&a.path))?;
        script[at].times = script[at].times.saturating_sub(1);
        Some(if script[at].times == 0 { script.remove(at) } else { script[at].clone() })
    }
}

/// Records API requests and answers the scripted ones. The path it sees is
/// the one under the API prefix.
pub async fn inject(State(faults): State<Option<Arc<AppFaults>>>, request: Request, next: Next) -> Response {
    let Some(faults) = faults else {
        return next.run(request).await;
    };
    let path = request.uri().path().to_owned();
    {
        let mut calls = faults.calls.lock().expect("call log");
        if calls.len() >= MAX_CALLS_LOGGED {
            calls.pop_front();
        }
        calls.push_back((path.chars().take(256).collect(), Instant::now()));
    }
    match faults.take(&path) {
        Some(answer) => answer.response(),
        None => next.run(request).await,
    }
}

pub async fn queue(State(faults): State<Arc<AppFaults>>, Json(answer): Json<ScriptedAnswer>) -> impl IntoResponse {
    match faults.push(answer) {
        true => StatusCode::NO_CONTENT,
        false => StatusCode::TOO_MANY_REQUESTS,
    }
}

pub async fn clear(State(faults): State<Arc<AppFaults>>) -> impl IntoResponse {
    faults.clear();
    StatusCode::NO_CONTENT
}
