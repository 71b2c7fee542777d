//! Why one bill differs from another, in four parts that add up to the
//! change to the cent: more or fewer days, more or less usage a day, a
//! different price a unit, and the fixed and other charges. The energy part
//! of a bill is price × days × usage a day; each factor's share of its
//! change is its Shapley value (the mean of its effect over the orders the
//! factors could change in), which needs no sign and leaves no remainder
//! but cents' rounding, which the fixed and other charges carry.

/// Money in whole cents, so parts that must add up do, exactly.
pub fn cents(amount: f64) -> i64 {
    (amount * 100.0).round() as i64
}

/// One bill as the explainer reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Side {
    /// Local days `[start, end)`.
    pub start: i64,
    pub end: i64,
    pub amount: f64,
    /// Usage over the period, when its readings cover it.
    pub usage: Option<f64>,
    /// The fixed charge a day in force for this bill, and the price a unit
    /// (the cost model's, at this bill's prices).
    pub per_day: f64,
    pub per_unit: f64,
    /// Mean usage at each local hour of its days, when read.
    pub hours: Option<[f64; 24]>,
    /// Usage of each read day, by local day.
    pub days: Vec<(i64, f64)>,
    /// Share of its days without readings.
    pub unread: f64,
}

impl Side {
    fn days(&self) -> f64 {
        (self.end - self.start) as f64
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    Days,
    UsagePerDay,
    Price,
    FixedAndOther,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    pub cause: Cause,
    pub cents: i64,
}

/// What the explanation cannot say.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Caveat {
    /// Weather drives heating and cooling, and is not known here.
    Weather,
    /// Share of either bill's days without readings.
    Unread(f64),
    /// Usage near zero (net of solar export): no price a unit reads from it.
    NetNearZero,
    /// The usage of a bill is not known: only days and the rest.
    NoUsage,
    /// The bill charges another meter too (gas beside electricity), whose
    /// usage the explainer does not read: its cost moves the price per unit.
    OtherMeters,
}

/// Where in the day the usage changed most: local hours `[from, to)` (may
/// wrap past midnight), their change a day, and the whole day's. The window
/// can move more than the day does, when other hours moved the other way.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hours {
    pub from: usize,
    pub to: usize,
    pub window: f64,
    pub total: f64,
    /// Each hour's change a day, for the small chart.
    pub change: [f64; 24],
}

#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    pub change_cents: i64,
    pub parts: Vec<Part>,
    pub hours: Option<Hours>,
    /// The later bill's three days that moved most the way the usage did,
    /// and by how much, in date order.
    pub days: Vec<(i64, f64)>,
    pub caveats: Vec<Caveat>,
}

/// Of bills sorted by start (local days), the one for the same cycle a
/// year before bill `i`: starting within 16 days of a year earlier.
pub fn year_before(starts: &[i64], i: usize) -> Option<usize> {
    let target = starts[i] - 365;
    (0..i).find(|&k| (starts[k] - target).abs() <= 16)
}

/// Usage a day below this (in the meter's unit) is too near zero to read
/// a price from.
const NEAR_ZERO_A_DAY: f64 = 0.5;
/// The window of hours named in the sentence.
const WINDOW: usize = 4;

/// `after` against `before`.
pub fn explain(before: &Side, after: &Side) -> Explanation {
    let change_cents = cents(after.amount) - cents(before.amount);
    let (d0, d1) = (before.days(), after.days());
    let mut caveats = vec![Caveat::Weather];
    let unread = before.unread.max(after.unread);
    if unread > 0.0 {
        caveats.push(Caveat::Unread(unread));
    }
    // Fixed charges follow the days at the earlier bill's rate; a change of
    // that rate is left to the fixed and other charges.
    let fixed_days = before.per_day * (d1 - d0);
    let (e0, e1) = (before.amount - before.per_day * d0, after.amount - after.per_day * d1);
    let (days, per_day, price) = match (before.usage, after.usage) {
        (Some(u0), Some(u1)) if (u0 / d0).abs() >= NEAR_ZERO_A_DAY && (u1 / d1).abs() >= NEAR_ZERO_A_DAY => {
            let (p0, p1, r0, r1) = (e0 / u0, e1 / u1, u0 / d0, u1 / d1);
            (
                fixed_days + shapley(d1 - d0, (p0, r0), (p1, r1)),
                shapley(r1 - r0, (p0, d0), (p1, d1)),
                shapley(p1 - p0, (d0, r0), (d1, r1)),
            )
        }
        (Some(u0), Some(u1)) => {
            // Net usage near zero has no price a unit to read: the usage's
            // change is priced at the model's price a unit, the rest is other.
            caveats.push(Caveat::NetNearZero);
            (fixed_days, before.per_unit * (u1 - u0), 0.0)
        }
        _ => {
            caveats.push(Caveat::NoUsage);
            (fixed_days, 0.0, 0.0)
        }
    };
    let (days, per_day, price) = (cents(days), cents(per_day), cents(price));
    let fixed = change_cents - days - per_day - price;
    let parts = vec![
        Part { cause: Cause::Days, cents: days },
        Part { cause: Cause::UsagePerDay, cents: per_day },
        Part { cause: Cause::Price, cents: price },
        Part { cause: Cause::FixedAndOther, cents: fixed },
    ];
    let hours = where_in_the_day(before, after);
    let days = which_days(before, after);
    Explanation { change_cents, parts, hours, days, caveats }
}

