//! The plans a site offers, as it writes them for the app: a list of
//! tariffs, each a URDB file by URL or the record itself inline, with what
//! URDB cannot say (taxes, a flat export rate) and which plan the user is on.
//!
//! ```json
//! { "plans": [
//!     { "name": "Time of use", "url": "/tariffs/tou.json", "current": true, "taxes": 0.075 },
//!     { "name": "Tiered", "urdb": { "energyratestructure": [[{ "rate": 0.31 }]], … } }
//!   ],
//!   "holidays": ["2026-01-01", "2026-12-25"] }
//! ```

use serde_json::{Map, Value};

use crate::urdb::{Problem, ReadError, Tariff};

/// Where a plan's tariff is.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A URDB file to fetch, as the list wrote it (relative to the list).
    Url(String),
    /// The record given in the list.
    Inline(Box<Tariff>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// As the site names it; the tariff's own name when it does not.
    pub name: String,
    pub source: Source,
    pub taxes: f64,
    pub export_rate: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlanList {
    pub plans: Vec<Plan>,
    /// Which of them the user is on: the one marked `current`, else the first.
    pub current: usize,
    /// Local days priced as weekends.
    pub holidays: Vec<i64>,
}

/// The most plans a list may offer: each is fetched and priced.
pub const MOST_PLANS: usize = 8;

fn error(field: String, problem: Problem) -> ReadError {
    ReadError { field, problem }
}

/// A plan list, from the site's file or its inline block.
pub fn read_plans(json: &str) -> Result<PlanList, ReadError> {
    let value: Value = serde_json::from_str(json).map_err(|_| error(String::new(), Problem::NotJson))?;
    let (entries, holidays) = match &value {
        Value::Array(entries) => (entries, None),
        Value::Object(o) => match o.get("plans") {
            Some(Value::Array(entries)) => (entries, o.get("holidays")),
            Some(_) => return Err(error("plans".into(), Problem::NotList)),
            None => return Err(error("plans".into(), Problem::Missing)),
        },
        _ => return Err(error("plans".into(), Problem::NotList)),
    };
    if entries.is_empty() {
        return Err(error("plans".into(), Problem::NoRates));
    }
    if entries.len() > MOST_PLANS {
        return Err(error("plans".into(), Problem::Length(MOST_PLANS)));
    }
    let mut plans = Vec::with_capacity(entries.len());
    let mut current = None;
    for (i, entry) in entries.iter().enumerate() {
        let path = format!("plans[{i}]");
        let o = entry.as_object().ok_or_else(|| error(path.clone(), Problem::NotList))?;
        plans.push(plan(o, &path)?);
        if o.get("current").and_then(Value::as_bool) == Some(true) && current.is_none() {
            current = Some(i);
        }
    }
    let holidays = match holidays {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(days)) => days
            .iter()
            .enumerate()
            .map(|(i, d)| day(d).ok_or_else(|| error(format!("holidays[{i}]"), Problem::NotText)))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(error("holidays".into(), Problem::NotList)),
    };
    Ok(PlanList { plans, current: current.unwrap_or(0), holidays })
}

/// `YYYY-MM-DD` as a day number.
fn day(value: &Value) -> Option<i64> {
    let text = value.as_str()?;
    let mut parts = text.trim().splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, m, d) = (parts.next()??, parts.next()??, parts.next()??);
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then(|| pelm_model::civil::days_from_civil(y, m as u32, d as u32))
}

