//! Bills from either shape Pelm has used, as rows the app can always show.
//!
//! - The current shape: `[{"account_id"?, "bills": [{"id", "start_date", …}]}]`
//!   with Unix-second dates.
//! - The seed's older shape: a map from bill id to
//!   `{"bill_start_date": "Wed, 15 Dec 2021 08:00:00 GMT", "bill_end_date": …}`.
//!
//! Unknown fields are ignored. A field that is there but unreadable (a date
//! that is not one, an amount that is text) marks its bill and leaves the
//! rest of the table alone; a missing field is simply absent.

use serde_json::{Map, Value};

use crate::civil::{days_from_civil, MONTHS};

/// One bill, whatever shape it came in.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BillRow {
    pub id: String,
    pub account_id: Option<String>,
    /// Unix seconds.
    pub start: Option<i64>,
    pub end: Option<i64>,
    pub statement: Option<i64>,
    pub due: Option<i64>,
    /// In the account's currency.
    pub amount: Option<f64>,
    /// What could not be read, in words, one entry per field.
    pub problems: Vec<String>,
}

/// The body was not a list of bills in either shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BillsError {
    NotJson,
    WrongShape,
}

impl std::fmt::Display for BillsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            BillsError::NotJson => "The bills came back in a form the app cannot read.",
            BillsError::WrongShape => "The bills came back in an unexpected shape.",
        })
    }
}

/// `"Wed, 15 Dec 2021 08:00:00 GMT"` (RFC 1123, as HTTP dates are written) in Unix seconds.
/// The weekday is not checked: it adds nothing the date does not say.
pub fn parse_rfc1123(text: &str) -> Option<i64> {
    let rest = text.trim();
    let rest = rest.split_once(',').map_or(rest, |(_, after)| after).trim();
    let mut parts = rest.split_whitespace();
    let day: u32 = parts.next()?.parse().ok()?;
    let month = parts.next()?;
    let month = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(month))? as u32 + 1;
    let year: i64 = parts.next()?.parse().ok()?;
    let mut clock = parts.next()?.split(':').map(|p| p.parse::<i64>().ok());
    let (h, m, s) = (clock.next()??, clock.next()??, clock.next().flatten().unwrap_or(0));
    if !matches!(parts.next(), Some("GMT" | "UTC" | "+0000") | None) || parts.next().is_some() {
        return None;
    }
    let valid = (1..=31).contains(&day) && (0..24).contains(&h) && (0..60).contains(&m) && (0..61).contains(&s);
    let days = days_from_civil(year, month, day);
    // 31 February is not a date: it must survive the round trip.
    (valid && crate::civil::civil_from_days(days) == (year, month, day))
        .then_some(days * 86_400 + h * 3600 + m * 60 + s)
}

/// A date as either shape writes it: Unix seconds (a number, or digits in a
/// string) or an RFC 1123 string. `Err` holds what was there.
fn date(value: &Value) -> Result<i64, String> {
    match value {
        Value::Number(n) => n.as_i64().filter(|t| *t >= 0).ok_or_else(|| n.to_string()),
        Value::String(s) => {
            s.trim().parse::<i64>().ok().filter(|t| *t >= 0).or_else(|| parse_rfc1123(s)).ok_or_else(|| s.clone())
        }
        other => Err(other.to_string()),
    }
}

fn amount(value: &Value) -> Result<f64, String> {
    match value {
        Value::Number(n) => n.as_f64().ok_or_else(|| n.to_string()),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| s.clone()),
        other => Err(other.to_string()),
    }
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Reads one bill object; `names` are the field names tried in order.
fn row(id: String, account_id: Option<String>, fields: &Map<String, Value>) -> BillRow {
    let mut row = BillRow { id, account_id, ..BillRow::default() };
    let mut problems = Vec::new();
    let mut read_date = |names: &[&str], what: &str| {
        let (name, value) = names.iter().find_map(|n| fields.get(*n).filter(|v| !v.is_null()).map(|v| (*n, v)))?;
        date(value).map_err(|bad| problems.push(format!("The {what} ({name}) is not a date: {bad}"))).ok()
    };
    row.start = read_date(&["start_date", "bill_start_date"], "start date");
    row.end = read_date(&["end_date", "bill_end_date"], "end date");
    row.statement = read_date(&["statement_date", "bill_statement_date"], "statement date");
    row.due = read_date(&["due_date", "bill_due_date"], "due date");
    if let Some(value) = fields.get("total_amount_due").filter(|v| !v.is_null()) {
        row.amount = amount(value).map_err(|bad| problems.push(format!("The amount is not a number: {bad}"))).ok();
    }
    row.problems = problems;
    row
}