/// The Shapley value of a factor of a product of three that moved by
/// `delta`, the other two going from `(a0, b0)` to `(a1, b1)`.
fn shapley(delta: f64, (a0, b0): (f64, f64), (a1, b1): (f64, f64)) -> f64 {
    delta * ((a0 * b0 + a1 * b1) / 3.0 + (a0 * b1 + a1 * b0) / 6.0)
}

fn where_in_the_day(before: &Side, after: &Side) -> Option<Hours> {
    let (h0, h1) = (before.hours?, after.hours?);
    let change: [f64; 24] = std::array::from_fn(|h| h1[h] - h0[h]);
    let total: f64 = change.iter().sum();
    if total.abs() < 1e-9 {
        return None;
    }
    let sign = total.signum();
    let (from, sum) = (0..24)
        .map(|from| (from, (0..WINDOW).map(|i| change[(from + i) % 24]).sum::<f64>() * sign))
        .max_by(|a, b| a.1.total_cmp(&b.1))?;
    Some(Hours { from, to: (from + WINDOW) % 24, window: sum * sign, total, change })
}

fn which_days(before: &Side, after: &Side) -> Vec<(i64, f64)> {
    let (Some(u0), true) = (before.usage, !after.days.is_empty()) else { return Vec::new() };
    let usual = u0 / before.days();
    let sign = after.usage.map_or(1.0, |u1| (u1 / after.days() - usual).signum());
    let mut days: Vec<(i64, f64)> =
        after.days.iter().map(|&(d, u)| (d, u - usual)).filter(|(_, x)| x * sign > 0.0).collect();
    days.sort_by(|a, b| (b.1 * sign).total_cmp(&(a.1 * sign)));
    days.truncate(3);
    days.sort_by_key(|(day, _)| *day);
    days
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(start: i64, days: i64, usage: f64, price: f64, per_day: f64) -> Side {
        let amount = per_day * days as f64 + price * usage;
        Side {
            start,
            end: start + days,
            amount,
            usage: Some(usage),
            per_day,
            per_unit: price,
            hours: None,
            days: Vec::new(),
            unread: 0.0,
        }
    }

    #[test]
    fn the_parts_add_up_to_the_change_to_the_cent_and_each_names_its_cause() {
        let before = side(0, 30, 300.0, 0.30, 0.40);
        // Three more days, more a day, and a dearer unit.
        let after = side(30, 33, 400.0, 0.33, 0.40);
        let e = explain(&before, &after);
        assert_eq!(e.parts.iter().map(|p| p.cents).sum::<i64>(), e.change_cents);
        let part = |c: Cause| e.parts.iter().find(|p| p.cause == c).unwrap().cents;
        assert!(part(Cause::Days) > 0 && part(Cause::UsagePerDay) > 0 && part(Cause::Price) > 0);
        assert!(part(Cause::FixedAndOther).abs() <= 2, "only rounding is left: {}", part(Cause::FixedAndOther));
        // Only the days changed: the days explain it all.
        let longer = Side { end: 63, amount: 0.40 * 33.0 + 0.30 * 330.0, usage: Some(330.0), ..before.clone() };
        let e = explain(&before, &Side { start: 30, ..longer });
        assert_eq!(e.parts[0].cents, e.change_cents);
    }

    #[test]
    fn the_same_cycle_a_year_before_is_the_bill_that_started_near_a_year_earlier() {
        let starts = [100, 130, 161, 465, 496];
        assert_eq!(year_before(&starts, 4), Some(1), "496 − 365 = 131");
        assert_eq!(year_before(&starts, 3), Some(0));
        assert_eq!(year_before(&starts, 2), None, "no bill a year before");
    }

    #[test]
    fn the_hours_that_changed_most_are_named() {
        let mut before = side(0, 30, 300.0, 0.3, 0.4);
        let mut after = side(30, 30, 330.0, 0.3, 0.4);
        before.hours = Some([10.0 / 24.0; 24]);
        let mut evening = [10.0 / 24.0; 24];
        for hour in &mut evening[17..21] {
            *hour += 0.25;
        }
        after.hours = Some(evening);
        let hours = explain(&before, &after).hours.expect("both read");
        assert_eq!((hours.from, hours.to), (17, 21));
        assert!((hours.window - 1.0).abs() < 1e-9 && (hours.total - 1.0).abs() < 1e-9, "{hours:?}");
    }
}
