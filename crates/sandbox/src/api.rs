//! Pelm's REST API: `/auth/*`, `/accounts`, `/intervals`, `/bills`, `/users`.

use std::collections::HashMap;

use axum::extract::{FromRequest, FromRequestParts, Multipart, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use pelm_model::pelm::{
    AccessToken, Account, AccountBills, ConnectToken, Interval, Intervals, LegacyBill, MeterType, User, Utility,
};
use serde::Deserialize;

use crate::bills::{self, PdfHeader, Statement};
use crate::data::MeterSpec;
use crate::error::PelmError;
use crate::scenarios::{self, UtilityInfo};
use crate::state::Sandbox;
use crate::store::{AccountRecord, CodeRejected, Connection, CONNECT_TOKEN_LIFETIME};
use pelm_model::civil::{rfc1123, DAY, HOUR};

/// How far back every account's data goes.
pub const HISTORY: i64 = 6 * 365 * DAY;
/// Without dates, `/intervals` answers the past two months, as Pelm does.
pub const DEFAULT_RANGE: i64 = 60 * DAY;

pub fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/auth/connect-token", post(connect_token))
        .route("/auth/token", post(token))
        .route("/accounts", get(accounts))
        .route("/intervals", get(intervals))
        .route("/bills", get(bills_list))
        .route("/bills/{bill_id}/pdf", get(bill_pdf))
        .route("/users/{user_id}", get(user))
        .route("/_sandbox/revoke", post(revoke))
        .route("/_sandbox/users/{user_id}/credentials", post(set_credentials))
}

/// Proof that the request carried this sandbox's `Pelm-Client-Id` and `Pelm-Secret`.
struct ClientAuth;

impl FromRequestParts<Sandbox> for ClientAuth {
    type Rejection = PelmError;

    async fn from_request_parts(parts: &mut Parts, sandbox: &Sandbox) -> Result<Self, PelmError> {
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
        let config = sandbox.config();
        let id_ok = header("pelm-client-id") == Some(config.client_id.as_str());
        let secret_ok = header("pelm-secret") == Some(config.secret.as_str());
        if id_ok && secret_ok {
            Ok(ClientAuth)
        } else {
            Err(PelmError::credentials_invalid())
        }
    }
}

/// The user whose access token came in `Authorization: Bearer`, after client auth.
struct BearerUser(String);

impl FromRequestParts<Sandbox> for BearerUser {
    type Rejection = PelmError;

    async fn from_request_parts(parts: &mut Parts, sandbox: &Sandbox) -> Result<Self, PelmError> {
        ClientAuth::from_request_parts(parts, sandbox).await?;
        let token = parts
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| PelmError::token_invalid("access token"))?;
        let user = sandbox.store().user_for_token(token).ok_or_else(|| PelmError::token_invalid("access token"))?;
        Ok(BearerUser(user))
    }
}

/// Form fields from either encoding Pelm's docs use: `--data` (urlencoded)
/// or `-F` (multipart).
struct FormFields(HashMap<String, String>);

impl FromRequest<Sandbox> for FormFields {
    type Rejection = PelmError;

    async fn from_request(request: Request, sandbox: &Sandbox) -> Result<Self, PelmError> {
        let content_type = request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        if content_type.starts_with("multipart/form-data") {
            let mut multipart = Multipart::from_request(request, sandbox)
                .await
                .map_err(|r| PelmError::parameter_invalid("body", &r.body_text()))?;
            let mut fields = HashMap::new();
            while let Some(field) =
                multipart.next_field().await.map_err(|e| PelmError::parameter_invalid("body", &e.body_text()))?
            {
                let name = field.name().unwrap_or_default().to_owned();
                let value = field.text().await.map_err(|e| PelmError::parameter_invalid(&name, &e.body_text()))?;
                fields.insert(name, value);
            }
            return Ok(FormFields(fields));
        }
        let Form(fields) = Form::<HashMap<String, String>>::from_request(request, sandbox)
            .await
            .map_err(|r| PelmError::parameter_invalid("body", &r.body_text()))?;
        Ok(FormFields(fields))
    }
}

fn required<'a>(fields: &'a HashMap<String, String>, name: &str) -> Result<&'a str, PelmError> {
    match fields.get(name).map(|v| v.trim()) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(PelmError::parameter_missing(name)),
    }
}

