//! The app's shared state, provided as contexts by the shell (`app`) and
//! read by the pages and by `api`, which must not depend on the pages.

use leptos::prelude::*;
use pelm_app_logic::problem::Problem;
use pelm_model::pelm::Account;

use crate::api::{use_calls, Calls};

/// Shared by the views under a connected user: whether Pelm wants the user
/// to connect again, and a counter that makes data views fetch afresh.
#[derive(Clone, Copy)]
pub struct DataContext {
    pub reconnect_needed: RwSignal<bool>,
    pub version: RwSignal<u32>,
    /// The connected utility's name, when Pelm reports it.
    pub utility: Signal<Option<String>>,
}

/// The connected user's accounts, fetched once for every page that shows
/// them (the list, and each account's usage and bills), and again only after
/// reconnecting. `calls` says what is happening while Pelm still collects.
#[derive(Clone, Copy)]
pub struct AccountsContext {
    pub accounts: LocalResource<Result<Vec<Account>, Problem>>,
    pub calls: Calls,
}

impl AccountsContext {
    pub fn new(data: DataContext) -> Self {
        let calls = use_calls();
        let accounts = LocalResource::new(move || {
            data.version.track();
            calls.accounts()
        });
        Self { accounts, calls }
    }
}
