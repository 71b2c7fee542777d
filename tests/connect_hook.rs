//! `use_pelm_connect` in headless Chromium against small stand-ins for both
//! Connect script generations. Each stand-in records what the hook did in
//! `window.__pelm`, and the tests play Connect's side by calling the config's
//! callbacks.
#![cfg(target_arch = "wasm32")]

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use js_sys::{Function, Reflect};
use leptos::prelude::*;
use pelm_energy::connect::{use_pelm_connect, ConnectExit, ConnectSuccess, UsePelmConnectOptions};
use pelm_energy::timer::sleep;
use pelm_model::companion::ConnectTokenGrant;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A legacy script: `create(config)` resolves to a handle.
const LEGACY: &str = "window.__pelm={opened:0,exited:0,config:null,tag:'TAG'};\
window.PelmConnect={create:function(c){window.__pelm.config=c;return Promise.resolve({\
open:function(){window.__pelm.opened++},exit:function(){window.__pelm.exited++},\
validateToken:function(){return Promise.resolve(true)}})}};";

/// A current script: `initialize(config)` then `onReady`, `open()`, `exit()`.
const CURRENT: &str = "window.__pelm={opened:0,exited:0,config:null,tag:'TAG'};\
window.PelmConnect={initialize:function(c){window.__pelm.config=c;setTimeout(c.onReady,0)},\
open:function(){window.__pelm.opened++},exit:function(){window.__pelm.exited++}};";

/// A script URL no other test uses, so the page loads it afresh.
fn script(source: &str, tag: &str) -> String {
    let code = source.replace("TAG", tag);
    format!("data:text/javascript,{}", String::from(js_sys::encode_uri_component(&code)))
}

fn pelm(field: &str) -> JsValue {
    let state = Reflect::get(&js_sys::global(), &"__pelm".into()).unwrap();
    Reflect::get(&state, &field.into()).unwrap()
}

fn count(field: &str) -> f64 {
    pelm(field).as_f64().unwrap_or(-1.0)
}

/// Calls the config's `name` callback as Connect would.
fn connect_calls(name: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let callback: Function = Reflect::get(&pelm("config"), &name.into()).unwrap().unchecked_into();
    let list = js_sys::Array::new();
    for arg in args {
        list.push(arg);
    }
    callback.apply(&JsValue::NULL, &list)
}

struct Harness {
    host: web_sys::HtmlElement,
    /// Dropping it unmounts the component.
    handle: Option<Box<dyn std::any::Any>>,
    codes: Arc<Mutex<Vec<String>>>,
    exits: Arc<Mutex<Vec<ConnectExit>>>,
    tokens: Arc<AtomicU32>,
}

fn mount(script_url: String, expires_in: u64) -> Harness {
    let document = web_sys::window().unwrap().document().unwrap();
    let host: web_sys::HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&host).unwrap();
    let codes = Arc::new(Mutex::new(Vec::new()));
    let exits = Arc::new(Mutex::new(Vec::new()));
    let tokens = Arc::new(AtomicU32::new(0));
    let (c, e, t) = (codes.clone(), exits.clone(), tokens.clone());
    let handle = leptos::mount::mount_to(host.clone(), move || {
        let options = UsePelmConnectOptions::new(
            Callback::new(move |success: ConnectSuccess| c.lock().unwrap().push(success.code)),
            Callback::new(move |exit: ConnectExit| e.lock().unwrap().push(exit)),
            None,
        )
        .connect_token(move || {
            let n = t.fetch_add(1, Ordering::SeqCst) + 1;
            let grant = ConnectTokenGrant {
                connect_token: format!("token-{n}"),
                expires_in,
                connect_script_url: script_url.clone(),
                connection_id: None,
            };
            async move { Ok(grant) }
        });
        let connect = use_pelm_connect(options);
        let status = connect.status;
        let open = connect.open;
        let retry = connect.retry;
        view! {
            <p class="status">{move || format!("{:?}", status.get())}</p>
            <button class="open" on:click=move |_| open.run(())>"open"</button>
            <button class="retry" on:click=move |_| retry.run(())>"retry"</button>
        }
        .into_any()
    });
    Harness { host, handle: Some(Box::new(handle)), codes, exits, tokens }
}

impl Harness {
    fn status(&self) -> String {
        self.host.query_selector(".status").unwrap().and_then(|e| e.text_content()).unwrap_or_default()
    }

    async fn wait_for_status(&self, prefix: &str) {
        for _ in 0..400 {
            if self.status().starts_with(prefix) {
                return;
            }
            sleep(Duration::from_millis(10)).await;
        }
        panic!("status stayed {} instead of {prefix}", self.status());
    }

    /// Waits until the hook has fetched `n` tokens (or gives up after 4 s).
    async fn wait_for_tokens(&self, n: u32) {
        for _ in 0..400 {
            if self.tokens.load(Ordering::SeqCst) >= n {
                return;
            }
            sleep(Duration::from_millis(10)).await;
        }
    }

    fn click(&self, class: &str) {
        let button: web_sys::HtmlElement = self.host.query_selector(class).unwrap().unwrap().unchecked_into();
        button.click();
    }

