//! The language the app speaks, and its words.
//!
//! Chosen once per page, from the first host element: its `data-language`,
//! else the nearest `lang` (the host's own or the page's), else the
//! browser's languages, else English. English is compiled in beside the
//! code that says it; Spanish comes in a wasm part of its own, and a site's
//! catalogue (`data-catalogue`) is fetched beside it, both while the app
//! asks its companion whether the user is connected.

mod part;

use std::cell::RefCell;

use js_sys::{Array, Intl, Object, Promise};
use pelm_app_logic::embed::EmbedConfig;
use pelm_app_logic::messages::Messages;
use pelm_app_logic::words::{self, fill, Catalogue, Plural, Text};
use wasm_bindgen::{JsCast, JsValue};

/// What the app speaks: its language, its words, and how it counts.
struct Spoken {
    language: String,
    /// The tag the language was chosen by ("es-MX"), for dates and money.
    tag: Option<String>,
    /// One language's words for the page's life: set once, when they come,
    /// so a word is a `&'static str` that views hold without copying.
    words: &'static Catalogue,
    plurals: Option<Intl::PluralRules>,
}

static ENGLISH: Catalogue = Catalogue::empty();

thread_local! {
    static SPOKEN: RefCell<Spoken> = RefCell::new(Spoken {
        language: "en".to_owned(),
        tag: None,
        words: &ENGLISH,
        plurals: None,
    });
    /// Resolved once the words are ready; none in English without a site's catalogue.
    static READY: RefCell<Option<Promise>> = const { RefCell::new(None) };
    /// The words for errors as the language's part read them, until taken.
    static MESSAGES: RefCell<Option<Messages>> = const { RefCell::new(None) };
    static VERSION: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    /// The words are in place: at once in English, once loaded otherwise.
    static SETTLED: std::cell::Cell<bool> = const { std::cell::Cell::new(true) };
}

/// The element a site may put in its page with its own words for errors.
const SITE_MESSAGES: &str = "pelm-messages";

/// The words for `text` in the language spoken. Not inlined: it is called
/// from hundreds of places, and one call is smaller than its body.
#[inline(never)]
pub fn t(text: Text) -> &'static str {
    SPOKEN.with_borrow(|s| s.words.text(text))
}

/// `text` with its `{name}`s filled.
#[inline(never)]
pub fn tf(text: Text, values: &[(&str, &str)]) -> String {
    SPOKEN.with_borrow(|s| fill(s.words.text(text), values))
}

/// The form of `plural` for `n`, with `{count}` as `n` and the other names filled.
pub fn tn(plural: Plural, n: f64, values: &[(&str, &str)]) -> String {
    SPOKEN.with_borrow_mut(|s| {
        let language = &s.language;
        let rules = s
            .plurals
            .get_or_insert_with(|| Intl::PluralRules::new(&Array::of1(&JsValue::from_str(language)), &Object::new()));
        let category = rules.select(n).as_string().unwrap_or_else(|| "other".to_owned());
        let count = if n.fract() == 0.0 { format!("{n:.0}") } else { n.to_string() };
        let mut all = vec![("count", count.as_str())];
        all.extend_from_slice(values);
        fill(s.words.plural(plural, &category), &all)
    })
}

/// The words for errors in the language spoken, with the site's own over
/// them: handed over once they are read, for the one decoder that keeps them.
pub fn messages() -> Messages {
    MESSAGES.with_borrow_mut(Option::take).unwrap_or_else(|| SPOKEN.with_borrow(|s| Messages::in_words(s.words)))
}

