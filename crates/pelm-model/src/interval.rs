//! One reading of a meter over a span of time, and how a list of them is
//! read from any answer: a row that cannot be read is skipped and counted,
//! the rest are put in order with no overlap ([`tidy`]).

use std::fmt;

use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::lenient::MaybeNumber;

/// One interval of `GET /intervals`. Times are Unix seconds; `usage` is in the
/// account's unit for the meter type and is below zero when rooftop solar
/// exported more than the home used.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    #[serde(deserialize_with = "crate::lenient::seconds")]
    pub start: i64,
    #[serde(deserialize_with = "crate::lenient::seconds")]
    pub end: i64,
    #[serde(deserialize_with = "crate::lenient::number")]
    pub usage: f64,
    /// Only some utilities (PG&E, SCE) report emissions. The seed's prose
    /// calls it `ghg_emission`, its JSON `ghg_emissions`; both are read.
    #[serde(
        default,
        alias = "ghg_emission",
        deserialize_with = "crate::lenient::maybe_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub ghg_emissions: Option<f64>,
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