    fn unmount(&mut self) {
        self.handle.take();
        self.host.remove();
    }
}

#[wasm_bindgen_test]
async fn legacy_connect_delivers_one_code_even_if_on_success_fires_twice() {
    let harness = mount(script(LEGACY, "legacy-success"), 1800);
    harness.wait_for_status("Ready").await;
    assert_eq!(pelm("tag"), "legacy-success");
    assert_eq!(Reflect::get(&pelm("config"), &"connectToken".into()).unwrap(), "token-1");
    harness.click(".open");
    assert_eq!(count("opened"), 1.0);
    harness.wait_for_status("Open").await;
    connect_calls("onSuccess", &["code-1".into()]).unwrap();
    connect_calls("onSuccess", &["code-1".into()]).unwrap();
    sleep(Duration::from_millis(50)).await;
    assert_eq!(*harness.codes.lock().unwrap(), ["code-1"]);
    // A used token is not reused, but the fresh one is not asked for at
    // once: a page that connected most often moves on. Still here a moment
    // later, the hook gets it. (Ready comes once before the new session
    // starts, so wait for the token, not the status.)
    assert_eq!(harness.tokens.load(Ordering::SeqCst), 1, "a token asked for while the page moves on");
    harness.wait_for_tokens(2).await;
    assert_eq!(harness.tokens.load(Ordering::SeqCst), 2);
    harness.wait_for_status("Ready").await;
}

#[wasm_bindgen_test]
async fn current_connect_waits_for_on_ready_and_reports_exit_metadata() {
    let harness = mount(script(CURRENT, "current-exit"), 1800);
    harness.wait_for_status("Ready").await;
    harness.click(".open");
    harness.wait_for_status("Open").await;
    let metadata =
        js_sys::JSON::parse(r#"{"utility_id":"8","utility_name":"Cherokee Electric Cooperative","new":1}"#).unwrap();
    connect_calls("onExit", &["unavailable_utility_credentials_submitted".into(), metadata]).unwrap();
    sleep(Duration::from_millis(50)).await;
    let exits = harness.exits.lock().unwrap().clone();
    assert_eq!(exits.len(), 1);
    assert_eq!(exits[0].status, "unavailable_utility_credentials_submitted");
    assert_eq!(exits[0].utility_name.as_deref(), Some("Cherokee Electric Cooperative"));
    harness.wait_for_status("Ready").await;
    assert_eq!(harness.tokens.load(Ordering::SeqCst), 1, "an exit keeps the token");
}

#[wasm_bindgen_test]
async fn a_script_that_will_not_load_says_so_and_retry_tries_again() {
    let harness = mount("http://127.0.0.1:9/pelm-connect.js".to_owned(), 1800);
    harness.wait_for_status("Failed").await;
    assert!(harness.status().contains("could not be loaded"), "{}", harness.status());
    harness.click(".retry");
    // Refused connections fail fast, so wait for the second try's token, not a passing state.
    harness.wait_for_tokens(2).await;
    assert_eq!(harness.tokens.load(Ordering::SeqCst), 2, "retry did not start over");
    harness.wait_for_status("Failed").await;
}

#[wasm_bindgen_test]
async fn the_token_is_renewed_before_it_expires() {
    // A 2-second token is renewed after one second, with no user action.
    let harness = mount(script(LEGACY, "legacy-refresh"), 2);
    harness.wait_for_status("Ready").await;
    assert_eq!(harness.tokens.load(Ordering::SeqCst), 1, "renewed before its time");
    harness.wait_for_tokens(2).await;
    assert!(harness.tokens.load(Ordering::SeqCst) >= 2, "{} tokens", harness.tokens.load(Ordering::SeqCst));
    harness.wait_for_status("Ready").await;
}

#[wasm_bindgen_test]
async fn unmounting_exits_connect_and_releases_its_callbacks() {
    let mut harness = mount(script(LEGACY, "legacy-cleanup"), 1800);
    harness.wait_for_status("Ready").await;
    harness.click(".open");
    harness.wait_for_status("Open").await;
    harness.unmount();
    assert_eq!(count("exited"), 1.0, "Connect was left open");
    // The closures Connect held are gone: calling one now throws.
    assert!(connect_calls("onSuccess", &["late".into()]).is_err(), "a callback outlived its hook");
    assert!(harness.codes.lock().unwrap().is_empty());
}

#[wasm_bindgen_test]
async fn connect_refusing_an_expired_token_gets_a_fresh_one() {
    let harness = mount(script(CURRENT, "current-expired"), 1800);
    harness.wait_for_status("Ready").await;
    harness.click(".open");
    harness.wait_for_status("Open").await;
    let metadata =
        js_sys::JSON::parse(r#"{"error_code":"token_invalid","message":"The provided connect token is invalid"}"#)
            .unwrap();
    connect_calls("onExit", &["error".into(), metadata]).unwrap();
    harness.wait_for_tokens(2).await;
    assert_eq!(harness.tokens.load(Ordering::SeqCst), 2, "the refused token was kept");
    let exits = harness.exits.lock().unwrap().clone();
    assert_eq!(exits[0].notice().as_deref(), Some("Your Connect session expired. Press the button to start again."));
    harness.wait_for_status("Ready").await;
}
