//! All HTTP to the companion. Every call ends in the data or a [`Problem`],
//! whatever the companion (or a proxy in front of it) answered. The data a
//! view shows goes through its [`Calls`], which recover by themselves where
//! they can; posts are made once, on the user's word.

use std::future::Future;

use gloo_net::http::{Request, RequestBuilder};
use leptos::prelude::*;
use pelm_app_logic::embed::EmbedConfig;
use pelm_app_logic::kind::{Kind, Recovery};
use pelm_app_logic::problem::{Answer, Decoder, Problem};
use pelm_app_logic::retry::RetryPolicy;
use pelm_model::bills::{decode_bills, BillRow};
use pelm_model::companion::{
    AuthorizationRequest, ConnectTokenGrant, ConnectTokenRequest, Connection, LinkedConnection,
};
use pelm_model::pelm::{Account, MeterType};
use pelm_usage::wire::{ColumnsAnswer, MEDIA_TYPE};
use pelm_usage::{Columns, Level, TypicalDay, Viewport, ZoneOffsets};
use serde::de::DeserializeOwned;
use web_sys::{AbortController, AbortSignal};

use crate::state::DataContext;
use crate::timer::sleep;

/// A request without an answer by then is given up, and may be retried.
const TIMEOUT_MS: u32 = 30_000;

thread_local! {
    /// The decoder, and the version of the words it was made with.
    static DECODER: std::cell::RefCell<Option<(u32, Decoder)>> = const { std::cell::RefCell::new(None) };
}

fn decoder<R>(read: impl FnOnce(&Decoder) -> R) -> R {
    let version = crate::language::version();
    DECODER.with_borrow_mut(|decoder| {
        if decoder.as_ref().is_some_and(|(made, _)| *made != version) {
            *decoder = None;
        }
        read(&decoder.get_or_insert_with(|| (version, Decoder::new(crate::language::messages()))).1)
    })
}

/// A failure with no answer and no code (an error that is not a `Problem`),
/// in the site's words for its kind.
pub fn problem_without_answer(kind: Kind) -> Problem {
    decoder(|d| d.no_answer(kind))
}

/// A code that came without an HTTP answer, such as Connect's exit, in the
/// same words as every other error.
pub fn problem_from_code(code: &str, said: Option<&str>, fallback: Kind) -> Problem {
    decoder(|d| d.from_code(code, said, fallback))
}

/// Where the companion's API is, as the host page configured it.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    base: String,
    /// On another origin, requests carry the session cookie (CORS with credentials).
    cross_origin: bool,
}

impl Default for Endpoint {
    fn default() -> Self {
        Self::new(&EmbedConfig::default())
    }
}

impl Endpoint {
    pub fn new(config: &EmbedConfig) -> Self {
        Self { base: config.api.trim_end_matches('/').to_owned(), cross_origin: config.cross_origin() }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.base)
    }

    /// A URL the companion gave, which is relative to the companion, not to
    /// the page: on another origin its paths are that origin's.
    pub fn resolve(&self, url: &str) -> String {
        let origin = self
            .base
            .split_once("://")
            .and_then(|(scheme, rest)| rest.split('/').next().map(|host| format!("{scheme}://{host}")));
        match origin {
            Some(origin) if url.starts_with('/') && !url.starts_with("//") => format!("{origin}{url}"),
            _ => url.to_owned(),
        }
    }

    fn request(&self, method: fn(&str) -> RequestBuilder, path: &str, view: Option<&AbortSignal>) -> RequestBuilder {
        let request = with_signal(method(&self.url(path)), view);
        match self.cross_origin {
            true => request.credentials(web_sys::RequestCredentials::Include),
            false => request,
        }
    }
}

/// The endpoint of the app being built; the default outside one.
pub fn use_endpoint() -> Endpoint {
    use_context::<Endpoint>().unwrap_or_default()
}

