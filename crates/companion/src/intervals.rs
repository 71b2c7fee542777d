//! A meter's usage: `GET /api/intervals` and `GET /api/typical-day`.
//!
//! A client that asks for nothing in particular gets Pelm's intervals JSON,
//! passed through as Pelm sent it. The app asks for columns
//! ([`pelm_usage::wire::MEDIA_TYPE`]), and for a long range for periods
//! summed at the level its chart shows (`level=day`), in the zone it counts
//! days in (`zone`, the offsets that zone keeps: [`ZoneOffsets`]). Summing
//! follows the same rules as the app's own (`pelm_usage::aggregate`): one
//! home, so the two cannot disagree.
//!
//! The intervals Pelm answered for a span are kept, read, for the cache's
//! lifetime: any window inside the span, at any level, is then answered
//! without another call to Pelm.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use pelm_model::pelm::Intervals;
use pelm_usage::wire::{ColumnsAnswer, MEDIA_TYPE};
use pelm_usage::{aggregate, typical_day, Columns, Level, TypicalDay, Viewport, ZoneOffsets};

use crate::cache::Series;
use crate::data::{ask_pelm, cached_get, encoded_response, note_failure, note_health, owner, Fetch};
use crate::encoding::Encoding;
use crate::error::ApiError;
use crate::extract::valid_id;
use crate::session::Session;
use crate::state::AppState;
use crate::store::{Owned, StoredConnection};

pub fn routes() -> Router<AppState> {
    Router::new().route("/intervals", get(intervals)).route("/typical-day", get(typical))
}

/// Pelm's default range when a query names no dates: the past two months.
const DEFAULT_RANGE_SECS: i64 = 61 * 24 * 3600;
/// How far past now an end date may lie.
const FURTHEST_END_SECS: i64 = 366 * 24 * 3600;
/// Answers of Pelm's this large are read off the async threads.
const LARGE: usize = 256 * 1024;

/// A parameter given is read as it is documented (`openapi.json`): an
/// empty or padded value is refused, not taken for a missing one.
fn unix_seconds(field: &'static str, value: Option<&String>) -> Result<Option<i64>, ApiError> {
    match value {
        None => Ok(None),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|t| *t >= 0)
            .map(Some)
            .ok_or_else(|| ApiError::invalid(field, format!("{field} must be a Unix time in seconds."))),
    }
}

/// A question about one meter's usage, validated.
struct Asked<'a> {
    /// Pelm's query, in one canonical order, so the same question is the
    /// same cache key however it was spelled.
    pelm: String,
    /// The meter, as Pelm's query names it: whose kept intervals answer it.
    series: String,
    /// The account or meter named, whose connection answers it.
    owned: Owned<'a>,
    /// `[from, to)`, with Pelm's defaults filled in.
    span: Viewport,
}

fn asked(query: &BTreeMap<String, String>) -> Result<Asked<'_>, ApiError> {
    let mut upstream = BTreeMap::new();
    let owned = match (query.get("account_id"), query.get("meter_id")) {
        (Some(_), Some(_)) => return Err(ApiError::invalid("meter_id", "Give account_id or meter_id, not both.")),
        (None, None) => return Err(ApiError::invalid("account_id", "Give account_id (with type) or meter_id.")),
        (Some(account), None) => {
            let account = valid_id("account_id", account)?;
            upstream.insert("account_id", account.to_owned());
            let kind = query.get("type").cloned().unwrap_or_else(|| "ELECTRIC".to_owned());
            if kind != "ELECTRIC" && kind != "GAS" {
                return Err(ApiError::invalid("type", "type must be ELECTRIC or GAS."));
            }
            upstream.insert("type", kind);
            Owned::Account(account)
        }
        (None, Some(meter)) => {
            let meter = valid_id("meter_id", meter)?;
            upstream.insert("meter_id", meter.to_owned());
            Owned::Meter(meter)
        }
    };
    let series = join(&upstream);
    // Missing dates are filled in as Pelm would, before the range is
    // checked, so the cap holds for every query, not only complete ones.
    let now = crate::store::now();
    let end = unix_seconds("end_date", query.get("end_date"))?.unwrap_or(now);
    let start = unix_seconds("start_date", query.get("start_date"))?.unwrap_or((end - DEFAULT_RANGE_SECS).max(0));
    if end > now + FURTHEST_END_SECS {
        return Err(ApiError::invalid("end_date", "The end lies too far in the future."));
    }
    if start >= end {
        return Err(ApiError::invalid("start_date", "The start must be before the end."));
    }
    if end - start > pelm_model::companion::LONGEST_RANGE_SECS {
        return Err(ApiError::invalid("start_date", "Ask for at most ten years at a time."));
    }
    upstream.insert("start_date", start.to_string());
    upstream.insert("end_date", end.to_string());
    Ok(Asked { pelm: join(&upstream), series, owned, span: Viewport::new(start, end) })
}

