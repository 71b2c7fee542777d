//! A bill's amount from its days and usage, fitted on the account's own
//! bills: so much a day (the fixed charges) and so much a unit of each
//! meter. No tariff is known; tiers, time-of-use prices and seasons bend
//! the line, so the bills that count most are the recent ones and those of
//! the same season. A rate change shows as every bill after a date costing
//! more (or less) than the rest say: the older bills are then brought to
//! the new prices before the fit.

/// One past bill as the model sees it: its local days `[start, end)`, its
/// amount, and the usage of each of the account's meters over its days.
#[derive(Debug, Clone, PartialEq)]
pub struct BillFacts {
    pub start: i64,
    pub end: i64,
    pub amount: f64,
    pub usage: Vec<f64>,
}

impl BillFacts {
    pub fn days(&self) -> f64 {
        (self.end - self.start) as f64
    }

    fn features(&self) -> Vec<f64> {
        std::iter::once(self.days()).chain(self.usage.iter().copied()).collect()
    }
}

/// Amount ≈ `per_day` × days + Σ `per_unit[m]` × usage of meter `m`.
#[derive(Debug, Clone, PartialEq)]
pub struct CostModel {
    pub per_day: f64,
    pub per_unit: Vec<f64>,
    /// The first day of the bill from which prices changed, when they did.
    pub rate_change: Option<i64>,
    /// What the bills before the change were multiplied by to match.
    pub change_factor: f64,
    /// How many bills it was fitted on.
    pub bills: usize,
}

/// The fewest bills a model is fitted on.
pub const FEWEST_BILLS: usize = 3;

/// Days of a year, for how far apart two seasons are.
const YEAR: f64 = 365.2425;

impl CostModel {
    /// The charge a day and the price a unit of channel `channel` in force
    /// for a bill starting on local day `start`: before a rate change found,
    /// the fit's prices undone by the change's factor.
    pub fn prices_for(&self, start: i64, channel: usize) -> (f64, f64) {
        let before_change = self.rate_change.is_some_and(|change| start < change);
        let scale = if before_change { 1.0 / self.change_factor } else { 1.0 };
        (self.per_day * scale, self.per_unit.get(channel).copied().unwrap_or(0.0) * scale)
    }

    pub fn amount(&self, days: f64, usage: &[f64]) -> f64 {
        self.per_day * days + self.per_unit.iter().zip(usage).map(|(p, u)| p * u).sum::<f64>()
    }

    /// Fitted on `bills` (any order) for a bill around local day `at`; `None`
    /// with fewer than [`FEWEST_BILLS`], or when they cannot tell the
    /// day's share from the unit's.
    pub fn fit(bills: &[BillFacts], at: i64) -> Option<CostModel> {
        let meters = bills.first()?.usage.len();
        let mut bills: Vec<&BillFacts> = bills.iter().filter(|b| b.usage.len() == meters && b.end > b.start).collect();
        if bills.len() < FEWEST_BILLS.max(meters + 1) {
            return None;
        }
        bills.sort_by_key(|b| b.start);
        let weights: Vec<f64> = bills.iter().map(|b| weight(b, at)).collect();
        let amounts: Vec<f64> = bills.iter().map(|b| b.amount).collect();
        let first = solve(&bills, &amounts, &weights)?;
        let Some((k, mut factor)) = rate_change(&bills, &amounts, &first) else {
            return Some(CostModel {
                per_day: first[0],
                per_unit: first[1..].to_vec(),
                rate_change: None,
                change_factor: 1.0,
                bills: bills.len(),
            });
        };
        // The factor was read against a fit of both prices mixed: refit at
        // the new prices and read it again, until it settles.
        let mut theta = first;
        for _ in 0..8 {
            let scaled: Vec<f64> =
                amounts.iter().enumerate().map(|(i, a)| if i < k { a * factor } else { *a }).collect();
            theta = solve(&bills, &scaled, &weights)?;
            let shift = mean_ratio(&bills[k..], &scaled[k..], &theta) / mean_ratio(&bills[..k], &scaled[..k], &theta);
            factor *= shift;
            if (shift - 1.0).abs() < 1e-6 {
                break;
            }
        }
        let (rate_change, change_factor) = (Some(bills[k].start), factor);
        Some(CostModel {
            per_day: theta[0],
            per_unit: theta[1..].to_vec(),
            rate_change,
            change_factor,
            bills: bills.len(),
        })
    }
}

/// How much a bill says about one around day `at`: half as much for each
/// year back, and less the further its season is from `at`'s.
fn weight(bill: &BillFacts, at: i64) -> f64 {
    let middle = (bill.start + bill.end) as f64 / 2.0;
    let age = ((at as f64 - middle) / YEAR).max(0.0);
    let apart = ((at as f64 - middle).rem_euclid(YEAR)).min((middle - at as f64).rem_euclid(YEAR));
    0.5f64.powf(age / 0.5) * (0.2 + (-(apart / 40.0).powi(2)).exp())
}

/// Weighted least squares of `amounts` on each bill's days and usage, the
/// share a day kept at zero or above: a fixed charge is never negative,
/// and a fit that makes it so (tiers bend the line) is refitted without it.
fn solve(bills: &[&BillFacts], amounts: &[f64], weights: &[f64]) -> Option<Vec<f64>> {
    let theta = least_squares(bills, amounts, weights, 0)?;
    if theta[0] >= 0.0 {
        return Some(theta);
    }
    let rest = least_squares(bills, amounts, weights, 1)?;
    Some(std::iter::once(0.0).chain(rest).collect())
}

