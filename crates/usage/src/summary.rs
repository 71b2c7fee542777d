//! What the chart says in words and numbers: the summary of a range and the
//! level "Auto" picks. The change against an earlier range is `compare`'s.

use crate::aggregate::Level;
use crate::columns::Columns;
use pelm_model::civil::DAY;

/// The figures shown beside the chart for one range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub total: f64,
    pub average_per_day: f64,
    /// When the interval with the most usage started, and that usage: from
    /// the intervals, or from each summed period's own peak.
    pub peak: Option<(i64, f64)>,
}

/// The summary of the intervals, or periods, starting in `[from, to)`.
pub fn summarize(columns: &Columns, from: i64, to: i64) -> Summary {
    let (lo, hi) = (columns.index_at(from), columns.index_at(to));
    let total: f64 = columns.usage[lo..hi].iter().sum();
    let days = (to - from) as f64 / DAY as f64;
    let peak = (lo..hi).map(|i| columns.peak(i)).fold(None, |best: Option<(i64, f64)>, peak| match best {
        Some((_, value)) if value >= peak.1 => best,
        _ => Some(peak),
    });
    Summary { total, average_per_day: if days > 0.0 { total / days } else { 0.0 }, peak }
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

#[cfg(test)]
mod tests {
    use pelm_model::pelm::Interval;

    use super::*;

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
    fn summary_of_two_days() {
        let mut values = vec![1.0; 48];
        values.extend(vec![1.5; 48]);
        values[60] = 9.0;
        let columns = hourly(&values);
        let summary = summarize(&columns, 2 * DAY, 4 * DAY);
        assert_eq!(summary.total, 1.5 * 47.0 + 9.0);
        assert_eq!(summary.average_per_day, summary.total / 2.0);
        assert_eq!(summary.peak, Some((60 * 3600, 9.0)));
        // Summed into days, the peak is still the hour's, not the day's.
        let days =
            Columns::from_bins(&crate::aggregate::aggregate(&columns, Level::Daily, &crate::aggregate::FixedOffset(0)));
        assert_eq!(summarize(&days, 2 * DAY, 4 * DAY), summary);
        // An empty range has no peak.
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
}
