//! Pelm Connect as a Leptos hook: [`use_pelm_connect`].
//!
//! It gets a Connect token from the companion, loads the Connect script once
//! per page, detects which of Pelm's two script generations it is, and opens
//! Connect on demand. The JS callbacks it hands to Connect are owned by the
//! hook's session and released with it; nothing is leaked with `forget()`.

mod bindings;
mod script;

use crate::language::{t, tf};
use pelm_app_logic::words::{connect, Text};
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

use js_sys::Object;
use leptos::prelude::*;
use leptos::task::{spawn_local, spawn_local_scoped_with_cancellation};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use pelm_app_logic::kind::Kind;
use pelm_app_logic::problem::Problem;
use pelm_model::companion::ConnectTokenGrant;

use crate::api;
use bindings::{Generation, LegacyHandle};

/// How long the current script may take to call `onReady` before the hook
/// says so instead of leaving the button disabled for ever.
const READY_TIMEOUT: Duration = Duration::from_secs(20);
const WAITING_FOR_READY: ConnectStatus = ConnectStatus::Preparing(connect::WAITING);

/// Where Connect tokens come from: the companion by default.
pub type TokenSource = Rc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<ConnectTokenGrant, Problem>>>>>;

/// What Connect's `onSuccess` gave, with the connection its token was for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectSuccess {
    pub code: String,
    /// The grant's connection, posted back with the code.
    pub connection_id: Option<String>,
}

pub struct UsePelmConnectOptions {
    /// Called once per Connect session with the authorization code.
    pub on_success: Callback<ConnectSuccess>,
    /// Called when Connect closes without a connection.
    pub on_exit: Callback<ConnectExit>,
    /// Fetches a Connect token; [`api::connect_token`] unless replaced.
    pub connect_token: TokenSource,
}

impl UsePelmConnectOptions {
    /// Connect for `connection` again (update mode), or for a new one.
    pub fn new(
        on_success: Callback<ConnectSuccess>,
        on_exit: Callback<ConnectExit>,
        connection: Option<String>,
    ) -> Self {
        let endpoint = api::use_endpoint();
        let config = crate::host::use_host().map(|host| host.config.get_value()).unwrap_or_default();
        let (script, utility) = (config.connect_script, config.utility_id);
        let ready = use_context::<api::ReadyGrant>();
        let connect_token: TokenSource = Rc::new(move || {
            let asked = api::TokenFor { utility: utility.clone(), connection: connection.clone() };
            Box::pin(api::connect_token(endpoint.clone(), script.clone(), asked, ready))
        });
        Self { on_success, on_exit, connect_token }
    }

    /// Takes Connect tokens from `source` instead of the companion.
    pub fn connect_token<F, Fut>(mut self, source: F) -> Self
    where
        F: Fn() -> Fut + 'static,
        Fut: Future<Output = Result<ConnectTokenGrant, Problem>> + 'static,
    {
        self.connect_token = Rc::new(move || Box::pin(source()));
        self
    }
}

/// When to fetch a new token: a minute before it expires, or halfway
/// through a short one.
pub fn refresh_after(expires_in_secs: u64) -> Duration {
    let secs = if expires_in_secs > 120 { expires_in_secs - 60 } else { expires_in_secs / 2 };
    Duration::from_secs(secs.max(1))
}

/// Why Connect closed without connecting.
#[derive(Clone, Debug, PartialEq)]
pub struct ConnectExit {
    /// Pelm's exit status, e.g. `user_initiated_exit`.
    pub status: String,
    /// For `unavailable_utility_credentials_submitted`.
    pub utility_name: Option<String>,
    /// For a Connect error (status `error`): Pelm's error code and message.
    pub error_code: Option<String>,
    pub message: Option<String>,
}

