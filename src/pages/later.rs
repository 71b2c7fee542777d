//! The part of the app that loads later: the pages of a connected user (their
//! utility and disconnecting from it, the accounts, and each account's usage
//! and bills with the chart, plotters and the tables). Nobody needs them to see the Connect button, so a release
//! build (`./dev build`, which sets `--cfg pelm_split`) cuts them out of the
//! first wasm file into a second, fetched as soon as the companion says the
//! user is connected, or earlier, when the user opens Connect and spends a
//! while on Pelm's pages.
//!
//! What only [`connected_pages`] reaches goes into that file; what the first
//! part also uses stays there and is shared, not copied. Other builds (tests,
//! `trunk serve`) keep one wasm file and make the same calls.
//!
//! One part, not one per page: each cut costs the code that crosses it, and
//! a user who connects goes on to the accounts and their usage anyway.

use crate::language::t;
use leptos::prelude::*;
use pelm_app_logic::place::Page;
use pelm_app_logic::problem::Problem;
use pelm_app_logic::words::{accounts, app, common, connection};
use pelm_model::companion::{Connection, ConnectionStatus};

use crate::host::use_views;
use crate::nav::use_nav;
use crate::pages::account::{AccountPage, Tab};
use crate::pages::accounts::first_usage;
use crate::pages::accounts::Accounts;
use crate::pages::connect_button::ConnectButton;
use crate::pages::connection::ConnectionsHeader;
use crate::pages::held::{first_request, FirstData};
use crate::pages::loading::{loading, Skeleton};
use crate::pages::part::NotLoaded;
use crate::pages::problem::problem_fallback;
use crate::pages::shared::AccountsContext;
use crate::pages::shared::Linked;
use crate::state::DataContext;

/// What a connected user's pages need from the shell.
#[derive(Clone, Copy)]
pub struct Shell {
    pub data: DataContext,
    /// Connect again (update mode) ended with this connection.
    pub reconnected: Callback<Connection>,
}

/// The pages of a connected user, once their part is loaded. Until then the
/// shape of the accounts page; if it cannot be fetched, why, with Try again.
#[component]
pub fn Connected(data: DataContext, reconnected: Callback<Connection>) -> impl IntoView {
    let shell = Shell { data, reconnected };
    let attempt = RwSignal::new(0u32);
    let again = Callback::new(move |_| attempt.update(|n| *n += 1));
    view! {
        <Transition fallback=|| loading(t(accounts::LOADING), Skeleton::Cards)>
            <ErrorBoundary fallback=problem_fallback(Some(again))>
                {move || {
                    attempt.track();
                    Suspend::new(async move { connected_pages(shell).await.map_err(Problem::from) })
                }}
            </ErrorBoundary>
        </Transition>
    }
}

fn pages_view(Shell { data, reconnected }: Shell) -> AnyView {
    crate::pages::part::adopt_styles(pelm_app_logic::minified_css!(include_str!("../../style/connected.css")));
    let connection = data.connection;
    // What the companion's first answer brought for the first view.
    let (known, accounts, refreshing) = connection
        .try_update_untracked(|c| (c.connections.take(), c.accounts.take(), c.refreshing))
        .unwrap_or_default();
    // Read here, in the connected part; one that cannot be read is asked for again.
    let (known, accounts) = (known.and_then(|c| c.read().ok()), accounts.and_then(|a| a.read().ok()));
    let linked = Linked::load(known);
    provide_context(linked);
    // A later answer (a reconnect, another copy's change) brings the list
    // as it is now: the prompts below follow it at once.
    Effect::new(move |_| {
        if let Some(now) = connection.with(|c| c.connections.as_ref().and_then(|l| l.read().ok())) {
            linked.list.set(now);
        }
    });
    // The companion is asking Pelm about the connections now: what it learns
    // (a login that needs confirming) is read once it has had a moment.
    if refreshing {
        set_timeout(move || linked.refresh(), std::time::Duration::from_secs(3));
    }
    // With one utility the prompt is the page's (once the list says which
    // one it is, so Connect opens for it); with several, each row asks for
    // its own (see `ConnectionsHeader`), once the list read again says which.
    let single = Memo::new(move |_| linked.list.with(|l| l.len() == 1));
    let login_needed = Memo::new(move |_| {
        let listed = linked.list.with(|l| l.first().is_some_and(|c| c.status == ConnectionStatus::LoginNeeded));
        listed || connection.with(|c| c.credentials_valid == Some(false))
    });
    let needs_reconnect = Memo::new(move |_| single.get() && (data.reconnect_needed.get() || login_needed.get()));
    Effect::new(move |_| {
        if data.reconnect_needed.get() && linked.list.with_untracked(|l| l.len() > 1) {
            linked.refresh();
        }
    });
    let to_confirm = move || linked.list.with(|l| l.first().map(|l| l.id.clone()));
    view! {
        <ConnectionsHeader data linked reconnected />
        {move || needs_reconnect.get().then(|| view! {
            <div class="pe-reconnect" role="alert">
                <p>{t(connection::CONFIRM_AGAIN)}</p>
                <ConnectButton label=connection::RECONNECT action="reconnect" on_connected=reconnected connection=to_confirm() />
            </div>
        })}
        {pages(data, linked, accounts)}
    }
    .into_any()
}

/// The page the address names. The accounts they share are fetched from
/// here, so only once connected, and dropped on disconnecting.
fn pages(data: DataContext, linked: Linked, accounts: Option<Vec<pelm_model::pelm::Account>>) -> impl IntoView {
    let nav = use_nav();
    // The first view's usage is asked for now, before its page is built.
    let first = accounts.as_ref().and_then(|list| {
        let page = nav.page().get_untracked();
        first_usage(&page, list, &linked.list.get_untracked(), use_views())
    });
    if let Some(account) = first {
        let (asked, level, span) = first_request(&account, nav);
        provide_context(FirstData::start(crate::api::use_endpoint(), asked, level, span));
    }
    provide_context(AccountsContext::new(data, linked, accounts));
    // Only a new page redraws; a new query is the page's own business.
    let page = nav.page();
    move || match page.get() {
        Page::Accounts => view! { <Accounts /> }.into_any(),
        Page::Usage(id) => view! { <AccountPage id tab=Tab::Usage /> }.into_any(),
        Page::Bills(id) => view! { <AccountPage id tab=Tab::Bills /> }.into_any(),
        Page::Missing => view! {
            <p class="pe-empty">{t(app::NOTHING_HERE)}" "<a href=nav.href("/")>{t(common::SEE_ACCOUNTS)}</a></p>
        }
        .into_any(),
    }
}

/// The pages of a connected user.
#[cfg(pelm_split)]
#[leptos::wasm_split::wasm_split(connected, wasm_split_path = ::leptos::wasm_split, fallible, preload(preload_connected))]
pub fn connected_pages(shell: Shell) -> Result<AnyView, NotLoaded> {
    Ok(pages_view(shell))
}

#[cfg(not(pelm_split))]
pub async fn connected_pages(shell: Shell) -> Result<AnyView, NotLoaded> {
    Ok(pages_view(shell))
}

#[cfg(not(pelm_split))]
async fn preload_connected() -> Result<(), NotLoaded> {
    Ok(())
}

/// Fetches the connected user's pages without drawing them. A failure is
/// left for the moment they are needed, which says so and offers Try again.
pub fn prefetch_connected() {
    leptos::task::spawn_local(async {
        let _ = preload_connected().await;
    });
}
