//! What the chart says in words and numbers: the summary of a range, the
//! level "Auto" picks, and the CSV export.

use crate::aggregate::{Bin, Level};
use crate::civil::DAY;
use crate::Columns;

/// The figures shown beside the chart for one range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub total: f64,
    pub average_per_day: f64,
    /// Index of the interval with the most usage, and that usage.
    pub peak: Option<(usize, f64)>,
    /// Relative change of the total against the period of the same length
    /// just before: 0.1 is 10% more. `None` without data there.
    pub change: Option<f64>,
}

fn total_in(columns: &Columns, from: i64, to: i64) -> Option<f64> {
    let (lo, hi) = (columns.index_at(from), columns.index_at(to));
    (hi > lo).then(|| columns.usage[lo..hi].iter().sum())
}

/// The summary of the intervals starting in `[from, to)`.
pub fn summarize(columns: &Columns, from: i64, to: i64) -> Summary {
    let (lo, hi) = (columns.index_at(from), columns.index_at(to));
    let total: f64 = columns.usage[lo..hi].iter().sum();
    let days = (to - from) as f64 / DAY as f64;
    let peak = (lo..hi).fold(None, |best: Option<(usize, f64)>, i| match best {
        Some((_, value)) if value >= columns.usage[i] => best,
        _ => Some((i, columns.usage[i])),
    });
    let change = total_in(columns, from - (to - from), from)
        .filter(|before| *before != 0.0 && hi > lo)
        .map(|before| (total - before) / before.abs());
    Summary { total, average_per_day: if days > 0.0 { total / days } else { 0.0 }, peak, change }
}

/// The level a range reads best at: a few hundred bars or points at most.
pub fn auto_level(from: i64, to: i64) -> Level {
    match (to - from) / DAY {
        0..=2 => Level::Raw,
        3..=14 => Level::Hourly,
        15..=120 => Level::Daily,
        121..=730 => Level::Weekly,
        _ => Level::Monthly,
    }
}

/// The bins as CSV: start and end in UTC (ISO 8601), usage, and emissions
/// when the data has them. `unit` names the usage column.
pub fn csv(bins: &[Bin], unit: &str) -> String {
    let emissions = bins.iter().any(|b| b.emissions.is_some());
    let mut out = format!("start,end,usage_{unit}{}\n", if emissions { ",ghg_emissions_kg_co2e" } else { "" });
    for bin in bins {
        out += &format!("{},{},{}", iso(bin.start), iso(bin.end), round(bin.usage));
        if emissions {
            out += &format!(",{}", bin.emissions.map(round).map(|v| v.to_string()).unwrap_or_default());
        }
        out.push('\n');
    }
    out
}

fn round(value: f64) -> f64 {
    (value * 10_000.0).round() / 10_000.0
}

fn iso(utc: i64) -> String {
    let (y, m, d) = crate::civil::civil_from_days(utc.div_euclid(DAY));
    let secs = utc.rem_euclid(DAY);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs % 3600 / 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use pelm_model::pelm::Interval;

    use super::*;
    use crate::aggregate::{aggregate, FixedOffset};

    fn hourly(values: &[f64]) -> Columns {
        Columns::from_intervals(
            values
                .iter()
                .enumerate()
                .map(|(i, &usage)| {
                    let start = i as i64 * 3600;
                    Interval { start, end: start + 3600, usage, ghg_emissions: None }
                })
                .collect(),
        )
    }

    #[test]
    fn summary_of_two_days_against_the_two_before() {
        let mut values = vec![1.0; 48];
        values.extend(vec![1.5; 48]);
        values[60] = 9.0;
        let columns = hourly(&values);
        let summary = summarize(&columns, 2 * DAY, 4 * DAY);
        assert_eq!(summary.total, 1.5 * 47.0 + 9.0);
        assert_eq!(summary.average_per_day, summary.total / 2.0);
        assert_eq!(summary.peak, Some((60, 9.0)));
        let change = summary.change.unwrap();
        assert!((change - (summary.total - 48.0) / 48.0).abs() < 1e-12);
        // No earlier data, no change to report; empty range, nothing at all.
        assert_eq!(summarize(&columns, 0, 2 * DAY).change, None);
        assert_eq!(summarize(&columns, 10 * DAY, 11 * DAY).peak, None);
    }

    #[test]
    fn auto_picks_a_readable_level() {
        assert_eq!(auto_level(0, DAY), Level::Raw);
        assert_eq!(auto_level(0, 7 * DAY), Level::Hourly);
        assert_eq!(auto_level(0, 60 * DAY), Level::Daily);
        assert_eq!(auto_level(0, 365 * DAY), Level::Weekly);
        assert_eq!(auto_level(0, 5 * 365 * DAY), Level::Monthly);
    }

    #[test]
    fn csv_has_a_header_a_row_per_bin_and_emissions_only_when_present() {
        let mut columns = hourly(&[0.12345, -0.5]);
        let plain = csv(&aggregate(&columns, Level::Raw, &FixedOffset(0)), "kwh");
        assert_eq!(plain, "start,end,usage_kwh\n1970-01-01T00:00:00Z,1970-01-01T01:00:00Z,0.1235\n1970-01-01T01:00:00Z,1970-01-01T02:00:00Z,-0.5\n");
        columns.emissions = Some(vec![0.2, f64::NAN]);
        let with = csv(&aggregate(&columns, Level::Daily, &FixedOffset(0)), "kwh");
        assert_eq!(
            with,
            "start,end,usage_kwh,ghg_emissions_kg_co2e\n1970-01-01T00:00:00Z,1970-01-02T00:00:00Z,-0.3766,0.2\n"
        );
    }
}
