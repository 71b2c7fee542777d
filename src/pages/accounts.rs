//! The accounts overview: one card per utility account.

use crate::language::{t, tf, tn};
use crate::names::meter_name;
use crate::names::utility_name;
use leptos::prelude::*;
use pelm_app_logic::place::Page;
use pelm_app_logic::problem::Problem;
use pelm_app_logic::words::accounts;
use pelm_model::companion::{ConnectionStatus, LinkedConnection};
use pelm_model::pelm::Account;

use pelm_usage::{whole_days_before, Level};

use crate::api::{use_calls, Asked, Calls};
use crate::chart::Sparkline;
use crate::host::{use_id, use_views};
use crate::locale::local_zone;
use crate::nav::{use_nav, Nav};
use crate::pages::loading::{loading as loading_view, Skeleton};
use crate::pages::problem::problem_fallback;
use crate::pages::shared::AccountsContext;
use crate::pages::shared::Linked;
use pelm_app_logic::embed::Views;

const MISSING: &str = "—";

/// The last 30 whole local days of usage, one figure per day, oldest first.
async fn last_month(calls: Calls, account: &Account) -> Result<Vec<f64>, Problem> {
    let zone = local_zone();
    let now = crate::timer::now();
    let range = whole_days_before(now, 30, &zone);
    let asked = Asked { account_id: account.id.clone(), meter: account.meter_types()[0] };
    let days = calls.columns(&asked, Level::Daily, range).await?;
    Ok(days.usage)
}

fn account_card(account: Account, first_view: fn(String) -> Page, nav: Nav) -> impl IntoView {
    let utility = account.utility.as_ref().map(|u| u.name.clone());
    // Pelm could not be asked for this one just now, or its login or utility
    // is failing as the list of connections says since: it is as last seen,
    // and says why.
    let linked = use_context::<Linked>();
    let (marked, connection_id) = (account.connection_status, account.connection_id.clone());
    let as_last_seen = move || {
        let listed = linked.zip(connection_id.as_deref()).and_then(|(l, id)| l.find(id)).map(|c| c.status);
        let failing =
            listed.filter(|s| matches!(s, ConnectionStatus::LoginNeeded | ConnectionStatus::UtilityUnsupported));
        marked.or(failing).map(|status| {
            let text = tf(accounts::AS_LAST_SEEN, &[("status", t(pelm_app_logic::health::status_words(status)))]);
            view! { <span class="pe-card-meta pe-card-marked">{text}</span> }
        })
    };
    let address = account.address.clone().unwrap_or_else(|| MISSING.to_owned());
    let masked = account.masked_number().unwrap_or_else(|| MISSING.to_owned());
    let full = account.account_number.clone().unwrap_or_else(|| MISSING.to_owned());
    let revealed = RwSignal::new(false);
    let meters = account
        .meter_types()
        .into_iter()
        .map(|m| format!("{} ({})", meter_name(m), account.unit(m)))
        .collect::<Vec<_>>()
        .join(" · ");
    let meter_count = match account.meters.len() {
        0 => tf(accounts::NO_METERS, &[("missing", MISSING)]),
        n => tn(accounts::METERS, n as f64, &[]),
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
                let label = tf(accounts::SPARKLINE, &[("total", &crate::format::number(total, 0)), ("unit", &unit)]);
                view! { <Sparkline values label /> }.into_any()
            }
            // The card is still the way in without its sparkline.
            _ => view! { <span class="pe-card-meta">{t(accounts::NO_RECENT)}</span> }.into_any(),
        })
    };
    let card_id = account.id.clone();
    let link = nav.href(&first_view(account.id.clone()).path());
    view! {
        <li class="pe-card" data-account-id=card_id>
            <a class="pe-card-button" href=link>
                <span class="pe-card-title">{address}</span>
                <span class="pe-card-meta">{utility.unwrap_or_else(|| MISSING.to_owned())}</span>
                <span class="pe-card-meta">{t(accounts::ACCOUNT)}" "
                    <span class="pe-account-number">{move || if revealed.get() { full.clone() } else { masked.clone() }}</span>
                </span>
                <span class="pe-card-meta">{meters}" · "{meter_count}</span>
                {as_last_seen}
                {sparkline}
            </a>
            <button type="button" class="pe-chip pe-reveal" data-action="reveal-number" aria-pressed=move || revealed.get().to_string()
                on:click=move |_| revealed.update(|r| *r = !*r)>
                {move || t(if revealed.get() { accounts::HIDE_NUMBER } else { accounts::SHOW_NUMBER })}
            </button>
        </li>
    }
}

/// One utility's share of the accounts page.
struct Group {
    connection_id: String,
    name: String,
    status: ConnectionStatus,
    accounts: Vec<Account>,
}

