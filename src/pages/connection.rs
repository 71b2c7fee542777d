//! The header of a connected user's pages: each linked utility with its
//! health, reconnecting and disconnecting it, and adding another. Part of
//! what loads later (`later.rs`).

use leptos::prelude::*;
use pelm_app_logic::health::{ago, is_stale, next_look, status_words, Ago};
use pelm_app_logic::words::{connection as words, health};

use crate::language::{t, tf, tn};
use pelm_model::companion::{Connection, ConnectionStatus, LinkedConnection, MOST_CONNECTIONS};

use crate::api;
use crate::format::Formats;
use crate::host::{announce, announce_linked};
use crate::host::{use_host, use_id};
use crate::pages::connect_button::ConnectButton;
use crate::pages::problem::ProblemView;
use crate::pages::shared::Linked;
use crate::state::DataContext;
use crate::timer::now;

fn utility_name(linked: &LinkedConnection) -> String {
    crate::names::utility_name(linked.utility.as_ref())
}

/// How many days old data may be before the notice, as the host set it.
fn stale_after_days() -> u32 {
    use_host().map_or(pelm_app_logic::health::STALE_AFTER_DAYS, |h| h.config.with_value(|c| c.stale_after_days))
}

/// Every linked utility, and a way to add another. `reconnected` is called
/// when Connect, opened again for one of them, ends with its login confirmed.
#[component]
pub fn ConnectionsHeader(data: DataContext, linked: Linked, reconnected: Callback<Connection>) -> impl IntoView {
    let connection = data.connection;
    let ids = Memo::new(move |_| linked.list.with(|l| l.iter().map(|l| l.id.clone()).collect::<Vec<_>>()));
    let several = Memo::new(move |_| ids.with(Vec::len) > 1);
    let room = Memo::new(move |_| ids.with(Vec::len) < MOST_CONNECTIONS);
    let host = use_host();
    let added = Callback::new(move |now: Connection| {
        announce_linked(host, &now);
        connection.set(now);
        // The new utility's accounts join the others, and it joins the list.
        data.version.update(|v| *v += 1);
    });
    look_again_when_stale(data, linked);
    view! {
        <header class="pe-header pe-connections">
            <ul class="pe-connection-list" aria-label=t(words::UTILITIES)>
                {move || ids.get().into_iter().map(|id| view! { <ConnectionRow id data linked several reconnected /> }).collect_view()}
            </ul>
            {move || room.get().then(|| view! { <AddUtility added /> })}
        </header>
    }
}

/// "Add another utility": a plain button first, so that a page view costs
/// no Connect token; pressed, it offers Connect for a new connection.
#[component]
fn AddUtility(added: Callback<Connection>) -> impl IntoView {
    let open = RwSignal::new(false);
    // Linked: the offer folds away, and the new utility's row says the rest.
    let linked = Callback::new(move |now: Connection| {
        open.try_set(false);
        added.run(now);
    });
    let panel = use_id("add-utility");
    let controls = panel.clone();
    view! {
        <div class="pe-add-utility">
            <button class="pe-button" type="button" data-action="add-utility" aria-expanded=move || open.get().to_string()
                aria-controls=controls on:click=move |_| open.update(|o| *o = !*o)>
                {t(words::ADD)}
            </button>
            {move || open.get().then(|| view! {
                <div class="pe-add-panel" id=panel.clone()>
                    <p>{t(words::ADD_LEAD)}</p>
                    <ConnectButton label=words::CONNECT_ANOTHER action="connect-another" on_connected=linked />
                </div>
            })}
        </div>
    }
}

/// One linked utility: its health, and reconnecting or disconnecting it.
/// Disconnecting asks first, in place: an embedded app must not open a
/// blocking browser dialog over someone else's site.
#[component]
fn ConnectionRow(
    id: String,
    data: DataContext,
    linked: Linked,
    several: Memo<bool>,
    reconnected: Callback<Connection>,
) -> impl IntoView {
    let (connection, all) = (data.connection, linked);
    let linked = {
        let id = id.clone();
        Memo::new(move |_| all.find(&id))
    };
    let (endpoint, host) = (api::use_endpoint(), use_host());
    // The answer is applied where the action completes, not by an effect watching it.
    let disconnect = Action::new_local(move |id: &String| {
        let (endpoint, id) = (endpoint.clone(), id.clone());
        async move {
            let gone = linked.get_untracked().and_then(|l| l.utility).map(|u| u.name);
            let answer = api::disconnect(endpoint, &id).await;
            if let Ok(now) = &answer {
                announce(host, "disconnected", now.connected, gone.as_deref(), Some(&id));
                connection.try_set(now.clone());
                all.refresh();
                data.version.try_update(|v| *v += 1);
            }
            answer
        }
    });
    let asking = RwSignal::new(false);
    let disconnect_button = NodeRef::<leptos::html::Button>::new();
    let disconnect_error = move || disconnect.value().get().and_then(Result::err);
    let cancel = Callback::new(move |_: ()| {
        asking.set(false);
        if let Some(button) = disconnect_button.get_untracked() {
            let _ = button.focus();
        }
    });
    let confirm = {
        let id = id.clone();
        Callback::new(move |_: ()| {
            asking.set(false);
            disconnect.dispatch_local(id.clone());
        })
    };
    let name = move || linked.with(|l| l.as_ref().map(utility_name)).unwrap_or_default();
    let status = move || linked.with(|l| l.as_ref().map(|l| l.status.as_str())).unwrap_or("unknown");
    // With one utility, the shell's prompt asks to reconnect; with several, each asks for itself.
    let login_needed =
        move || several.get() && linked.with(|l| l.as_ref().is_some_and(|l| l.status == ConnectionStatus::LoginNeeded));
    let (row_id, key) = (id.clone(), id.clone());
    view! {
        <li class="pe-connection" data-connection-id=row_id data-status=status>
            <div class="pe-connection-main">
                <p class="pe-utility"><span class="pe-dot" aria-hidden="true"></span>{name}</p>
                <HealthLine linked=Signal::derive(move || linked.get()) />
            </div>
            <button class="pe-button" type="button" data-action="disconnect" node_ref=disconnect_button
                aria-expanded=move || asking.get().to_string()
                disabled=move || disconnect.pending().get()
                on:click=move |_| asking.set(true)>
                {t(words::DISCONNECT)}
            </button>
            {move || login_needed().then(|| view! {
                <div class="pe-reconnect-one">
                    <ConnectButton label=words::RECONNECT action="reconnect" on_connected=reconnected connection=Some(id.clone()) />
                </div>
            })}
            {move || asking.get().then(|| view! { <DisconnectQuestion key=key.clone() utility=name() confirm cancel /> })}
            {move || disconnect_error().map(|problem| view! { <ProblemView problem retry=None /> })}
            <StaleNotice linked=Signal::derive(move || linked.get()) />
        </li>
    }
}

