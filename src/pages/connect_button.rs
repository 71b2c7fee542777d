//! The button that links a utility account: opens Connect, hands its code to
//! the companion, and says what is happening at each step. The start screen
//! and the reconnect prompt both use it.

use crate::language::t;
use leptos::prelude::*;
use pelm_app_logic::words::{common, connect, Text};
use pelm_model::companion::Connection;

use crate::api;
use crate::connect::{use_pelm_connect, ConnectExit, ConnectStatus, ConnectSuccess, UsePelmConnectOptions};
use crate::host::{text, use_host};

#[component]
pub fn ConnectButton(
    /// The button's text.
    label: Text,
    /// Its `data-action`, for tests and analytics.
    action: &'static str,
    on_connected: Callback<Connection>,
    /// The connection to confirm again; none links a new one.
    #[prop(default = None)]
    connection: Option<String>,
    /// Called as Connect opens: the start screen fetches the connected
    /// pages then, while the user reads Pelm's.
    #[prop(optional)]
    on_open: Option<Callback<()>>,
) -> impl IntoView {
    let notice = RwSignal::new(None::<String>);
    let host = use_host();
    let endpoint = api::use_endpoint();
    // The answer is acted on where the exchange completes, not by an effect
    // watching the action; this view may be gone by then.
    let authorize = Action::new_local(move |success: &ConnectSuccess| {
        let (endpoint, success) = (endpoint.clone(), success.clone());
        async move {
            let answer = api::authorize(endpoint, success.code, success.connection_id).await;
            match &answer {
                Ok(connection) => {
                    on_connected.try_run(connection.clone());
                }
                Err(problem) => {
                    notice.try_set(Some(format!("{} {}", problem.message, problem.next_step)));
                }
            }
            answer
        }
    });
    let connect = use_pelm_connect(UsePelmConnectOptions::new(
        Callback::new(move |success: ConnectSuccess| {
            notice.set(None);
            authorize.dispatch_local(success);
        }),
        Callback::new(move |exit: ConnectExit| {
            if let Some(host) = host {
                host.emit(
                    "exit",
                    &[("status", text(&exit.status)), ("error_code", exit.error_code.as_deref().and_then(text))],
                );
            }
            notice.set(exit.notice());
        }),
        connection,
    ));

    let status = connect.status;
    let exchanging = authorize.pending();
    let disabled = move || exchanging.get() || status.get() != ConnectStatus::Ready;
    let status_text = move || {
        if exchanging.get() {
            return Some(t(connect::LINKING).to_owned());
        }
        match status.get() {
            ConnectStatus::Preparing(why) => Some(t(why).to_owned()),
            ConnectStatus::Open => Some(t(connect::OPEN).to_owned()),
            ConnectStatus::Failed(why) => Some(why),
            ConnectStatus::Ready => None,
        }
    };
    let failed = move || matches!(status.get(), ConnectStatus::Failed(_));
    let open = connect.open;
    let retry = connect.retry;

    view! {
        <div class="pe-connect">
            <button class="pe-button pe-button-primary" type="button" data-action=action
                disabled=disabled on:click=move |_| {
                    open.run(());
                    if let Some(on_open) = on_open {
                        on_open.run(());
                    }
                }>
                {t(label)}
            </button>
            <p class="pe-status" role="status" aria-live="polite">{status_text}</p>
            <button class="pe-button" type="button" data-action="retry" hidden=move || !failed()
                on:click=move |_| retry.run(())>
                {t(common::TRY_AGAIN)}
            </button>
            {move || notice.get().map(|text| view! { <p class="pe-notice" role="alert">{text}</p> })}
        </div>
    }
}