/// Counts the times the words changed, so what was made from them is made again.
pub fn version() -> u32 {
    VERSION.get()
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

/// Whether the words are in place.
pub fn settled() -> bool {
    SETTLED.get()
}

/// Resolves once the words are ready; at once for English without a
/// site's catalogue.
pub async fn ready() {
    let waiting = READY.with_borrow(Clone::clone);
    if let Some(waiting) = waiting {
        let _ = wasm_bindgen_futures::JsFuture::from(waiting).await;
    }
}

/// What the page asks for, most wanted first: the host's `data-language`,
/// else the nearest `lang`, else the browser's languages.
fn wanted(host: Option<&web_sys::HtmlElement>, config: &EmbedConfig) -> Array {
    let lang = host.and_then(|h| h.closest("[lang]").ok().flatten()).and_then(|e| e.get_attribute("lang"));
    match config.language.clone().or(lang.filter(|l| !l.trim().is_empty())) {
        Some(tag) => Array::of1(&tag.into()),
        None => leptos::prelude::window().navigator().languages(),
    }
}

/// Chooses the language for the page and starts loading its words. The
/// page's own `lang`, when it has none, becomes the app's.
pub fn start(host: Option<&web_sys::HtmlElement>, config: &EmbedConfig) {
    let site_language = config.catalogue_language.clone().or_else(|| config.language.as_deref().map(words::primary));
    let adds = site_language.as_deref().filter(|_| config.catalogue.is_some());
    let asked: Vec<String> = wanted(host, config).iter().filter_map(|tag| tag.as_string()).collect();
    let (language, tag) = words::choose(&asked, adds);
    let site = config.catalogue.clone().filter(|_| site_language.as_deref() == Some(language.as_str()));
    let root = leptos::prelude::document().document_element();
    let page_has_none = root.as_ref().is_some_and(|r| r.get_attribute("lang").is_none_or(|l| l.trim().is_empty()));
    if let Some(root) = root.as_ref().filter(|_| page_has_none) {
        root.set_attribute("lang", &language).ok();
    }
    SPOKEN.with_borrow_mut(|s| {
        s.language = language.clone();
        s.tag = tag;
    });
    // A site's words for errors are read with the rest of its words.
    let errors = leptos::prelude::document().get_element_by_id(SITE_MESSAGES).and_then(|e| e.text_content());
    if language == "en" && site.is_none() && errors.is_none() {
        return;
    }
    // The site's file is asked for now, beside the part that reads it.
    let answer = site.map(|url| (leptos::prelude::window().fetch_with_str(&url), url));
    SETTLED.set(false);
    let mut done = None;
    READY.with_borrow_mut(|ready| *ready = Some(Promise::new(&mut |resolve, _| done = Some(resolve))));
    // Not Leptos's spawner: this runs before the app mounts, which starts it.
    wasm_bindgen_futures::spawn_local(async move {
        match part::read_words(language, answer, errors).await {
            Ok(reading) => speak(reading.await),
            // The app goes on in English, as the console says for the site,
            // and says so to screen readers too.
            Err(_) => {
                web_sys::console::warn_1(&"Pelm energy app: no words for the language; English instead".into());
                SPOKEN.with_borrow_mut(|s| s.language = "en".to_owned());
                let document = leptos::prelude::document();
                let apps = document.query_selector_all(".pe-app").ok();
                for i in 0..apps.as_ref().map_or(0, web_sys::NodeList::length) {
                    if let Some(app) =
                        apps.as_ref().and_then(|a| a.item(i)).and_then(|n| n.dyn_into::<web_sys::Element>().ok())
                    {
                        app.set_attribute("lang", "en").ok();
                    }
                }
                if let Some(root) = document.document_element().filter(|_| page_has_none) {
                    root.set_attribute("lang", "en").ok();
                }
            }
        }
        SETTLED.set(true);
        if let Some(done) = done {
            let _ = done.call0(&JsValue::NULL);
        }
    });
}

/// Puts a language's words in place, once read, and the errors' words
/// with the site's own over them.
fn speak(part::Words { catalogue, messages }: part::Words) {
    // Leaked on purpose: a page speaks one language for as long as it lives.
    let words: &'static Catalogue = Box::leak(Box::new(catalogue));
    SPOKEN.with_borrow_mut(|s| s.words = words);
    MESSAGES.with_borrow_mut(|m| *m = Some(messages));
    VERSION.set(VERSION.get() + 1);
}

/// What to say while a request waits to be asked again, in the language spoken.
pub fn progress(
    policy: &pelm_app_logic::retry::RetryPolicy,
    problem: &pelm_app_logic::problem::Problem,
    pause: std::time::Duration,
    failures: u32,
) -> String {
    SPOKEN.with_borrow(|s| policy.progress(problem, pause, failures, s.words))
}