async fn connect_token(
    State(sandbox): State<Sandbox>,
    _: ClientAuth,
    FormFields(fields): FormFields,
) -> Result<Json<ConnectToken>, PelmError> {
    let user_id = required(&fields, "user_id")?;
    // Older docs call it utility_id, newer ones utility_slug.
    let utility_id = fields.get("utility_id").or_else(|| fields.get("utility_slug")).filter(|v| !v.is_empty());
    if let Some(id) = utility_id {
        let utility =
            scenarios::utility(id).ok_or_else(|| PelmError::parameter_invalid("utility_id", "unknown utility"))?;
        if !utility.supported {
            return Err(PelmError::utility_unavailable(utility.full_name));
        }
    }
    let connect_token = sandbox.store().issue_connect_token(user_id, utility_id.cloned());
    Ok(Json(ConnectToken { connect_token, expires_in: CONNECT_TOKEN_LIFETIME.as_secs() }))
}

async fn token(
    State(sandbox): State<Sandbox>,
    _: ClientAuth,
    FormFields(fields): FormFields,
) -> Result<Json<AccessToken>, PelmError> {
    let code = required(&fields, "code")?;
    let grant_type = required(&fields, "grant_type")?;
    if grant_type != "code" {
        return Err(PelmError::parameter_invalid("grant_type", "must be \"code\""));
    }
    let access_token = sandbox.store().exchange_code(code).map_err(|why| match why {
        CodeRejected::Unknown => PelmError::token_invalid("authorization code"),
        CodeRejected::Expired => PelmError::token_invalid("authorization code (it expired after 10 minutes)"),
        CodeRejected::Used => PelmError::token_invalid("authorization code (it was already used)"),
    })?;
    Ok(Json(AccessToken {
        access_token,
        access_token_expires_in: Some(3600),
        refresh_token: Some(crate::store::random_hex(32)),
        refresh_token_expires_in: Some(1_314_000),
    }))
}

/// The user's connection, once its data is ready.
fn ready_connection(sandbox: &Sandbox, user_id: &str) -> Result<Connection, PelmError> {
    let connection = sandbox.store().connection(user_id).ok_or_else(|| PelmError::token_invalid("access token"))?;
    let delay = sandbox.config().data_delay.as_secs().max(connection.data_delay) as i64;
    if sandbox.store().now() < connection.connected_at + delay {
        let mut unavailable = PelmError::data_unavailable();
        if sandbox.config().data_unavailable_as_500 {
            unavailable.status = axum::http::StatusCode::INTERNAL_SERVER_ERROR;
        }
        return Err(unavailable);
    }
    Ok(connection)
}

fn utility_of(connection: &Connection) -> &'static UtilityInfo {
    scenarios::utility(&connection.utility_id).unwrap_or(&scenarios::UTILITIES[0])
}

/// `[start, end)` of the data the connection's accounts have, ending a day
/// before now as utility data does, or later still when its utility lags.
fn data_window(sandbox: &Sandbox, connection: &Connection) -> (i64, i64) {
    let end = sandbox.store().now().div_euclid(HOUR) * HOUR - DAY - connection.data_lag;
    (end - HISTORY, end)
}

fn meter_spec(record: &AccountRecord, meter_type: MeterType, utility: &UtilityInfo) -> MeterSpec {
    scenarios::meter_spec(&record.account.id, &record.seed, meter_type, utility)
}

/// The account `account_id` of this user's connection; another user's
/// account is `permission_denied`, an unknown one `parameter_invalid`.
fn own_account<'c>(
    sandbox: &Sandbox,
    connection: &'c Connection,
    account_id: &str,
) -> Result<&'c AccountRecord, PelmError> {
    if let Some(record) = connection.accounts.iter().find(|a| a.account.id == account_id) {
        return Ok(record);
    }
    Err(match sandbox.store().account_owner(account_id) {
        Some(_) => PelmError::permission_denied("this account belongs to another user"),
        None => PelmError::parameter_invalid("account_id", "unknown account"),
    })
}

async fn accounts(
    State(sandbox): State<Sandbox>,
    BearerUser(user_id): BearerUser,
) -> Result<Json<Vec<Account>>, PelmError> {
    let connection = ready_connection(&sandbox, &user_id)?;
    Ok(Json(connection.accounts.into_iter().map(|a| a.account).collect()))
}

fn unix_seconds(query: &HashMap<String, String>, name: &str) -> Result<Option<i64>, PelmError> {
    match query.get(name).map(|v| v.trim()).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(value) => value
            .parse::<i64>()
            .map(Some)
            .map_err(|_| PelmError::parameter_invalid(name, "must be a Unix time in seconds")),
    }
}

