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