fn join(query: &BTreeMap<&str, String>) -> String {
    query.iter().map(|(k, v)| format!("{k}={}", crate::pelm::escape(v))).collect::<Vec<_>>().join("&")
}

/// How periods are summed: the level, and the zone days are counted in.
struct Summing {
    level: Level,
    zone: ZoneOffsets,
}

fn summing(query: &BTreeMap<String, String>, needs_zone: bool) -> Result<Summing, ApiError> {
    let level = match query.get("level").map(String::as_str) {
        None => Level::Raw,
        Some(name) => Level::from_name(name)
            .ok_or_else(|| ApiError::invalid("level", "level must be interval, hour, day, week or month."))?,
    };
    let zone = match query.get("zone") {
        Some(text) => ZoneOffsets::parse(text)
            .map_err(|err| ApiError::invalid("zone", format!("zone is not a list of offsets: {err}.")))?,
        None if level != Level::Raw || needs_zone => {
            return Err(ApiError::invalid(
                "zone",
                "Give the zone periods are counted in, as its offsets from UTC in seconds (\"-28800\").",
            ))
        }
        None => ZoneOffsets::fixed(0),
    };
    Ok(Summing { level, zone })
}

/// Whether `Accept` names the columns' media type.
fn wants_columns(headers: &HeaderMap) -> bool {
    headers.get_all(header::ACCEPT).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(|item| {
        let media = item.split(';').next().unwrap_or_default().trim();
        media.eq_ignore_ascii_case(MEDIA_TYPE)
    })
}

/// The end of the newest interval in an `/intervals` answer.
fn newest_interval(body: &[u8]) -> Option<i64> {
    let intervals: Intervals = serde_json::from_slice(body).ok()?;
    intervals.intervals.iter().map(|i| i.end).max()
}

pub async fn intervals(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    let asked = asked(&query)?;
    let summing = summing(&query, false)?;
    let encoding = Encoding::accepted(&headers);
    let columnar = wants_columns(&headers) || summing.level != Level::Raw;
    let connection = owner(&state, &session, Some(asked.owned)).await?;
    let mut response = match columnar {
        false => {
            let path = format!("/intervals?{}", asked.pelm);
            let fetch = Fetch { what: "intervals", path: &path, newest: newest_interval };
            cached_get(&state, &session, &connection, fetch, encoding).await?
        }
        true => columns(&state, &session, &connection, &asked, &summing, encoding).await?,
    };
    response.headers_mut().insert(header::VARY, HeaderValue::from_static("accept, accept-encoding"));
    Ok(response)
}

