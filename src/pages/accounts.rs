//! The accounts overview: one card per utility account.

use leptos::prelude::*;
use pelm_model::pelm::Account;
use pelm_model::problem::Problem;

use crate::api;
use crate::pages::problem_notice;

const MISSING: &str = "—";

fn account_card(account: Account) -> impl IntoView {
    let address = account.address.unwrap_or_else(|| MISSING.to_owned());
    let number = account.account_number.unwrap_or_else(|| MISSING.to_owned());
    view! {
        <li class="pe-card" data-account-id=account.id>
            <p class="pe-card-title">{address}</p>
            <p class="pe-card-meta">"Account " <span class="pe-account-number">{number}</span></p>
        </li>
    }
}

#[component]
pub fn Accounts() -> impl IntoView {
    let accounts = LocalResource::new(api::accounts);
    view! {
        <section class="pe-accounts" aria-labelledby="pe-accounts-title">
            <h2 id="pe-accounts-title" class="pe-subtitle">"Your accounts"</h2>
            <Transition fallback=|| view! { <p class="pe-status" role="status">"Loading your accounts…"</p> }>
                <ErrorBoundary fallback=problem_notice>
                    {move || Suspend::new(async move {
                        let list: Vec<Account> = accounts.await?;
                        let view = if list.is_empty() {
                            view! { <p class="pe-empty">"No accounts were found for this utility login."</p> }.into_any()
                        } else {
                            view! { <ul class="pe-cards">{list.into_iter().map(account_card).collect_view()}</ul> }.into_any()
                        };
                        Ok::<_, Problem>(view)
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}
