//! Turning any failed or odd answer into one typed error the app can show
//! and act on: Pelm's `{"error_code"}` bodies, a `ResponseStatus` object,
//! Billwerk-style flat bodies, RFC 9457 problem details, plain text, proxy
//! HTML pages, empty bodies, broken JSON and transport failures. Pure, so
//! it is tested natively and fuzzed.

use crate::words::{details, shape, Text};
use std::fmt;
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::kind::{normalize_code, Kind, Recovery};
use crate::messages::{Message, Messages};
use pelm_model::bills::parse_rfc1123;

/// The form the answer came in, for the support details.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `{"error_code", "message"}`.
    Pelm,
    /// `{"ResponseStatus": {"ErrorCode", "Message", "Errors"}}`, or that object alone.
    ResponseStatus,
    /// `{"code", "error", "http_status", "request-id", "transaction_error", ...}`.
    Billwerk,
    /// RFC 9457 `application/problem+json`.
    ProblemDetails,
    /// Some other JSON object.
    Json,
    Text,
    Html,
    Empty,
    InvalidJson,
    /// Valid JSON, but not the data asked for.
    WrongShape,
    /// No answer at all.
    NoAnswer,
}

impl Shape {
    pub fn describe(self) -> Text {
        match self {
            Shape::Pelm => shape::PELM,
            Shape::ResponseStatus => shape::RESPONSE_STATUS,
            Shape::Billwerk => shape::BILLWERK,
            Shape::ProblemDetails => shape::PROBLEM_DETAILS,
            Shape::Json => shape::JSON,
            Shape::Text => shape::TEXT,
            Shape::Html => shape::HTML,
            Shape::Empty => shape::EMPTY,
            Shape::InvalidJson => shape::INVALID_JSON,
            Shape::WrongShape => shape::WRONG_SHAPE,
            Shape::NoAnswer => shape::NO_ANSWER,
        }
    }
}

/// A request field the server found fault with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub code: Option<String>,
    /// The server's words about it, when they are readable text.
    pub message: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub kind: Kind,
    /// The code as the server sent it: kept and shown even when unknown.
    pub code: Option<String>,
    /// What happened, in plain language.
    pub message: String,
    /// What the user can do.
    pub next_step: String,
    /// False when the code had no words of its own and the kind's were used;
    /// the server's own words ([`Problem::said`]) are then shown too.
    pub specific: bool,
    /// The server's own message, when it is readable text.
    pub said: Option<String>,
    pub status: Option<u16>,
    pub request_id: Option<String>,
    pub path: Option<String>,
    pub time: Option<String>,
    pub fields: Vec<FieldError>,
    pub retry_after: Option<Duration>,
    pub shape: Shape,
    /// How many times the request was made before giving up.
    pub attempts: u32,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Problem {}

/// One HTTP answer, as the decoder needs it. `now` (Unix seconds) turns a
/// dated `Retry-After` into a wait.
#[derive(Debug, Clone, Copy)]
pub struct Answer<'a> {
    pub status: u16,
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a str,
    pub now: i64,
}

impl Answer<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| *v)
    }
}

/// A JSON key reduced to its letters and digits, so `ErrorCode`,
/// `error_code` and `request-id`/`request_id` each match.
fn squash(key: &str) -> String {
    key.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

fn get<'v>(object: &'v Map<String, Value>, names: &[&str]) -> Option<&'v Value> {
    names.iter().find_map(|name| object.iter().find(|(k, _)| squash(k) == *name).map(|(_, v)| v))
}

fn text_of<'v>(object: &'v Map<String, Value>, names: &[&str]) -> Option<&'v str> {
    names.iter().find_map(|name| get(object, &[name]).and_then(Value::as_str).filter(|s| !s.trim().is_empty()))
}

/// A code, whether sent as a string or (Billwerk) a number.
fn code_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(clip(s.trim(), 100)),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `invalid_grant`, `FORBIDDEN`: a word a program wrote, not a sentence.
fn looks_like_code(text: &str) -> bool {
    pelm_model::companion::is_id(text) && text.chars().any(|c| c.is_ascii_alphabetic())
}