/// Every bill in `body`, newest first (bills without a start date last).
pub fn decode_bills(body: &str) -> Result<Vec<BillRow>, BillsError> {
    let value: Value = serde_json::from_str(body).map_err(|_| BillsError::NotJson)?;
    let mut rows = Vec::new();
    match value {
        Value::Array(groups) => {
            for group in groups {
                let Value::Object(group) = group else { return Err(BillsError::WrongShape) };
                let account_id = group.get("account_id").and_then(text);
                match group.get("bills") {
                    Some(Value::Array(bills)) => {
                        for (i, bill) in bills.iter().enumerate() {
                            let Value::Object(bill) = bill else { return Err(BillsError::WrongShape) };
                            let id = bill.get("id").and_then(text).unwrap_or_else(|| format!("#{}", i + 1));
                            rows.push(row(id, account_id.clone(), bill));
                        }
                    }
                    // A flat list of bills, as some relays send.
                    None if group.contains_key("id") => {
                        let id = group.get("id").and_then(text).unwrap_or_default();
                        rows.push(row(id, None, &group));
                    }
                    _ => return Err(BillsError::WrongShape),
                }
            }
        }
        Value::Object(map) => {
            for (id, bill) in map {
                let Value::Object(bill) = bill else { return Err(BillsError::WrongShape) };
                rows.push(row(id, None, &bill));
            }
        }
        _ => return Err(BillsError::WrongShape),
    }
    rows.sort_by(|a, b| b.start.map(|s| (1, s)).unwrap_or((0, 0)).cmp(&a.start.map(|s| (1, s)).unwrap_or((0, 0))));
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1123_dates_read_back() {
        assert_eq!(parse_rfc1123("Wed, 15 Dec 2021 08:00:00 GMT"), Some(1_639_555_200));
        assert_eq!(parse_rfc1123("Thu, 13 Jan 2022 08:00:00 GMT"), Some(1_642_060_800));
        assert_eq!(parse_rfc1123("15 Dec 2021 08:00:00 GMT"), Some(1_639_555_200), "the weekday is optional");
        for bad in [
            "",
            "Wed, 31 Feb 2021 08:00:00 GMT",
            "Wed, 15 Foo 2021 08:00:00 GMT",
            "Wed, 15 Dec 2021 25:00:00 GMT",
            "2021-12-15",
            "Wed, 15 Dec 2021 08:00:00 PST",
        ] {
            assert_eq!(parse_rfc1123(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn reads_what_the_sandbox_writes() {
        for t in (0..2_000_000_000i64).step_by(7_777_777) {
            assert_eq!(parse_rfc1123(&crate::civil::rfc1123(t)), Some(t));
        }
    }

    #[test]
    fn the_seeds_map_shape_verbatim() {
        let body = r#"{
"577850911877": {
"bill_end_date": "Thu, 13 Jan 2022 08:00:00 GMT",
"bill_start_date": "Wed, 15 Dec 2021 08:00:00 GMT"
}
}"#;
        let rows = decode_bills(body).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].id, "577850911877");
        assert_eq!((rows[0].start, rows[0].end), (Some(1_639_555_200), Some(1_642_060_800)));
        assert_eq!((rows[0].amount, rows[0].due), (None, None), "absent, not made up");
        assert!(rows[0].problems.is_empty());
    }

    #[test]
    fn the_current_list_newest_first_with_unknown_fields_ignored() {
        let body = r#"[{"account_id": "a1", "extra": true, "bills": [
            {"id": "b1", "start_date": 1000, "end_date": 2000, "statement_date": 2100, "due_date": 3000, "total_amount_due": 12.5, "currency": "USD"},
            {"id": "b2", "start_date": 2000, "end_date": 3000, "statement_date": 3100, "due_date": 4000, "total_amount_due": "7.25"}
        ]}]"#;
        let rows = decode_bills(body).unwrap();
        assert_eq!(rows.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["b2", "b1"]);
        assert_eq!(rows[1].amount, Some(12.5));
        assert_eq!(rows[0].amount, Some(7.25), "an amount written as text still reads");
        assert_eq!(rows[0].account_id.as_deref(), Some("a1"));
        assert_eq!(rows[1].due, Some(3000));
    }

    #[test]
    fn a_bad_field_marks_its_bill_and_keeps_the_rest() {
        let body = r#"[{"bills": [
            {"id": "good", "start_date": 5000, "end_date": 6000, "total_amount_due": 1},
            {"id": "bad", "start_date": "last Tuesday", "end_date": 6000, "total_amount_due": "lots"},
            {"id": "sparse"}
        ]}]"#;
        let rows = decode_bills(body).unwrap();
        assert_eq!(rows.len(), 3);
        let bad = rows.iter().find(|r| r.id == "bad").unwrap();
        assert_eq!(bad.start, None);
        assert_eq!(bad.end, Some(6000));
        assert_eq!(bad.problems.len(), 2, "{:?}", bad.problems);
        assert!(bad.problems[0].contains("last Tuesday"));
        let sparse = rows.iter().find(|r| r.id == "sparse").unwrap();
        assert!(sparse.problems.is_empty() && sparse.start.is_none(), "missing is not wrong");
        assert_eq!(rows[0].id, "good", "dated bills first");
    }

    #[test]
    fn what_is_not_bills_is_an_error_not_an_empty_table() {
        assert_eq!(decode_bills("<html>502 Bad Gateway</html>"), Err(BillsError::NotJson));
        assert_eq!(decode_bills(r#""bills""#), Err(BillsError::WrongShape));
        assert_eq!(decode_bills(r#"[1, 2]"#), Err(BillsError::WrongShape));
        assert_eq!(decode_bills(r#"{"b1": "not an object"}"#), Err(BillsError::WrongShape));
        assert_eq!(decode_bills("[]"), Ok(Vec::new()));
        assert_eq!(decode_bills("{}"), Ok(Vec::new()));
    }
}
