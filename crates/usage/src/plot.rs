//! What to draw for a view: few enough periods to draw as bars, or a line
//! through each pixel column's first, lowest, highest and last values (M4)
//! that breaks wherever data is missing. And what lies under the pointer.

use std::ops::Range;
use std::sync::{Arc, OnceLock};

use crate::columns::Columns;
use crate::pyramid::{buckets, decimate, decimate_scan, scan_min_max, Bucket, Pyramid};
use crate::view::Viewport;

/// One line of the chart: its periods and the pyramid that decimates them.
/// The pyramid is built on demand ([`Series::warm`]); until then drawing
/// scans, so new data can be drawn before anything is built for it.
#[derive(Debug, Clone, Default)]
pub struct Series {
    pub columns: Arc<Columns>,
    pyramid: OnceLock<Pyramid>,
    /// Running totals of the values, for [`Series::mean_runs`]; built the
    /// first time they are asked for.
    sums: OnceLock<Vec<f64>>,
}

/// Below this many pixels per period, bars would blur into each other.
const MIN_BAR_PX: f64 = 2.0;

#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// The periods (indices into the series) to draw one bar each.
    Bars(Range<usize>),
    /// Unbroken runs of `(instant, value)` points: a gap in the data ends a run.
    Lines(Vec<Vec<(i64, f64)>>),
}

impl Series {
    pub fn new(columns: impl Into<Arc<Columns>>) -> Self {
        Self { columns: columns.into(), pyramid: OnceLock::new(), sums: OnceLock::new() }
    }

    /// Builds the pyramid that makes every later zoom and pan O(width log n).
    pub fn warm(&self) {
        self.pyramid.get_or_init(|| Pyramid::build(&self.columns.usage));
    }

    /// Bytes held by the pyramid (the columns may be shared).
    pub fn index_bytes(&self) -> usize {
        self.pyramid.get().map_or(0, Pyramid::heap_bytes)
    }

    fn min_max(&self, lo: usize, hi: usize) -> (usize, usize) {
        match self.pyramid.get() {
            Some(pyramid) => pyramid.min_max(&self.columns.usage, lo, hi),
            None => scan_min_max(&self.columns.usage, lo, hi),
        }
    }

    /// The emissions of the periods that have them, as a series whose
    /// values are emissions: periods without them are gaps.
    pub fn emissions_of(columns: &Columns) -> Option<Self> {
        let emissions = columns.emissions.as_ref()?;
        let keep: Vec<usize> = (0..columns.len()).filter(|&i| emissions[i].is_finite()).collect();
        (!keep.is_empty()).then(|| {
            Self::new(Columns {
                start: keep.iter().map(|&i| columns.start[i]).collect(),
                end: keep.iter().map(|&i| columns.end[i]).collect(),
                usage: keep.iter().map(|&i| emissions[i]).collect(),
                emissions: None,
                sums: None,
            })
        })
    }

    pub fn extent(&self) -> Option<Viewport> {
        Some(Viewport::new(*self.columns.start.first()?, *self.columns.end.last()?))
    }

    /// Periods that overlap the view: those that start before its end and end after its start.
    pub fn visible(&self, view: Viewport) -> Range<usize> {
        let lo = self.columns.end.partition_point(|&e| e <= view.from);
        let hi = self.columns.start.partition_point(|&s| s < view.to);
        lo..hi.max(lo)
    }

    /// The lowest and highest value in the view, 0 included, so bars and
    /// areas have their base on screen.
    pub fn value_range(&self, view: Viewport) -> (f64, f64) {
        let range = self.visible(view);
        if range.is_empty() {
            return (0.0, 0.0);
        }
        let (min, max) = self.min_max(range.start, range.end);
        (self.columns.usage[min].min(0.0), self.columns.usage[max].max(0.0))
    }

    pub fn plan(&self, view: Viewport, width_px: usize) -> Plan {
        match self.bars(view, width_px) {
            Some(range) => Plan::Bars(range),
            None => Plan::Lines(self.runs(view, width_px)),
        }
    }

