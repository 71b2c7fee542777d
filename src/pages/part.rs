//! What every later wasm part shares: how its failing to load is told.

use pelm_app_logic::kind::Kind;
use pelm_app_logic::problem::Problem;

/// A later part could not be fetched (offline, blocked, a deploy that
/// removed it). Nothing is remembered: the next call tries again.
#[derive(Debug)]
pub struct NotLoaded;

#[cfg(pelm_split)]
impl From<leptos::wasm_split::SplitLoaderError> for NotLoaded {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        NotLoaded
    }
}

impl From<NotLoaded> for Problem {
    fn from(_: NotLoaded) -> Self {
        crate::api::problem_from_code("app_part_unavailable", None, Kind::Network)
    }
}

/// Adds a later part's stylesheet to the document, once: the first load
/// carries only the app's own (`style/app.css`, inlined in the page).
pub fn adopt_styles(css: &'static str) {
    thread_local! {
        static ADOPTED: std::cell::RefCell<Vec<usize>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let key = css.as_ptr() as usize;
    if ADOPTED.with_borrow_mut(|adopted| {
        adopted.contains(&key) || {
            adopted.push(key);
            false
        }
    }) {
        return;
    }
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let Ok(sheet) = web_sys::CssStyleSheet::new() else { return };
    // Without it the views are plain, not broken.
    if sheet.replace_sync(css).is_ok() {
        let sheets = document.adopted_style_sheets();
        sheets.push(&sheet);
        document.set_adopted_style_sheets(&sheets);
    }
}