impl ConnectExit {
    /// What to tell the user, if anything: a user who closed Connect needs no
    /// message; an unsupported utility is named.
    pub fn notice(&self) -> Option<String> {
        match self.status.as_str() {
            "user_initiated_exit" => None,
            _ if self.error_code.as_deref() == Some("token_invalid") => Some(t(connect::EXPIRED).to_owned()),
            "unavailable_utility_credentials_submitted" => Some(match &self.utility_name {
                Some(name) => tf(connect::UNAVAILABLE_NAMED, &[("utility", name)]),
                None => t(connect::UNAVAILABLE).to_owned(),
            }),
            _ => Some(match (&self.error_code, &self.message) {
                // Connect's codes (mfa_failed, connect_max_attempted_logins...)
                // in the words every other error gets.
                (Some(code), said) => {
                    let problem = api::problem_from_code(code, said.as_deref(), Kind::Connect);
                    format!("{} {}", problem.message, problem.next_step)
                }
                (None, Some(message)) if !message.is_empty() => tf(connect::CLOSED_SAYING, &[("message", message)]),
                _ => t(connect::CLOSED).to_owned(),
            }),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum ConnectStatus {
    /// Not ready yet; the text says why, for the disabled button.
    Preparing(Text),
    Ready,
    Open,
    /// It cannot be opened; the text says why. `retry` starts over.
    Failed(String),
}

pub struct UsePelmConnectReturn {
    pub status: Signal<ConnectStatus>,
    /// Opens Connect when it is ready; does nothing otherwise.
    pub open: Callback<()>,
    /// Starts over with a fresh token and, if it failed before, a fresh script.
    pub retry: Callback<()>,
}

/// One prepared Connect: the script's API, and the callbacks it was given.
struct Session {
    generation: Generation,
    legacy_handle: Option<LegacyHandle>,
    /// While true, callbacks from Connect are ignored: the hook is going away.
    closing: Rc<Cell<bool>>,
    /// Owned here, so they live exactly as long as Connect may call them.
    _callbacks: Callbacks,
}

/// What Connect calls back, as JS functions.
struct Callbacks {
    on_success: Closure<dyn FnMut(JsValue)>,
    on_exit: Closure<dyn FnMut(JsValue, JsValue)>,
    on_ready: Closure<dyn FnMut()>,
}

impl Session {
    fn open(&self) -> Result<(), JsValue> {
        match (&self.generation, &self.legacy_handle) {
            (Generation::Legacy(_), Some(handle)) => handle.open_handle(),
            (Generation::Current(connect), _) => connect.open_current(),
            (Generation::Legacy(_), None) => Err(JsValue::from_str("Connect has no handle")),
        }
    }

    fn exit(&self) {
        let result = match (&self.generation, &self.legacy_handle) {
            (Generation::Legacy(_), Some(handle)) => handle.exit_handle(),
            (Generation::Current(connect), _) => connect.exit_current(),
            _ => Ok(()),
        };
        if let Err(err) = result {
            web_sys::console::warn_1(&format!("Pelm Connect exit failed: {}", bindings::describe(&err)).into());
        }
    }
}

/// `onExit`'s metadata. Connect puts different fields there per status and
/// may add more; missing ones stay `None`, unknown ones are ignored.
#[derive(Default, serde::Deserialize)]
struct ExitMetadata {
    utility_name: Option<String>,
    error_code: Option<String>,
    message: Option<String>,
}

fn exit_from_js(status: &JsValue, metadata: &JsValue) -> ConnectExit {
    let metadata: ExitMetadata = serde_wasm_bindgen::from_value(metadata.clone()).unwrap_or_default();
    ConnectExit {
        status: status.as_string().unwrap_or_else(|| "unknown".to_owned()),
        utility_name: metadata.utility_name,
        error_code: metadata.error_code,
        message: metadata.message,
    }
}

pub fn use_pelm_connect(options: UsePelmConnectOptions) -> UsePelmConnectReturn {
    let UsePelmConnectOptions { on_success, on_exit, connect_token } = options;
    let status = RwSignal::new(ConnectStatus::Preparing(connect::GETTING_READY));
    let session = StoredValue::new_local(None::<Session>);
    let attempt = RwSignal::new(0u32);
    let refresh = StoredValue::new_local(None::<TimeoutHandle>);
    let hooks = Hooks { status, attempt, stale: RwSignal::new(false), on_success, on_exit };

    Effect::new(move |_| {
        attempt.track();
        // A new attempt replaces the old session, which drops its callbacks.
        session.set_value(None);
        hooks.stale.set(false);
        if let Some(timer) = refresh.try_update_value(Option::take).flatten() {
            timer.clear();
        }
        let connect_token = connect_token.clone();
        spawn_local_scoped_with_cancellation(async move {
            match prepare(hooks, session, connect_token).await {
                Ok(expires_in) => {
                    // Renew the token before Pelm would refuse it; not while Connect is open.
                    let timer = set_timeout_with_handle(
                        move || {
                            if hooks.status.try_get_untracked() == Some(ConnectStatus::Open) {
                                hooks.stale.try_set(true);
                            } else {
                                hooks.attempt.try_update(|n| *n += 1);
                            }
                        },
                        refresh_after(expires_in),
                    );
                    refresh.try_set_value(timer.ok());
                }
                Err(reason) => {
                    status.try_set(ConnectStatus::Failed(reason));
                }
            }
        });
    });

    on_cleanup(move || {
        if let Some(timer) = refresh.try_update_value(Option::take).flatten() {
            timer.clear();
        }
        let was_open = status.try_get_untracked() == Some(ConnectStatus::Open);
        session.try_update_value(|slot| {
            if let Some(session) = slot.take() {
                session.closing.set(true);
                if was_open {
                    session.exit();
                }
            }
        });
    });

    let open = Callback::new(move |()| {
        if status.get_untracked() != ConnectStatus::Ready {
            return;
        }
        // Its token was used or is about to expire: start over with a fresh one.
        if hooks.stale.get_untracked() {
            attempt.update(|n| *n += 1);
            return;
        }
        let opened = session.with_value(|s| s.as_ref().map(Session::open));
        match opened {
            Some(Ok(())) => status.set(ConnectStatus::Open),
            Some(Err(err)) => {
                web_sys::console::warn_1(&format!("Pelm Connect could not open: {}", bindings::describe(&err)).into());
                // The usual cause is a stale token: start over with a fresh one.
                attempt.update(|n| *n += 1);
            }
            None => {}
        }
    });
    let retry = Callback::new(move |()| attempt.update(|n| *n += 1));
    UsePelmConnectReturn { status: status.into(), open, retry }
}

/// How long after a success the hook waits before getting a fresh token.
const RENEW_AFTER_SUCCESS: Duration = Duration::from_secs(2);

/// The hook's reactive handles, which Connect's callbacks reach into.
#[derive(Clone, Copy)]
struct Hooks {
    status: RwSignal<ConnectStatus>,
    attempt: RwSignal<u32>,
    /// The token's refresh came due while Connect was open.
    stale: RwSignal<bool>,
    on_success: Callback<ConnectSuccess>,
    on_exit: Callback<ConnectExit>,
}

impl Hooks {
    /// After Connect closes: back to ready, and a fresh session if `renew`
    /// or if the token went stale meanwhile. Run on the next tick, outside
    /// Connect's callback, whose closure the new session will drop.
    fn closed(self, renew: bool) {
        self.status.try_set(ConnectStatus::Ready);
        if renew || self.stale.try_get_untracked() == Some(true) {
            spawn_local(async move {
                self.attempt.try_update(|n| *n += 1);
            });
        }
    }
}

/// Starts loading the Connect script at `url` before anyone asks to open
/// Connect; `use_pelm_connect` then waits for the same load rather than
/// starting one. A failure here is retried there.
pub fn preload_script(url: String) {
    spawn_local(async move {
        let _ = script::load(&url).await;
    });
}

/// Gets a token, loads the script and hands Connect its config; answers the
/// token's lifetime in seconds.
async fn prepare(
    hooks: Hooks,
    session: StoredValue<Option<Session>, LocalStorage>,
    connect_token: TokenSource,
) -> Result<u64, String> {
    let status = hooks.status;
    status.set(ConnectStatus::Preparing(connect::GETTING_SESSION));
    let grant = connect_token().await.map_err(|problem| problem.message)?;
    status.set(ConnectStatus::Preparing(connect::LOADING_SCRIPT));
    script::load(&grant.connect_script_url).await?;
    let generation = bindings::detect()?;

    let closing = Rc::new(Cell::new(false));
    let callbacks = Callbacks::new(hooks, closing.clone(), grant.connection_id.clone());
    let config = Object::new();
    bindings::set(&config, "connectToken", &JsValue::from_str(&grant.connect_token));
    bindings::set(&config, "onSuccess", callbacks.on_success.as_ref());
    bindings::set(&config, "onExit", callbacks.on_exit.as_ref());
    let legacy_handle = match &generation {
        Generation::Legacy(connect) => {
            let created = connect.create(&config).map_err(|e| bindings::describe(&e))?;
            let handle = JsFuture::from(created).await.map_err(|e| bindings::describe(&e))?;
            Some(handle.unchecked_into::<LegacyHandle>())
        }
        Generation::Current(connect) => {
            bindings::set(&config, "onReady", callbacks.on_ready.as_ref());
            status.set(WAITING_FOR_READY);
            connect.initialize(&config).map_err(|e| bindings::describe(&e))?;
            None
        }
    };
    let is_legacy = legacy_handle.is_some();
    session.set_value(Some(Session { generation, legacy_handle, closing, _callbacks: callbacks }));
    if is_legacy {
        status.set(ConnectStatus::Ready);
    } else if status.get_untracked() == WAITING_FOR_READY {
        set_timeout(
            move || {
                if status.try_get_untracked() == Some(WAITING_FOR_READY) {
                    status.try_set(ConnectStatus::Failed(t(connect::NOT_READY).to_owned()));
                }
            },
            READY_TIMEOUT,
        );
    }
    Ok(grant.expires_in)
}

impl Callbacks {
    /// Connect's callbacks for one session; all do nothing once `closing`.
    fn new(hooks: Hooks, closing: Rc<Cell<bool>>, connection_id: Option<String>) -> Self {
        let Hooks { status, on_success, on_exit, .. } = hooks;
        let delivered = Rc::new(Cell::new(false));
        let done = closing.clone();
        let on_success = Closure::<dyn FnMut(JsValue)>::new(move |code: JsValue| {
            // Connect may fire twice; the code goes out once.
            if done.get() || delivered.replace(true) {
                return;
            }
            let success =
                ConnectSuccess { code: code.as_string().unwrap_or_default(), connection_id: connection_id.clone() };
            // Outside the JS callback, so the page may unmount this hook freely.
            spawn_local(async move { on_success.run(success) });
            // A used token is not reused; but a page that connected most often
            // moves on at once, so the fresh one is asked for only if this
            // hook is still here a moment later, or when it is opened again.
            hooks.stale.try_set(true);
            hooks.status.try_set(ConnectStatus::Ready);
            set_timeout(
                move || {
                    if hooks.stale.try_get_untracked() == Some(true) {
                        hooks.attempt.try_update(|n| *n += 1);
                    }
                },
                RENEW_AFTER_SUCCESS,
            );
        });
        let on_exit = Closure::<dyn FnMut(JsValue, JsValue)>::new(move |exit_status: JsValue, metadata: JsValue| {
            if closing.get() {
                return;
            }
            let exit = exit_from_js(&exit_status, &metadata);
            if !matches!(exit.status.as_str(), "user_initiated_exit" | "unavailable_utility_credentials_submitted") {
                web_sys::console::warn_2(&format!("Pelm Connect exited with status {}", exit.status).into(), &metadata);
            }
            // Connect refused the token (it expired): the next open gets a new one.
            let renew = exit.error_code.as_deref() == Some("token_invalid");
            spawn_local(async move { on_exit.run(exit) });
            hooks.closed(renew);
        });
        let on_ready = Closure::<dyn FnMut()>::new(move || {
            if status.try_get_untracked() == Some(WAITING_FOR_READY) {
                status.try_set(ConnectStatus::Ready);
            }
        });
        Self { on_success, on_exit, on_ready }
    }
}
