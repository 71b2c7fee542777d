//! All HTTP to the companion. Every call ends in the data or a [`Problem`],
//! whatever the companion (or a proxy in front of it) answered.

use gloo_net::http::{Request, RequestBuilder, Response};
use pelm_model::bills::{decode_bills, BillRow};
use pelm_model::companion::{AuthorizationRequest, ConnectTokenGrant, Connection};
use pelm_model::pelm::{Account, Intervals, MeterType};
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

/// The account's bills, in either shape Pelm has used, newest first.
pub async fn bills(account_id: &str) -> Result<Vec<BillRow>, Problem> {
    let id = String::from(js_sys::encode_uri_component(account_id));
    let response =
        Request::get(&url(&format!("bills?account_id={id}"))).send().await.map_err(|_| Problem::network())?;
    let status = response.status();
    let body = response.text().await.map_err(|_| Problem::network())?;
    if !(200..300).contains(&status) {
        return Err(Problem::from_response(status, &body));
    }
    decode_bills(&body).map_err(|_| Problem::unexpected_body(status))
}

/// A bill's PDF, fetched before it is shown, so a failure becomes a message
/// in the page rather than a tab with an error in it.
pub async fn bill_pdf(bill_id: &str) -> Result<web_sys::Blob, Problem> {
    let id = String::from(js_sys::encode_uri_component(bill_id));
    let response = Request::get(&url(&format!("bills/{id}/pdf"))).send().await.map_err(|_| Problem::network())?;
    let status = response.status();
    let is_pdf = response.headers().get("content-type").is_some_and(|t| t.starts_with("application/pdf"));
    if !(200..300).contains(&status) || !is_pdf {
        let body = response.text().await.unwrap_or_default();
        return Err(if (200..300).contains(&status) {
            Problem::unexpected_body(status)
        } else {
            Problem::from_response(status, &body)
        });
    }
    let bytes = response.binary().await.map_err(|_| Problem::network())?;
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes.as_slice()));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/pdf");
    web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)
        .map_err(|_| Problem::unexpected_body(status))
}