fn plan(o: &Map<String, Value>, path: &str) -> Result<Plan, ReadError> {
    let field = |f: &str| format!("{path}.{f}");
    let share = |f: &str| -> Result<Option<f64>, ReadError> {
        match o.get(f) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => match n.as_f64() {
                Some(x) if x >= 0.0 && x.is_finite() => Ok(Some(x)),
                _ => Err(error(field(f), Problem::Negative)),
            },
            Some(_) => Err(error(field(f), Problem::NotNumber)),
        }
    };
    let source = match (o.get("url"), o.get("urdb")) {
        (Some(Value::String(url)), _) if !url.trim().is_empty() => Source::Url(url.trim().to_owned()),
        (Some(_), _) => return Err(error(field("url"), Problem::NotText)),
        (None, Some(record)) => {
            let tariff = crate::urdb::read_value(record).map_err(|e| {
                error(format!("{}{}{}", field("urdb"), if e.field.is_empty() { "" } else { "." }, e.field), e.problem)
            })?;
            Source::Inline(Box::new(tariff))
        }
        (None, None) => return Err(error(field("url"), Problem::Missing)),
    };
    let taxes = share("taxes")?.unwrap_or(0.0);
    if taxes >= 1.0 {
        // A share: 7.5% is 0.075.
        return Err(error(field("taxes"), Problem::Length(1)));
    }
    let name = match (o.get("name").and_then(Value::as_str).map(str::trim), &source) {
        (Some(name), _) if !name.is_empty() => name.to_owned(),
        (_, Source::Inline(t)) if !t.name().is_empty() => t.name().to_owned(),
        (_, Source::Url(url)) => url.rsplit('/').next().unwrap_or(url).to_owned(),
        _ => String::new(),
    };
    Ok(Plan { name, source, taxes, export_rate: share("export_rate")? })
}

/// A plan's `url` as written in a list fetched from `list`: an address or
/// a path from the site's root stands as it is; anything else is relative
/// to the list's folder (`fetch` resolves what remains against the page).
pub fn resolve(list: &str, url: &str) -> String {
    if url.contains("://") || url.starts_with('/') {
        return url.to_owned();
    }
    let folder = list.rfind('/').map_or("", |slash| &list[..=slash]);
    format!("{folder}{url}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_addresses_are_relative_to_the_list() {
        assert_eq!(resolve("/sandbox/tariffs/plans.json", "electric.json"), "/sandbox/tariffs/electric.json");
        assert_eq!(resolve("https://a.example/t/plans.json", "../b.json"), "https://a.example/t/../b.json");
        assert_eq!(resolve("/t/plans.json", "/other/c.json"), "/other/c.json");
        assert_eq!(resolve("/t/plans.json", "https://b.example/d.json"), "https://b.example/d.json");
        assert_eq!(resolve("", "e.json"), "e.json");
    }

    #[test]
    fn reads_a_list_with_urls_inline_records_and_holidays() {
        let list = read_plans(
            r#"{"plans":[{"name":"A","url":"a.json","taxes":0.075},{"current":true,"urdb":{"name":"Inline","energyratestructure":[[{"rate":0.2}]],"energyweekdayschedule":[[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]]}}],"holidays":["2026-12-25"]}"#,
        )
        .unwrap();
        assert_eq!(list.current, 1);
        assert_eq!(list.plans[0].source, Source::Url("a.json".into()));
        assert_eq!(list.plans[0].taxes, 0.075);
        assert_eq!(list.plans[1].name, "Inline");
        assert_eq!(list.holidays, vec![pelm_model::civil::days_from_civil(2026, 12, 25)]);
    }

    #[test]
    fn a_wrong_plan_is_named_by_its_path() {
        assert_eq!(read_plans(r#"{"plans":[{"url":"a.json"},{"name":"B"}]}"#).unwrap_err().field, "plans[1].url");
        assert_eq!(read_plans(r#"{"plans":[{"url":"a.json","taxes":"lots"}]}"#).unwrap_err().field, "plans[0].taxes");
        assert_eq!(read_plans(r#"{"plans":[{"url":"a.json","taxes":7.5}]}"#).unwrap_err().field, "plans[0].taxes");
        assert_eq!(
            read_plans(r#"{"plans":[{"urdb":{"energyratestructure":[]}}]}"#).unwrap_err().field,
            "plans[0].urdb.energyratestructure"
        );
        assert_eq!(read_plans("<!doctype html>").unwrap_err().problem, Problem::NotJson);
        assert_eq!(read_plans(r#"{"plans":[]}"#).unwrap_err().problem, Problem::NoRates);
        assert_eq!(read_plans(r#"{"plans":[{"url":"a"}],"holidays":["soon"]}"#).unwrap_err().field, "holidays[0]");
        let first = read_plans(r#"[{"url":"/t/a.json"},{"url":"b.json"}]"#).unwrap();
        assert_eq!((first.current, first.plans[0].name.as_str()), (0, "a.json"));
    }
}
