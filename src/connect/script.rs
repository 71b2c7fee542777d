//! Injects a script once per page, however many components ask for it.

use crate::language::{t, tf};
use pelm_app_logic::words::connect;
use std::cell::RefCell;
use std::collections::HashMap;

use futures::channel::oneshot;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    Loading,
    Loaded,
    Failed,
}

/// One injected script. The registry owns its load and error closures for as
/// long as the element exists; a failed entry is replaced, and so dropped, on retry.
struct Entry {
    state: State,
    element: web_sys::HtmlScriptElement,
    waiters: Vec<oneshot::Sender<bool>>,
    _on_load: Closure<dyn FnMut()>,
    _on_error: Closure<dyn FnMut()>,
}

thread_local! {
    static SCRIPTS: RefCell<HashMap<String, Entry>> = RefCell::default();
}

fn settle(url: &str, loaded: bool) {
    SCRIPTS.with_borrow_mut(|scripts| {
        if let Some(entry) = scripts.get_mut(url) {
            entry.state = if loaded { State::Loaded } else { State::Failed };
            for waiter in entry.waiters.drain(..) {
                let _ = waiter.send(loaded);
            }
        }
    });
}

fn inject(url: &str) -> Result<Entry, String> {
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let element: web_sys::HtmlScriptElement =
        document.create_element("script").map_err(|_| t(connect::NOT_ATTACHED))?.unchecked_into();
    let on_load = {
        let url = url.to_owned();
        Closure::<dyn FnMut()>::new(move || settle(&url, true))
    };
    let on_error = {
        let url = url.to_owned();
        Closure::<dyn FnMut()>::new(move || settle(&url, false))
    };
    element.set_onload(Some(on_load.as_ref().unchecked_ref()));
    element.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    element.set_async(true);
    element.set_src(url);
    element.set_attribute("data-pelm-connect-loader", "").ok();
    let parent =
        document.head().map(|h| h.unchecked_into::<web_sys::Element>()).or_else(|| document.document_element());
    parent.ok_or_else(|| t(connect::NOT_ATTACHED))?.append_child(&element).map_err(|_| t(connect::NOT_ATTACHED))?;
    Ok(Entry { state: State::Loading, element, waiters: Vec::new(), _on_load: on_load, _on_error: on_error })
}

/// Resolves once the script at `url` has run. A script that failed to load
/// is injected afresh on the next call, so a retry really retries.
pub(super) async fn load(url: &str) -> Result<(), String> {
    let waiting = SCRIPTS.with_borrow_mut(|scripts| -> Result<Option<oneshot::Receiver<bool>>, String> {
        match scripts.get(url).map(|e| e.state) {
            Some(State::Loaded) => return Ok(None),
            Some(State::Failed) => {
                if let Some(old) = scripts.remove(url) {
                    old.element.remove();
                }
            }
            _ => {}
        }
        if !scripts.contains_key(url) {
            scripts.insert(url.to_owned(), inject(url)?);
        }
        let (tx, rx) = oneshot::channel();
        scripts.get_mut(url).expect("inserted above").waiters.push(tx);
        Ok(Some(rx))
    })?;
    match waiting {
        None => Ok(()),
        Some(rx) => match rx.await {
            Ok(true) => Ok(()),
            _ => Err(tf(connect::NOT_LOADED, &[("url", url)])),
        },
    }
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use js_sys::Reflect;
    use wasm_bindgen::JsValue;
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::load;

    fn injected(url: &str) -> u32 {
        let document = web_sys::window().unwrap().document().unwrap();
        document.query_selector_all(&format!("script[src=\"{url}\"]")).unwrap().length()
    }

    #[wasm_bindgen_test]
    async fn a_script_is_injected_and_run_once_however_many_ask() {
        let url = "data:text/javascript,window.__pelmLoads%3D(window.__pelmLoads%7C%7C0)%2B1";
        let (first, second) = futures::future::join(load(url), load(url)).await;
        first.unwrap();
        second.unwrap();
        load(url).await.unwrap();
        assert_eq!(injected(url), 1);
        let runs = Reflect::get(&js_sys::global(), &JsValue::from_str("__pelmLoads")).unwrap();
        assert_eq!(runs.as_f64(), Some(1.0));
    }

    #[wasm_bindgen_test]
    async fn a_failed_load_is_an_error_and_a_retry_really_retries() {
        // Port 9 (discard) refuses connections on loopback.
        let url = "http://127.0.0.1:9/connect/pelm-connect.js";
        let error = load(url).await.unwrap_err();
        assert!(error.contains("could not be loaded"), "{error}");
        assert_eq!(injected(url), 1);
        assert!(load(url).await.is_err());
        // The failed element was replaced, not stacked.
        assert_eq!(injected(url), 1);
    }
}
