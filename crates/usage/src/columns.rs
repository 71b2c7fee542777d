use pelm_model::pelm::Interval;

/// Intervals as flat columns (one vector per field, not one object per
/// interval), sorted by start, with no two overlapping.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Columns {
    pub start: Vec<i64>,
    pub end: Vec<i64>,
    pub usage: Vec<f64>,
    /// `None` when no interval carries emissions; otherwise NaN where one lacks them.
    pub emissions: Option<Vec<f64>>,
}

impl Columns {
    /// Columns of what an API answered, tidied by the model's one rule
    /// ([`pelm_model::lenient::tidy`]): invalid rows dropped, sorted, and
    /// no period counted twice.
    pub fn from_intervals(intervals: Vec<Interval>) -> Self {
        let intervals = pelm_model::lenient::tidy(intervals);
        let any_emissions = intervals.iter().any(|i| i.ghg_emissions.is_some());
        // Sized once: a million intervals should not leave twice that in spare capacity.
        let n = intervals.len();
        let mut columns = Columns {
            start: Vec::with_capacity(n),
            end: Vec::with_capacity(n),
            usage: Vec::with_capacity(n),
            emissions: any_emissions.then(|| Vec::with_capacity(n)),
        };
        for interval in intervals {
            columns.start.push(interval.start);
            columns.end.push(interval.end);
            columns.usage.push(interval.usage);
            if let Some(emissions) = &mut columns.emissions {
                emissions.push(interval.ghg_emissions.unwrap_or(f64::NAN));
            }
        }
        columns
    }

    /// Aggregated periods as columns of their own, so they are drawn,
    /// decimated and hovered exactly like raw intervals.
    pub fn from_bins(bins: &[crate::Bin]) -> Self {
        let any_emissions = bins.iter().any(|b| b.emissions.is_some());
        Columns {
            start: bins.iter().map(|b| b.start).collect(),
            end: bins.iter().map(|b| b.end).collect(),
            usage: bins.iter().map(|b| b.usage).collect(),
            emissions: any_emissions.then(|| bins.iter().map(|b| b.emissions.unwrap_or(f64::NAN)).collect()),
        }
    }

    /// A copy of the intervals starting in `[from, to)`.
    pub fn between(&self, from: i64, to: i64) -> Self {
        let (lo, hi) = (self.index_at(from), self.index_at(to));
        Columns {
            start: self.start[lo..hi].to_vec(),
            end: self.end[lo..hi].to_vec(),
            usage: self.usage[lo..hi].to_vec(),
            emissions: self.emissions.as_ref().map(|e| e[lo..hi].to_vec()),
        }
    }

    pub fn len(&self) -> usize {
        self.start.len()
    }

    pub fn is_empty(&self) -> bool {
        self.start.is_empty()
    }

    /// The stretches with no data between two intervals, as `(from, to)`.
    /// A line is never drawn across one.
    pub fn gaps(&self) -> Vec<(i64, i64)> {
        (1..self.len()).filter(|&i| self.start[i] > self.end[i - 1]).map(|i| (self.end[i - 1], self.start[i])).collect()
    }

    /// Index of the first interval starting at or after `t`.
    pub fn index_at(&self, t: i64) -> usize {
        self.start.partition_point(|&s| s < t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interval(start: i64, end: i64, usage: f64) -> Interval {
        Interval { start, end, usage, ghg_emissions: None }
    }

    #[test]
    fn sorts_drops_duplicates_overlaps_and_nonsense() {
        let columns = Columns::from_intervals(vec![
            interval(7200, 10800, 3.0),
            interval(0, 3600, 1.0),
            interval(0, 3600, 9.0),     // duplicate: the first is kept
            interval(1800, 5400, 9.0),  // overlaps the first
            interval(3600, 7200, -2.0), // solar export stays
            interval(9000, 9000, 9.0),  // empty
            interval(10800, 14400, f64::NAN),
        ]);
        assert_eq!(columns.start, [0, 3600, 7200]);
        assert_eq!(columns.usage, [1.0, -2.0, 3.0]);
        assert_eq!(columns.emissions, None);
    }

    #[test]
    fn finds_gaps_and_keeps_missing_emissions_as_nan() {
        let mut with = interval(7200, 10800, 1.0);
        with.ghg_emissions = Some(0.3);
        let columns = Columns::from_intervals(vec![interval(0, 3600, 1.0), with]);
        assert_eq!(columns.gaps(), [(3600, 7200)]);
        let emissions = columns.emissions.unwrap();
        assert!(emissions[0].is_nan());
        assert_eq!(emissions[1], 0.3);
    }

    #[test]
    fn empty_and_single_point() {
        assert!(Columns::from_intervals(Vec::new()).is_empty());
        let one = Columns::from_intervals(vec![interval(0, 900, 0.5)]);
        assert_eq!((one.len(), one.gaps()), (1, Vec::new()));
    }
}
