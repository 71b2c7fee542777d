//! One account's page: its usage or its bills, chosen by the URL, with a way
//! back to all accounts. A shared or reloaded link opens the same view.

use crate::language::t;
use leptos::prelude::*;
use pelm_app_logic::place::Page;
use pelm_app_logic::problem::Problem;
use pelm_app_logic::words::{account, common};
use pelm_model::pelm::Account;

use crate::host::use_views;
use crate::nav::use_nav;
use crate::pages::bills::Bills;
use crate::pages::connection::HealthLine;
use crate::pages::loading::{loading as loading_view, Skeleton};
use crate::pages::problem::problem_fallback;
use crate::pages::shared::AccountsContext;
use crate::pages::shared::Linked;
use crate::pages::usage::Usage;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Usage,
    Bills,
}

#[component]
pub fn AccountPage(
    /// The account's id, from the address.
    id: String,
    tab: Tab,
) -> impl IntoView {
    // A view the host left out gives way to the one it kept.
    let views = use_views();
    let tab = match tab {
        Tab::Usage if !views.usage => Tab::Bills,
        Tab::Bills if !views.bills => Tab::Usage,
        kept => kept,
    };
    let nav = use_nav();
    let AccountsContext { accounts, calls } = expect_context();
    let linked = use_context::<Linked>();
    let (usage_link, bills_link) =
        (nav.href(&Page::Usage(id.clone()).path()), nav.href(&Page::Bills(id.clone()).path()));
    let id = StoredValue::new(id);
    let current = move |this: Tab| if this == tab { "page" } else { "false" };
    let loading = move || calls.status().get().unwrap_or_else(|| t(account::LOADING).to_owned());
    view! {
        <nav class="pe-tabs" aria-label=t(account::NAV)>
            {views.accounts.then(|| view! { <a class="pe-back" href=nav.href("/")>{t(account::ALL)}</a> })}
            {views.usage.then(|| view! {
                <a class="pe-tab" href=usage_link aria-current=current(Tab::Usage) data-tab="usage">{t(account::USAGE)}</a>
            })}
            {views.bills.then(|| view! {
                <a class="pe-tab" href=bills_link aria-current=current(Tab::Bills) data-tab="bills">{t(account::BILLS)}</a>
            })}
        </nav>
        <Transition fallback=move || loading_view(loading, Skeleton::Chart)>
            <ErrorBoundary fallback=problem_fallback(Some(Callback::new(move |_| accounts.refetch())))>
                {move || Suspend::new(async move {
                    let list: Vec<Account> = accounts.await?;
                    let found = list.into_iter().find(|a| id.with_value(|id| a.id == *id));
                    let health = found.as_ref().and_then(|a| a.connection_id.clone()).map(|connection_id| {
                        let linked = Signal::derive(move || linked.and_then(|l| l.find(&connection_id)));
                        view! { <div class="pe-account-health"><HealthLine linked /></div> }
                    });
                    let view = match found {
                        Some(account) if tab == Tab::Usage => view! { {health} <Usage account /> }.into_any(),
                        Some(account) => view! { {health} <Bills account /> }.into_any(),
                        None => view! {
                            <p class="pe-empty">{t(account::NOT_LINKED)}" "
                                <a href=nav.href("/")>{t(common::SEE_ACCOUNTS)}</a></p>
                        }.into_any(),
                    };
                    Ok::<_, Problem>(view)
                })}
            </ErrorBoundary>
        </Transition>
    }
}
