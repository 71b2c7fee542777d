//! The accounts overview: one card per utility account.

use std::time::Duration;

use leptos::prelude::*;
use pelm_model::pelm::Account;
use pelm_model::problem::{Problem, Recovery};

use crate::api;
use crate::pages::{problem_notice, Bills, DataContext, Usage};
use crate::timer::sleep;

const MISSING: &str = "—";
const FIRST_POLL: Duration = Duration::from_secs(2);
const LONGEST_POLL: Duration = Duration::from_secs(30);

/// The accounts, once Pelm has them. Right after connecting Pelm answers
/// `data_unavailable` for up to about 15 minutes; meanwhile `waiting` holds
/// the message to show, and the call is repeated with a growing pause.
async fn accounts_when_ready(
    waiting: RwSignal<Option<String>>,
    data: Option<DataContext>,
) -> Result<Vec<Account>, Problem> {
    let mut pause = FIRST_POLL;
    loop {
        match api::accounts().await {
            Err(problem) if problem.recovery == Recovery::WaitForData => {
                // A disposed signal means the view is gone: stop polling.
                if waiting.try_set(Some(problem.message)).is_some() {
                    return Err(Problem::network());
                }
                sleep(pause).await;
                pause = (pause * 2).min(LONGEST_POLL);
            }
            result => {
                waiting.try_set(None);
                if let (Err(problem), Some(data)) = (&result, data) {
                    if problem.recovery == Recovery::Reconnect {
                        data.reconnect_needed.try_set(true);
                    }
                }
                return result;
            }
        }
    }
}

fn account_card(account: Account, selected: RwSignal<Option<Account>>) -> impl IntoView {
    let address = account.address.clone().unwrap_or_else(|| MISSING.to_owned());
    let number = account.account_number.clone().unwrap_or_else(|| MISSING.to_owned());
    let id = account.id.clone();
    let card_id = account.id.clone();
    let is_selected = move || selected.with(|s| s.as_ref().is_some_and(|a| a.id == id));
    view! {
        <li class="pe-card" data-account-id=card_id>
            <button class="pe-card-button" type="button" aria-pressed=move || is_selected().to_string()
                on:click=move |_| selected.set(Some(account.clone()))>
                <span class="pe-card-title">{address}</span>
                <span class="pe-card-meta">"Account " <span class="pe-account-number">{number}</span></span>
            </button>
        </li>
    }
}

#[component]
pub fn Accounts() -> impl IntoView {
    let waiting = RwSignal::new(None::<String>);
    let selected = RwSignal::new(None::<Account>);
    let data = use_context::<DataContext>();
    let accounts = LocalResource::new(move || {
        // A new version (after reconnecting) fetches again.
        if let Some(data) = data {
            data.version.track();
        }
        accounts_when_ready(waiting, data)
    });
    let loading = move || waiting.get().unwrap_or_else(|| "Loading your accounts…".to_owned());
    view! {
        <section class="pe-accounts" aria-labelledby="pe-accounts-title">
            <h2 id="pe-accounts-title" class="pe-subtitle">"Your accounts"</h2>
            <Transition fallback=move || view! { <p class="pe-status" role="status" aria-live="polite">{loading}</p> }>
                <ErrorBoundary fallback=problem_notice>
                    {move || Suspend::new(async move {
                        let list: Vec<Account> = accounts.await?;
                        // One account goes straight to its usage.
                        if list.len() == 1 && selected.get_untracked().is_none() {
                            selected.set(Some(list[0].clone()));
                        }
                        let view = if list.is_empty() {
                            view! { <p class="pe-empty">"No accounts were found for this utility login."</p> }.into_any()
                        } else {
                            view! { <ul class="pe-cards">{list.into_iter().map(|a| account_card(a, selected)).collect_view()}</ul> }.into_any()
                        };
                        Ok::<_, Problem>(view)
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
        {move || selected.get().map(|account| view! { <Usage account=account.clone() /> <Bills account /> })}
    }
}
