//! The app shell: asks the companion whether this user is connected, then
//! shows the start screen or their data.

use leptos::prelude::*;
use pelm_app_logic::embed::{EmbedConfig, Seat};
use pelm_app_logic::problem::Problem;
use pelm_model::companion::Connection;

use crate::api;
use crate::host::{announce, announce_linked, use_host, Host};
use crate::language::{self, t};
use crate::nav::provide_nav;
use crate::pages::later::Connected;
use crate::pages::{problem_fallback, DataContext, Start};
use pelm_app_logic::words;

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
    // The words, when they must be fetched, come while the companion answers;
    // until they do, the status says nothing rather than say it in English.
    let initial = LocalResource::new(move || async move {
        let connection = calls.connection().await;
        // Loading since the app started: this only waits for the end of it.
        language::ready().await;
        connection
    });
    let checking =
        move || calls.status().get().or_else(|| language::settled().then(|| t(words::app::CHECKING).to_owned()));
    view! {
        <div class="pe-app" lang=language::language() on:click=move |ev| nav.follow(&ev)>
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
    connection.with_untracked(|c| announce(host, "ready", c.connected, c.utility.as_deref(), None));
    follow_other_copies(connection, data);
    let on_connected = Callback::new(move |now: Connection| {
        announce_linked(host, &now);
        connection.set(now);
    });
    let reconnected = Callback::new(move |now: Connection| {
        announce_linked(host, &now);
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

/// Another copy on the page connecting or disconnecting changes this one's
/// connections too: the companion keeps them per browser.
fn follow_other_copies(connection: RwSignal<Connection>, data: DataContext) {
    let Some(host) = use_host() else { return };
    let calls = api::use_calls();
    host.on_other_copies(move || {
        leptos::task::spawn_local(async move {
            let Ok(now) = calls.connection().await else { return };
            // This view may have gone while the answer came.
            if connection.try_with_untracked(|_| ()).is_none() {
                return;
            }
            // A utility linked, renewed or removed there is one here too:
            // the data is read again, and with it each utility's health.
            let still = now.connected;
            connection.try_set(now);
            if still {
                data.reconnect_needed.try_set(false);
                data.version.try_update(|v| *v += 1);
            }
        });
    });
}