async fn intervals(
    State(sandbox): State<Sandbox>,
    BearerUser(user_id): BearerUser,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Intervals>, PelmError> {
    let connection = ready_connection(&sandbox, &user_id)?;
    let utility = utility_of(&connection);
    let (record, meter_type) = if let Some(meter_id) = query.get("meter_id").filter(|m| !m.is_empty()) {
        let (owner, account_id) = sandbox
            .store()
            .meter_owner(meter_id)
            .ok_or_else(|| PelmError::parameter_invalid("meter_id", "unknown meter"))?;
        if owner != user_id {
            return Err(PelmError::permission_denied("this meter belongs to another user"));
        }
        let record = own_account(&sandbox, &connection, &account_id)?;
        let index = record.meter_ids.iter().position(|m| m == meter_id).unwrap_or(0);
        (record, record.seed.meter_types[index])
    } else {
        let account_id = query
            .get("account_id")
            .filter(|a| !a.is_empty())
            .ok_or_else(|| PelmError::parameter_missing("account_id"))?;
        let record = own_account(&sandbox, &connection, account_id)?;
        let meter_type = match query.get("type").map(|t| t.to_ascii_uppercase()).as_deref() {
            // An account's own meter when none is named: a gas-only home has no electric one.
            None => record.seed.meter_types[0],
            Some("ELECTRIC") => MeterType::Electric,
            Some("GAS") => MeterType::Gas,
            Some(_) => return Err(PelmError::parameter_invalid("type", "must be ELECTRIC or GAS")),
        };
        if !record.seed.meter_types.contains(&meter_type) {
            return Err(PelmError::parameter_invalid(
                "type",
                &format!("this account has no {} meter", meter_type.as_str()),
            ));
        }
        (record, meter_type)
    };
    let (history_start, data_end) = data_window(&sandbox, &connection);
    let end = unix_seconds(&query, "end_date")?.unwrap_or(data_end);
    let start = unix_seconds(&query, "start_date")?.unwrap_or(end - DEFAULT_RANGE);
    if start >= end {
        return Err(PelmError::parameter_invalid("start_date", "must be before end_date"));
    }
    let spec = meter_spec(record, meter_type, utility);
    let mut account = record.account.clone();
    if meter_type == MeterType::Gas {
        account.usage_unit = account.gas_usage_unit.clone();
    }
    let mut intervals = spec.intervals(start.max(history_start), end.min(data_end));
    if sandbox.config().messy_intervals {
        intervals = messy(intervals);
    }
    Ok(Json(Intervals {
        utility: utility.full_name.to_owned(),
        meter_type: Some(meter_type),
        account,
        intervals,
        skipped: 0,
    }))
}

/// `rows` as a looser Pelm may send them: every 97th twice (the second
/// copy with another value), every 50th pair swapped, and every 200th
/// joined by an hour's row starting with it that sums it and the next three.
fn messy(rows: Vec<Interval>) -> Vec<Interval> {
    let mut out = Vec::with_capacity(rows.len() + rows.len() / 50);
    for (i, row) in rows.iter().enumerate() {
        out.push(*row);
        if i % 97 == 0 {
            out.push(Interval { usage: row.usage + 1.0, ..*row });
        }
        if i % 200 == 0 && i + 4 <= rows.len() && rows[i + 3].end - row.start == 4 * (row.end - row.start) {
            let usage = rows[i..i + 4].iter().map(|r| r.usage).sum();
            out.push(Interval { start: row.start, end: rows[i + 3].end, usage, ghg_emissions: None });
        }
    }
    for pair in out.chunks_mut(2).step_by(25) {
        pair.reverse();
    }
    out
}

fn account_statements(sandbox: &Sandbox, connection: &Connection, record: &AccountRecord) -> Vec<Statement> {
    let utility = utility_of(connection);
    let meters: Vec<MeterSpec> = record.seed.meter_types.iter().map(|t| meter_spec(record, *t, utility)).collect();
    let (history_start, data_end) = data_window(sandbox, connection);
    bills::statements(&record.account.id, &meters, &utility.zone, history_start, data_end)
}

#[derive(Deserialize)]
struct BillsQuery {
    account_id: Option<String>,
}

async fn bills_list(
    State(sandbox): State<Sandbox>,
    BearerUser(user_id): BearerUser,
    Query(query): Query<BillsQuery>,
) -> Result<Response, PelmError> {
    let connection = ready_connection(&sandbox, &user_id)?;
    let records: Vec<&AccountRecord> = match query.account_id.as_deref().filter(|a| !a.is_empty()) {
        Some(account_id) => vec![own_account(&sandbox, &connection, account_id)?],
        None => connection.accounts.iter().collect(),
    };
    if sandbox.config().legacy_bills {
        // The seed's shape: one map from bill id to RFC 1123 dates.
        let map: HashMap<String, LegacyBill> = records
            .iter()
            .flat_map(|record| account_statements(&sandbox, &connection, record))
            .map(|s| {
                let dates =
                    LegacyBill { bill_start_date: rfc1123(s.bill.start_date), bill_end_date: rfc1123(s.bill.end_date) };
                (s.bill.id, dates)
            })
            .collect();
        return Ok(Json(map).into_response());
    }
    let list: Vec<AccountBills> = records
        .iter()
        .map(|record| AccountBills {
            account_id: Some(record.account.id.clone()),
            bills: account_statements(&sandbox, &connection, record).into_iter().map(|s| s.bill).collect(),
        })
        .collect();
    Ok(Json(list).into_response())
}

async fn bill_pdf(
    State(sandbox): State<Sandbox>,
    BearerUser(user_id): BearerUser,
    Path(bill_id): Path<String>,
) -> Result<Response, PelmError> {
    let connection = ready_connection(&sandbox, &user_id)?;
    let utility = utility_of(&connection);
    let found = connection.accounts.iter().find_map(|record| {
        account_statements(&sandbox, &connection, record)
            .into_iter()
            .find(|s| s.bill.id == bill_id)
            .map(|s| (record, s))
    });
    let Some((record, statement)) = found else {
        let someone_elses = sandbox.store().connections().iter().any(|(owner, other)| {
            owner != &user_id
                && other
                    .accounts
                    .iter()
                    .any(|r| account_statements(&sandbox, other, r).iter().any(|s| s.bill.id == bill_id))
        });
        return Err(if someone_elses {
            PelmError::permission_denied("this bill belongs to another user")
        } else {
            PelmError::parameter_invalid("bill_id", "unknown bill")
        });
    };
    if !utility.bill_pdfs {
        return Err(PelmError::feature_unavailable(&format!("bill PDFs from {}", utility.full_name)));
    }
    let header = PdfHeader {
        utility: utility.full_name,
        account_number: record.account.account_number.as_deref().unwrap_or("—"),
        address: record.account.address.as_deref().unwrap_or(""),
        zone: &utility.zone,
    };
    let pdf = bills::pdf(&header, &statement);
    let disposition = HeaderValue::from_str(&format!("inline; filename=\"bill-{bill_id}.pdf\""))
        .unwrap_or_else(|_| HeaderValue::from_static("inline"));
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/pdf")),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        pdf,
    )
        .into_response())
}