fn clip(text: &str, chars: usize) -> String {
    let mut clipped: String = text.chars().filter(|c| !c.is_control()).take(chars).collect();
    if text.chars().count() > chars {
        clipped.push('…');
    }
    clipped
}

/// Text fit to show: one line, not markup or JSON, not too long.
fn readable(text: &str) -> Option<String> {
    let text: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let lower = text.to_ascii_lowercase();
    let markup = text.starts_with('<') || lower.contains("<html") || lower.contains("<body") || lower.contains("</");
    let data = text.starts_with('{') || text.starts_with('[');
    (!text.is_empty() && !markup && !data).then(|| clip(&text, 300))
}

/// `Retry-After` as seconds or an HTTP date.
pub fn parse_retry_after(value: &str, now: i64) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    parse_rfc1123(value).map(|at| Duration::from_secs(u64::try_from(at.saturating_sub(now)).unwrap_or(0)))
}

/// What a body says, before the kind and the words are chosen.
#[derive(Default)]
struct Said {
    shape: Option<Shape>,
    codes: Vec<String>,
    said: Option<String>,
    request_id: Option<String>,
    path: Option<String>,
    time: Option<String>,
    fields: Vec<FieldError>,
    status: Option<u16>,
}

fn read_body(body: &str, content_type: Option<&str>) -> Said {
    let trimmed = body.trim();
    if trimmed.is_empty() {
        return Said { shape: Some(Shape::Empty), ..Said::default() };
    }
    match serde_json::from_str::<Value>(trimmed) {
        Ok(Value::Object(object)) => read_object(&object, content_type),
        Ok(Value::String(text)) => Said { shape: Some(Shape::Text), said: readable(&text), ..Said::default() },
        Ok(_) => Said { shape: Some(Shape::Json), ..Said::default() },
        Err(_) if trimmed.starts_with('<') => Said { shape: Some(Shape::Html), ..Said::default() },
        Err(_) if trimmed.starts_with('{') || trimmed.starts_with('[') => {
            Said { shape: Some(Shape::InvalidJson), ..Said::default() }
        }
        Err(_) => Said { shape: Some(Shape::Text), said: trimmed.lines().next().and_then(readable), ..Said::default() },
    }
}

fn read_object(outer: &Map<String, Value>, content_type: Option<&str>) -> Said {
    let (shape, root) = match (get(outer, &["responsestatus"]), get(outer, &["error"])) {
        (Some(Value::Object(inner)), _) => (Shape::ResponseStatus, inner),
        (_, Some(Value::Object(inner))) => (Shape::Json, inner),
        _ => (shape_of(outer, content_type), outer),
    };
    let mut codes = Vec::new();
    let error = text_of(root, &["error"]);
    for value in [get(root, &["errorcode"]), get(root, &["code"])].into_iter().flatten() {
        codes.extend(code_of(value));
    }
    codes.extend(error.filter(|e| looks_like_code(e.trim())).map(|e| e.trim().to_owned()));
    codes.extend(text_of(root, &["transactionerror"]).map(|t| clip(t.trim(), 100)));
    if shape == Shape::ProblemDetails {
        let last_segment = text_of(root, &["type"]).and_then(|t| t.trim_end_matches('/').rsplit('/').next());
        codes.extend(last_segment.filter(|s| looks_like_code(s)).map(str::to_owned));
    }
    let said = ["message", "detail", "errormessage", "errordescription"]
        .iter()
        .find_map(|name| text_of(root, &[name]))
        .or(error.filter(|e| !looks_like_code(e.trim())))
        .or_else(|| text_of(root, &["title"]))
        .and_then(readable);
    let mut fields = Vec::new();
    if let Some(Value::Array(items)) = get(root, &["errors", "invalidparams", "fielderrors"]) {
        fields.extend(items.iter().filter_map(Value::as_object).filter_map(field_error));
    }
    if let Some(name) = text_of(root, &["field", "fieldname", "param", "parameter"]) {
        fields.push(FieldError { field: clip(name, 100), code: codes.first().cloned(), message: said.clone() });
    }
    if codes.is_empty() {
        codes.extend(fields.iter().find_map(|f| f.code.clone()));
    }
    let either = |names: &[&str]| text_of(root, names).or_else(|| text_of(outer, names)).map(|t| clip(t.trim(), 200));
    let status = get(root, &["httpstatus", "status"])
        .or_else(|| get(outer, &["httpstatus", "status"]))
        .and_then(Value::as_u64)
        .and_then(|s| u16::try_from(s).ok());
    Said {
        shape: Some(shape),
        codes,
        said,
        request_id: either(&["requestid", "traceid", "correlationid"]),
        path: either(&["path", "instance"]),
        time: either(&["timestamp", "time"]),
        fields,
        status,
    }
}

