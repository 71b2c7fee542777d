//! The accounts overview: one card per utility account.

use leptos::prelude::*;
use pelm_app_logic::place::Page;
use pelm_app_logic::problem::Problem;
use pelm_model::companion::ConnectionStatus;
use pelm_model::pelm::Account;

use pelm_usage::{aggregate, whole_days_before, Columns, Level};

use crate::api::{use_calls, Calls};
use crate::chart::Sparkline;
use crate::host::{use_id, use_views};
use crate::locale::local_zone;
use crate::nav::{use_nav, Nav};
use crate::pages::{loading as loading_view, problem_fallback, AccountsContext, DataContext, Skeleton};

const MISSING: &str = "—";

/// The last 30 whole local days of usage, one figure per day, oldest first.
async fn last_month(calls: Calls, account: &Account) -> Result<Vec<f64>, Problem> {
    let zone = local_zone();
    let now = (js_sys::Date::now() / 1000.0) as i64;
    let range = whole_days_before(now, 30, &zone);
    let meter = account.meter_types()[0];
    let intervals = calls.intervals(&account.id, meter, range.from, range.to).await?;
    let days = aggregate(&Columns::from_intervals(intervals.intervals), Level::Daily, &zone);
    Ok(days.iter().map(|d| d.usage).collect())
}

fn account_card(account: Account, first_view: fn(String) -> Page, nav: Nav) -> impl IntoView {
    let utility = account.utility.as_ref().map(|u| u.name.clone());
    // Pelm could not be asked for this one just now: it is as last seen, and says why.
    let as_last_seen = account
        .connection_status
        .map(|status| format!("{}: shown as last seen.", pelm_app_logic::health::status_words(status)));
    let address = account.address.clone().unwrap_or_else(|| MISSING.to_owned());
    let masked = account.masked_number().unwrap_or_else(|| MISSING.to_owned());
    let full = account.account_number.clone().unwrap_or_else(|| MISSING.to_owned());
    let revealed = RwSignal::new(false);
    let meters = account
        .meter_types()
        .into_iter()
        .map(|m| format!("{} ({})", m.name(), account.unit(m)))
        .collect::<Vec<_>>()
        .join(" · ");
    let meter_count = match account.meters.len() {
        0 => format!("{MISSING} meters"),
        1 => "1 meter".to_owned(),
        n => format!("{n} meters"),
    };
    let unit = account.unit(account.meter_types()[0]);
    let spark_account = account.clone();
    let calls = use_calls();
    let recent = LocalResource::new(move || {
        let account = spark_account.clone();
        async move { last_month(calls, &account).await }
    });
    let sparkline = move || {
        let unit = unit.clone();
        recent.get().map(|result| match result {
            Ok(values) if !values.is_empty() => {
                let total: f64 = values.iter().sum();
                let label = format!("Daily usage over the last 30 days: {total:.0} {unit} in all.");
                view! { <Sparkline values label /> }.into_any()
            }
            // The card is still the way in without its sparkline.
            _ => view! { <span class="pe-card-meta">"No recent usage to show."</span> }.into_any(),
        })
    };
    let card_id = account.id.clone();
    let link = nav.href(&first_view(account.id.clone()).path());
    view! {
        <li class="pe-card" data-account-id=card_id>
            <a class="pe-card-button" href=link>
                <span class="pe-card-title">{address}</span>
                <span class="pe-card-meta">{utility.unwrap_or_else(|| MISSING.to_owned())}</span>
                <span class="pe-card-meta">"Account "
                    <span class="pe-account-number">{move || if revealed.get() { full.clone() } else { masked.clone() }}</span>
                </span>
                <span class="pe-card-meta">{meters}" · "{meter_count}</span>
                {as_last_seen.map(|text| view! { <span class="pe-card-meta pe-card-marked">{text}</span> })}
                {sparkline}
            </a>
            <button type="button" class="pe-chip pe-reveal" data-action="reveal-number" aria-pressed=move || revealed.get().to_string()
                on:click=move |_| revealed.update(|r| *r = !*r)>
                {move || if revealed.get() { "Hide account number" } else { "Show account number" }}
            </button>
        </li>
    }
}

/// The accounts, grouped by the utility they came through when there are
/// several; a utility with none to show yet says why.
fn account_groups(list: Vec<Account>, data: Option<DataContext>, first_view: fn(String) -> Page, nav: Nav) -> AnyView {
    let linked = data.map(|d| d.connection.with_untracked(|c| c.connections.clone())).unwrap_or_default();
    if linked.len() <= 1 {
        if list.is_empty() {
            return view! { <p class="pe-empty">"No accounts were found for this utility login."</p> }.into_any();
        }
        let cards = list.into_iter().map(|a| account_card(a, first_view, nav)).collect_view();
        return view! { <ul class="pe-cards">{cards}</ul> }.into_any();
    }
    let mut rest = list;
    let groups = linked
        .into_iter()
        .map(|connection| {
            let (mine, others): (Vec<Account>, Vec<Account>) =
                rest.drain(..).partition(|a| a.connection_id.as_deref() == Some(connection.id.as_str()));
            rest = others;
            let name = connection.utility.as_ref().map_or_else(|| "Your utility".to_owned(), |u| u.name.clone());
            let heading = use_id(&format!("accounts-of-{}", connection.id));
            let labelled_by = heading.clone();
            let body = match mine.is_empty() {
                true => {
                    let why = match connection.status {
                        ConnectionStatus::Collecting => {
                            "Your utility's data is still being collected; its accounts will show here."
                        }
                        _ => "No accounts to show for this utility login.",
                    };
                    view! { <p class="pe-empty">{why}</p> }.into_any()
                }
                false => {
                    let cards = mine.into_iter().map(|a| account_card(a, first_view, nav)).collect_view();
                    view! { <ul class="pe-cards">{cards}</ul> }.into_any()
                }
            };
            view! {
                <section class="pe-group" data-connection-id=connection.id.clone() aria-labelledby=labelled_by>
                    <h3 class="pe-group-title" id=heading>{name}</h3>
                    {body}
                </section>
            }
        })
        .collect_view();
    view! { {groups} }.into_any()
}

#[component]
pub fn Accounts() -> impl IntoView {
    let AccountsContext { accounts, calls } = expect_context();
    let data = use_context::<DataContext>();
    let nav = use_nav();
    let title = use_id("accounts-title");
    let heading = title.clone();
    let views = use_views();
    let loading = move || calls.status().get().unwrap_or_else(|| "Loading your accounts…".to_owned());
    view! {
        <section class="pe-accounts" aria-labelledby=title>
            <h2 id=heading class="pe-subtitle">"Your accounts"</h2>
            <Transition fallback=move || loading_view(loading, Skeleton::Cards)>
                <ErrorBoundary fallback=problem_fallback(Some(Callback::new(move |_| accounts.refetch())))>
                    {move || {
                        Suspend::new(async move {
                            let list: Vec<Account> = accounts.await?;
                            // One account of one utility goes straight to its usage; Back then leaves the app.
                            // So does the first, when the host shows no list of accounts.
                            let single = data.is_none_or(|d| d.connection.with_untracked(|c| c.connections.len() <= 1));
                            let straight = if views.accounts { single && list.len() == 1 } else { !list.is_empty() };
                            let first_view = if views.usage { Page::Usage } else { Page::Bills };
                            if straight {
                                nav.go(&first_view(list[0].id.clone()).path(), true);
                            }
                            Ok::<_, Problem>(account_groups(list, data, first_view, nav))
                        })
                    }}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}