/// Where (the URL, without its query) and when, for the support details,
/// unless the server said.
fn stamped(mut problem: Problem, path: &str) -> Problem {
    problem.path.get_or_insert_with(|| path.split('?').next().unwrap_or(path).to_owned());
    problem.time.get_or_insert_with(|| String::from(js_sys::Date::new_0().to_iso_string()));
    problem
}

fn no_answer(err: gloo_net::Error) -> Problem {
    let kind = match &err {
        gloo_net::Error::JsError(e) if e.name == "TimeoutError" => Kind::Timeout,
        gloo_net::Error::JsError(e) if e.name == "AbortError" => Kind::Cancelled,
        _ => Kind::Network,
    };
    decoder(|d| d.no_answer(kind))
}

/// What came back, read in full.
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
}

/// `request` given up after the timeout, or when `view` is aborted.
fn with_signal(request: RequestBuilder, view: Option<&AbortSignal>) -> RequestBuilder {
    let timeout = AbortSignal::timeout_with_u32(TIMEOUT_MS);
    let signal = match view {
        Some(view) => AbortSignal::any(&js_sys::Array::of2(view, &timeout)),
        None => timeout,
    };
    request.abort_signal(Some(&signal))
}

async fn send(request: Result<Request, gloo_net::Error>, path: &str) -> Result<gloo_net::http::Response, Problem> {
    let request = request.map_err(|err| stamped(no_answer(err), path))?;
    request.send().await.map_err(|err| stamped(no_answer(err), path))
}

async fn read(response: gloo_net::http::Response, path: &str) -> Result<Reply, Problem> {
    let headers = ["content-type", "retry-after", "x-request-id"]
        .into_iter()
        .filter_map(|name| response.headers().get(name).map(|value| (name, value)))
        .collect();
    let status = response.status();
    let body = response.text().await.map_err(|err| stamped(no_answer(err), path))?;
    Ok(Reply { status, headers, body })
}

impl Reply {
    /// The data `parse` finds in a 2xx, or the problem this answer is.
    fn decode<T>(self, path: &str, parse: impl FnOnce(&str) -> Option<T>) -> Result<T, Problem> {
        let headers: Vec<(&str, &str)> = self.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let now = crate::timer::now();
        let answer = Answer { status: self.status, headers: &headers, body: &self.body, now };
        // 202 is the companion's "not yet": Pelm still collecting, said in an error body.
        if !(200..300).contains(&self.status) || self.status == 202 {
            return Err(stamped(decoder(|d| d.failure(&answer)), path));
        }
        parse(&self.body).ok_or_else(|| stamped(decoder(|d| d.unexpected_success(&answer)), path))
    }
}

async fn json<T: DeserializeOwned>(request: Result<Request, gloo_net::Error>, path: &str) -> Result<T, Problem> {
    let reply = read(send(request, path).await?, path).await?;
    reply.decode(path, |body| serde_json::from_str(body).ok())
}

async fn get<T: DeserializeOwned>(endpoint: Endpoint, path: String, signal: Option<AbortSignal>) -> Result<T, Problem> {
    json(endpoint.request(Request::get, &path, signal.as_ref()).build(), &endpoint.url(&path)).await
}

/// The Connect token that came in the connection's answer, kept for the
/// first Connect button that asks: one use, then they come from the companion.
#[derive(Clone, Copy)]
pub struct ReadyGrant(StoredValue<Option<ConnectTokenGrant>, LocalStorage>);

impl ReadyGrant {
    pub fn new(grant: Option<ConnectTokenGrant>) -> Self {
        Self(StoredValue::new_local(grant))
    }

    fn take(self) -> Option<ConnectTokenGrant> {
        self.0.try_update_value(Option::take).flatten()
    }
}

/// What a Connect token is asked for.
#[derive(Debug, Clone, Default)]
pub struct TokenFor {
    /// The utility the host chose, at which Connect opens.
    pub utility: Option<String>,
    /// The connection to confirm again (update mode); none links a new one.
    pub connection: Option<String>,
}

