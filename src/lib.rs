//! The Pelm energy app: links a utility account through Pelm Connect and shows
//! the user's energy data, talking only to its companion backend.

// A `Problem` carries what support needs, so it is large; it is made only
// when a request fails, where moving it costs nothing that matters.
#![allow(clippy::result_large_err)]

pub mod api;
pub mod app;
pub mod chart;
pub mod connect;
pub mod format;
pub mod host;
pub mod language;
pub mod listen;
pub mod locale;
pub mod names;
pub mod nav;
pub mod pages;
pub mod state;
pub mod timer;

use wasm_bindgen::JsCast;

#[cfg(all(test, target_arch = "wasm32"))]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// The elements a site puts the app in: `#pelm-energy`, and any further
/// copy's `[data-pelm-energy]`. Without one the app takes the body.
pub const HOST_SELECTOR: &str = "#pelm-energy, [data-pelm-energy]";

/// Mounts a copy of the app into each host element, in page order, or into
/// the body when there is none.
pub fn mount() {
    let document = leptos::prelude::document();
    let hosts = document.query_selector_all(HOST_SELECTOR).ok();
    let hosts: Vec<web_sys::HtmlElement> = (0..hosts.as_ref().map_or(0, web_sys::NodeList::length))
        .filter_map(|i| hosts.as_ref()?.item(i)?.dyn_into().ok())
        .collect();
    if hosts.is_empty() {
        match document.body() {
            Some(body) => mount_into(body),
            None => web_sys::console::error_1(&"Pelm energy app: no host element and no body to mount into".into()),
        }
    }
    for host in hosts {
        mount_into(host);
    }
}

/// Mounts one copy of the app into `element`, set up by its attributes; or,
/// when they are wrong, a message there that names them.
pub fn mount_into(element: web_sys::HtmlElement) {
    element.class_list().add_1("pelm-energy").ok();
    // The outline the page painted while the wasm loaded gives way to the app.
    if let Ok(outlines) = element.query_selector_all("[data-pelm-outline]") {
        for i in 0..outlines.length() {
            if let Some(outline) = outlines.item(i).and_then(|n| n.dyn_into::<web_sys::Element>().ok()) {
                outline.remove();
            }
        }
    }
    // The app lives as long as the page, so its reactive owner is never unmounted.
    match host::read_config(&element).and_then(|config| Ok((host::take_seat(&config)?, config))) {
        Ok((seat, config)) => {
            // One language for the page, as its first copy's settings choose it.
            if seat.copy == 0 {
                language::start(Some(&element), &config);
            }
            if let Some(zone) = &config.time_zone {
                locale::set_time_zone(zone);
            }
            if config.theme != pelm_app_logic::embed::Theme::Auto {
                element.set_attribute("data-theme", config.theme.name()).ok();
            }
            let inside = element.clone();
            leptos::mount::mount_to(element, move || {
                let host = host::Host::new(Some(inside), config, seat);
                leptos::view! { <app::App host /> }
            })
            .forget();
        }
        Err(errors) => {
            let said: Vec<String> = errors.iter().map(ToString::to_string).collect();
            web_sys::console::error_1(&format!("Pelm energy app: {}", said.join("; ")).into());
            leptos::mount::mount_to(element, move || leptos::view! { <host::ConfigProblem errors /> }).forget();
        }
    }
}
