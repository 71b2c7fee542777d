//! Plans side by side, and whether the engine may recommend one.
//!
//! A recommendation is only as good as the pricing under it, and the one
//! check there is, is the user's own bills: the current plan priced over
//! each bill's period against what the bill said. While too few bills
//! exist, or they disagree by more than [`MAX_MEDIAN_ERROR`], no plan is
//! recommended and the reason is given; a saving smaller than that error is
//! too close to call.

use crate::load::Cycle;
use crate::price::Priced;

/// The most the current plan's pricing may miss the bills by, as a median.
pub const MAX_MEDIAN_ERROR: f64 = 0.05;
/// The fewest bills calibration counts on.
pub const FEWEST_BILLS: usize = 9;

/// How the current plan's pricing compares with the bills it can be set against.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibration {
    /// Each bill matched: its period, what it said, what the engine priced.
    pub bills: Vec<(Cycle, f64, f64)>,
    /// The median of |priced − billed| ÷ billed; `None` without a bill.
    pub median_error: Option<f64>,
}

impl Calibration {
    pub fn count(&self) -> usize {
        self.bills.len()
    }
}

/// The current plan's pricing against `bills` (period, amount): each bill
/// whose period the pricing has, and whose amount is not near zero (a
/// solar home's credit month says nothing as a ratio).
pub fn calibrate(current: &Priced, bills: &[(Cycle, f64)]) -> Calibration {
    let matched: Vec<(Cycle, f64, f64)> = bills
        .iter()
        .filter(|(_, amount)| amount.abs() >= 1.0)
        .filter_map(|&(cycle, amount)| {
            current.cycles.iter().find(|c| c.cycle == cycle).map(|c| (cycle, amount, c.total))
        })
        .collect();
    let mut errors: Vec<f64> = matched.iter().map(|(_, billed, priced)| ((priced - billed) / billed).abs()).collect();
    errors.sort_by(f64::total_cmp);
    let median_error = match errors.len() {
        0 => None,
        n if n % 2 == 1 => Some(errors[n / 2]),
        n => Some((errors[n / 2 - 1] + errors[n / 2]) / 2.0),
    };
    Calibration { bills: matched, median_error }
}

/// One plan over the periods compared.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanYear {
    pub total: f64,
    /// Its total less the current plan's.
    pub difference: f64,
    /// The periods that make most of the difference, largest first (at most three).
    pub drivers: Vec<(Cycle, f64)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub plans: Vec<PlanYear>,
    pub current: usize,
    pub advice: Advice,
}

/// What the comparison may say.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Advice {
    /// Plan `plan` would have cost `saving` less.
    Switch { plan: usize, saving: f64 },
    /// The current plan cost least.
    Stay,
    /// The best saving is within the pricing's error of nothing.
    TooClose { plan: usize, saving: f64 },
    /// Fewer bills than [`FEWEST_BILLS`] to check the pricing against.
    FewBills { have: usize },
    /// The pricing misses the bills by more than [`MAX_MEDIAN_ERROR`].
    Uncalibrated { median_error: f64 },
}

/// Every plan priced over the same periods, `current` among them.
pub fn compare(plans: &[Priced], current: usize, calibration: &Calibration) -> Comparison {
    let base = &plans[current];
    let years: Vec<PlanYear> = plans
        .iter()
        .map(|p| {
            let total = p.total();
            let mut drivers: Vec<(Cycle, f64)> =
                p.cycles.iter().zip(&base.cycles).map(|(a, b)| (a.cycle, a.total - b.total)).collect();
            drivers.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
            drivers.retain(|d| d.1.abs() >= 0.01);
            drivers.truncate(3);
            PlanYear { total, difference: total - base.total(), drivers }
        })
        .collect();
    let advice = advise(&years, current, calibration);
    Comparison { plans: years, current, advice }
}

fn advise(years: &[PlanYear], current: usize, calibration: &Calibration) -> Advice {
    if calibration.count() < FEWEST_BILLS {
        return Advice::FewBills { have: calibration.count() };
    }
    let error = calibration.median_error.unwrap_or(f64::INFINITY);
    if error > MAX_MEDIAN_ERROR {
        return Advice::Uncalibrated { median_error: error };
    }
    let best = (0..years.len()).min_by(|&a, &b| years[a].total.total_cmp(&years[b].total)).unwrap_or(current);
    let saving = -years[best].difference;
    if best == current || saving <= 0.0 {
        return Advice::Stay;
    }
    // A saving inside the pricing's own error is no saving to promise.
    if saving <= error * years[current].total.abs() {
        return Advice::TooClose { plan: best, saving };
    }
    Advice::Switch { plan: best, saving }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::price::CycleCost;

    fn priced(totals: &[f64]) -> Priced {
        Priced {
            cycles: totals
                .iter()
                .enumerate()
                .map(|(i, &total)| CycleCost {
                    cycle: Cycle { from: i as i64 * 30, to: i as i64 * 30 + 30 },
                    energy: total,
                    credit: 0.0,
                    fuel: 0.0,
                    fixed: 0.0,
                    minimum: 0.0,
                    taxes: 0.0,
                    total,
                    by_kind: vec![],
                    rates: vec![],
                    version: 0,
                })
                .collect(),
            unpriced: vec![],
            yearly_minimum: None,
        }
    }

    fn bills(amounts: &[f64]) -> Vec<(Cycle, f64)> {
        amounts.iter().enumerate().map(|(i, &a)| (Cycle { from: i as i64 * 30, to: i as i64 * 30 + 30 }, a)).collect()
    }

    #[test]
    fn the_median_error_is_over_the_bills_matched() {
        let current = priced(&[100.0, 100.0, 100.0]);
        let c = calibrate(&current, &bills(&[100.0, 110.0, 50.0]));
        assert_eq!(c.count(), 3);
        assert!((c.median_error.unwrap() - 10.0 / 110.0).abs() < 1e-12);
    }

    #[test]
    fn no_plan_is_recommended_on_few_bills_or_a_large_error() {
        let current = priced(&[100.0; 12]);
        let cheaper = priced(&[80.0; 12]);
        let few = calibrate(&current, &bills(&[100.0; 8]));
        assert_eq!(compare(&[current.clone(), cheaper.clone()], 0, &few).advice, Advice::FewBills { have: 8 });
        let off = calibrate(&current, &bills(&[120.0; 12]));
        assert!(matches!(compare(&[current.clone(), cheaper.clone()], 0, &off).advice, Advice::Uncalibrated { .. }));
        let good = calibrate(&current, &bills(&[101.0; 12]));
        let comparison = compare(&[current, cheaper], 0, &good);
        assert_eq!(comparison.advice, Advice::Switch { plan: 1, saving: 240.0 });
        assert_eq!(comparison.plans[1].difference, -240.0);
        assert_eq!(comparison.plans[1].drivers.len(), 3);
    }

    #[test]
    fn a_saving_inside_the_error_is_too_close_to_call() {
        let current = priced(&[100.0; 12]);
        let slightly = priced(&[98.0; 12]);
        let calibration = calibrate(&current, &bills(&[97.0; 12]));
        assert!(matches!(compare(&[current, slightly], 0, &calibration).advice, Advice::TooClose { plan: 1, .. }));
    }

    #[test]
    fn the_current_plan_cheapest_is_stay() {
        let current = priced(&[100.0; 12]);
        let dearer = priced(&[120.0; 12]);
        let calibration = calibrate(&current, &bills(&[100.0; 12]));
        assert_eq!(compare(&[current, dearer], 0, &calibration).advice, Advice::Stay);
    }
}
