//! What a connected user's pages share, provided by `later` for them: the
//! linked utilities with their health, and the accounts.

use leptos::prelude::*;
use pelm_app_logic::problem::Problem;
use pelm_model::companion::LinkedConnection;
use pelm_model::pelm::Account;

use crate::api::{use_calls, use_endpoint, Calls, Endpoint};
use crate::state::DataContext;

/// The linked utilities and their health, as the companion last saw them
/// (`GET /api/connections`: its store, no call to Pelm). Only the pages of a
/// connected user read them, so they load with those pages.
#[derive(Clone, Copy)]
pub struct Linked {
    pub list: RwSignal<Vec<LinkedConnection>>,
    endpoint: StoredValue<Endpoint>,
    /// The last read asked for: an older answer coming later is dropped.
    asked: StoredValue<u32>,
}

impl Linked {
    /// The list the companion's first answer brought, or else asked for at
    /// once: made by the pages that show it.
    pub fn load(known: Option<Vec<LinkedConnection>>) -> Self {
        let this = Self {
            list: RwSignal::new(known.clone().unwrap_or_default()),
            endpoint: StoredValue::new(use_endpoint()),
            asked: StoredValue::new(0),
        };
        if known.is_none() {
            this.refresh();
        }
        this
    }

    /// The connection `id`, if it is still linked.
    pub fn find(&self, id: &str) -> Option<LinkedConnection> {
        self.list.with(|list| list.iter().find(|l| l.id == id).cloned())
    }

    /// Reads the list again: after data came or failed, which is what moves
    /// each one's health, or after one was added or removed.
    pub fn refresh(&self) {
        let (list, asked, endpoint) = (self.list, self.asked, self.endpoint.get_value());
        let Some(this) = asked.try_update_value(|n| {
            *n += 1;
            *n
        }) else {
            return;
        };
        leptos::task::spawn_local(async move {
            if let Ok(now) = crate::api::connections(endpoint).await {
                if asked.try_get_value() == Some(this) {
                    list.try_set(now);
                }
            }
        });
    }
}

/// The connected user's accounts, fetched once for every page that shows
/// them (the list, and each account's usage and bills), and again only after
/// reconnecting. `calls` says what is happening while Pelm still collects.
#[derive(Clone, Copy)]
pub struct AccountsContext {
    pub accounts: LocalResource<Result<Vec<Account>, Problem>>,
    pub calls: Calls,
}

impl AccountsContext {
    /// The accounts the companion's first answer brought, when it brought
    /// them; asked of Pelm otherwise, and after every reconnect.
    pub fn new(data: DataContext, linked: Linked, known: Option<Vec<Account>>) -> Self {
        let calls = use_calls();
        let known = StoredValue::new(known);
        let accounts = LocalResource::new(move || {
            data.version.track();
            let known = known.try_update_value(Option::take).flatten();
            async move {
                if let Some(known) = known {
                    return Ok(known);
                }
                let answer = calls.accounts().await;
                // Asking for the accounts asked Pelm about every connection.
                linked.refresh();
                answer
            }
        });
        Self { accounts, calls }
    }
}