/// A Connect token, with the script to open it in: the host's choice, or
/// the one the companion names. The `ready` one, when there is one and
/// nothing in particular was asked (a new connection at no chosen utility),
/// costs no request.
pub async fn connect_token(
    endpoint: Endpoint,
    script: Option<String>,
    asked: TokenFor,
    ready: Option<ReadyGrant>,
) -> Result<ConnectTokenGrant, Problem> {
    let plain = asked.utility.is_none() && asked.connection.is_none();
    let ready = ready.filter(|_| plain).and_then(ReadyGrant::take);
    let mut grant = match ready {
        Some(grant) => grant,
        None => {
            let builder = endpoint.request(Request::post, "connect-token", None);
            let request = match plain {
                true => builder.build(),
                false => {
                    builder.json(&ConnectTokenRequest { utility_id: asked.utility, connection_id: asked.connection })
                }
            };
            json(request, &endpoint.url("connect-token")).await?
        }
    };
    grant.connect_script_url = connect_script(&endpoint, script, &grant.connect_script_url);
    Ok(grant)
}

/// The Connect script to load: the host's choice, or the one the companion
/// names (in a token grant, or in its not-connected answer), resolved
/// against the companion's address.
pub fn connect_script(endpoint: &Endpoint, host_choice: Option<String>, named: &str) -> String {
    host_choice.unwrap_or_else(|| endpoint.resolve(named))
}

pub async fn authorize(endpoint: Endpoint, code: String, connection_id: Option<String>) -> Result<Connection, Problem> {
    let body = AuthorizationRequest { authorization_code: code, connection_id };
    json(endpoint.request(Request::post, "authorization", None).json(&body), &endpoint.url("authorization")).await
}

/// Removes one connection; answers the summary of those left.
pub async fn disconnect(endpoint: Endpoint, connection_id: &str) -> Result<Connection, Problem> {
    let path = format!("connections/{}", encode(connection_id));
    json(endpoint.request(Request::delete, &path, None).build(), &endpoint.url(&path)).await
}

/// The connections and their health, as the companion last saw them: no
/// call to Pelm, so cheap to ask after anything that may have changed them.
pub async fn connections(endpoint: Endpoint) -> Result<Vec<LinkedConnection>, Problem> {
    get(endpoint, "connections".to_owned(), None).await
}

/// A bill's PDF as an object URL, fetched before it is shown, so a failure
/// becomes a message in the page rather than a tab with an error in it. The
/// caller revokes the URL.
pub async fn bill_pdf(endpoint: Endpoint, bill_id: &str, account_id: Option<&str>) -> Result<String, Problem> {
    let mut path = format!("bills/{}/pdf", encode(bill_id));
    if let Some(account) = account_id {
        path = format!("{path}?account_id={}", encode(account));
    }
    let response = send(endpoint.request(Request::get, &path, None).build(), &endpoint.url(&path)).await?;
    let path = endpoint.url(&path);
    let is_pdf = response.headers().get("content-type").is_some_and(|t| t.starts_with("application/pdf"));
    if !response.ok() || !is_pdf {
        // A 2xx that is not a PDF finds nothing to parse, and is read as what it is.
        return read(response, &path).await?.decode(&path, |_| None);
    }
    let bytes = response.binary().await.map_err(|err| stamped(no_answer(err), &path))?;
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes.as_slice()));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/pdf");
    web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)
        .and_then(|blob| web_sys::Url::create_object_url_with_blob(&blob))
        .map_err(|_| stamped(decoder(|d| d.no_answer(Kind::Unreadable)), &path))
}

fn encode(text: &str) -> String {
    String::from(js_sys::encode_uri_component(text))
}

async fn get_columns(endpoint: Endpoint, path: String, signal: Option<AbortSignal>) -> Result<Columns, Problem> {
    let request = endpoint.request(Request::get, &path, signal.as_ref()).header("accept", MEDIA_TYPE);
    let path = endpoint.url(&path);
    let reply = read(send(request.build(), &path).await?, &path).await?;
    // Columns that do not add up are an answer not understood, like any other.
    reply.decode(&path, |body| serde_json::from_str::<ColumnsAnswer>(body).ok()?.into_columns().ok())
}

