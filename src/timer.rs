//! Waiting in the browser without holding a closure: the Promise's resolve
//! function is itself the timeout callback.

use std::time::Duration;

use js_sys::Promise;
use wasm_bindgen_futures::JsFuture;

pub async fn sleep(duration: Duration) {
    let millis = i32::try_from(duration.as_millis()).unwrap_or(i32::MAX);
    let wait = Promise::new(&mut |resolve, _reject| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, millis);
        }
    });
    let _ = JsFuture::from(wait).await;
}
