//! The app shell: asks the companion whether this user is connected, then
//! shows the start screen or their data.

use leptos::prelude::*;
use pelm_app_logic::embed::{EmbedConfig, Seat};
use pelm_app_logic::problem::Problem;
use pelm_model::companion::{Connection, LinkedConnection};

use crate::api;
use crate::host::{text, use_host, Host};
use crate::nav::provide_nav;
use crate::pages::later::Connected;
use crate::pages::{problem_fallback, DataContext, Start};

#[component]
pub fn App(
    /// The host element and its settings; the defaults without one.
    #[prop(optional)]
    host: Option<Host>,
) -> impl IntoView {
    let host = host.unwrap_or_else(|| Host::new(None, EmbedConfig::default(), Seat::default()));
    provide_context(host);
    provide_context(api::Endpoint::new(&host.config.read_value()));
    let nav = provide_nav(host.seat.url);
    let calls = api::use_calls();
    let initial = LocalResource::new(move || calls.connection());
    let checking = move || calls.status().get().unwrap_or_else(|| "Checking your connection…".to_owned());
    view! {
        <div class="pe-app" on:click=move |ev| nav.follow(&ev)>
            <Transition fallback=move || view! { <p class="pe-status" role="status">{checking}</p> }>
                <ErrorBoundary fallback=problem_fallback(Some(Callback::new(move |_| initial.refetch())))>
                    {move || Suspend::new(async move {
                        let connection: Connection = initial.await?;
                        Ok::<_, Problem>(view! { <Home initial=connection /> })
                    })}
                </ErrorBoundary>
            </Transition>
        </div>
    }
}

#[component]
fn Home(mut initial: Connection) -> impl IntoView {
    provide_context(api::ReadyGrant::new(initial.connect.take()));
    let connection = RwSignal::new(initial);
    let data = DataContext { reconnect_needed: RwSignal::new(false), version: RwSignal::new(0), connection };
    provide_context(data);
    // Taken now: the callbacks below run outside the reactive owner.
    let (host, endpoint) = (use_host(), api::use_endpoint());
    announce(host, "ready", &connection.get_untracked(), None);
    follow_other_copies(connection, data);
    let on_connected = Callback::new(move |now: Connection| {
        announce(host, "connected", &now, just_linked(&now));
        connection.set(now);
    });
    let reconnected = Callback::new(move |now: Connection| {
        announce(host, "connected", &now, just_linked(&now));
        connection.set(now);
        data.reconnect_needed.set(false);
        // Back where the user was, with data fetched under the new token.
        data.version.update(|v| *v += 1);
    });
    // Memos, so each part is rebuilt only when it comes or goes.
    let connected = Memo::new(move |_| connection.with(|c| c.connected));
    move || match connected.get() {
        false => {
            // The Connect script starts loading now, while the button asks for a token.
            if let Some(named) = connection.with_untracked(|c| c.connect_script_url.clone()) {
                let chosen = host.and_then(|h| h.config.with_value(|c| c.connect_script.clone()));
                crate::connect::preload_script(api::connect_script(&endpoint, chosen, &named));
            }
            view! { <Start on_connected /> }.into_any()
        }
        true => view! { <Connected data reconnected /> }.into_any(),
    }
}

/// The connection an authorization just added or renewed.
fn just_linked(now: &Connection) -> Option<&LinkedConnection> {
    now.find(now.linked.as_deref()?)
}

/// Tells the host page of a change of connection (`pelm-energy:<name>`):
/// whether any is connected, and which one changed and its utility.
pub(crate) fn announce(host: Option<Host>, name: &str, now: &Connection, which: Option<&LinkedConnection>) {
    if let Some(host) = host {
        let named = which.and_then(|l| l.utility.as_ref()).map(|u| u.name.as_str());
        let utility = named.or(now.utility.as_deref()).and_then(text);
        let connection_id = which.and_then(|l| text(&l.id));
        host.emit(
            name,
            &[("connected", Some(now.connected.into())), ("utility", utility), ("connection_id", connection_id)],
        );
    }
}

/// The ids of the linked connections, to tell a change of them from a
/// change of their health.
fn linked_ids(connection: &Connection) -> Vec<&str> {
    connection.connections.iter().map(|l| l.id.as_str()).collect()
}

/// Another copy on the page connecting or disconnecting changes this one's
/// connections too: the companion keeps them per browser.
fn follow_other_copies(connection: RwSignal<Connection>, data: DataContext) {
    let Some(host) = use_host() else { return };
    let calls = api::use_calls();
    host.on_other_copies(move || {
        leptos::task::spawn_local(async move {
            let Ok(now) = calls.connection().await else { return };
            // This view may have gone while the answer came.
            let Some(changed) =
                connection.try_with_untracked(|c| c.connected != now.connected || linked_ids(c) != linked_ids(&now))
            else {
                return;
            };
            // A reconnect there renews the login here as well.
            let stale = changed || data.reconnect_needed.try_get_untracked().unwrap_or(false);
            if now.connected {
                data.reconnect_needed.try_set(false);
            }
            connection.try_set(now);
            if stale {
                data.version.try_update(|v| *v += 1);
            }
        });
    });
}
