//! The app's screens.

mod account;
mod accounts;
mod bills;
mod connect_button;
mod problem;
mod start;
pub(crate) mod usage;

pub use account::{AccountPage, Tab};
pub use accounts::Accounts;
pub use bills::{sort_lines, with_usage, BillLine, Bills, BillsTable, Column};
pub use connect_button::ConnectButton;
pub use problem::{problem_fallback, ProblemView};
pub use start::Start;
pub use usage::{Usage, UsagePanel};

/// Shared by the views under a connected user: whether Pelm wants the user
/// to connect again, and a counter that makes data views fetch afresh.
#[derive(Clone, Copy)]
pub struct DataContext {
    pub reconnect_needed: RwSignal<bool>,
    pub version: RwSignal<u32>,
    /// The connected utility's name, when Pelm reports it.
    pub utility: Signal<Option<String>>,
}

use leptos::prelude::*;
use pelm_model::pelm::Account;
use pelm_model::problem::Problem;

use crate::api::{use_calls, Calls};

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

/// The shape of what is loading, so the placeholder looks like what comes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skeleton {
    Cards,
    Chart,
    Table,
}

/// A loading state: the words (read out once), placeholders in the shape of
/// what is coming, and a progress bar that shows only if it takes over half
/// a second (a CSS delay, so quick answers never flash it).
pub fn loading(message: impl IntoView + 'static, shape: Skeleton) -> impl IntoView {
    let blocks = match shape {
        Skeleton::Cards => view! {
            <div class="pe-skeleton-cards"><span class="pe-skeleton"></span><span class="pe-skeleton"></span></div>
        }
        .into_any(),
        Skeleton::Chart => view! { <span class="pe-skeleton pe-skeleton-chart"></span> }.into_any(),
        Skeleton::Table => view! {
            <div class="pe-skeleton-rows">
                <span class="pe-skeleton"></span><span class="pe-skeleton"></span><span class="pe-skeleton"></span>
            </div>
        }
        .into_any(),
    };
    view! {
        <div class="pe-loading" aria-busy="true" data-loading=format!("{shape:?}").to_lowercase()>
            <p class="pe-status" role="status" aria-live="polite">{message}</p>
            <div class="pe-progress" aria-hidden="true"><span></span></div>
            <div aria-hidden="true">{blocks}</div>
        </div>
    }
}
