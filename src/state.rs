//! The shell's state (`app`), provided as a context and read by the pages
//! and by `api`, which must not depend on the pages.

use leptos::prelude::*;
use pelm_model::companion::Connection;

/// Shared by the views under a connected user: whether Pelm wants the user
/// to connect again, a counter that makes data views fetch afresh, and the
/// connections with their health.
#[derive(Clone, Copy)]
pub struct DataContext {
    pub reconnect_needed: RwSignal<bool>,
    pub version: RwSignal<u32>,
    /// What the companion said last: any connected, the first utility.
    pub connection: RwSignal<Connection>,
}