/// Least squares on the features from `skip` on, with a touch of ridge so
/// that bills much alike do not make it swing.
fn least_squares(bills: &[&BillFacts], amounts: &[f64], weights: &[f64], skip: usize) -> Option<Vec<f64>> {
    let p = bills[0].features().len() - skip;
    let mut a = vec![vec![0.0; p + 1]; p];
    for ((bill, amount), w) in bills.iter().zip(amounts).zip(weights) {
        let x = &bill.features()[skip..];
        for i in 0..p {
            for j in 0..p {
                a[i][j] += w * x[i] * x[j];
            }
            a[i][p] += w * x[i] * amount;
        }
    }
    for (i, row) in a.iter_mut().enumerate() {
        row[i] *= 1.0 + 1e-12;
    }
    gauss(a)
}

/// Solves the augmented system `a` by elimination with partial pivoting.
fn gauss(mut a: Vec<Vec<f64>>) -> Option<Vec<f64>> {
    let p = a.len();
    for col in 0..p {
        let pivot = (col..p).max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))?;
        if a[pivot][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, pivot);
        let pivot_row = a[col].clone();
        for (r, row) in a.iter_mut().enumerate() {
            if r != col {
                let f = row[col] / pivot_row[col];
                for (x, y) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                    *x -= f * y;
                }
            }
        }
    }
    let x: Vec<f64> = (0..p).map(|i| a[i][p] / a[i][i]).collect();
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// Where the bills' prices moved: the split after which every bill costs
/// a share more (or less) than the fit says, far beyond the bills' scatter,
/// and the factor that brings the earlier bills to the later prices.
fn rate_change(bills: &[&BillFacts], amounts: &[f64], theta: &[f64]) -> Option<(usize, f64)> {
    // Shares, not money, so a summer bill and a winter one weigh alike;
    // bills near zero (a solar home's) say nothing about a share.
    let ratios: Vec<Option<f64>> = bills
        .iter()
        .zip(amounts)
        .map(|(b, a)| {
            let fitted: f64 = b.features().iter().zip(theta).map(|(x, t)| x * t).sum();
            (fitted.abs() > 0.25 * amounts.iter().map(|a| a.abs()).sum::<f64>() / amounts.len() as f64)
                .then(|| a / fitted)
        })
        .collect();
    let mut best: Option<(usize, f64, f64)> = None;
    for k in 2..bills.len().saturating_sub(1) {
        let before: Vec<f64> = ratios[..k].iter().flatten().copied().collect();
        let after: Vec<f64> = ratios[k..].iter().flatten().copied().collect();
        if before.len() < 2 || after.len() < 2 {
            continue;
        }
        let (mb, ma) = (mean(&before), mean(&after));
        let spread = ((variance(&before, mb) * (before.len() - 1) as f64
            + variance(&after, ma) * (after.len() - 1) as f64)
            / (before.len() + after.len() - 2).max(1) as f64)
            .sqrt()
            .max(0.004);
        let t = (ma - mb).abs() / (spread * (1.0 / before.len() as f64 + 1.0 / after.len() as f64).sqrt());
        if t > 4.0 && (ma - mb).abs() > 0.02 && best.is_none_or(|(_, bt, _)| t > bt) {
            best = Some((k, t, ma / mb));
        }
    }
    best.map(|(k, _, factor)| (k, factor))
}

/// Mean of amount over fitted, over bills not near zero.
fn mean_ratio(bills: &[&BillFacts], amounts: &[f64], theta: &[f64]) -> f64 {
    let ratios: Vec<f64> = bills
        .iter()
        .zip(amounts)
        .filter_map(|(b, a)| {
            let fitted: f64 = b.features().iter().zip(theta).map(|(x, t)| x * t).sum();
            (fitted.abs() > 1e-9 && (a / fitted) > 0.0).then(|| a / fitted)
        })
        .collect();
    if ratios.is_empty() {
        1.0
    } else {
        mean(&ratios)
    }
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

fn variance(xs: &[f64], mean: f64) -> f64 {
    xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (xs.len() as f64 - 1.0).max(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bill(k: i64, usage: f64, price: f64) -> BillFacts {
        let start = 20_000 + 30 * k;
        BillFacts { start, end: start + 30, amount: 0.4 * 30.0 + price * usage, usage: vec![usage] }
    }

    #[test]
    fn a_linear_tariff_is_recovered_and_three_bills_are_the_least() {
        let bills: Vec<BillFacts> = (0..6).map(|k| bill(k, 300.0 + 40.0 * (k % 3) as f64, 0.3)).collect();
        let model = CostModel::fit(&bills, 20_200).expect("six bills");
        assert!((model.per_day - 0.4).abs() < 1e-6 && (model.per_unit[0] - 0.3).abs() < 1e-6, "{model:?}");
        assert_eq!(model.rate_change, None);
        assert!(CostModel::fit(&bills[..2], 20_200).is_none());
    }

    #[test]
    fn a_rate_change_is_found_and_the_older_bills_brought_to_the_new_prices() {
        let mut bills: Vec<BillFacts> = (0..12).map(|k| bill(k, 300.0 + 40.0 * (k % 3) as f64, 0.3)).collect();
        for b in &mut bills[8..] {
            b.amount *= 1.08;
        }
        let model = CostModel::fit(&bills, 20_400).expect("twelve bills");
        assert_eq!(model.rate_change, Some(bills[8].start));
        let (old, new) = (model.prices_for(bills[7].start, 0), model.prices_for(bills[8].start, 0));
        assert!((new.1 / old.1 - 1.08).abs() < 0.002, "{old:?} then {new:?}");
        let next = model.amount(30.0, &[340.0]);
        assert!((next / ((12.0 + 0.3 * 340.0) * 1.08) - 1.0).abs() < 0.002, "{next}");
    }
}