/// The account the list gives way to: one account of one utility goes
/// straight to its view (Back then leaves the app); so does the first,
/// when the host shows no list of accounts.
fn straight_to(groups: &[Group], views: Views) -> Option<&Account> {
    let accounts = groups.iter().map(|g| g.accounts.len()).sum::<usize>();
    let straight = match views.accounts {
        true => groups.len() == 1 && accounts == 1,
        false => accounts > 0,
    };
    groups.iter().flat_map(|g| g.accounts.first()).next().filter(|_| straight)
}

/// The account whose usage the accounts page `page` opens at once, if it
/// opens one: what the first view asks for before it is built.
pub(crate) fn first_usage(page: &Page, list: &[Account], linked: &[LinkedConnection], views: Views) -> Option<Account> {
    if !views.usage {
        return None;
    }
    match page {
        Page::Usage(id) => list.iter().find(|a| a.id == *id).cloned(),
        Page::Accounts => straight_to(&groups(list.to_vec(), linked), views).cloned(),
        _ => None,
    }
}

/// The accounts by the utility they came through, in the order the
/// utilities were linked; a linked utility with no accounts yet has a group
/// too. The accounts name their connection and utility themselves, so an
/// account of a utility the list has not caught up with still has a place.
fn groups(list: Vec<Account>, linked: &[LinkedConnection]) -> Vec<Group> {
    let mut groups: Vec<Group> = linked
        .iter()
        .map(|l| Group {
            connection_id: l.id.clone(),
            name: utility_name(l.utility.as_ref()),
            status: l.status,
            accounts: Vec::new(),
        })
        .collect();
    for account in list {
        let id = account.connection_id.clone().unwrap_or_default();
        let at = match groups.iter().position(|g| g.connection_id == id) {
            Some(at) => at,
            None => {
                let name = utility_name(account.utility.as_ref());
                groups.push(Group {
                    connection_id: id,
                    name,
                    status: ConnectionStatus::Connected,
                    accounts: Vec::new(),
                });
                groups.len() - 1
            }
        };
        groups[at].accounts.push(account);
    }
    groups
}

fn cards_view(accounts: Vec<Account>, first_view: fn(String) -> Page, nav: Nav) -> AnyView {
    let cards = accounts.into_iter().map(|a| account_card(a, first_view, nav)).collect_view();
    view! { <ul class="pe-cards">{cards}</ul> }.into_any()
}

/// The accounts: as cards, in a group per utility when there are several.
fn account_groups(groups: Vec<Group>, first_view: fn(String) -> Page, nav: Nav) -> AnyView {
    if groups.len() <= 1 {
        let accounts = groups.into_iter().flat_map(|g| g.accounts).collect::<Vec<_>>();
        if accounts.is_empty() {
            return view! { <p class="pe-empty">{t(accounts::NONE_FOUND)}</p> }.into_any();
        }
        return cards_view(accounts, first_view, nav);
    }
    let sections = groups
        .into_iter()
        .map(|group| {
            let heading = use_id(&format!("accounts-of-{}", group.connection_id));
            let labelled_by = heading.clone();
            let body = match (group.accounts.is_empty(), group.status) {
                (false, _) => cards_view(group.accounts, first_view, nav),
                (true, ConnectionStatus::Collecting) => view! {
                    <p class="pe-empty">{t(accounts::COLLECTING)}</p>
                }
                .into_any(),
                (true, _) => view! { <p class="pe-empty">{t(accounts::NONE_TO_SHOW)}</p> }.into_any(),
            };
            view! {
                <section class="pe-group" data-connection-id=group.connection_id aria-labelledby=labelled_by>
                    <h3 class="pe-group-title" id=heading>{group.name}</h3>
                    {body}
                </section>
            }
        })
        .collect_view();
    view! { {sections} }.into_any()
}

#[component]
pub fn Accounts() -> impl IntoView {
    let AccountsContext { accounts, calls } = expect_context();
    let linked = use_context::<Linked>();
    let nav = use_nav();
    let title = use_id("accounts-title");
    let heading = title.clone();
    let views = use_views();
    let loading = move || calls.status().get().unwrap_or_else(|| t(accounts::LOADING).to_owned());
    view! {
        <section class="pe-accounts" aria-labelledby=title>
            <h2 id=heading class="pe-subtitle">{t(accounts::TITLE)}</h2>
            <Transition fallback=move || loading_view(loading, Skeleton::Cards)>
                <ErrorBoundary fallback=problem_fallback(Some(Callback::new(move |_| accounts.refetch())))>
                    {move || {
                        Suspend::new(async move {
                            let list: Vec<Account> = accounts.await?;
                            let utilities = linked.map(|l| l.list.get_untracked()).unwrap_or_default();
                            let groups = groups(list, &utilities);
                            let first_view = if views.usage { Page::Usage } else { Page::Bills };
                            if let Some(first) = straight_to(&groups, views) {
                                nav.go(&first_view(first.id.clone()).path(), true);
                            }
                            Ok::<_, Problem>(account_groups(groups, first_view, nav))
                        })
                    }}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}