    /// The periods to draw as bars, when they are few enough to see apart.
    pub fn bars(&self, view: Viewport, width_px: usize) -> Option<Range<usize>> {
        let range = self.visible(view);
        (range.len() as f64 * MIN_BAR_PX <= width_px as f64).then_some(range)
    }

    /// The view as unbroken lines of at most four points per pixel column.
    pub fn runs(&self, view: Viewport, width_px: usize) -> Vec<Vec<(i64, f64)>> {
        let Some(from) = self.line_from(view) else { return Vec::new() };
        let c = &self.columns;
        let buckets = match self.pyramid.get() {
            Some(pyramid) => decimate(c, pyramid, from, view.to, width_px),
            None => decimate_scan(c, from, view.to, width_px),
        };
        self.broken_at_gaps(buckets, |bucket, run| {
            // Within one pixel column the line only needs to reach the lowest
            // and the highest value, in time order. The first and last values
            // lie between them, and drawing to them too would stroke the same
            // pixels up to three times over. A gap inside one column is
            // narrower than a pixel.
            let (a, b) = (bucket.min.min(bucket.max), bucket.min.max(bucket.max));
            for i in if a == b { vec![a] } else { vec![a, b] } {
                run.push(((c.start[i] + c.end[i]) / 2, c.usage[i]));
            }
        })
    }

    /// The view as a quiet line: one point per pixel column, at the mean of
    /// its periods, breaking where data is missing between columns. Drawn
    /// dashed behind the usage, a line through every column's lowest and
    /// highest value would be as long as the plot is tall times its width,
    /// and dashing that is what a canvas does slowly.
    pub fn mean_runs(&self, view: Viewport, width_px: usize) -> Vec<Vec<(i64, f64)>> {
        let Some(from) = self.line_from(view) else { return Vec::new() };
        let c = &self.columns;
        let sums = self.sums.get_or_init(|| {
            let mut total = 0.0;
            std::iter::once(0.0)
                .chain(c.usage.iter().map(|v| {
                    total += v;
                    total
                }))
                .collect()
        });
        self.broken_at_gaps(buckets(c, from, view.to, width_px, |lo, _| (lo, lo)), |bucket, run| {
            let mean = (sums[bucket.last + 1] - sums[bucket.first]) / (bucket.last + 1 - bucket.first) as f64;
            run.push(((c.start[bucket.first] + c.end[bucket.last]) / 2, mean));
        })
    }

    /// Where a line over `view` starts: a period cut by the view's edge
    /// still counts, so the line runs to the edge. `None` with nothing in view.
    fn line_from(&self, view: Viewport) -> Option<i64> {
        let range = self.visible(view);
        (!range.is_empty()).then(|| self.columns.start[range.start].min(view.from))
    }

    /// Each pixel column's points, in unbroken runs: a gap between one
    /// column's last period and the next column's first breaks the line,
    /// which is never drawn across missing data.
    fn broken_at_gaps(
        &self,
        buckets: Vec<Bucket>,
        mut points: impl FnMut(&Bucket, &mut Vec<(i64, f64)>),
    ) -> Vec<Vec<(i64, f64)>> {
        let c = &self.columns;
        let mut runs: Vec<Vec<(i64, f64)>> = Vec::new();
        let mut before: Option<usize> = None;
        for bucket in buckets {
            if before.is_none_or(|p| c.start[bucket.first] > c.end[p]) {
                runs.push(Vec::new());
            }
            points(&bucket, runs.last_mut().expect("a run was started"));
            before = Some(bucket.last);
        }
        runs
    }

    /// The period under the pointer at `t`, if any: none in a gap.
    pub fn at(&self, t: i64) -> Option<usize> {
        let i = self.columns.end.partition_point(|&e| e <= t);
        (i < self.columns.len() && self.columns.start[i] <= t).then_some(i)
    }

    /// The period nearest `t` within `slack` seconds, for a pointer on a
    /// thin bar or line that is not exactly over it.
    pub fn near(&self, t: i64, slack: i64) -> Option<usize> {
        self.at(t).or_else(|| {
            let i = self.columns.end.partition_point(|&e| e <= t);
            let before = i.checked_sub(1).filter(|&b| t - self.columns.end[b] <= slack);
            let after = (i < self.columns.len() && self.columns.start[i] - t <= slack).then_some(i);
            match (before, after) {
                (Some(b), Some(a)) => Some(if t - self.columns.end[b] <= self.columns.start[a] - t { b } else { a }),
                (b, a) => b.or(a),
            }
        })
    }
}

