//! The start screen: not connected yet.

use crate::language::t;
use leptos::prelude::*;
use pelm_app_logic::words::start;
use pelm_model::companion::Connection;

use crate::host::use_id;
use crate::pages::connect_button::ConnectButton;
use crate::pages::later::prefetch_connected;

#[component]
pub fn Start(on_connected: Callback<Connection>) -> impl IntoView {
    let title = use_id("start-title");
    let heading = title.clone();
    view! {
        <section class="pe-start" aria-labelledby=title>
            <h1 id=heading class="pe-title">{t(start::TITLE)}</h1>
            <p class="pe-lead">{t(start::LEAD)}</p>
            // The user reads Pelm's pages for a while: time enough to fetch
            // the pages they will see once connected.
            <ConnectButton label=start::CONNECT action="connect" on_connected
                on_open=Callback::new(|_| prefetch_connected()) />
        </section>
    }
}