fn shape_of(object: &Map<String, Value>, content_type: Option<&str>) -> Shape {
    let has = |key: &str| object.contains_key(key);
    if has("error_code") {
        Shape::Pelm
    } else if has("ErrorCode") {
        Shape::ResponseStatus
    } else if content_type.is_some_and(|t| t.to_ascii_lowercase().contains("problem+json"))
        || ((has("type") || has("title")) && (has("status") || has("detail")))
    {
        Shape::ProblemDetails
    } else if has("http_status") || has("transaction_error") || has("request-id") {
        Shape::Billwerk
    } else {
        Shape::Json
    }
}

fn field_error(item: &Map<String, Value>) -> Option<FieldError> {
    let name = text_of(item, &["fieldname", "field", "name", "param", "parameter", "pointer"])?;
    // A JSON pointer (`/start_date`) names the field in its last segment.
    let name = name.rsplit('/').next().unwrap_or(name);
    Some(FieldError {
        field: clip(name, 100),
        code: get(item, &["errorcode", "code"]).and_then(code_of),
        message: text_of(item, &["message", "reason", "detail"]).and_then(readable),
    })
}

/// Turns answers into [`Problem`]s in the words of one [`Messages`] table.
#[derive(Debug, Clone, Default)]
pub struct Decoder {
    messages: Messages,
}

impl Decoder {
    pub fn new(messages: Messages) -> Self {
        Self { messages }
    }

