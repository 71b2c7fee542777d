//! The browser's clock: now, in the Unix seconds every model type counts
//! in, and waiting without holding a closure (the Promise's resolve function
//! is itself the timeout callback).

use std::time::Duration;

use js_sys::Promise;
use wasm_bindgen_futures::JsFuture;

/// Now, in whole Unix seconds.
pub fn now() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}

pub async fn sleep(duration: Duration) {
    let millis = i32::try_from(duration.as_millis()).unwrap_or(i32::MAX);
    let wait = Promise::new(&mut |resolve, _reject| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, millis);
        }
    });
    let _ = JsFuture::from(wait).await;
}