/// As [`Calls::columns`], tried once: for asking early for what a page will
/// ask for anyway, which then asks again, with retries, if this failed.
pub async fn columns_once(endpoint: Endpoint, asked: &Asked, level: Level, span: Viewport) -> Result<Columns, Problem> {
    get_columns(endpoint, asked.columns_path(level, span), None).await
}

/// Whose usage is asked for: one account's meter.
#[derive(Debug, Clone, PartialEq)]
pub struct Asked {
    pub account_id: String,
    pub meter: MeterType,
}

impl Asked {
    fn columns_path(&self, level: Level, span: Viewport) -> String {
        format!("{}&level={}", self.query("intervals", span), level.name())
    }

    /// `route?account_id=…&type=…&start_date=…&end_date=…&zone=…`, the zone
    /// the page counts days in, as the offsets it keeps over `span`; a span
    /// longer than one request may ask is cut to its newest ten years here,
    /// the one place every request for intervals passes.
    fn query(&self, route: &str, span: Viewport) -> String {
        let local = crate::locale::local_zone();
        let span = pelm_usage::askable(span, &local);
        let zone = ZoneOffsets::learn(&local, span.from, span.to);
        format!(
            "{route}?account_id={}&type={}&start_date={}&end_date={}&zone={}",
            encode(&self.account_id),
            self.meter.as_str(),
            span.from,
            span.to,
            encode(&zone.to_string())
        )
    }
}

/// The data requests of one view, or of one resource in it. They are
/// cancelled when the view goes away; retried with backoff and jitter while
/// the fault may pass; repeated while Pelm collects the data; and said in
/// [`Calls::status`] meanwhile. A newer request through the same `Calls`
/// ends the retries of an older one. A fault that only reconnecting can
/// mend raises the app's reconnect prompt.
#[derive(Clone, Copy)]
pub struct Calls {
    controller: StoredValue<Option<AbortController>, LocalStorage>,
    latest: StoredValue<u32>,
    status: RwSignal<Option<String>>,
    reconnect: Option<RwSignal<bool>>,
    endpoint: StoredValue<Endpoint>,
}

/// [`Calls`] for the view being built, cancelled when it is disposed.
pub fn use_calls() -> Calls {
    let calls = Calls {
        controller: StoredValue::new_local(AbortController::new().ok()),
        latest: StoredValue::new(0),
        status: RwSignal::new(None),
        reconnect: use_context::<DataContext>().map(|data| data.reconnect_needed),
        endpoint: StoredValue::new(use_endpoint()),
    };
    on_cleanup(move || {
        if let Some(Some(controller)) = calls.controller.try_get_value() {
            controller.abort();
        }
    });
    calls
}

impl Calls {
    /// What is happening while the data is late: a retry, or Pelm still
    /// collecting it. `None` while all goes well.
    pub fn status(&self) -> Signal<Option<String>> {
        self.status.into()
    }

    fn signal(&self) -> Option<AbortSignal> {
        self.controller.try_get_value().flatten().map(|c| c.signal())
    }

    async fn run<T, F, Fut>(self, call: F) -> Result<T, Problem>
    where
        F: Fn(Option<AbortSignal>) -> Fut,
        Fut: Future<Output = Result<T, Problem>>,
    {
        let cancelled = || decoder(|d| d.no_answer(Kind::Cancelled));
        let Some(this) = self.latest.try_update_value(|n| {
            *n += 1;
            *n
        }) else {
            return Err(cancelled());
        };
        let current = move || self.latest.try_get_value() == Some(this);
        let policy = RetryPolicy::default();
        let mut failures = 0;
        loop {
            let mut problem = match call(self.signal()).await {
                Ok(data) => {
                    if current() {
                        self.status.try_set(None);
                    }
                    return Ok(data);
                }
                Err(problem) => problem,
            };
            failures += 1;
            problem.attempts = failures;
            if !current() || problem.kind == Kind::Cancelled {
                return Err(problem);
            }
            let Some(pause) = policy.pause(failures, &problem, js_sys::Math::random()) else {
                self.status.try_set(None);
                if let (Recovery::Reconnect, Some(reconnect)) = (problem.recovery(), self.reconnect) {
                    reconnect.try_set(true);
                }
                return Err(problem);
            };
            // A disposed signal means the view is gone: stop here.
            if self.status.try_set(Some(crate::language::progress(&policy, &problem, pause, failures))).is_some() {
                return Err(cancelled());
            }
            sleep(pause).await;
            if !current() {
                return Err(cancelled());
            }
        }
    }

