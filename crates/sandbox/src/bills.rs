//! Bills that follow from the account's usage as a utility's would: a
//! tariff with a baseline allowance and a tier above it, time-of-use prices
//! that differ summer and winter, a fixed daily charge, taxes and fees, and
//! a rate change partway through the history; net metering for solar
//! homes, tiered gas with a winter baseline; billing periods of 27 to 33
//! days. Every amount follows from the seed and the intervals, so it is the
//! same on every run. And a PDF statement for each, line by line.

use pdf_writer::{Content, Name, Pdf, Rect, Ref, Str};
use pelm_model::pelm::{Bill, Interval, MeterType};

use crate::data::{mix, MeterSpec};
use pelm_model::civil::{civil_from_days, days_from_civil, UsZone, DAY, MONTHS};
use pelm_model::unit::Unit;

/// An electricity tariff, prices in dollars.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ElectricTariff {
    /// Per day of the period, always billed (solar homes too: the minimum).
    pub daily: f64,
    /// kWh a day at the base price, summer and winter.
    pub baseline: (f64, f64),
    /// Per kWh of the period's net use above its baseline allowance.
    pub above_baseline: f64,
    /// Per kWh: summer peak, summer off-peak, winter peak, winter off-peak.
    pub prices: [f64; 4],
    /// Taxes and fees, a share of the charges (not of a credit).
    pub taxes: f64,
}

/// A gas tariff, prices in dollars per therm.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GasTariff {
    pub daily: f64,
    /// Therms a day at the first tier's price, summer and winter.
    pub baseline: (f64, f64),
    pub tier1: f64,
    pub tier2: f64,
    pub taxes: f64,
}

/// Local hours [from, to) of the electric peak.
pub const PEAK_HOURS: (u32, u32) = (16, 21);
/// Summer is June to September, local months.
pub const SUMMER: (u32, u32) = (6, 9);
/// The rates change for periods starting on or after this day (UTC
/// midnight of 2026-03-01), as a utility's general rate case does.
pub const RATE_CHANGE: i64 = 20_513 * DAY;

pub const ELECTRIC_BEFORE: ElectricTariff = ElectricTariff {
    daily: 0.39,
    baseline: (10.5, 8.5),
    above_baseline: 0.08,
    prices: [0.49, 0.36, 0.41, 0.33],
    taxes: 0.075,
};
pub const ELECTRIC_AFTER: ElectricTariff = ElectricTariff {
    daily: 0.41,
    baseline: (10.5, 8.5),
    above_baseline: 0.09,
    prices: [0.53, 0.39, 0.45, 0.36],
    taxes: 0.075,
};
pub const GAS_BEFORE: GasTariff =
    GasTariff { daily: 0.20, baseline: (0.5, 2.0), tier1: 1.85, tier2: 2.35, taxes: 0.05 };
pub const GAS_AFTER: GasTariff = GasTariff { daily: 0.22, baseline: (0.5, 2.0), tier1: 1.98, tier2: 2.49, taxes: 0.05 };

/// The tariffs of a period that starts at `start`.
pub fn tariffs_at(start: i64) -> (ElectricTariff, GasTariff) {
    match start >= RATE_CHANGE {
        true => (ELECTRIC_AFTER, GAS_AFTER),
        false => (ELECTRIC_BEFORE, GAS_BEFORE),
    }
}

/// Bills at most this far back.
pub const MAX_BILLS: usize = 24;

/// What one meter was charged for a period, line by line, each in cents
/// already, so the lines add up to the charge exactly.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Charge {
    /// Net use: for a solar home, exports taken off.
    pub usage: f64,
    /// Use (or credit, below zero) at the time-of-use or first-tier prices.
    pub energy: f64,
    /// Use above the baseline allowance.
    pub above_baseline: f64,
    pub daily: f64,
    pub taxes: f64,
    pub days: i64,
}

impl Charge {
    pub fn total(&self) -> f64 {
        round_cents(self.energy + self.above_baseline + self.daily + self.taxes)
    }
}