    /// The default words, for callers without a site's table.
    pub fn standard() -> &'static Decoder {
        static STANDARD: OnceLock<Decoder> = OnceLock::new();
        STANDARD.get_or_init(Decoder::default)
    }

    fn words(&self, kind: Kind, codes: &[String]) -> (Kind, Message, bool) {
        match codes.iter().find_map(|code| self.messages.code(code)) {
            Some((kind, words)) => (kind, words.clone(), true),
            None => (kind, self.messages.kind(kind).clone(), false),
        }
    }

    fn build(&self, kind: Kind, said: Said, status: Option<u16>) -> Problem {
        let kind = said.codes.iter().find_map(|c| self.messages.kind_of(c)).unwrap_or(kind);
        let (kind, words, specific) = self.words(kind, &said.codes);
        Problem {
            kind,
            code: said.codes.first().cloned(),
            message: words.message,
            next_step: words.next_step,
            specific,
            said: said.said,
            status,
            request_id: said.request_id,
            path: said.path,
            time: said.time,
            fields: said.fields,
            retry_after: None,
            shape: said.shape.unwrap_or(Shape::NoAnswer),
            attempts: 1,
        }
    }

    fn with_headers(mut problem: Problem, answer: &Answer) -> Problem {
        problem.retry_after = answer.header("retry-after").and_then(|v| parse_retry_after(v, answer.now));
        if problem.request_id.is_none() {
            problem.request_id = answer.header("x-request-id").map(|id| clip(id.trim(), 200));
        }
        problem
    }

    /// A status outside 2xx, whatever its body.
    pub fn failure(&self, answer: &Answer) -> Problem {
        let said = read_body(answer.body, answer.header("content-type"));
        let kind = match (answer.status, said.shape) {
            // No API said "not found" in a page or a bare line: the request
            // missed the API, which a deployment fault does, and the user
            // can only try again.
            (404 | 405, Some(Shape::Html | Shape::Text | Shape::Empty)) => Kind::Other,
            (status, _) => Kind::from_status(status),
        };
        let problem = self.build(kind, said, Some(answer.status));
        Self::with_headers(problem, answer)
    }

    /// A 2xx whose body is not the data asked for. An error body sent with a
    /// 2xx (some gateways do) is read as the error it is.
    pub fn unexpected_success(&self, answer: &Answer) -> Problem {
        let mut said = read_body(answer.body, answer.header("content-type"));
        let kind = match said.status.filter(|s| !(200..300).contains(s)) {
            Some(status) if !said.codes.is_empty() => Kind::from_status(status),
            _ => Kind::Unreadable,
        };
        if said.codes.is_empty() && matches!(said.shape, Some(Shape::Json | Shape::Pelm | Shape::ProblemDetails)) {
            said.shape = Some(Shape::WrongShape);
        }
        let problem = self.build(kind, said, Some(answer.status));
        Self::with_headers(problem, answer)
    }

    /// No answer: the network failed, it took too long, or the app stopped it.
    pub fn no_answer(&self, kind: Kind) -> Problem {
        self.build(kind, Said::default(), None)
    }

    /// A code that came without an HTTP answer, such as Connect's exit;
    /// `fallback` is its kind when the code is not known.
    pub fn from_code(&self, code: &str, said: Option<&str>, fallback: Kind) -> Problem {
        let said = Said {
            codes: vec![clip(code.trim(), 100)],
            said: said.and_then(readable),
            shape: Some(Shape::NoAnswer),
            ..Said::default()
        };
        self.build(fallback, said, None)
    }
}

impl Problem {
    pub fn recovery(&self) -> Recovery {
        self.kind.recovery()
    }

    /// The first field error on one of `names`, matched like codes are.
    pub fn field_error(&self, names: &[&str]) -> Option<&FieldError> {
        let names: Vec<String> = names.iter().map(|n| normalize_code(n)).collect();
        self.fields.iter().find(|f| names.contains(&normalize_code(&f.field)))
    }

    /// What support needs, as label and value, for the details section,
    /// in `words` (the language's, or English for the text support reads).
    pub fn details(&self, words: &dyn Fn(Text) -> String) -> Vec<(String, String)> {
        let mut rows = Vec::new();
        let mut add = |label: Text, value: Option<String>| rows.extend(value.map(|v| (words(label), v)));
        add(details::CODE, self.code.clone());
        add(details::STATUS, self.status.map(|s| s.to_string()));
        add(details::REQUEST_ID, self.request_id.clone());
        add(details::PATH, self.path.clone());
        add(details::TIME, self.time.clone());
        for field in &self.fields {
            let about = [field.code.as_deref(), field.message.as_deref()].into_iter().flatten().collect::<Vec<_>>();
            let value = match about.is_empty() {
                true => field.field.clone(),
                false => format!("{} ({})", field.field, about.join(": ")),
            };
            add(details::FIELD, Some(value));
        }
        add(details::SAID, self.said.clone());
        let answer = (self.shape != Shape::NoAnswer).then(|| self.shape.describe());
        add(details::ANSWER, answer.map(words));
        add(details::ATTEMPTS, (self.attempts > 1).then(|| self.attempts.to_string()));
        rows
    }

    /// The details as text to paste into a support message, in English,
    /// which support reads whatever the page's language.
    pub fn details_text(&self) -> String {
        let mut text = format!("{}\n", self.message);
        for (label, value) in self.details(&|text| text.en.to_owned()) {
            text.push_str(&format!("{label}: {value}\n"));
        }
        text
    }
}
