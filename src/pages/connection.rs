//! The header of a connected user's pages: the utility, and disconnecting
//! from it. Part of what loads later (`later.rs`).

use leptos::prelude::*;
use pelm_model::companion::Connection;

use crate::api;
use crate::app::announce;
use crate::host::{use_host, use_id};
use crate::pages::ProblemView;

/// The connected utility, and disconnecting from it. Disconnecting asks
/// first, in place: an embedded app must not open a blocking browser dialog
/// over someone else's site.
#[component]
pub fn ConnectionHeader(connection: RwSignal<Connection>) -> impl IntoView {
    let (endpoint, host) = (api::use_endpoint(), use_host());
    // The answer is applied where the action completes, not by an effect watching it.
    let disconnect = Action::new_local(move |_: &()| {
        let endpoint = endpoint.clone();
        async move {
            let answer = api::disconnect(endpoint).await;
            if let Ok(now) = &answer {
                announce(host, "disconnected", now);
                connection.try_set(now.clone());
            }
            answer
        }
    });
    let asking = RwSignal::new(false);
    let disconnect_button = NodeRef::<leptos::html::Button>::new();
    let utility = move || connection.with(|c| c.utility.clone()).unwrap_or_else(|| "Your utility".to_owned());
    let disconnect_error = move || disconnect.value().get().and_then(Result::err);
    let cancel = Callback::new(move |_: ()| {
        asking.set(false);
        if let Some(button) = disconnect_button.get_untracked() {
            let _ = button.focus();
        }
    });
    let confirm = Callback::new(move |_: ()| {
        asking.set(false);
        disconnect.dispatch_local(());
    });
    view! {
        <header class="pe-header">
            <p class="pe-utility"><span class="pe-dot" aria-hidden="true"></span>{utility}" · connected"</p>
            <button class="pe-button" type="button" data-action="disconnect" node_ref=disconnect_button
                aria-expanded=move || asking.get().to_string()
                disabled=move || disconnect.pending().get()
                on:click=move |_| asking.set(true)>
                "Disconnect"
            </button>
        </header>
        {move || asking.get().then(|| view! { <DisconnectQuestion confirm cancel /> })}
        {move || disconnect_error().map(|problem| view! { <ProblemView problem retry=None /> })}
    }
}

/// "Disconnect?", asked in place: focus moves to the question, and Escape
/// or the second button keeps the connection.
#[component]
fn DisconnectQuestion(confirm: Callback<()>, cancel: Callback<()>) -> impl IntoView {
    let question = NodeRef::<leptos::html::Div>::new();
    let question_id = use_id("disconnect-question");
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
                "Disconnect your utility account from this site? You can connect it again at any time."
            </p>
            <button class="pe-button pe-button-danger" type="button" data-action="confirm-disconnect"
                on:click=move |_| confirm.run(())>
                "Disconnect"
            </button>
            <button class="pe-button" type="button" data-action="cancel-disconnect"
                on:click=move |_| cancel.run(())>
                "Keep it connected"
            </button>
        </div>
    }
}
