//! The app's side of the host page: its settings, read from the host
//! element, a visible message when they are wrong, and the DOM events that
//! tell the page what happened.

use js_sys::{Array, Object, Reflect};
use leptos::prelude::*;
use pelm_app_logic::embed::{ConfigError, EmbedConfig, Seat, Seats, Views};
use pelm_model::companion::Connection;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::HtmlElement;

/// The JSON block a host may put inside its element for settings its
/// attributes leave out.
pub const CONFIG_BLOCK: &str = "script[type='application/json'].pelm-energy-config";

/// The host element and its settings, for the views that need them.
#[derive(Clone, Copy)]
pub struct Host {
    element: StoredValue<Option<HtmlElement>, LocalStorage>,
    pub config: StoredValue<EmbedConfig>,
    pub seat: Seat,
}

thread_local! {
    /// What the copies mounted so far have taken of the page.
    static PAGE: std::cell::RefCell<Seats> = std::cell::RefCell::default();
}

/// Seats a copy with `config` among those already on the page.
pub fn take_seat(config: &EmbedConfig) -> Result<Seat, Vec<ConfigError>> {
    PAGE.with_borrow_mut(|seats| seats.take(config))
}

impl Host {
    pub fn new(element: Option<HtmlElement>, config: EmbedConfig, seat: Seat) -> Self {
        Self { element: StoredValue::new_local(element), config: StoredValue::new(config), seat }
    }

    /// An element id unique to this copy: `pe-<name>` for the first, then
    /// `pe2-<name>` and on, so a second copy's labels point at its own.
    pub fn id(&self, name: &str) -> String {
        match self.seat.copy {
            0 => format!("pe-{name}"),
            n => format!("pe{}-{name}", n + 1),
        }
    }

    /// Calls `heard` when another copy on the page connects or disconnects,
    /// for as long as this view lives.
    pub fn on_other_copies(&self, heard: impl Fn() + 'static) {
        let Some(Some(own)) = self.element.try_get_value() else { return };
        let names = &["pelm-energy:connected", "pelm-energy:disconnected"];
        crate::listen::listen(&document(), names, move |event| {
            let from_self = event.target().is_some_and(|t| own.is_same_node(t.dyn_ref::<web_sys::Node>()));
            if !from_self {
                heard();
            }
        });
    }

    /// Dispatches `pelm-energy:<name>` on the host element, bubbling, with
    /// `detail` as a plain object (absent values left out).
    pub fn emit(&self, name: &str, detail: &[(&str, Option<JsValue>)]) {
        let Some(Some(element)) = self.element.try_get_value() else { return };
        let object = Object::new();
        for (key, value) in detail {
            if let Some(value) = value {
                let _ = Reflect::set(&object, &(*key).into(), value);
            }
        }
        let init = web_sys::CustomEventInit::new();
        init.set_bubbles(true);
        init.set_detail(&object);
        if let Ok(event) = web_sys::CustomEvent::new_with_event_init_dict(&format!("pelm-energy:{name}"), &init) {
            let _ = element.dispatch_event(&event);
        }
    }
}

/// The host's `Host`, or none outside a mounted app (component tests).
pub fn use_host() -> Option<Host> {
    use_context::<Host>()
}

/// This copy's id for `name` (see `Host::id`).
pub fn use_id(name: &str) -> String {
    use_host().map_or_else(|| format!("pe-{name}"), |host| host.id(name))
}

/// The views the host shows; all of them outside a mounted app.
pub fn use_views() -> Views {
    use_host().map(|host| host.config.with_value(|c| c.views)).unwrap_or_default()
}

pub fn text(value: &str) -> Option<JsValue> {
    Some(JsValue::from_str(value))
}

/// The settings on `host`: its attributes, then its config block; then what
/// only the browser can judge (a time zone or locale it knows).
pub fn read_config(host: &HtmlElement) -> Result<EmbedConfig, Vec<ConfigError>> {
    let names = host.get_attribute_names();
    let attributes: Vec<(String, String)> = names
        .iter()
        .filter_map(|name| name.as_string())
        .filter_map(|name| host.get_attribute(&name).map(|value| (name, value)))
        .collect();
    let block = host.query_selector(CONFIG_BLOCK).ok().flatten().and_then(|b| b.text_content());
    let config = EmbedConfig::read(&attributes, block.as_deref())?;
    let mut errors = Vec::new();
    if let Some(zone) = &config.time_zone {
        let options = Object::new();
        let _ = Reflect::set(&options, &"timeZone".into(), &zone.into());
        if intl("DateTimeFormat", &Array::of2(&JsValue::UNDEFINED, &options), true).is_err() {
            errors.push(ConfigError {
                attribute: "data-time-zone".to_owned(),
                message: format!("\"{zone}\" is not a time zone this browser knows"),
            });
        }
    }
    if let Some(locale) = &config.locale {
        if intl("getCanonicalLocales", &Array::of1(&locale.into()), false).is_err() {
            errors.push(ConfigError {
                attribute: "data-locale".to_owned(),
                message: format!("\"{locale}\" is not a locale this browser knows"),
            });
        }
    }
    match errors.is_empty() {
        true => Ok(config),
        false => Err(errors),
    }
}

/// Calls or constructs `Intl[name]`, catching the RangeError a bad value throws.
fn intl(name: &str, args: &Array, construct: bool) -> Result<JsValue, JsValue> {
    let intl = Reflect::get(&js_sys::global(), &"Intl".into())?;
    let target: js_sys::Function = Reflect::get(&intl, &name.into())?.dyn_into()?;
    match construct {
        true => Reflect::construct(&target, args),
        false => Reflect::apply(&target, &intl, args),
    }
}

/// What the host element shows when its settings are wrong: each one named,
/// so the site's developer knows what to fix.
#[component]
pub fn ConfigProblem(errors: Vec<ConfigError>) -> impl IntoView {
    let items =
        errors.into_iter().map(|e| view! { <li><code>{e.attribute}</code>" — "{e.message}</li> }).collect_view();
    view! {
        <div class="pe-notice pe-config-problem" role="alert">
            <p class="pe-problem-message">{crate::language::t(pelm_app_logic::words::app::CONFIG_PROBLEM)}</p>
            <ul>{items}</ul>
        </div>
    }
}

/// Tells the host page that Connect linked (or renewed) the connection
/// `now.linked`, whose utility `now.utility` then names.
pub fn announce_linked(host: Option<Host>, now: &Connection) {
    announce(host, "connected", now.connected, now.utility.as_deref(), now.linked.as_deref());
}

/// Tells the host page of a change of connection (`pelm-energy:<name>`):
/// whether any is connected now, and which one changed, with its utility.
pub fn announce(host: Option<Host>, name: &str, connected: bool, utility: Option<&str>, connection_id: Option<&str>) {
    if let Some(host) = host {
        host.emit(
            name,
            &[
                ("connected", Some(connected.into())),
                ("utility", utility.and_then(text)),
                ("connection_id", connection_id.and_then(text)),
            ],
        );
    }
}