fn round_cents(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn summer(zone: &UsZone, utc: i64) -> bool {
    let (_, month, _) = civil_from_days(zone.local(utc).div_euclid(DAY));
    (SUMMER.0..=SUMMER.1).contains(&month)
}

/// The charge for a meter's `intervals` over the period `[start, end)`, in
/// `zone`, at the tariff in effect at `start`.
pub fn charge(meter_type: MeterType, intervals: &[Interval], start: i64, end: i64, zone: &UsZone) -> Charge {
    let days = ((end - start) as f64 / DAY as f64).round() as i64;
    // The allowance counts each day of the period at its own season's rate.
    let allowance = |(summer_day, winter_day): (f64, f64)| -> f64 {
        (0..days).map(|d| if summer(zone, start + d * DAY + DAY / 2) { summer_day } else { winter_day }).sum()
    };
    let usage: f64 = intervals.iter().map(|i| i.usage).sum();
    let (electric, gas) = tariffs_at(start);
    let (energy, above, daily, taxes_share) = match meter_type {
        MeterType::Electric => {
            let energy: f64 = intervals
                .iter()
                .map(|i| {
                    let hour = (zone.local(i.start).rem_euclid(DAY) / 3600) as u32;
                    let peak = (PEAK_HOURS.0..PEAK_HOURS.1).contains(&hour);
                    let price = electric.prices[match (summer(zone, i.start), peak) {
                        (true, true) => 0,
                        (true, false) => 1,
                        (false, true) => 2,
                        (false, false) => 3,
                    }];
                    i.usage * price
                })
                .sum();
            let above = (usage - allowance(electric.baseline)).max(0.0) * electric.above_baseline;
            (energy, above, days as f64 * electric.daily, electric.taxes)
        }
        MeterType::Gas => {
            let base = allowance(gas.baseline);
            let energy = usage.min(base).max(0.0) * gas.tier1;
            let above = (usage - base).max(0.0) * gas.tier2;
            (energy, above, days as f64 * gas.daily, gas.taxes)
        }
    };
    let (energy, above, daily) = (round_cents(energy), round_cents(above), round_cents(daily));
    // Taxes fall on what is charged; a net-metering credit is not taxed back.
    let taxes = round_cents((energy + above + daily).max(0.0) * taxes_share);
    Charge { usage, energy, above_baseline: above, daily, taxes, days }
}

/// Usage of one meter in one billing period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeterUsage {
    pub meter_type: MeterType,
    pub charge: Charge,
}

/// A bill with the usage it charges for, which the PDF shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub bill: Bill,
    pub usage: Vec<MeterUsage>,
}

/// The account's meter-reading day of the month: its bills end there.
fn read_day(seed: u64) -> u32 {
    1 + (seed % 28) as u32
}

/// The local day its `index`th period (counted from January 2015) ends:
/// the reading day of that month, or the Monday after when it falls on a
/// weekend, as meters are read on workdays; never less than 27 days after
/// the period before.
fn period_end_day(seed: u64, index: i64, previous_end: Option<i64>) -> i64 {
    let (year, month) = (2015 + index.div_euclid(12), 1 + index.rem_euclid(12) as u32);
    let scheduled = days_from_civil(year, month, read_day(seed));
    let day = previous_end.map_or(scheduled, |previous| scheduled.max(previous + 27));
    day + match pelm_model::civil::weekday(day) {
        6 => 2,
        0 => 1,
        _ => 0,
    }
}

/// The account's billing periods that end by `data_end`, oldest first:
/// 27 to 33 days each, as reading days move with weekends.
fn periods(zone: &UsZone, seed: u64, data_end: i64) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    let mut previous = period_end_day(seed, 0, None);
    for index in 1.. {
        let day = period_end_day(seed, index, Some(previous));
        let (start, end) = (zone.midnight_utc(previous), zone.midnight_utc(day));
        if end > data_end {
            break;
        }
        out.push((start, end));
        previous = day;
    }
    out
}

/// The account's bills, newest first: its periods wholly inside
/// `[history_start, data_end)`.
pub fn statements(
    account_id: &str,
    meters: &[MeterSpec],
    zone: &UsZone,
    history_start: i64,
    data_end: i64,
) -> Vec<Statement> {
    let seed = crate::data::seed_of(account_id);
    let mut out = Vec::new();
    for (start, end) in periods(zone, seed, data_end).into_iter().rev() {
        if start < history_start || out.len() == MAX_BILLS {
            break;
        }
        let usage: Vec<MeterUsage> = meters
            .iter()
            .map(|meter| MeterUsage {
                meter_type: meter.meter_type,
                charge: charge(meter.meter_type, &meter.intervals(start, end), start, end, zone),
            })
            .collect();
        let statement_date = end + 2 * DAY;
        let bill = Bill {
            id: format!("{:012}", mix(seed, start as u64) % 1_000_000_000_000),
            start_date: start,
            end_date: end,
            statement_date,
            due_date: statement_date + 21 * DAY,
            total_amount_due: round_cents(usage.iter().map(|u| u.charge.total()).sum()),
        };
        out.push(Statement { bill, usage });
    }
    out
}