/// A bill's period and what it charged per unit of the usage in that period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BillRate {
    pub start: i64,
    pub end: i64,
    pub amount: f64,
    /// `None` when the period has no usage to share the amount over, or
    /// when the amount and the usage differ in sign (a solar home's bill
    /// with net export but a charge, the daily minimum): no price per unit
    /// reads sensibly from those.
    pub per_unit: Option<f64>,
}

/// The usage over a bill's period `[start, end)`, from the intervals inside
/// it; `None` unless the intervals reach both ends of the period. The one rule
/// for usage per bill: the bills table shows it and the price per unit below
/// divides by it, so a partly covered bill has neither, rather than a usage
/// too small and a price too high.
pub fn usage_over(columns: &Columns, start: i64, end: i64) -> Option<f64> {
    let (first, last) = (*columns.start.first()?, *columns.end.last()?);
    (end > start && first <= start && last >= end)
        .then(|| columns.usage[columns.index_at(start)..columns.index_at(end)].iter().sum())
}

/// Each bill `(start, end, amount)` with its price per unit, from the raw
/// intervals inside its period (see [`usage_over`]).
pub fn bill_rates(columns: &Columns, bills: &[(i64, i64, f64)]) -> Vec<BillRate> {
    bill_rates_by(bills, |start, end| usage_over(columns, start, end))
}

/// Each bill with its price per unit, its usage told by `usage_over`.
pub fn bill_rates_by(bills: &[(i64, i64, f64)], usage_over: impl Fn(i64, i64) -> Option<f64>) -> Vec<BillRate> {
    let mut rates: Vec<BillRate> = bills
        .iter()
        .map(|&(start, end, amount)| {
            // A credit for net export prices its days as well as a charge
            // for net use does: both are amount over usage, above zero.
            let per_unit = usage_over(start, end).map(|usage| amount / usage).filter(|p| p.is_finite() && *p > 0.0);
            BillRate { start, end, amount, per_unit }
        })
        .collect();
    rates.sort_by_key(|r| r.start);
    rates
}

/// The estimated cost of `usage` over `[start, end)`: each bill's price for
/// the part of the period it covers, and the newest bill's price after it,
/// as the cycle not billed yet is charged at the price in force. `None`
/// unless bills cover all of it up to the newest, or a bill there has no price.
pub fn estimated_cost(rates: &[BillRate], start: i64, end: i64, usage: f64) -> Option<f64> {
    let newest = rates.iter().max_by_key(|r| r.end)?;
    let mut covered = 0;
    let mut cost = 0.0;
    let share = |from: i64, to: i64| (to - from) as f64 / (end - start) as f64;
    for rate in rates.iter().filter(|r| r.start < end && r.end > start) {
        let (from, to) = (rate.start.max(start), rate.end.min(end));
        covered += to - from;
        cost += usage * rate.per_unit? * share(from, to);
    }
    if end > newest.end {
        let from = newest.end.max(start);
        covered += end - from;
        cost += usage * newest.per_unit? * share(from, end);
    }
    (covered >= end - start).then_some(cost)
}

/// What each interval cost under the user's tariff, as the tariff engine
/// priced it, summed up as it goes so the cost of any span is a few lookups:
/// the hover readout asks it on every pointer move. A span that cuts an
/// interval (a quarter hour of an hour priced whole) takes its share by time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PricedHours {
    start: Vec<i64>,
    end: Vec<i64>,
    /// Cost of every interval before index `i`, and how many of them the
    /// tariff could not price.
    before: Vec<f64>,
    unpriced_before: Vec<u32>,
}

