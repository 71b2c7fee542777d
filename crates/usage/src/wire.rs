//! The columnar answer `GET /api/intervals` gives a client that asks for
//! [`MEDIA_TYPE`]: the same intervals as Pelm's JSON, or periods summed from
//! them, as columns instead of an object per reading.
//!
//! Times are runs of back-to-back periods of one length, `[first start,
//! seconds each, how many]`, so a year of 15-minute readings with no gap is
//! one run, and a gap, a change of interval length or a 23-hour day starts
//! the next. Values are plain JSON numbers, written shortest-first and read
//! back to the same bits; a reading without emissions is `null`. Periods
//! summed from intervals carry how many intervals each holds and its
//! largest one (`peak`, and `peak_offset` seconds after the period starts).
//!
//! ```json
//! {"from": 1704096000, "to": 1704182400, "level": "interval",
//!  "runs": [[1704096000, 900, 3], [1704099600, 3600, 1]],
//!  "usage": [0.25, 0.5, 0.25, 1.0], "emissions": [0.1, null, 0.1, 0.4], "skipped": 0}
//! ```

use pelm_model::pelm::MeterType;
use serde::{Deserialize, Serialize};

use crate::aggregate::Level;
use crate::columns::Columns;
use crate::columns::Sums;
use crate::view::Viewport;

/// What the app sends in `Accept` for this answer.
pub const MEDIA_TYPE: &str = "application/vnd.pelm-energy.columns+json";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnsAnswer {
    /// The span answered, `[from, to)`: what was asked, with Pelm's defaults filled in.
    pub from: i64,
    pub to: i64,
    pub level: Level,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utility: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub meter_type: Option<MeterType>,
    pub runs: Vec<[i64; 3]>,
    pub usage: Vec<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emissions: Option<Vec<Option<f64>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<Vec<u32>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak: Option<Vec<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_offset: Option<Vec<i64>>,
    /// Rows of Pelm's answer that could not be read.
    #[serde(default)]
    pub skipped: usize,
}

/// Why an answer could not be read into columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireError {
    /// The runs name more or fewer periods than the values hold.
    RunsDisagree { runs: usize, values: usize },
    /// A column's length differs from the usage's.
    ColumnLength(&'static str),
    /// A run starts before the one before it ends, or has no length.
    BadRun(usize),
}

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WireError::RunsDisagree { runs, values } => write!(f, "the runs name {runs} periods for {values} values"),
            WireError::ColumnLength(column) => write!(f, "the {column} column's length differs from usage's"),
            WireError::BadRun(i) => write!(f, "run {i} overlaps the one before it or has no length"),
        }
    }
}

impl std::error::Error for WireError {}

impl ColumnsAnswer {
    /// `columns` (intervals, or periods summed at `level`) over `span`.
    pub fn new(columns: &Columns, level: Level, span: Viewport) -> Self {
        let mut runs: Vec<[i64; 3]> = Vec::new();
        for i in 0..columns.len() {
            let (start, length) = (columns.start[i], columns.end[i] - columns.start[i]);
            match runs.last_mut() {
                Some([first, each, n]) if *each == length && *first + *each * *n == start => *n += 1,
                _ => runs.push([start, length, 1]),
            }
        }
        let sums = columns.sums.as_ref();
        Self {
            from: span.from,
            to: span.to,
            level,
            utility: None,
            meter_type: None,
            runs,
            usage: columns.usage.clone(),
            emissions: columns.emissions.as_ref().map(|e| e.iter().map(|&v| v.is_finite().then_some(v)).collect()),
            count: sums.map(|s| s.count.clone()),
            peak: sums.map(|s| s.peak.clone()),
            peak_offset: sums
                .map(|s| s.peak_start.iter().zip(&columns.start).map(|(peak, start)| peak - start).collect()),
            skipped: 0,
        }
    }

