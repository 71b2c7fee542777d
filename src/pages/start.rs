//! The start screen: not connected yet.

use leptos::prelude::*;
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
            <h1 id=heading class="pe-title">"See your energy use"</h1>
            <p class="pe-lead">
                "Link your utility account to see your usage and bills. Your utility login goes to Pelm, not to this site."
            </p>
            // The user reads Pelm's pages for a while: time enough to fetch
            // the pages they will see once connected.
            <ConnectButton label="Connect your utility" action="connect" on_connected
                on_open=Callback::new(|_| prefetch_connected()) />
        </section>
    }
}