fn date(zone: &UsZone, utc: i64) -> String {
    let (y, m, d) = civil_from_days(zone.local(utc).div_euclid(DAY));
    format!("{} {d}, {y}", MONTHS[m as usize - 1])
}

/// What a bill's PDF says besides the bill itself.
pub struct PdfHeader<'a> {
    pub utility: &'a str,
    pub account_number: &'a str,
    pub address: &'a str,
    pub zone: &'a UsZone,
}

/// A one-page PDF statement for `statement`.
pub fn pdf(header: &PdfHeader<'_>, statement: &Statement) -> Vec<u8> {
    let bill = &statement.bill;
    let zone = header.zone;
    let mut lines = vec![
        (20.0, header.utility.to_owned()),
        (11.0, "Energy statement (Pelm sandbox: not a real bill)".to_owned()),
        (11.0, String::new()),
        (12.0, format!("Account {}", header.account_number)),
        (12.0, header.address.to_owned()),
        (12.0, String::new()),
        (12.0, format!("Billing period: {} to {}", date(zone, bill.start_date), date(zone, bill.end_date - 1))),
        (12.0, format!("Statement date: {}", date(zone, bill.statement_date))),
        (12.0, format!("Bill number: {}", bill.id)),
        (12.0, String::new()),
    ];
    for usage in &statement.usage {
        let (what, unit, energy, above) = match usage.meter_type {
            MeterType::Electric => ("Electric", Unit::Kwh.label(), "Energy, peak and off-peak", "Above baseline"),
            MeterType::Gas => ("Gas", Unit::Therm.label(), "Gas, first tier", "Gas, second tier"),
        };
        let c = &usage.charge;
        lines.push((12.0, format!("{what}: {:.1} {unit}, ${:.2}", c.usage, c.total())));
        lines.push((11.0, format!("    {energy}: ${:.2}", c.energy)));
        lines.push((11.0, format!("    {above}: ${:.2}", c.above_baseline)));
        lines.push((11.0, format!("    Daily charge, {} days: ${:.2}", c.days, c.daily)));
        lines.push((11.0, format!("    Taxes and fees: ${:.2}", c.taxes)));
    }
    lines.push((12.0, String::new()));
    lines.push((16.0, format!("Amount due: ${:.2}", bill.total_amount_due)));
    lines.push((12.0, format!("Due date: {}", date(zone, bill.due_date))));

    let (catalog, pages, page, font, contents) = (Ref::new(1), Ref::new(2), Ref::new(3), Ref::new(4), Ref::new(5));
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(pages);
    pdf.pages(pages).kids([page]).count(1);
    let mut page_writer = pdf.page(page);
    page_writer.parent(pages).media_box(Rect::new(0.0, 0.0, 612.0, 792.0)).contents(contents);
    page_writer.resources().fonts().pair(Name(b"F1"), font);
    drop(page_writer);
    pdf.type1_font(font).base_font(Name(b"Helvetica"));
    let mut content = Content::new();
    let mut y = 730.0;
    for (size, text) in &lines {
        content.begin_text();
        content.set_font(Name(b"F1"), *size);
        content.next_line(72.0, y);
        content.show(Str(text.as_bytes()));
        content.end_text();
        y -= size * 1.6;
    }
    pdf.stream(contents, &content.finish());
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pelm_model::civil::PACIFIC;

    /// Local noon (or `hour`) of a day, UTC, in the Pacific zone.
    fn at(year: i64, month: u32, day: u32, hour: i64) -> i64 {
        PACIFIC.midnight_utc(days_from_civil(year, month, day)) + hour * 3600
    }

    fn hour_of(start: i64, usage: f64) -> Interval {
        Interval { start, end: start + 3600, usage, ghg_emissions: None }
    }

    /// A 30-day period from a local midnight, with `usage` in each hour.
    fn period(year: i64, month: u32, usage: impl Fn(i64) -> f64) -> (Vec<Interval>, i64, i64) {
        let (start, end) = (at(year, month, 1, 0), at(year, month, 31, 0));
        let hours = (start..end).step_by(3600).map(|t| hour_of(t, usage((t - start) / 3600 % 24))).collect();
        (hours, start, end)
    }

    #[test]
    fn the_lines_add_up_to_the_charge_to_the_cent() {
        let (hours, start, end) = period(2025, 7, |h| 0.3 + h as f64 * 0.05);
        let c = charge(MeterType::Electric, &hours, start, end, &PACIFIC);
        let cents = |x: f64| (x * 100.0).round() as i64;
        assert_eq!(cents(c.total()), cents(c.energy) + cents(c.above_baseline) + cents(c.daily) + cents(c.taxes));
        assert_eq!(c.days, 30);
        assert_eq!(cents(c.daily), cents(30.0 * ELECTRIC_BEFORE.daily));
    }

    #[test]
    fn peak_hours_cost_more_and_summer_more_than_winter() {
        let one = |start: i64| charge(MeterType::Electric, &[hour_of(start, 1.0)], start, start + 3600, &PACIFIC);
        assert_eq!(one(at(2025, 7, 10, 17)).energy, ELECTRIC_BEFORE.prices[0]);
        assert_eq!(one(at(2025, 7, 10, 3)).energy, ELECTRIC_BEFORE.prices[1]);
        assert_eq!(one(at(2025, 1, 10, 17)).energy, ELECTRIC_BEFORE.prices[2]);
        assert_eq!(one(at(2025, 1, 10, 3)).energy, ELECTRIC_BEFORE.prices[3]);
    }

    #[test]
    fn use_above_the_baseline_allowance_pays_the_higher_tier() {
        // 0.3 kWh an hour is 7.2 a day, under the winter baseline of 8.5; 0.5 is 12, over it.
        let (low, start, end) = period(2025, 1, |_| 0.3);
        assert_eq!(charge(MeterType::Electric, &low, start, end, &PACIFIC).above_baseline, 0.0);
        let (high, ..) = period(2025, 1, |_| 0.5);
        let above = charge(MeterType::Electric, &high, start, end, &PACIFIC).above_baseline;
        assert_eq!(above, round_cents((12.0 - 8.5) * 30.0 * ELECTRIC_BEFORE.above_baseline));
    }

    #[test]
    fn the_rate_change_raises_the_same_use_from_its_day_on() {
        let (before, start, end) = period(2026, 1, |_| 0.4);
        let (after, start_after, end_after) = period(2026, 3, |_| 0.4);
        assert!(start < RATE_CHANGE && start_after >= RATE_CHANGE);
        let old = charge(MeterType::Electric, &before, start, end, &PACIFIC);
        let new = charge(MeterType::Electric, &after, start_after, end_after, &PACIFIC);
        assert!(new.total() > old.total() * 1.05, "{} then {}", old.total(), new.total());
    }

    #[test]
    fn net_metering_credits_exports_but_keeps_the_daily_charge_and_taxes_no_credit() {
        let (exports, start, end) = period(2025, 7, |h| if (9..16).contains(&h) { -2.0 } else { 0.2 });
        let c = charge(MeterType::Electric, &exports, start, end, &PACIFIC);
        assert!(c.usage < 0.0 && c.energy < 0.0);
        assert!(c.total() < 0.0, "a credit: {}", c.total());
        assert_eq!(c.daily, round_cents(30.0 * ELECTRIC_BEFORE.daily));
        assert_eq!(c.taxes, 0.0);
        assert_eq!(c.above_baseline, 0.0);
    }

    #[test]
    fn gas_has_a_larger_allowance_in_winter() {
        let (january, start, end) = period(2025, 1, |_| 0.1);
        let (july, start_july, end_july) = period(2025, 7, |_| 0.1);
        // 0.1 therm an hour is 2.4 a day: 0.4 above January's allowance of 2.0, 1.9 above July's 0.5.
        let winter = charge(MeterType::Gas, &january, start, end, &PACIFIC);
        let summer = charge(MeterType::Gas, &july, start_july, end_july, &PACIFIC);
        assert!(winter.above_baseline < summer.above_baseline);
        assert_eq!(winter.energy, round_cents(2.0 * 30.0 * GAS_BEFORE.tier1));
    }

    #[test]
    fn periods_run_27_to_33_days_one_after_another_and_stay_put() {
        let seed = 42;
        let data_end = at(2026, 12, 3, 0);
        let all = periods(&PACIFIC, seed, data_end);
        assert!(all.windows(2).all(|w| w[0].1 == w[1].0));
        let days: Vec<i64> = all.iter().map(|(a, b)| ((b - a) as f64 / DAY as f64).round() as i64).collect();
        assert!(days.iter().all(|d| (27..=33).contains(d)), "{days:?}");
        assert!(days.iter().collect::<std::collections::BTreeSet<_>>().len() >= 4, "{days:?}");
        // Read on workdays: no period ends on a Saturday or a Sunday.
        let ends_on = |end: i64| pelm_model::civil::weekday(PACIFIC.local(end).div_euclid(DAY));
        assert!(all.iter().all(|&(_, end)| !matches!(ends_on(end), 0 | 6)));
        // A later day adds periods and moves none.
        let later = periods(&PACIFIC, seed, data_end + 90 * DAY);
        assert_eq!(&later[..all.len()], &all[..]);
    }
}
