//! The app's screens.

mod accounts;
mod start;

pub use accounts::Accounts;
pub use start::Start;

use leptos::prelude::*;

/// What an `ErrorBoundary` shows: the first error's message, never raw data.
pub fn problem_notice(errors: ArcRwSignal<Errors>) -> impl IntoView {
    let message = move || {
        errors.get().iter().next().map(|(_, err)| err.to_string()).unwrap_or_else(|| "Something went wrong.".to_owned())
    };
    view! { <p class="pe-notice" role="alert">{message}</p> }
}
