//! The language the app speaks, and its words.
//!
//! Chosen once per page, from the first host element: its `data-language`,
//! else the nearest `lang` (the host's own or the page's), else the
//! browser's languages, else English. English is compiled in beside the
//! code that says it; Spanish comes in a wasm part of its own, and a site's
//! catalogue (`data-catalogue`) is fetched beside it, both while the app
//! asks its companion whether the user is connected.

use std::cell::RefCell;

use futures::future::{FutureExt, LocalBoxFuture, Shared};
use js_sys::{Array, Intl, Object, Reflect};
use pelm_app_logic::embed::EmbedConfig;
use pelm_app_logic::words::{self, fill, Catalogue, Plural, Text};
use wasm_bindgen::JsValue;

/// The languages the app ships, besides a site's own.
pub const SHIPPED: [&str; 2] = ["en", "es"];

/// What the app speaks: its language, its words, and how it counts.
struct Spoken {
    language: String,
    /// The tag the language was chosen by ("es-MX"), for dates and money.
    tag: Option<String>,
    words: Catalogue,
    plurals: Option<Intl::PluralRules>,
}

thread_local! {
    static SPOKEN: RefCell<Spoken> = RefCell::new(Spoken {
        language: "en".to_owned(),
        tag: None,
        words: Catalogue::default(),
        plurals: None,
    });
    /// The words are ready: at once in English, once loaded otherwise.
    static READY: RefCell<Option<Shared<LocalBoxFuture<'static, ()>>>> = const { RefCell::new(None) };
    /// Why a site's catalogue was not used, for the notice the app shows.
    static TROUBLE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The words for `text` in the language spoken.
pub fn t(text: Text) -> String {
    SPOKEN.with_borrow(|s| s.words.text(text).to_owned())
}

/// `text` with its `{name}`s filled.
pub fn tf(text: Text, values: &[(&str, &str)]) -> String {
    SPOKEN.with_borrow(|s| fill(s.words.text(text), values))
}

/// The form of `plural` for `n`, with `{count}` as `n` and the other names filled.
pub fn tn(plural: Plural, n: f64, values: &[(&str, &str)]) -> String {
    SPOKEN.with_borrow_mut(|s| {
        let language = s.language.clone();
        let rules = s.plurals.get_or_insert_with(|| {
            Intl::PluralRules::new(&Array::of1(&JsValue::from_str(&language)), &Object::new())
        });
        let category = rules.select(n).as_string().unwrap_or_else(|| "other".to_owned());
        let count = if n.fract() == 0.0 { format!("{n:.0}") } else { n.to_string() };
        let mut all = vec![("count", count.as_str())];
        all.extend_from_slice(values);
        fill(s.words.plural(plural, &category), &all)
    })
}

/// The error messages in the language spoken.
pub fn messages() -> pelm_app_logic::messages::Messages {
    SPOKEN.with_borrow(|s| pelm_app_logic::messages::Messages::in_words(&s.words))
}

/// The language spoken, as a BCP 47 tag for `lang`.
pub fn language() -> String {
    SPOKEN.with_borrow(|s| s.language.clone())
}

/// Where dates, numbers and money are written when the host names no
/// locale: the tag that chose the language, Spanish as written in the
/// United States, or the browser's own for English.
pub fn format_locale() -> Option<String> {
    SPOKEN.with_borrow(|s| match (s.language.as_str(), &s.tag) {
        (_, Some(tag)) if tag.contains('-') => Some(tag.clone()),
        ("en", _) => None,
        ("es", _) => Some("es-US".to_owned()),
        (language, _) => Some(language.to_owned()),
    })
}

/// Why a site's catalogue went unused, if it did.
pub fn trouble() -> Option<String> {
    TROUBLE.with_borrow(Clone::clone)
}

/// Resolves once the words are ready; at once for English without a
/// site's catalogue.
pub async fn ready() {
    let waiting = READY.with_borrow(Clone::clone);
    if let Some(waiting) = waiting {
        waiting.await;
    }
}

/// What the page asks for, most wanted first: the host's `data-language`,
/// else the nearest `lang`, else the browser's languages.
fn wanted(host: Option<&web_sys::HtmlElement>, config: &EmbedConfig) -> Vec<String> {
    if let Some(language) = &config.language {
        return vec![language.clone()];
    }
    let lang = host.and_then(|h| h.closest("[lang]").ok().flatten()).and_then(|e| e.get_attribute("lang"));
    if let Some(lang) = lang.filter(|l| !l.trim().is_empty()) {
        return vec![lang];
    }
    let navigator = leptos::prelude::window().navigator();
    let list: Vec<String> = navigator.languages().iter().filter_map(|l| l.as_string()).collect();
    if list.is_empty() {
        navigator.language().into_iter().collect()
    } else {
        list
    }
}

/// Chooses the language for the page and starts loading its words. The
/// page's own `lang`, when it has none, becomes the app's.
pub fn start(host: Option<&web_sys::HtmlElement>, config: &EmbedConfig) {
    let mut have: Vec<&str> = SHIPPED.to_vec();
    let site_language = config.catalogue_language.clone().or_else(|| config.language.as_deref().map(words::primary));
    if let (Some(language), Some(_)) = (&site_language, &config.catalogue) {
        have.push(language);
    }
    let asked = wanted(host, config);
    let (language, tag) = words::choose(asked.iter().map(String::as_str), &have);
    let site = config.catalogue.clone().filter(|_| site_language.as_deref() == Some(language.as_str()));
    if let Some(root) = leptos::prelude::document().document_element() {
        if root.get_attribute("lang").is_none_or(|l| l.trim().is_empty()) {
            root.set_attribute("lang", &language).ok();
        }
    }
    SPOKEN.with_borrow_mut(|s| {
        s.language = language.clone();
        s.tag = tag;
    });
    if language == "en" && site.is_none() {
        return;
    }
    let loading = load(language, site).boxed_local().shared();
    READY.with_borrow_mut(|ready| *ready = Some(loading.clone()));
    leptos::task::spawn_local(loading);
}

async fn load(language: String, site: Option<String>) {
    // Both at once: the part from the HTTP cache or the app's server, the
    // site's file from wherever the site keeps it.
    let shipped = async {
        match language.as_str() {
            "en" => Ok(None),
            other => shipped_words(other.to_owned()).await.map(Some),
        }
    };
    let (shipped, site_text) = futures::join!(shipped, fetch_site(site));
    let mut catalogue = match shipped {
        Ok(Some(Some(words))) => words,
        Ok(_) => Catalogue::default(),
        Err(_) => {
            trouble_with(t(words::language::PART_MISSING), "language_part_unavailable", None);
            Catalogue::default()
        }
    };
    match site_text {
        Ok(None) => {}
        Ok(Some(text)) => match Catalogue::read(&text) {
            Ok(read) => {
                if !read.missing.is_empty() {
                    report_missing(&read.missing);
                }
                catalogue = catalogue.under(read.catalogue);
            }
            Err(why) => trouble_with(t(words::language::SITE_BROKEN), "catalogue_invalid", Some(why.to_string())),
        },
        Err(why) => trouble_with(t(words::language::SITE_BROKEN), "catalogue_unavailable", Some(why)),
    }
    SPOKEN.with_borrow_mut(|s| s.words = catalogue);
    crate::api::words_changed();
}

async fn fetch_site(url: Option<String>) -> Result<Option<String>, String> {
    let Some(url) = url else { return Ok(None) };
    let answer = gloo_net::http::Request::get(&url).send().await.map_err(|e| format!("{url}: {e}"))?;
    if !answer.ok() {
        return Err(format!("{url} answered {}", answer.status()));
    }
    answer.text().await.map(Some).map_err(|e| format!("{url}: {e}"))
}

/// Tells the host page once, on its error event, which keys its catalogue
/// leaves to English.
fn report_missing(missing: &[&str]) {
    let shown: Vec<&str> = missing.iter().take(20).copied().collect();
    let more = missing.len().saturating_sub(shown.len());
    let message = match more {
        0 => format!("the site's catalogue has no words for {}; English is shown there", shown.join(", ")),
        n => format!("the site's catalogue has no words for {} and {n} more; English is shown there", shown.join(", ")),
    };
    web_sys::console::warn_1(&format!("Pelm energy app: {message}").into());
    emit_error("catalogue_incomplete", &message);
}

fn trouble_with(notice: String, code: &str, detail: Option<String>) {
    let detail = detail.unwrap_or_else(|| notice.clone());
    web_sys::console::warn_1(&format!("Pelm energy app: {detail}").into());
    emit_error(code, &detail);
    TROUBLE.with_borrow_mut(|t| *t = Some(notice));
}

/// `pelm-energy:error` on every host element, as the app's other errors.
fn emit_error(code: &str, message: &str) {
    let Ok(hosts) = leptos::prelude::document().query_selector_all(crate::HOST_SELECTOR) else { return };
    for i in 0..hosts.length() {
        let Some(host) = hosts.item(i) else { continue };
        let detail = Object::new();
        for (key, value) in [("kind", "catalogue"), ("code", code), ("message", message)] {
            let _ = Reflect::set(&detail, &key.into(), &value.into());
        }
        let init = web_sys::CustomEventInit::new();
        init.set_bubbles(true);
        init.set_detail(&detail);
        if let Ok(event) = web_sys::CustomEvent::new_with_event_init_dict("pelm-energy:error", &init) {
            let _ = host.dispatch_event(&event);
        }
    }
}

/// The words of a language the app ships, from its own part.
#[cfg(pelm_split)]
#[leptos::wasm_split::wasm_split(language, wasm_split_path = ::leptos::wasm_split, fallible)]
fn shipped_words(language: String) -> Result<Option<Catalogue>, crate::pages::part::NotLoaded> {
    Ok(read_shipped(&language))
}

#[cfg(not(pelm_split))]
async fn shipped_words(language: String) -> Result<Option<Catalogue>, crate::pages::part::NotLoaded> {
    Ok(read_shipped(&language))
}

fn read_shipped(language: &str) -> Option<Catalogue> {
    let text = match language {
        "es" => include_str!("../crates/app-logic/locales/es.json"),
        _ => return None,
    };
    Catalogue::read(text).ok().map(|read| read.catalogue)
}


/// What to say while a request waits to be asked again, in the language spoken.
pub fn progress(
    policy: &pelm_app_logic::retry::RetryPolicy,
    problem: &pelm_app_logic::problem::Problem,
    pause: std::time::Duration,
    failures: u32,
) -> String {
    SPOKEN.with_borrow(|s| policy.progress(problem, pause, failures, &s.words))
}
