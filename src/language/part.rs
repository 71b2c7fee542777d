//! What loads only for a language other than English, or a site's own
//! words: the shipped translations, the catalogue reader with its key list,
//! the site's file read and checked, and its `#pelm-messages`. A release
//! build cuts it into a wasm part of its own (`--cfg pelm_split`), asked for
//! as the first part starts, so English readers never download it.

use futures::future::LocalBoxFuture;
use js_sys::{Object, Promise, Reflect};
use pelm_app_logic::messages::Messages;
use pelm_app_logic::words::{self, Catalogue};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// The part could not be fetched: the app goes on in English.
pub(super) struct NotLoaded;

#[cfg(pelm_split)]
impl From<leptos::wasm_split::SplitLoaderError> for NotLoaded {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        NotLoaded
    }
}

/// Reads `language`'s words, the site's file as `answer` brings it (the
/// fetch the first part started, and its URL) and the site's words for
/// errors, and hands them back to be put in place.
#[cfg(pelm_split)]
#[leptos::wasm_split::wasm_split(language, wasm_split_path = ::leptos::wasm_split, fallible)]
pub(super) fn read_words(
    language: String,
    answer: Option<(Promise, String)>,
    errors: Option<String>,
) -> Result<LocalBoxFuture<'static, Words>, NotLoaded> {
    Ok(Box::pin(read(language, answer, errors)))
}

#[cfg(not(pelm_split))]
pub(super) async fn read_words(
    language: String,
    answer: Option<(Promise, String)>,
    errors: Option<String>,
) -> Result<LocalBoxFuture<'static, Words>, NotLoaded> {
    Ok(Box::pin(read(language, answer, errors)))
}

/// A language's words as read, with the words for errors made from them.
pub(super) struct Words {
    pub(super) catalogue: Catalogue,
    pub(super) messages: Messages,
}

async fn read(language: String, answer: Option<(Promise, String)>, errors: Option<String>) -> Words {
    let mut catalogue = match language.as_str() {
        "es" => Catalogue::read(include_str!("../../crates/app-logic/locales/es.json")).ok().map(|r| r.catalogue),
        _ => None,
    }
    .unwrap_or_default();
    let mut trouble = None;
    if let Some((answer, url)) = answer {
        match site_text(answer, &url).await {
            Ok(text) => match Catalogue::read(&text) {
                Ok(read) => {
                    if !read.missing.is_empty() {
                        report_missing(&read.missing);
                    }
                    catalogue = catalogue.under(read.catalogue);
                }
                Err(why) => trouble = Some(("catalogue_invalid", format!("{url}: {why}"))),
            },
            Err(why) => trouble = Some(("catalogue_unavailable", why)),
        }
    }
    // Said in the words the app goes on in.
    if let Some((code, why)) = trouble {
        web_sys::console::warn_1(&format!("Pelm energy app: {why}").into());
        emit_error(code, &why);
        notice(catalogue.text(words::language::SITE_BROKEN));
    }
    let mut messages = Messages::in_words(&catalogue);
    if let Some(json) = errors {
        match messages.clone().with_overrides(&json) {
            Ok(theirs) => messages = theirs,
            Err(err) => web_sys::console::warn_1(&format!("#pelm-messages ignored: {err}").into()),
        }
    }
    Words { catalogue, messages }
}

/// The site's file as text, or why not.
async fn site_text(answer: Promise, url: &str) -> Result<String, String> {
    let response: web_sys::Response =
        JsFuture::from(answer).await.and_then(|r| r.dyn_into()).map_err(|_| format!("{url} could not be fetched"))?;
    if !response.ok() {
        return Err(format!("{url} answered {}", response.status()));
    }
    let text = response.text().map_err(|_| format!("{url} has no text"))?;
    JsFuture::from(text).await.ok().and_then(|t| t.as_string()).ok_or_else(|| format!("{url} has no text"))
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

/// A plain notice at the top of every copy of the app, beside its views
/// rather than among them: it is said once and stays.
fn notice(text: &str) {
    let document = leptos::prelude::document();
    let Ok(apps) = document.query_selector_all(".pe-app") else { return };
    for i in 0..apps.length() {
        let Some(app) = apps.item(i) else { continue };
        let Ok(p) = document.create_element("p") else { continue };
        p.set_class_name("pe-notice pe-language-trouble");
        let _ = p.set_attribute("role", "status");
        p.set_text_content(Some(text));
        if let Some(host) = app.parent_node() {
            let _ = host.insert_before(&p, Some(&app));
        }
    }
}

/// `pelm-energy:error` on every host element (each copy's root's parent),
/// as the app's other errors are told.
fn emit_error(code: &str, message: &str) {
    let Ok(apps) = leptos::prelude::document().query_selector_all(".pe-app") else { return };
    for i in 0..apps.length() {
        let Some(host) = apps.item(i).and_then(|app| app.parent_node()) else { continue };
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