async fn user(State(sandbox): State<Sandbox>, mut parts: Parts) -> Result<Json<User>, PelmError> {
    let Path(user_id) = Path::<String>::from_request_parts(&mut parts, &sandbox)
        .await
        .map_err(|r| PelmError::parameter_invalid("user_id", &r.body_text()))?;
    if sandbox.config().users_need_bearer {
        let BearerUser(owner) = BearerUser::from_request_parts(&mut parts, &sandbox).await?;
        if owner != user_id {
            return Err(PelmError::permission_denied("this access token is another user's"));
        }
    } else {
        ClientAuth::from_request_parts(&mut parts, &sandbox).await?;
    }
    let connection =
        sandbox.store().connection(&user_id).ok_or_else(|| PelmError::parameter_invalid("user_id", "unknown user"))?;
    let utility = utility_of(&connection);
    Ok(Json(User {
        id: user_id,
        utility: Some(Utility { id: connection.utility_id, full_name: utility.full_name.to_owned() }),
        utility_username: Some(connection.username),
        credentials_valid: connection.credentials_valid,
    }))
}

#[derive(Deserialize)]
struct RevokeRequest {
    access_token: String,
}

/// Sandbox only: revokes an access token, as Pelm's support can.
async fn revoke(
    State(sandbox): State<Sandbox>,
    _: ClientAuth,
    Json(req): Json<RevokeRequest>,
) -> Result<Json<serde_json::Value>, PelmError> {
    if sandbox.store().revoke(&req.access_token) {
        Ok(Json(serde_json::json!({ "revoked": true })))
    } else {
        Err(PelmError::token_invalid("access token"))
    }
}

#[derive(Deserialize)]
struct CredentialsRequest {
    valid: bool,
}

/// Sandbox only: marks a user's utility credentials (in)valid, as when they
/// change their utility password.
async fn set_credentials(
    State(sandbox): State<Sandbox>,
    _: ClientAuth,
    Path(user_id): Path<String>,
    Json(req): Json<CredentialsRequest>,
) -> Result<Json<serde_json::Value>, PelmError> {
    if sandbox.store().set_credentials_valid(&user_id, req.valid) {
        Ok(Json(serde_json::json!({ "credentials_valid": req.valid })))
    } else {
        Err(PelmError::parameter_invalid("user_id", "unknown user"))
    }
}