impl PricedHours {
    /// Intervals `[start, end)` in time order and the `cost` of each; an
    /// interval the tariff could not price (NaN) leaves the spans over it unpriced.
    pub fn new(start: Vec<i64>, end: Vec<i64>, cost: &[f64]) -> Self {
        let (mut before, mut unpriced_before) =
            (Vec::with_capacity(cost.len() + 1), Vec::with_capacity(cost.len() + 1));
        let (mut sum, mut unpriced) = (0.0, 0);
        before.push(0.0);
        unpriced_before.push(0);
        for c in cost {
            match c.is_finite() {
                true => sum += c,
                false => unpriced += 1,
            }
            before.push(sum);
            unpriced_before.push(unpriced);
        }
        PricedHours { start, end, before, unpriced_before }
    }

    /// The cost over `[from, to)`; `None` when the span reaches outside
    /// what was priced or over an interval that was not.
    pub fn cost_over(&self, from: i64, to: i64) -> Option<f64> {
        let (first, last) = (*self.start.first()?, *self.end.last()?);
        if from < first || to > last || to <= from {
            return None;
        }
        // The intervals that overlap the span: ending after it starts, starting before it ends.
        let (lo, hi) = (self.end.partition_point(|&e| e <= from), self.start.partition_point(|&s| s < to));
        if lo >= hi {
            return Some(0.0);
        }
        if self.unpriced_before[hi] != self.unpriced_before[lo] {
            return None;
        }
        let cost = |i: usize| self.before[i + 1] - self.before[i];
        let outside = |i: usize| {
            let (s, e) = (self.start[i], self.end[i]);
            let inside = (e.min(to) - s.max(from)).max(0) as f64 / (e - s).max(1) as f64;
            cost(i) * (1.0 - inside)
        };
        let mut sum = self.before[hi] - self.before[lo] - outside(lo);
        if hi - 1 > lo {
            sum -= outside(hi - 1);
        }
        Some(sum)
    }
}

#[cfg(test)]
mod tests {
    use pelm_model::pelm::Interval;

    use super::*;

    #[test]
    fn priced_hours_add_up_spans_and_refuse_what_they_do_not_cover() {
        let hours = |n: i64| ((0..n).map(|h| h * 3600).collect(), (1..=n).map(|h| h * 3600).collect());
        let (start, end) = hours(3);
        let priced = PricedHours::new(start, end, &[1.0, 2.0, 4.0]);
        assert_eq!(priced.cost_over(0, 10_800), Some(7.0));
        assert_eq!(priced.cost_over(3600, 7200), Some(2.0));
        assert_eq!(priced.cost_over(-3600, 3600), None);
        assert_eq!(priced.cost_over(0, 14_400), None);
        // A quarter hour of an hour priced whole takes a quarter of it.
        assert_eq!(priced.cost_over(3600 + 900, 3600 + 1800), Some(0.5));
        // A span across the hour takes each hour's share.
        assert_eq!(priced.cost_over(1800, 5400), Some(0.5 + 1.0));
        let (start, end) = hours(2);
        let gap = PricedHours::new(start, end, &[1.0, f64::NAN]);
        assert_eq!(gap.cost_over(0, 3600), Some(1.0));
        assert_eq!(gap.cost_over(0, 7200), None);
        let (start, end) = hours(3);
        let middle = PricedHours::new(start, end, &[1.0, f64::NAN, 4.0]);
        assert_eq!(middle.cost_over(7200, 10_800), Some(4.0));
    }

    fn series(points: &[(i64, f64)]) -> Series {
        Series::new(Columns::from_intervals(
            points
                .iter()
                .map(|&(start, usage)| Interval { start, end: start + 900, usage, ghg_emissions: None })
                .collect(),
        ))
    }

    #[test]
    fn a_bill_only_partly_covered_by_intervals_has_no_price_per_unit() {
        // Intervals for the second half of a two-hour bill only.
        let half = series(&[(3600, 1.0), (4500, 1.0), (5400, 1.0), (6300, 1.0)]);
        let rates = bill_rates(&half.columns, &[(0, 7200, 10.0)]);
        assert_eq!(rates[0].per_unit, None, "a price from half the usage is twice too high");
        assert_eq!(usage_over(&half.columns, 0, 7200), None);
        let whole = series(&[
            (0, 1.0),
            (900, 1.0),
            (1800, 1.0),
            (2700, 1.0),
            (3600, 1.0),
            (4500, 1.0),
            (5400, 1.0),
            (6300, 1.0),
        ]);
        assert_eq!(usage_over(&whole.columns, 0, 7200), Some(8.0));
        assert_eq!(bill_rates(&whole.columns, &[(0, 7200, 10.0)])[0].per_unit, Some(1.25));
    }

