//! The app in a host element of a page: its settings read from the element,
//! wrong ones named in it, and its events heard by the page. No companion
//! runs here, so the app's first request fails; that, too, is an event.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use pelm_energy::timer::sleep;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::HtmlElement;

mod common;

use common::wait_for;

wasm_bindgen_test_configure!(run_in_browser);

fn host_with(attributes: &[(&str, &str)], block: Option<&str>) -> HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let host: HtmlElement = document.create_element("div").unwrap().unchecked_into();
    for (name, value) in attributes {
        host.set_attribute(name, value).unwrap();
    }
    if let Some(json) = block {
        let script = document.create_element("script").unwrap();
        script.set_attribute("type", "application/json").unwrap();
        script.set_class_name("pelm-energy-config");
        script.set_text_content(Some(json));
        host.append_child(&script).unwrap();
    }
    document.body().unwrap().append_child(&host).unwrap();
    host
}

#[wasm_bindgen_test]
async fn wrong_settings_are_named_inside_the_host() {
    let host = host_with(
        &[("data-currency", "dollars"), ("data-views", "usage,charts"), ("data-time-zone", "Mars/Olympus_Mons")],
        Some(r#"{"colour": "red"}"#),
    );
    pelm_energy::mount_into(host.clone());
    let problem = wait_for(&host, ".pe-config-problem[role=alert]").await;
    let text = problem.text_content().unwrap_or_default();
    for named in ["data-currency", "data-views", "\"charts\" is not a view", "\"colour\" in the config block"] {
        assert!(text.contains(named), "{named} is not named in: {text}");
    }
    assert!(host.class_list().contains("pelm-energy"), "the message is styled as the app");
    // A zone only the browser can refuse is named too, once the rest is right.
    let host = host_with(&[("data-time-zone", "Mars/Olympus_Mons")], None);
    pelm_energy::mount_into(host.clone());
    let text = wait_for(&host, ".pe-config-problem").await.text_content().unwrap_or_default();
    assert!(text.contains("data-time-zone") && text.contains("not a time zone this browser knows"), "{text}");
}

#[wasm_bindgen_test]
async fn the_config_block_sets_the_theme_and_the_page_hears_errors() {
    let host = host_with(&[("data-api", "/no-companion-here")], Some(r#"{"theme": "dark"}"#));
    let heard = Rc::new(RefCell::new(Vec::<JsValue>::new()));
    let record = {
        let heard = heard.clone();
        Closure::<dyn FnMut(web_sys::CustomEvent)>::new(move |event: web_sys::CustomEvent| {
            heard.borrow_mut().push(event.detail());
        })
    };
    host.add_event_listener_with_callback("pelm-energy:error", record.as_ref().unchecked_ref()).unwrap();
    pelm_energy::mount_into(host.clone());
    assert_eq!(host.get_attribute("data-theme").as_deref(), Some("dark"));
    let details = wait_for(&host, ".pe-problem-details dl").await.text_content().unwrap_or_default();
    assert!(details.contains("/no-companion-here/connection"), "the configured API was asked: {details}");
    for _ in 0..100 {
        if !heard.borrow().is_empty() {
            break;
        }
        sleep(Duration::from_millis(20)).await;
    }
    let detail = heard.borrow().first().cloned().expect("an error event");
    let get = |key: &str| js_sys::Reflect::get(&detail, &key.into()).unwrap();
    assert_eq!(get("kind").as_string().as_deref(), Some("other"));
    assert_eq!(get("status").as_f64(), Some(404.0));
    assert!(get("message").as_string().is_some_and(|m| !m.is_empty()));
    host.remove_event_listener_with_callback("pelm-energy:error", record.as_ref().unchecked_ref()).unwrap();
}

#[wasm_bindgen_test]
async fn a_named_time_zone_counts_days_and_hours_there() {
    use pelm_usage::Zone;
    let host = host_with(&[("data-time-zone", "Asia/Kolkata"), ("data-api", "/no-companion-here")], None);
    pelm_energy::mount_into(host.clone());
    let zone = pelm_energy::locale::local_zone();
    // 2026-07-01T00:00Z: India is 5:30 ahead all year.
    assert_eq!(zone.offset_at(1_782_864_000), 19_800);
    pelm_energy::locale::set_time_zone("America/Los_Angeles");
    let zone = pelm_energy::locale::local_zone();
    assert_eq!(zone.offset_at(1_782_864_000), -7 * 3600, "summer time in July");
    assert_eq!(zone.offset_at(1_767_225_600), -8 * 3600, "standard time in January");
    assert_eq!(pelm_energy::locale::named_zone().as_deref(), Some("America/Los_Angeles"));
}
