//! The start screen: not connected yet. Opens Connect and hands its code to the companion.

use leptos::prelude::*;
use pelm_model::companion::Connection;

use crate::api;
use crate::connect::{use_pelm_connect, ConnectExit, ConnectStatus, UsePelmConnectOptions};

/// What to tell the user after Connect closed without connecting, if anything.
fn exit_notice(exit: &ConnectExit) -> Option<String> {
    match exit.status.as_str() {
        "user_initiated_exit" => None,
        "unavailable_utility_credentials_submitted" => Some(match &exit.utility_name {
            Some(name) => format!("We can't connect to {name} yet."),
            None => "We can't connect to that utility yet.".to_owned(),
        }),
        _ => Some(match &exit.message {
            Some(message) if !message.is_empty() => format!("Connect closed: {message}"),
            _ => "Connect closed before your account was linked. You can try again.".to_owned(),
        }),
    }
}

#[component]
pub fn Start(on_connected: Callback<Connection>) -> impl IntoView {
    let notice = RwSignal::new(None::<String>);
    let authorize = Action::new_local(|code: &String| api::authorize(code.clone()));
    let connect = use_pelm_connect(UsePelmConnectOptions::new(
        Callback::new(move |code: String| {
            notice.set(None);
            authorize.dispatch_local(code);
        }),
        Callback::new(move |exit: ConnectExit| notice.set(exit_notice(&exit))),
    ));
    Effect::new(move |_| match authorize.value().get() {
        Some(Ok(connection)) => on_connected.run(connection),
        Some(Err(problem)) => notice.set(Some(format!("{} Please connect again.", problem.message))),
        None => {}
    });

    let status = connect.status;
    let exchanging = authorize.pending();
    let disabled = move || exchanging.get() || status.get() != ConnectStatus::Ready;
    let status_text = move || {
        if exchanging.get() {
            return Some("Linking your account…".to_owned());
        }
        match status.get() {
            ConnectStatus::Preparing(why) => Some(why.to_owned()),
            ConnectStatus::Open => Some("Connect is open.".to_owned()),
            ConnectStatus::Failed(why) => Some(why),
            ConnectStatus::Ready => None,
        }
    };
    let failed = move || matches!(status.get(), ConnectStatus::Failed(_));
    let open = connect.open;
    let retry = connect.retry;

    view! {
        <section class="pe-start" aria-labelledby="pe-start-title">
            <h1 id="pe-start-title" class="pe-title">"See your energy use"</h1>
            <p class="pe-lead">
                "Link your utility account to see your usage and bills. Your utility login goes to Pelm, not to this site."
            </p>
            <button class="pe-button pe-button-primary" type="button" data-action="connect"
                disabled=disabled on:click=move |_| open.run(())>
                "Connect your utility"
            </button>
            <p class="pe-status" role="status" aria-live="polite">{status_text}</p>
            <Show when=failed>
                <button class="pe-button" type="button" data-action="retry" on:click=move |_| retry.run(())>
                    "Try again"
                </button>
            </Show>
            {move || notice.get().map(|text| view! { <p class="pe-notice" role="alert">{text}</p> })}
        </section>
    }
}