    pub async fn connection(self) -> Result<Connection, Problem> {
        let endpoint = self.endpoint.get_value();
        self.run(|signal| get(endpoint.clone(), "connection".to_owned(), signal)).await
    }

    pub async fn accounts(self) -> Result<Vec<Account>, Problem> {
        let endpoint = self.endpoint.get_value();
        self.run(|signal| get(endpoint.clone(), "accounts".to_owned(), signal)).await
    }

    /// One account's meter over `span` as columns: its intervals, or at a
    /// coarser `level` the local periods summed from them in `zone` (the
    /// companion sums as `pelm_usage::aggregate` does).
    pub async fn columns(self, asked: &Asked, level: Level, span: Viewport) -> Result<Columns, Problem> {
        let path = asked.columns_path(level, span);
        let endpoint = self.endpoint.get_value();
        self.run(|signal| get_columns(endpoint.clone(), path.clone(), signal)).await
    }

    /// The typical day over `span`, from the companion (48 numbers, not the
    /// intervals); `None` when no interval is short enough to tell hours apart.
    pub async fn typical_day(self, asked: &Asked, span: Viewport) -> Result<Option<TypicalDay>, Problem> {
        let path = asked.query("typical-day", span);
        let endpoint = self.endpoint.get_value();
        self.run(|signal| get(endpoint.clone(), path.clone(), signal)).await
    }

    /// The account's bills, in either shape Pelm has used, newest first.
    pub async fn bills(self, account_id: &str) -> Result<Vec<BillRow>, Problem> {
        let path = format!("bills?account_id={}", encode(account_id));
        let endpoint = self.endpoint.get_value();
        self.run(|signal| {
            let (path, endpoint) = (path.clone(), endpoint.clone());
            async move {
                let request = endpoint.request(Request::get, &path, signal.as_ref()).build();
                let path = endpoint.url(&path);
                let response = send(request, &path).await?;
                read(response, &path).await?.decode(&path, |body| decode_bills(body).ok())
            }
        })
        .await
    }
}

/// Why a file a site names (its list of tariffs, a tariff) was not had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteFileTrouble {
    /// No answer: offline, blocked, or refused by CORS.
    Unreachable,
    /// An answer that was not the file: its HTTP status.
    Status(u16),
}

/// The text of a file at `url`, which a site named: public data, so no
/// credentials go with it, and it is given up after the usual timeout.
/// Through `fetch` itself rather than gloo: the calls above are in the
/// first wasm part, and sharing their futures with a later part's would
/// move code into it.
pub async fn site_file(url: &str) -> Result<String, SiteFileTrouble> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let init = web_sys::RequestInit::new();
    init.set_credentials(web_sys::RequestCredentials::Omit);
    init.set_signal(Some(&AbortSignal::timeout_with_u32(TIMEOUT_MS)));
    let answer = JsFuture::from(leptos::prelude::window().fetch_with_str_and_init(url, &init))
        .await
        .map_err(|_| SiteFileTrouble::Unreachable)?;
    let response: web_sys::Response = answer.dyn_into().map_err(|_| SiteFileTrouble::Unreachable)?;
    if !response.ok() {
        return Err(SiteFileTrouble::Status(response.status()));
    }
    let text = response.text().map_err(|_| SiteFileTrouble::Unreachable)?;
    JsFuture::from(text).await.ok().and_then(|t| t.as_string()).ok_or(SiteFileTrouble::Unreachable)
}
