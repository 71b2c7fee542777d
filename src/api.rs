//! All HTTP to the companion. Every call ends in the data or a [`Problem`],
//! whatever the companion (or a proxy in front of it) answered.

use gloo_net::http::{Request, RequestBuilder, Response};
use pelm_model::companion::{AuthorizationRequest, ConnectTokenGrant, Connection};
use pelm_model::pelm::{Account, AccountBills, Intervals, MeterType};
use pelm_model::problem::Problem;
use serde::de::DeserializeOwned;

/// Where the companion's API lives, relative to the page.
const API: &str = "/api";

fn url(path: &str) -> String {
    format!("{API}/{path}")
}

async fn read<T: DeserializeOwned>(sent: Result<Response, gloo_net::Error>) -> Result<T, Problem> {
    let response = sent.map_err(|_| Problem::network())?;
    let status = response.status();
    let body = response.text().await.map_err(|_| Problem::network())?;
    if !(200..300).contains(&status) {
        return Err(Problem::from_response(status, &body));
    }
    serde_json::from_str(&body).map_err(|_| Problem::unexpected_body(status))
}

async fn send<T: DeserializeOwned>(request: RequestBuilder) -> Result<T, Problem> {
    read(request.send().await).await
}

pub async fn connection() -> Result<Connection, Problem> {
    send(Request::get(&url("connection"))).await
}

pub async fn connect_token() -> Result<ConnectTokenGrant, Problem> {
    send(Request::post(&url("connect-token"))).await
}

pub async fn authorize(code: String) -> Result<Connection, Problem> {
    let body = AuthorizationRequest { authorization_code: code };
    let request = Request::post(&url("authorization")).json(&body).map_err(|_| Problem::network())?;
    read(request.send().await).await
}

pub async fn disconnect() -> Result<Connection, Problem> {
    send(Request::delete(&url("connection"))).await
}

pub async fn accounts() -> Result<Vec<Account>, Problem> {
    send(Request::get(&url("accounts"))).await
}

/// Intervals of one account's meter between two instants (Unix seconds).
pub async fn intervals(account_id: &str, meter_type: MeterType, from: i64, to: i64) -> Result<Intervals, Problem> {
    let id = String::from(js_sys::encode_uri_component(account_id));
    let query = format!("intervals?account_id={id}&type={}&start_date={from}&end_date={to}", meter_type.as_str());
    send(Request::get(&url(&query))).await
}

/// The account's bills, in Pelm's current shape.
pub async fn bills(account_id: &str) -> Result<Vec<AccountBills>, Problem> {
    let id = String::from(js_sys::encode_uri_component(account_id));
    send(Request::get(&url(&format!("bills?account_id={id}")))).await
}
