//! The app in headless Chromium (wasm-bindgen-test), without a companion: the
//! test runner's own server answers /api, so every call meets a non-JSON error.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

mod common;

use common::wait_for;

wasm_bindgen_test_configure!(run_in_browser);

fn fresh_host() -> web_sys::HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let host: web_sys::HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&host).unwrap();
    host
}

#[wasm_bindgen_test]
async fn without_a_companion_the_app_explains_and_offers_a_retry() {
    let host = fresh_host();
    let _app = leptos::mount::mount_to(host.clone(), || leptos::view! { <pelm_energy::app::App /> });
    let notice = wait_for(&host, ".pe-problem[role=alert]").await;
    let message = wait_for(&host, ".pe-problem-message").await.text_content().unwrap_or_default();
    assert_eq!(message, "Something went wrong.");
    let text = notice.text_content().unwrap_or_default();
    for raw in ['<', '{'] {
        assert!(!text.contains(raw), "raw response shown: {text}");
    }
    let details = wait_for(&host, ".pe-problem-details dl").await.text_content().unwrap_or_default();
    assert!(details.contains("HTTP status") && details.contains("/api/connection"), "{details}");
    let retry = wait_for(&host, "button[data-action=try-again]").await;
    assert_eq!(retry.text_content().as_deref(), Some("Try again"));
    assert!(!host.inner_html().contains("Checking your connection"), "a spinner was left running");
}