    #[test]
    fn few_periods_are_bars_many_are_lines() {
        let s = series(&(0..100).map(|i| (i * 900, i as f64)).collect::<Vec<_>>());
        let all = Viewport::new(0, 100 * 900);
        assert_eq!(s.plan(all, 400), Plan::Bars(0..100));
        assert_eq!(s.plan(Viewport::new(900 * 10, 900 * 20 + 1), 400), Plan::Bars(10..21));
        let Plan::Lines(runs) = s.plan(all, 50) else { panic!("50 px for 100 periods is a line") };
        // Scanning (before the pyramid exists) and the pyramid draw the same.
        s.warm();
        assert!(s.index_bytes() > 0);
        assert_eq!(s.plan(all, 50), Plan::Lines(runs.clone()));
        assert_eq!(runs.len(), 1);
        assert!(runs[0].len() <= 4 * 50);
        assert_eq!(runs[0].first(), Some(&(450, 0.0)));
        assert_eq!(runs[0].last(), Some(&(99 * 900 + 450, 99.0)));
    }

    #[test]
    fn the_quiet_line_is_each_columns_mean_and_breaks_at_gaps() {
        // Two pixel columns of 0, 2, 0, 2 … then a gap, then a column of 5s.
        let mut points: Vec<(i64, f64)> = (0..200).map(|i| (i * 900, if i % 2 == 0 { 0.0 } else { 2.0 })).collect();
        points.extend((300..400).map(|i| (i * 900, 5.0)));
        let s = series(&points);
        let runs = s.mean_runs(Viewport::new(0, 400 * 900), 4);
        assert_eq!(runs.len(), 2, "broken at the gap: {runs:?}");
        assert_eq!(runs[0].iter().map(|p| p.1).collect::<Vec<_>>(), [1.0, 1.0]);
        assert_eq!(runs[1], [((300 * 900 + 400 * 900) / 2, 5.0)]);
        assert!(s.mean_runs(Viewport::new(500 * 900, 600 * 900), 4).is_empty());
    }

    #[test]
    fn lines_break_at_gaps_and_never_bridge_them() {
        let mut points: Vec<(i64, f64)> = (0..300).map(|i| (i * 900, 1.0)).collect();
        points.extend((400..700).map(|i| (i * 900, -1.0)));
        let s = series(&points);
        let Plan::Lines(runs) = s.plan(Viewport::new(0, 700 * 900), 100) else { panic!("dense") };
        assert_eq!(runs.len(), 2, "one run each side of the gap");
        assert!(runs[0].iter().all(|p| p.0 < 300 * 900) && runs[1].iter().all(|p| p.0 > 400 * 900));
        assert!(runs[1].iter().all(|p| p.1 == -1.0), "export stays below zero");
    }

    #[test]
    fn value_range_includes_zero_and_the_extremes_in_view() {
        let s = series(&[(0, 2.0), (900, -3.0), (1800, 5.0)]);
        assert_eq!(s.value_range(Viewport::new(0, 2700)), (-3.0, 5.0));
        assert_eq!(s.value_range(Viewport::new(0, 900)), (0.0, 2.0));
        assert_eq!(s.value_range(Viewport::new(9000, 9900)), (0.0, 0.0));
    }

    #[test]
    fn pointer_finds_the_period_or_nothing_in_a_gap() {
        let s = series(&[(0, 1.0), (900, 2.0), (3600, 3.0)]);
        assert_eq!(s.at(950), Some(1));
        assert_eq!(s.at(2000), None);
        assert_eq!(s.near(1850, 100), Some(1));
        assert_eq!(s.near(3500, 200), Some(2));
        assert_eq!(s.near(2500, 100), None);
        assert_eq!(Series::default().at(0), None);
    }

