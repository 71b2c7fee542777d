//! Reading Pelm's answers as liberally as they may come: numbers sent as
//! strings, ids sent as numbers, interval rows that cannot be read (skipped
//! and counted, never fatal), rows out of order, twice, or overlapping.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::pelm::Interval;

/// A number, or a string holding one; anything else reads as `None`.
struct MaybeNumber;

impl<'de> Visitor<'de> for MaybeNumber {
    type Value = Option<f64>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number or a string of one")
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(v).filter(|v| v.is_finite()))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v as f64))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v as f64))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.trim().parse::<f64>().ok().filter(|v| v.is_finite()))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

impl<'de> DeserializeSeed<'de> for MaybeNumber {
    type Value = Option<f64>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

/// A required number that may come as a string (`"12.5"`).
pub fn number<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    d.deserialize_any(MaybeNumber)?.ok_or_else(|| de::Error::custom("expected a number or a string of one"))
}

/// An optional number that may come as a string; anything unreadable is `None`.
pub fn maybe_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    d.deserialize_any(MaybeNumber)
}

/// Whole seconds that may come as a string or with a fraction.
pub fn seconds<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let value = number(d)?;
    if value.abs() > 1e15 {
        return Err(de::Error::custom("a time out of range"));
    }
    Ok(value.round() as i64)
}

/// A string that may come as a number (`"id": 1`).
pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    struct Text;
    impl<'de> Visitor<'de> for Text {
        type Value = String;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a string or a number")
        }
        fn visit_str<E>(self, v: &str) -> Result<String, E> {
            Ok(v.to_owned())
        }
        fn visit_string<E>(self, v: String) -> Result<String, E> {
            Ok(v)
        }
        fn visit_i64<E>(self, v: i64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_u64<E>(self, v: u64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_f64<E>(self, v: f64) -> Result<String, E> {
            Ok(v.to_string())
        }
    }
    d.deserialize_any(Text)
}

/// One row as it came: any field may be missing or unreadable.
struct Row(Option<Interval>);

impl<'de> Visitor<'de> for RowVisitor {
    type Value = Row;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an interval")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Row, A::Error> {
        let (mut start, mut end, mut usage, mut emissions) = (None, None, None, None);
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let slot = match key.as_ref() {
                "start" => &mut start,
                "end" => &mut end,
                "usage" => &mut usage,
                // The seed's prose says `ghg_emission`, its JSON `ghg_emissions`.
                "ghg_emissions" | "ghg_emission" => &mut emissions,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            *slot = map.next_value_seed(MaybeNumber)?;
        }
        let row = match (start, end, usage) {
            (Some(start), Some(end), Some(usage)) if start.abs() < 1e15 && end > start => {
                Some(Interval { start: start.round() as i64, end: end.round() as i64, usage, ghg_emissions: emissions })
            }
            _ => None,
        };
        Ok(Row(row.filter(|r| r.end > r.start)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Row, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Row(None))
    }
    fn visit_str<E>(self, _: &str) -> Result<Row, E> {
        Ok(Row(None))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Row, E> {
        Ok(Row(None))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Row, E> {
        Ok(Row(None))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Row, E> {
        Ok(Row(None))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Row, E> {
        Ok(Row(None))
    }
    fn visit_unit<E>(self) -> Result<Row, E> {
        Ok(Row(None))
    }
}

struct RowVisitor;

impl<'de> serde::Deserialize<'de> for Row {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RowVisitor)
    }
}

/// The interval rows of an answer, in order, each start once, no two
/// overlapping, with how many rows could not be read.
#[derive(Debug, Default)]
pub struct Rows {
    pub rows: Vec<Interval>,
    pub skipped: usize,
}

impl<'de> serde::Deserialize<'de> for Rows {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Seq;
        impl<'de> Visitor<'de> for Seq {
            type Value = Rows;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of intervals")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Rows, A::Error> {
                let mut rows = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 20));
                let mut skipped = 0;
                while let Some(Row(row)) = seq.next_element::<Row>()? {
                    match row {
                        Some(row) => rows.push(row),
                        None => skipped += 1,
                    }
                }
                Ok(Rows { rows: tidy(rows), skipped })
            }
        }
        d.deserialize_seq(Seq)
    }
}

/// The one rule for a list of intervals, wherever it came from: a row that
/// ends before it starts or whose usage is not a number is dropped; the rest
/// are sorted by start (then end), and of rows that overlap the earliest is
/// kept (the shortest, then the first, of rows that start together): a
/// 60-minute row and the 15-minute rows inside it are the same energy, which
/// must not be counted twice.
pub fn tidy(mut rows: Vec<Interval>) -> Vec<Interval> {
    rows.retain(|r| r.end > r.start && r.usage.is_finite());
    let in_order = rows.windows(2).all(|w| w[0].end <= w[1].start);
    if in_order {
        return rows;
    }
    rows.sort_by_key(|r| (r.start, r.end));
    let mut kept: Vec<Interval> = Vec::with_capacity(rows.len());
    for row in rows {
        if kept.last().is_some_and(|last| row.start < last.end) {
            continue;
        }
        kept.push(row);
    }
    kept
}

#[cfg(test)]
mod tests {
    use crate::pelm::{AccountBills, Intervals, MeterType, User};

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
        let answer: Intervals =
            serde_json::from_str(r#"{"account": {"id": "a1", "gas_usage_unit": "therm"}, "intervals": [{"start": 0, "end": 900, "usage": 1}]}"#)
                .unwrap();
        assert_eq!(answer.utility, "");
        assert_eq!(answer.intervals[0].ghg_emissions, None);
        // No meter types listed: electric, and gas where a gas unit is named.
        assert_eq!(answer.account.meter_types(), [MeterType::Electric, MeterType::Gas]);
    }
}
