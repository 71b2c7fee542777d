//! The app's shared state, provided as contexts by the shell (`app`) and
//! read by the pages and by `api`, which must not depend on the pages.

use leptos::prelude::*;
use pelm_app_logic::problem::Problem;
use pelm_model::companion::{Connection, LinkedConnection};
use pelm_model::pelm::Account;

use crate::api::{use_calls, use_endpoint, Calls, Endpoint};

/// Shared by the views under a connected user: whether Pelm wants the user
/// to connect again, a counter that makes data views fetch afresh, and the
/// connections with their health.
#[derive(Clone, Copy)]
pub struct DataContext {
    pub reconnect_needed: RwSignal<bool>,
    pub version: RwSignal<u32>,
    pub connection: RwSignal<Connection>,
}

impl DataContext {
    /// The connection an account came through, if it is still linked.
    pub fn linked(&self, connection_id: Option<&str>) -> Option<LinkedConnection> {
        let id = connection_id?;
        self.connection.with(|c| c.find(id).cloned())
    }

    /// Reads the connections' health again (the companion's store, no call
    /// to Pelm): after data came or failed, which is what moves it.
    pub fn refresh_health(&self, endpoint: Endpoint) {
        let connection = self.connection;
        leptos::task::spawn_local(async move {
            if let Ok(list) = crate::api::connections(endpoint).await {
                if !list.is_empty() {
                    connection.try_update(|c| c.connections = list);
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
    pub fn new(data: DataContext) -> Self {
        let (calls, endpoint) = (use_calls(), use_endpoint());
        let accounts = LocalResource::new(move || {
            data.version.track();
            let endpoint = endpoint.clone();
            async move {
                let answer = calls.accounts().await;
                // Asking for the accounts asked Pelm about every connection.
                data.refresh_health(endpoint);
                answer
            }
        });
        Self { accounts, calls }
    }
}