    #[test]
    fn hover_finds_the_period_or_the_gap_at_every_edge() {
        let s = series(&(0..10).filter(|&i| i != 4).map(|i| (i * 3600, i as f64)).collect::<Vec<_>>());
        let hourly = Series::new(Columns {
            end: s.columns.start.iter().map(|t| t + 3600).collect(),
            ..Columns::clone(&s.columns)
        });
        assert_eq!(hourly.at(3 * 3600 + 5), Some(3));
        assert_eq!(hourly.at(4 * 3600 + 5), None, "inside the gap");
        assert_eq!(hourly.columns.usage[hourly.at(5 * 3600).unwrap()], 5.0);
        assert_eq!(hourly.at(-1), None);
        assert_eq!(hourly.at(10 * 3600), None);
    }

    #[test]
    fn emissions_series_leaves_out_periods_without_them() {
        let mut columns = Columns::clone(&series(&[(0, 1.0), (900, 2.0), (1800, 3.0)]).columns);
        columns.emissions = Some(vec![0.5, f64::NAN, 0.7]);
        let e = Series::emissions_of(&columns).unwrap();
        assert_eq!(e.columns.usage, [0.5, 0.7]);
        assert_eq!(e.columns.start, [0, 1800]);
        columns.emissions = None;
        assert!(Series::emissions_of(&columns).is_none());
    }

    #[test]
    fn cost_is_shared_by_usage_and_needs_a_bill_for_the_whole_period() {
        let columns = series(&(0..8).map(|i| (i * 900, 1.0)).collect::<Vec<_>>()).columns;
        let rates = bill_rates(&columns, &[(3600, 7200, 8.0), (0, 3600, 2.0)]);
        assert_eq!(rates[0].per_unit, Some(0.5));
        assert_eq!(rates[1].per_unit, Some(2.0));
        assert_eq!(estimated_cost(&rates, 900, 1800, 1.0), Some(0.5));
        // Half in each bill.
        assert_eq!(estimated_cost(&rates, 1800, 5400, 4.0), Some(4.0 * 0.5 * 0.5 + 4.0 * 2.0 * 0.5));
        assert_eq!(estimated_cost(&rates, 7200, 8100, 1.0), Some(2.0), "after the newest bill, its price");
        assert_eq!(estimated_cost(&rates, -900, 900, 1.0), None, "before the first bill, no price");
    }

    #[test]
    fn a_credit_prices_its_days_but_a_charge_for_net_export_does_not() {
        let exported = series(&(0..4).map(|i| (i * 900, -1.0)).collect::<Vec<_>>()).columns;
        let credit = bill_rates(&exported, &[(0, 3600, -2.0)]);
        assert_eq!(credit[0].per_unit, Some(0.5));
        assert_eq!(estimated_cost(&credit, 0, 900, -1.0), Some(-0.5), "an exporting hour earns");
        let minimum = bill_rates(&exported, &[(0, 3600, 9.0)]);
        assert_eq!(minimum[0].per_unit, None, "a charge over net export is the daily minimum, not a price");
    }

    #[test]
    fn no_run_crosses_a_gap_wider_than_a_pixel_column() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        for case in 0..100 {
            let mut t = 0;
            let points: Vec<(i64, f64)> = (0..rng.random_range(50..5000))
                .map(|_| {
                    t += if rng.random_bool(0.01) { 900 * rng.random_range(2..400) } else { 900 };
                    (t, f64::from(rng.random_range(-10..40)))
                })
                .collect();
            let s = series(&points);
            let view = s.extent().unwrap();
            let width = rng.random_range(20..800);
            let column = view.span() / width as i64 + 1;
            let wide_gaps: Vec<(i64, i64)> =
                s.columns.gaps().into_iter().filter(|(from, to)| to - from > column).collect();
            for run in s.runs(view, width) {
                let (first, last) = (run[0].0, run[run.len() - 1].0);
                for (from, to) in &wide_gaps {
                    assert!(!(first < *from && last > *to), "case {case}: a run crosses the gap {from}..{to}");
                }
                assert!(run.len() <= 2 * width, "case {case}: at most two points per column");
            }
        }
    }
}
