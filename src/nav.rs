//! Each copy's own router. The page and query a copy shows live in the
//! address bar for the one copy that owns the URL, and in memory for any
//! other, so two copies on one page never move each other. Clicks are taken
//! only from links inside the copy's own element: one click moves one copy,
//! and the site's own links are left to the browser.

use leptos::prelude::*;
use pelm_app_logic::place::{inside, Page, Place};
use wasm_bindgen::JsCast;
use web_sys::{HtmlAnchorElement, MouseEvent};

/// Where the app is served, from the `<base>` Trunk fills in: `""` at the
/// site's root, `"/energy"` under `--public-url /energy/`.
pub fn base_path() -> String {
    let href = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector("base[href]").ok().flatten())
        .and_then(|b| b.get_attribute("href"))
        .unwrap_or_default();
    let path = href.split_once("://").map_or(href.as_str(), |(_, rest)| rest.find('/').map_or("", |i| &rest[i..]));
    path.trim_end_matches('/').to_owned()
}

/// One copy's place and the way it moves.
#[derive(Clone, Copy)]
pub struct Nav {
    place: RwSignal<Place>,
    page: Memo<Page>,
    /// Whether this copy keeps its place in the address bar.
    url: bool,
    base: StoredValue<String>,
}

/// A router for this copy, in the URL or in memory, shared with the views below.
pub fn provide_nav(url: bool) -> Nav {
    let base = base_path();
    let place = RwSignal::new(if url { address_bar(&base) } else { Place::default() });
    let page = Memo::new(move |_| place.with(|p| Page::of(&p.path)));
    let nav = Nav { place, page, url, base: StoredValue::new(base) };
    if url {
        // Back and Forward move the copy that owns the URL.
        crate::listen::listen(&window(), &["popstate"], move |_| place.set(address_bar(&nav.base.get_value())));
    }
    provide_context(nav);
    nav
}

/// The copy's router; a memory one outside a mounted app (component tests).
pub fn use_nav() -> Nav {
    use_context::<Nav>().unwrap_or_else(|| provide_nav(false))
}

fn address_bar(base: &str) -> Place {
    let location = window().location();
    let path = location.pathname().unwrap_or_default();
    let search = location.search().unwrap_or_default();
    // A page outside the app's path shows its start.
    Place::parse(&format!("{}{search}", inside(&path, base).unwrap_or("/")))
}

impl Nav {
    pub fn page(&self) -> Memo<Page> {
        self.page
    }

    /// A path inside the app as a link: `/accounts/1/usage` under the base.
    pub fn href(&self, path: &str) -> String {
        format!("{}{path}", self.base.get_value())
    }

    /// Moves to `link`, a path inside the app with its query. `replace`
    /// leaves no step for Back, as for a redirect.
    pub fn go(&self, link: &str, replace: bool) {
        self.move_to(Place::parse(link), replace);
    }

    fn move_to(&self, place: Place, replace: bool) {
        if self.place.with_untracked(|now| *now == place) {
            return;
        }
        if self.url {
            let full = self.href(&place.link());
            let history = window().history();
            let _ = history.and_then(|h| match replace {
                true => h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&full)),
                false => h.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&full)),
            });
        }
        self.place.set(place);
    }

    /// The value of `key` in the query, following every move.
    pub fn query(&self, key: &'static str) -> Memo<Option<String>> {
        let place = self.place;
        Memo::new(move |_| place.with(|p| p.get(key).map(str::to_owned)))
    }

    /// Sets `key` in the query (or removes it), as a step Back can undo.
    pub fn set_query(&self, key: &str, value: Option<String>) {
        let next = self.place.with_untracked(|p| p.with(key, value.as_deref()));
        self.move_to(next, false);
    }

    /// For a click anywhere in the copy: a plain click on a link into the
    /// app moves this copy instead of loading the page. New tabs, downloads,
    /// other targets and links out of the app are the browser's.
    pub fn follow(&self, ev: &MouseEvent) {
        if ev.default_prevented()
            || ev.button() != 0
            || ev.meta_key()
            || ev.ctrl_key()
            || ev.shift_key()
            || ev.alt_key()
        {
            return;
        }
        let anchor = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|e| e.closest("a[href]").ok().flatten())
            .and_then(|a| a.dyn_into::<HtmlAnchorElement>().ok());
        let Some(anchor) = anchor else { return };
        let elsewhere = !matches!(anchor.target().as_str(), "" | "_self");
        if elsewhere || anchor.has_attribute("download") || anchor.rel().split_whitespace().any(|r| r == "external") {
            return;
        }
        let Ok(url) = web_sys::Url::new(&anchor.href()) else { return };
        if Some(url.origin()) != window().location().origin().ok() {
            return;
        }
        let Some(path) = inside(&url.pathname(), &self.base.get_value()).map(str::to_owned) else { return };
        ev.prevent_default();
        self.go(&format!("{path}{}", url.search()), false);
    }
}
