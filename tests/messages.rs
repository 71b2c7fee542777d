//! A site's own words for errors, read from its page, reach every message,
//! Connect's exits included. Its own wasm instance: the words are read once.
#![cfg(target_arch = "wasm32")]

use pelm_app_logic::kind::Kind;
use pelm_energy::api::problem_from_code;
use pelm_energy::connect::ConnectExit;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn exit_with(code: &str) -> ConnectExit {
    ConnectExit {
        status: "error".to_owned(),
        utility_name: None,
        error_code: Some(code.to_owned()),
        message: Some("raw text from Connect".to_owned()),
    }
}

/// The site's words, on the page and read as the app reads them when it
/// starts (once per instance), with the rest of a site's words.
async fn install_words() {
    let document = web_sys::window().unwrap().document().unwrap();
    if document.get_element_by_id("pelm-messages").is_some() {
        pelm_energy::language::ready().await;
        return;
    }
    let words = document.create_element("script").unwrap();
    words.set_attribute("type", "application/json").unwrap();
    words.set_id("pelm-messages");
    words.set_text_content(Some(
        r#"{"quota_reached": {"message": "Le service est saturé.", "next_step": "Réessayez plus tard."},
            "kind:other": {"message": "Quelque chose a échoué.", "next_step": "Réessayez."}}"#,
    ));
    document.body().unwrap().append_child(&words).unwrap();
    pelm_energy::language::start(None, &pelm_app_logic::embed::EmbedConfig::default());
    pelm_energy::language::ready().await;
}

/// An error that is not a `Problem` reaches the error boundary's fallback,
/// which must speak the site's words as every other error does.
#[wasm_bindgen_test]
async fn the_error_fallback_uses_the_sites_words() {
    use leptos::prelude::*;
    use wasm_bindgen::JsCast;
    install_words().await;
    let document = web_sys::window().unwrap().document().unwrap();
    let host: web_sys::HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&host).unwrap();
    let _handle = leptos::mount::mount_to(host.clone(), || {
        let failed: Result<&'static str, std::fmt::Error> = Err(std::fmt::Error);
        view! { <ErrorBoundary fallback=pelm_energy::pages::problem_fallback(None)>{failed}</ErrorBoundary> }
    });
    pelm_energy::timer::sleep(std::time::Duration::from_millis(50)).await;
    let shown = host.text_content().unwrap_or_default();
    assert!(shown.contains("Quelque chose a échoué."), "{shown}");
}

#[wasm_bindgen_test]
async fn the_pages_words_replace_ours_and_connect_codes_use_the_same_table() {
    install_words().await;

    let quota = problem_from_code("QUOTA_REACHED", None, Kind::Other);
    assert_eq!((quota.message.as_str(), quota.kind), ("Le service est saturé.", Kind::Quota));
    // Codes the site left alone keep the standard words; Connect's are among them.
    assert_eq!(
        exit_with("mfa_failed").notice().as_deref(),
        Some("The verification code wasn't accepted. Connect again and enter the newest code your utility sent.")
    );
    let logins = exit_with("connect_max_attempted_logins").notice().unwrap();
    assert!(logins.starts_with("There have been too many login attempts"), "{logins}");
    let unknown = exit_with("utility_on_fire").notice().unwrap();
    assert!(unknown.starts_with("Your utility account couldn't be linked."), "{unknown}");
}
