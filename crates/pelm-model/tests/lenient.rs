//! Pelm's answers read liberally: rows in any order or shape, numbers as
//! strings, fields missing or unknown.

use pelm_model::pelm::{AccountBills, Intervals, MeterType, User};

fn intervals(rows: &str) -> Intervals {
    let body = format!(r#"{{"utility": "PG&E", "account": {{"id": "a1"}}, "intervals": [{rows}]}}"#);
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

fn starts(answer: &Intervals) -> Vec<i64> {
    answer.intervals.iter().map(|r| r.start).collect()
}

#[test]
fn unsorted_rows_come_out_in_order() {
    let answer = intervals(
        r#"{"start": 1800, "end": 2700, "usage": 3}, {"start": 0, "end": 900, "usage": 1}, {"start": 900, "end": 1800, "usage": 2}"#,
    );
    assert_eq!(starts(&answer), [0, 900, 1800]);
    assert_eq!(answer.skipped, 0);
}

#[test]
fn a_start_given_twice_is_kept_once() {
    let answer = intervals(
        r#"{"start": 0, "end": 900, "usage": 1}, {"start": 0, "end": 900, "usage": 1}, {"start": 900, "end": 1800, "usage": 2}"#,
    );
    assert_eq!(starts(&answer), [0, 900]);
    let total: f64 = answer.intervals.iter().map(|r| r.usage).sum();
    assert_eq!(total, 3.0, "a duplicate was counted twice");
}

#[test]
fn overlapping_rows_of_mixed_lengths_are_not_counted_twice() {
    // An hour row, then the quarter hours inside it, then a quarter hour after it.
    let answer = intervals(
        r#"{"start": 0, "end": 3600, "usage": 4}, {"start": 900, "end": 1800, "usage": 1}, {"start": 2700, "end": 3600, "usage": 1}, {"start": 3600, "end": 4500, "usage": 1}"#,
    );
    assert_eq!(starts(&answer), [0, 3600]);
    let total: f64 = answer.intervals.iter().map(|r| r.usage).sum();
    assert_eq!(total, 5.0);
    // Mixed lengths that do not overlap are all kept.
    let mixed = intervals(r#"{"start": 0, "end": 900, "usage": 1}, {"start": 900, "end": 4500, "usage": 4}"#);
    assert_eq!(starts(&mixed), [0, 900]);
}

#[test]
fn unreadable_rows_are_skipped_and_counted() {
    let answer = intervals(
        r#"{"start": 0, "end": 900, "usage": 1}, "junk", null, {"start": "x", "end": 900, "usage": 1}, {"start": 900, "end": 1800}, {"start": 1800, "end": 900, "usage": 1}, [1, 2], {"start": 1800, "end": 2700, "usage": 2}"#,
    );
    assert_eq!(starts(&answer), [0, 1800]);
    assert_eq!(answer.skipped, 6);
}

#[test]
fn numbers_may_come_as_strings() {
    let answer = intervals(r#"{"start": "0", "end": "900.0", "usage": "1.25", "ghg_emissions": "0.5"}"#);
    let row = answer.intervals[0];
    assert_eq!((row.start, row.end, row.usage, row.ghg_emissions), (0, 900, 1.25, Some(0.5)));
    let bills: Vec<AccountBills> = serde_json::from_str(
        r#"[{"bills": [{"id": 7, "start_date": "1640000000", "end_date": 1642600000, "statement_date": "1642700000", "due_date": 1643000000, "total_amount_due": "123.45"}]}]"#,
    )
    .unwrap();
    assert_eq!(bills[0].bills[0].total_amount_due, 123.45);
    assert_eq!(bills[0].bills[0].id, "7");
}

#[test]
fn unknown_fields_anywhere_are_ignored() {
    let body = r#"{"utility": "PG&E", "new_top": {"x": [1]}, "account": {"id": "a1", "future": true, "meters": [{"id": "m", "kind": "smart"}]}, "intervals": [{"start": 0, "end": 900, "usage": 1, "quality": "estimated"}]}"#;
    let answer: Intervals = serde_json::from_str(body).unwrap();
    assert_eq!(answer.intervals.len(), 1);
    let user: User = serde_json::from_str(
        r#"{"id": "u", "utility": {"id": 1, "full_name": "PG&E", "logo": "x"}, "credentials_valid": true, "extra": 1}"#,
    )
    .unwrap();
    assert_eq!(user.utility.unwrap().id, "1");
}

#[test]
fn optional_fields_may_be_missing() {
    let user: User = serde_json::from_str(r#"{"id": "u", "credentials_valid": false}"#).unwrap();
    assert!(user.utility.is_none());
    let answer: Intervals = serde_json::from_str(
        r#"{"account": {"id": "a1", "gas_usage_unit": "therm"}, "intervals": [{"start": 0, "end": 900, "usage": 1}]}"#,
    )
    .unwrap();
    assert_eq!(answer.utility, "");
    assert_eq!(answer.intervals[0].ghg_emissions, None);
    // No meter types listed: electric, and gas where a gas unit is named.
    assert_eq!(answer.account.meter_types(), [MeterType::Electric, MeterType::Gas]);
}