/// The columns answer, kept as sent.
async fn columns(
    state: &AppState,
    session: &Session,
    connection: &StoredConnection,
    asked: &Asked<'_>,
    summing: &Summing,
    encoding: Encoding,
) -> Result<Response, ApiError> {
    let user = &connection.pelm_user_id;
    let key = format!(
        "{}|columns|{}|{}|{}|{}",
        connection.generation,
        encoding.tag(),
        summing.level.name(),
        summing.zone,
        asked.pelm
    );
    let kept = state.inner.cache.get(user, &key);
    crate::metrics::cache("answer", kept.is_some());
    if let Some(body) = kept {
        return Ok(encoded_response(body, MEDIA_TYPE, encoding));
    }
    let series = series(state, session, connection, asked).await?;
    let (span, level, zone) = (asked.span, summing.level, summing.zone.clone());
    let written = move || {
        let raw = series.columns.within(span.from, span.to);
        let columns = match level {
            Level::Raw => raw,
            level => Columns::from_bins(&aggregate(&raw, level, &zone)),
        };
        let mut answer = ColumnsAnswer::new(&columns, level, span);
        answer.utility = Some(series.utility.clone()).filter(|u| !u.is_empty());
        answer.meter_type = series.meter_type;
        answer.skipped = series.skipped;
        Bytes::from(serde_json::to_vec(&answer).expect("columns serialise"))
    };
    let body = tokio::task::spawn_blocking(written).await.map_err(|err| ApiError::Internal(err.to_string()))?;
    let body = state.compress(encoding, body).await;
    state.inner.cache.put(user, &key, body.clone());
    Ok(encoded_response(body, MEDIA_TYPE, encoding))
}

/// The meter's intervals over the asked span: kept ones when a kept span
/// holds it, else Pelm's answer, read once and kept.
async fn series(
    state: &AppState,
    session: &Session,
    connection: &StoredConnection,
    asked: &Asked<'_>,
) -> Result<Arc<Series>, ApiError> {
    let user = &connection.pelm_user_id;
    let key = format!("{}|{}", connection.generation, asked.series);
    let kept = state.inner.cache.series(user, &key, asked.span.from, asked.span.to);
    crate::metrics::cache("intervals", kept.is_some());
    if let Some(kept) = kept {
        return Ok(kept);
    }
    let path = format!("/intervals?{}", asked.pelm);
    let body = match ask_pelm(state, &session.identity, connection, "intervals", &path).await {
        Ok(body) => body,
        Err(err) => {
            note_failure(state, &session.identity, connection, &err).await;
            return Err(err);
        }
    };
    let large = body.len() > LARGE;
    let read = move || -> Result<Series, serde_json::Error> {
        let intervals: Intervals = serde_json::from_slice(&body)?;
        Ok(Series {
            columns: Columns::from_intervals(intervals.intervals),
            utility: intervals.utility,
            meter_type: intervals.meter_type,
            skipped: intervals.skipped,
        })
    };
    let read = match large {
        true => tokio::task::spawn_blocking(read).await.map_err(|err| ApiError::Internal(err.to_string()))?,
        false => read(),
    };
    let series = Arc::new(read.map_err(|source| ApiError::Malformed { what: "intervals".to_owned(), source })?);
    let newest = series.columns.end.last().copied();
    note_health(state, &session.identity, connection, &Ok::<(), ApiError>(()), newest).await;
    state.inner.cache.put_series(user, &key, asked.span.from, asked.span.to, series.clone());
    Ok(series)
}

/// `GET /api/typical-day`: the average use in each local hour, weekdays and
/// weekends apart, over a span, from the kept intervals. Answers `null`
/// when no interval is short enough to tell hours apart.
pub async fn typical(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Json<Option<TypicalDay>>, ApiError> {
    let asked = asked(&query)?;
    let summing = summing(&query, true)?;
    let connection = owner(&state, &session, Some(asked.owned)).await?;
    let series = series(&state, &session, &connection, &asked).await?;
    let (span, zone) = (asked.span, summing.zone);
    let day = tokio::task::spawn_blocking(move || typical_day(&series.columns, span.from, span.to, &zone))
        .await
        .map_err(|err| ApiError::Internal(err.to_string()))?;
    Ok(Json(day))
}