/// A connection's health in one line: its status, how recent its data is,
/// and when it was last checked. Also in each account's header.
#[component]
pub fn HealthLine(linked: Signal<Option<LinkedConnection>>) -> impl IntoView {
    let formats = Formats::of(&crate::format::MoneyStyle::of_host());
    move || {
        linked.get().map(|linked| {
            let mut parts = vec![t(status_words(linked.status)).to_owned()];
            if let Some(through) = linked.data_through {
                parts.push(tf(health::DATA_THROUGH, &[("date", &formats.date(through))]));
            }
            if let Some(at) = linked.checked_at {
                parts.push(match ago(at, now()) {
                    Ago::JustNow => t(health::CHECKED_JUST_NOW).to_owned(),
                    Ago::Count(n, words) => tn(words, n as f64, &[]),
                });
            }
            view! { <p class="pe-health" data-status=linked.status.as_str()>{parts.join(" · ")}</p> }
        })
    }
}

/// Said when a connection's newest data is older than the host allows
/// (`data-stale-after-days`): calmly, since utilities often send late, with
/// when the app will look again.
#[component]
fn StaleNotice(linked: Signal<Option<LinkedConnection>>) -> impl IntoView {
    let after_days = stale_after_days();
    let formats = Formats::of(&crate::format::MoneyStyle::of_host());
    move || {
        let linked = linked.get()?;
        let through = linked.data_through.filter(|&t| is_stale(Some(t), now(), after_days))?;
        let again = formats.time(next_look(linked.checked_at, now()));
        Some(view! {
            <p class="pe-notice pe-stale" role="status">
                {tf(health::STALE, &[
                    ("utility", &utility_name(&linked)),
                    ("date", &formats.date(through)),
                    ("time", &again),
                ])}
            </p>
        })
    }
}

/// While a connection's data is late and the page stays open, asks again
/// when the notice says: the accounts and their data are fetched afresh,
/// which is what moves "data through".
fn look_again_when_stale(data: DataContext, linked: Linked) {
    let after_days = stale_after_days();
    let next = Memo::new(move |_| {
        linked.list.with(|list| {
            list.iter()
                .filter(|l| is_stale(l.data_through, now(), after_days))
                .map(|l| next_look(l.checked_at, now()))
                .min()
        })
    });
    let timer = StoredValue::new(None::<TimeoutHandle>);
    Effect::new(move |_| {
        if let Some(handle) = timer.try_update_value(Option::take).flatten() {
            handle.clear();
        }
        if let Some(at) = next.get() {
            let wait = std::time::Duration::from_secs((at - now()).max(60) as u64);
            let handle = set_timeout_with_handle(
                move || {
                    data.version.try_update(|v| *v += 1);
                },
                wait,
            )
            .ok();
            timer.set_value(handle);
        }
    });
    on_cleanup(move || {
        if let Some(handle) = timer.try_update_value(Option::take).flatten() {
            handle.clear();
        }
    });
}

/// "Disconnect?", asked in place: focus moves to the question, and Escape
/// or the second button keeps the connection.
#[component]
fn DisconnectQuestion(
    /// Which connection's question: ids stay unique with several open.
    key: String,
    utility: String,
    confirm: Callback<()>,
    cancel: Callback<()>,
) -> impl IntoView {
    let question = NodeRef::<leptos::html::Div>::new();
    let question_id = use_id(&format!("disconnect-question-{key}"));
    let labelled_by = question_id.clone();
    question.on_load(move |question| {
        let _ = question.focus();
    });
    view! {
        <div class="pe-confirm" role="alertdialog" aria-labelledby=labelled_by tabindex="-1"
            node_ref=question
            on:keydown=move |event| {
                if event.key() == "Escape" {
                    event.prevent_default();
                    cancel.run(());
                }
            }>
            <p id=question_id>
                {tf(words::QUESTION, &[("utility", &utility)])}
            </p>
            <button class="pe-button pe-button-danger" type="button" data-action="confirm-disconnect"
                on:click=move |_| confirm.run(())>
                {t(words::DISCONNECT)}
            </button>
            <button class="pe-button" type="button" data-action="cancel-disconnect"
                on:click=move |_| cancel.run(())>
                {t(words::KEEP)}
            </button>
        </div>
    }
}