    /// The columns this answer holds, checked to be whole and in order.
    pub fn into_columns(self) -> Result<Columns, WireError> {
        let n = self.usage.len();
        let named: usize = self.runs.iter().map(|r| r[2].max(0) as usize).sum();
        if named != n {
            return Err(WireError::RunsDisagree { runs: named, values: n });
        }
        let (mut start, mut end) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for (i, &[first, each, count]) in self.runs.iter().enumerate() {
            if each <= 0 || count <= 0 || end.last().is_some_and(|&last| first < last) {
                return Err(WireError::BadRun(i));
            }
            for k in 0..count {
                let at = first + k * each;
                start.push(at);
                end.push(at + each);
            }
        }
        let same = |len: Option<usize>, column| match len.is_none_or(|len| len == n) {
            true => Ok(()),
            false => Err(WireError::ColumnLength(column)),
        };
        same(self.emissions.as_ref().map(Vec::len), "emissions")?;
        same(self.count.as_ref().map(Vec::len), "count")?;
        same(self.peak.as_ref().map(Vec::len), "peak")?;
        same(self.peak_offset.as_ref().map(Vec::len), "peak_offset")?;
        let sums = match (self.count, self.peak, self.peak_offset) {
            (Some(count), Some(peak), Some(offset)) => {
                let peak_start = offset.iter().zip(&start).map(|(offset, start)| start + offset).collect();
                Some(Sums { count, peak, peak_start })
            }
            _ => None,
        };
        Ok(Columns {
            start,
            end,
            usage: self.usage,
            emissions: self.emissions.map(|e| e.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect()),
            sums,
        })
    }
}

#[cfg(test)]
mod tests {
    use pelm_model::pelm::Interval;

    use super::*;
    use crate::aggregate;
    use pelm_model::civil::{days_from_civil, DAY, PACIFIC};

    fn through_the_wire(answer: &ColumnsAnswer) -> Columns {
        let text = serde_json::to_string(answer).unwrap();
        serde_json::from_str::<ColumnsAnswer>(&text).unwrap().into_columns().unwrap()
    }

    fn same(a: &Columns, b: &Columns) {
        assert_eq!((&a.start, &a.end, &a.sums), (&b.start, &b.end, &b.sums));
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&a.usage), bits(&b.usage), "usage to the bit");
        assert_eq!(a.emissions.as_deref().map(bits), b.emissions.as_deref().map(bits), "emissions to the bit");
    }

    /// Pelm's intervals as it may send them: 15-minute readings over a
    /// spring change, a gap, a reading sent twice, an hourly stretch, a
    /// reading without emissions, and awkward decimals.
    fn awkward() -> Vec<Interval> {
        let from = PACIFIC.midnight_utc(days_from_civil(2024, 3, 9));
        let mut rows: Vec<Interval> = (0..3 * 96)
            .filter(|i| !(100..110).contains(i))
            .map(|i| {
                let t = from + i * 900;
                let usage = 0.1 * f64::from(i as u32 % 17) + 1.0 / 3.0;
                Interval { start: t, end: t + 900, usage, ghg_emissions: (i % 5 != 0).then_some(usage * 0.21) }
            })
            .collect();
        rows.push(rows[40]);
        let later = from + 3 * DAY;
        rows.extend((0..30).map(|h| Interval {
            start: later + h * 3600,
            end: later + (h + 1) * 3600,
            usage: -0.1 + h as f64 * 1e-7,
            ghg_emissions: None,
        }));
        rows
    }

    #[test]
    fn intervals_come_back_exactly_with_gaps_duplicates_mixed_lengths_and_a_clock_change() {
        let columns = Columns::from_intervals(awkward());
        let answer = ColumnsAnswer::new(&columns, Level::Raw, Viewport::new(0, 10));
        assert_eq!(answer.runs.len(), 3, "a gap and a change of length start new runs: {:?}", answer.runs);
        same(&through_the_wire(&answer), &columns);
    }

    #[test]
    fn summed_periods_come_back_exactly_with_their_counts_and_peaks() {
        let columns = Columns::from_intervals(awkward());
        for level in [Level::Hourly, Level::Daily, Level::Weekly, Level::Monthly] {
            let summed = Columns::from_bins(&aggregate(&columns, level, &PACIFIC));
            let answer = ColumnsAnswer::new(&summed, level, Viewport::new(0, 10));
            same(&through_the_wire(&answer), &summed);
        }
    }

    #[test]
    fn an_answer_that_does_not_add_up_is_refused() {
        let columns = Columns::from_intervals(awkward());
        let good = ColumnsAnswer::new(&columns, Level::Raw, Viewport::new(0, 10));
        let mut short = good.clone();
        short.usage.pop();
        assert!(matches!(short.into_columns(), Err(WireError::RunsDisagree { .. })));
        let mut overlapping = good.clone();
        overlapping.runs[1][0] = overlapping.runs[0][0];
        assert_eq!(overlapping.into_columns(), Err(WireError::BadRun(1)));
        let mut empty_run = good.clone();
        empty_run.runs.push([i64::MAX, 0, 0]);
        assert_eq!(empty_run.into_columns(), Err(WireError::BadRun(3)));
        let mut emissions = good;
        emissions.emissions.as_mut().unwrap().pop();
        assert_eq!(emissions.into_columns(), Err(WireError::ColumnLength("emissions")));
    }
}
