//! The app's screens.

mod account;
mod accounts;
mod bills;
mod connect_button;
mod start;
pub(crate) mod usage;

pub use account::{AccountPage, Tab};
pub use accounts::Accounts;
pub use bills::{sort_lines, with_usage, BillLine, Bills, BillsTable, Column};
pub use connect_button::ConnectButton;
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

/// What an `ErrorBoundary` shows: the first error's message, never raw data.
pub fn problem_notice(errors: ArcRwSignal<Errors>) -> impl IntoView {
    let message = move || {
        errors.get().iter().next().map(|(_, err)| err.to_string()).unwrap_or_else(|| "Something went wrong.".to_owned())
    };
    view! { <p class="pe-notice" role="alert">{message}</p> }
}
