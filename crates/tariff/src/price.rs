//! A plan's charges, billing period by billing period.
//!
//! [`Pricing::new`] reads every interval once and keeps, for each billing
//! period, the energy drawn and sent back in each time-of-use period (and
//! the fuel adjustment's dollars). Everything after that ([`Pricing::priced`],
//! the shift of peak use, the comparison) works on those sums, so a slider
//! step reprices a year in microseconds.
//!
//! Tiers follow SAM: a tier's limits apply to the billing period's total
//! use, and each time-of-use period's energy falls into the tiers in the
//! same proportions. With exports, the total is the period's net use and
//! the energy above a limit is shared among the periods that drew from the
//! grid; what exports offset stays in the first tier.

use crate::load::{slot_parts, Cycle, Load, WEEKEND};
use crate::urdb::{Metering, Per, Rate, Tariff, TierUnit};
use pelm_model::civil::{civil_from_days, weekday};

/// What the host adds to a tariff that URDB does not say.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// Taxes and fees, a share of the charges (a credit is not taxed back).
    pub taxes: f64,
    /// Dollars a kWh for energy sent to the grid, in place of the tariff's `sell`.
    pub export_rate: Option<f64>,
    /// Share (0–1) of the peak periods' use moved to the off-peak period
    /// of the same billing period: "what if I ran the dishwasher later".
    pub shift: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options { taxes: 0.0, export_rate: None, shift: 0.0 }
    }
}

/// What a time-of-use period is, from its price against the others in force
/// in the same months.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Peak,
    MidPeak,
    OffPeak,
    /// One price all day.
    AllHours,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Peak, Kind::MidPeak, Kind::OffPeak, Kind::AllHours];

    pub fn slug(self) -> &'static str {
        match self {
            Kind::Peak => "peak",
            Kind::MidPeak => "mid-peak",
            Kind::OffPeak => "off-peak",
            Kind::AllHours => "all-hours",
        }
    }
}

/// Each period's kind: in each month, the dearest of the periods in force
/// is peak and the cheapest off-peak (a month with one price is all
/// hours); a period takes the most peak-like kind it has in any month.
pub fn kinds(rate: &Rate) -> Vec<Kind> {
    let mut kinds = vec![Kind::AllHours; rate.periods.len()];
    let first_rate = |p: usize| rate.periods[p][0].rate;
    for m in 0..12 {
        let mut used: Vec<usize> = rate.weekday[m].iter().chain(&rate.weekend[m]).map(|&p| p as usize).collect();
        used.sort_unstable();
        used.dedup();
        let (low, high) = used
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &p| (lo.min(first_rate(p)), hi.max(first_rate(p))));
        for &p in &used {
            let kind = match first_rate(p) {
                _ if high <= low => Kind::AllHours,
                r if r >= high => Kind::Peak,
                r if r <= low => Kind::OffPeak,
                _ => Kind::MidPeak,
            };
            kinds[p] = kinds[p].min(kind);
        }
    }
    kinds
}

/// One billing period's sums for one plan.
#[derive(Debug, Clone, PartialEq)]
struct Sums {
    /// Index of the tariff version in force.
    version: usize,
    /// Energy drawn from the grid in each time-of-use period.
    imports: Vec<f64>,
    /// Energy sent to the grid in each, as a positive amount.
    exports: Vec<f64>,
    /// Dollars of fuel adjustment on what was drawn.
    fuel: f64,
}

/// A plan read over a load: the sums every price is worked out from.
#[derive(Debug, Clone)]
pub struct Pricing {
    tariff: Tariff,
    cycles: Vec<Cycle>,
    sums: Vec<Sums>,
    kinds: Vec<Vec<Kind>>,
    /// Each interval's billing period (`usize::MAX` outside them) and time-of-use period.
    placed: Vec<(u32, u8)>,
}

/// One billing period priced.
#[derive(Debug, Clone, PartialEq)]
pub struct CycleCost {
    pub cycle: Cycle,
    /// Energy charges, tiers included, on what was drawn.
    pub energy: f64,
    /// Credit for what was sent back: zero or below.
    pub credit: f64,
    pub fuel: f64,
    pub fixed: f64,
    /// What a minimum charge added, when the charges fell short of it.
    pub minimum: f64,
    pub taxes: f64,
    pub total: f64,
    /// Use drawn and its energy cost, by kind of period.
    pub by_kind: Vec<KindCost>,
    /// The price a unit drawn in each time-of-use period came to, tiers
    /// shared in, and the credit a unit sent back earned.
    pub rates: Vec<(f64, f64)>,
    pub version: usize,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KindCost {
    pub kind: Kind,
    pub usage: f64,
    pub cost: f64,
}

/// A plan priced over billing periods.
#[derive(Debug, Clone, PartialEq)]
pub struct Priced {
    pub cycles: Vec<CycleCost>,
    /// Fields of the tariff read and not priced.
    pub unpriced: Vec<&'static str>,
    /// A minimum charge counted over a year, when the tariff has one.
    pub yearly_minimum: Option<f64>,
}

impl Priced {
    pub fn total(&self) -> f64 {
        let sum: f64 = self.cycles.iter().map(|c| c.total).sum();
        match self.yearly_minimum {
            // Prorated to the days priced, so a part year is not charged a whole year's minimum.
            Some(minimum) => {
                let days: i64 = self.cycles.iter().map(|c| c.cycle.days()).sum();
                sum.max(minimum * days as f64 / 365.0)
            }
            None => sum,
        }
    }

    /// Use and energy cost by kind over every period.
    pub fn by_kind(&self) -> Vec<KindCost> {
        let mut out: Vec<KindCost> = Vec::new();
        for k in self.cycles.iter().flat_map(|c| &c.by_kind) {
            match out.iter_mut().find(|o| o.kind == k.kind) {
                Some(o) => {
                    o.usage += k.usage;
                    o.cost += k.cost;
                }
                None => out.push(*k),
            }
        }
        out.sort_by_key(|k| k.kind);
        out
    }
}

fn cents(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The first slot of local day `day`: its month and weekend flag.
fn day_slot(day: i64) -> (usize, bool) {
    let (_, month, _) = civil_from_days(day);
    (month as usize - 1, matches!(weekday(day), 0 | 6))
}

impl Pricing {
    /// Reads `load` once under `tariff`, over `cycles` (in time order, not
    /// overlapping). Intervals outside every cycle are not priced.
    pub fn new(tariff: &Tariff, load: &Load, cycles: &[Cycle]) -> Pricing {
        let versions: Vec<usize> = cycles
            .iter()
            .map(|c| {
                let at = c.from * pelm_model::civil::DAY;
                let chosen = tariff.at(at);
                tariff.versions.iter().position(|r| std::ptr::eq(r, chosen)).unwrap_or(0)
            })
            .collect();
        let mut sums: Vec<Sums> = versions
            .iter()
            .map(|&v| {
                let n = tariff.versions[v].periods.len();
                Sums { version: v, imports: vec![0.0; n], exports: vec![0.0; n], fuel: 0.0 }
            })
            .collect();
        let mut placed = Vec::with_capacity(load.len());
        let mut c = 0;
        for i in 0..load.len() {
            let day = load.day[i];
            // Intervals come in time order, so the billing period only moves on.
            while c < cycles.len() && cycles[c].to <= day {
                c += 1;
            }
            if c == cycles.len() || day < cycles[c].from {
                // Before the first period, or in a gap between two.
                let back = cycles.iter().position(|k| k.from <= day && day < k.to);
                match back {
                    Some(k) => c = k,
                    None => {
                        placed.push((u32::MAX, 0));
                        continue;
                    }
                }
            }
            let rate = &tariff.versions[sums[c].version];
            let slot = load.slot[i];
            let (month, hour, weekend) = slot_parts(slot);
            let schedule = if weekend { &rate.weekend } else { &rate.weekday };
            let period = schedule[month][hour];
            let usage = load.usage[i];
            let s = &mut sums[c];
            if usage >= 0.0 {
                s.imports[period as usize] += usage;
                s.fuel += usage * rate.fuel[month];
            } else {
                s.exports[period as usize] -= usage;
            }
            placed.push((c as u32, period));
        }
        let kinds = tariff.versions.iter().map(kinds).collect();
        Pricing { tariff: tariff.clone(), cycles: cycles.to_vec(), sums, kinds, placed }
    }

    pub fn cycles(&self) -> &[Cycle] {
        &self.cycles
    }

    /// Prices every billing period.
    pub fn priced(&self, options: &Options) -> Priced {
        let cycles =
            self.cycles.iter().zip(&self.sums).map(|(cycle, sums)| self.cycle(*cycle, sums, options)).collect();
        let yearly_minimum = self
            .tariff
            .versions
            .iter()
            .filter_map(|r| r.minimum.filter(|m| m.per == Per::Year).map(|m| m.amount))
            .reduce(f64::max);
        Priced { cycles, unpriced: self.tariff.unpriced(), yearly_minimum }
    }

    /// What each interval of `load` (the one this was made from) cost:
    /// energy at its period's price with tiers shared in, plus fuel
    /// adjustment; below zero for energy sent back. Fixed charges, minimums
    /// and taxes belong to the bill, not to an hour.
    pub fn interval_costs(&self, load: &Load, priced: &Priced) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.placed.len());
        for (i, &(c, period)) in self.placed.iter().enumerate() {
            let usage = load.usage[i];
            if c == u32::MAX {
                out.push(f64::NAN);
                continue;
            }
            let cost = &priced.cycles[c as usize];
            let (buy, sell) = cost.rates[period as usize];
            let (month, ..) = slot_parts(load.slot[i] & !WEEKEND);
            let fuel = self.tariff.versions[cost.version].fuel[month];
            out.push(if usage >= 0.0 { usage * (buy + fuel) } else { usage * sell });
        }
        out
    }

    /// Each interval's kind of period, `None` outside the billing periods.
    pub fn interval_kind(&self, i: usize) -> Option<Kind> {
        let (c, period) = *self.placed.get(i)?;
        (c != u32::MAX).then(|| self.kinds[self.sums[c as usize].version][period as usize])
    }

    fn cycle(&self, cycle: Cycle, sums: &Sums, options: &Options) -> CycleCost {
        let rate = &self.tariff.versions[sums.version];
        let kinds = &self.kinds[sums.version];
        let mut imports = sums.imports.clone();
        shift(&mut imports, kinds, rate, options.shift);
        let periods = rate.periods.len();
        let (drawn, total): (Vec<f64>, f64) = match rate.metering {
            Metering::NetMetering => {
                let net: Vec<f64> = (0..periods).map(|p| imports[p] - sums.exports[p]).collect();
                (net.iter().map(|n| n.max(0.0)).collect(), net.iter().sum())
            }
            Metering::NetBilling => (imports.clone(), imports.iter().sum()),
        };
        let drawn_total: f64 = drawn.iter().sum();
        let limits = limits(rate, cycle);
        // The energy of the total in each tier above the first.
        let mut previous = 0.0;
        let mut shares = Vec::with_capacity(limits.len());
        for &limit in &limits {
            let in_tier = (total.min(limit) - previous).max(0.0);
            shares.push(if drawn_total > 0.0 { in_tier / drawn_total } else { 0.0 });
            previous = limit;
        }
        let mut rates = Vec::with_capacity(periods);
        let (mut energy, mut credit) = (0.0, 0.0);
        let mut by_kind: Vec<KindCost> = Vec::new();
        for p in 0..periods {
            let tiers = &rate.periods[p];
            let first = tiers[0].rate;
            let buy = first
                + shares
                    .iter()
                    .enumerate()
                    .skip(1)
                    .map(|(t, s)| s * (tiers[t.min(tiers.len() - 1)].rate - first))
                    .sum::<f64>();
            let sell = options.export_rate.or(tiers[0].sell).unwrap_or(match rate.metering {
                Metering::NetMetering => first,
                Metering::NetBilling => 0.0,
            });
            rates.push((buy, sell));
            energy += drawn[p] * buy;
            let sent = match rate.metering {
                Metering::NetMetering => (sums.exports[p] - imports[p]).max(0.0),
                Metering::NetBilling => sums.exports[p],
            };
            credit -= sent * sell;
            let kind = kinds[p];
            match by_kind.iter_mut().find(|k| k.kind == kind) {
                Some(k) => {
                    k.usage += drawn[p];
                    k.cost += drawn[p] * buy;
                }
                None => by_kind.push(KindCost { kind, usage: drawn[p], cost: drawn[p] * buy }),
            }
        }
        let days = cycle.days() as f64;
        let fixed = rate.fixed.map_or(0.0, |f| match f.per {
            Per::Day => f.amount * days,
            Per::Month => f.amount,
            Per::Year => f.amount / 12.0,
        });
        let (energy, credit, fuel, fixed) = (cents(energy), cents(credit), cents(sums.fuel), cents(fixed));
        let subtotal = energy + credit + fuel + fixed;
        // A minimum tops a bill up to it; with none, a credit stands.
        let minimum = rate.minimum.map_or(0.0, |m| {
            let floor = match m.per {
                Per::Day => m.amount * days,
                Per::Month => m.amount,
                Per::Year => return 0.0,
            };
            cents((floor - subtotal).max(0.0))
        });
        let taxes = cents((subtotal + minimum).max(0.0) * options.taxes);
        by_kind.sort_by_key(|k| k.kind);
        CycleCost {
            cycle,
            energy,
            credit,
            fuel,
            fixed,
            minimum,
            taxes,
            total: cents(subtotal + minimum + taxes),
            by_kind,
            rates,
            version: sums.version,
        }
    }
}

/// Moves `share` of the peak periods' use to the off-peak period that drew most.
fn shift(imports: &mut [f64], kinds: &[Kind], rate: &Rate, share: f64) {
    if share <= 0.0 {
        return;
    }
    let target = (0..imports.len()).filter(|&p| kinds[p] == Kind::OffPeak).max_by(|&a, &b| {
        imports[a].total_cmp(&imports[b]).then(rate.periods[b][0].rate.total_cmp(&rate.periods[a][0].rate))
    });
    let Some(target) = target else { return };
    for p in 0..imports.len() {
        if kinds[p] == Kind::Peak {
            let moved = imports[p] * share.min(1.0);
            imports[p] -= moved;
            imports[target] += moved;
        }
    }
}

/// The cumulative tier limits of a billing period. A limit counted per day
/// adds each day's, taken from the period in force at the day's first hour
/// (SAM requires every period of a month to share its limits); one counted
/// per period applies once. A tier with no limit, or one counted per kW of
/// demand, is unlimited.
fn limits(rate: &Rate, cycle: Cycle) -> Vec<f64> {
    let tiers = rate.periods.iter().map(Vec::len).max().unwrap_or(1);
    let mut limits = vec![0.0; tiers];
    let period_at = |day: i64| {
        let (month, weekend) = day_slot(day);
        let schedule = if weekend { &rate.weekend } else { &rate.weekday };
        schedule[month][0] as usize
    };
    for day in cycle.from..cycle.to.max(cycle.from + 1) {
        let tiers_of_day = &rate.periods[period_at(day)];
        for (t, limit) in limits.iter_mut().enumerate() {
            let Some(tier) = tiers_of_day.get(t) else {
                *limit = f64::INFINITY;
                continue;
            };
            match (tier.max, tier.unit) {
                (None, _) | (_, TierUnit::PerDemand) => *limit = f64::INFINITY,
                (Some(max), TierUnit::PerDay) => *limit += max,
                (Some(max), TierUnit::PerPeriod) => {
                    if day == cycle.from {
                        *limit += max;
                    }
                }
            }
        }
    }
    // Use above the last limit is billed at the last tier, as SAM does.
    if let Some(last) = limits.last_mut() {
        *last = f64::INFINITY;
    }
    limits
}

/// Each plan's pricing over the same load and periods.
pub fn price(tariff: &Tariff, load: &Load, cycles: &[Cycle], options: &Options) -> Priced {
    Pricing::new(tariff, load, cycles).priced(options)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::urdb::read;
    use pelm_model::civil::{days_from_civil, DAY};

    /// 0.10 off-peak, 0.30 from 16:00 to 21:00 every day, like the probe run through SAM.
    fn tou(extra: &str) -> Tariff {
        let month = (0..24).map(|h| if (16..21).contains(&h) { "1" } else { "0" }).collect::<Vec<_>>().join(",");
        let schedule = format!("[{}]", vec![format!("[{month}]"); 12].join(","));
        read(&format!(
            r#"{{"energyratestructure":[[{{"rate":0.1}}],[{{"rate":0.3}}]],"energyweekdayschedule":{schedule},"energyweekendschedule":{schedule}{extra}}}"#
        ))
        .unwrap()
    }

    /// A flat `kw` for every hour of `[from, to)` local days, local time = UTC.
    fn flat_load(from: i64, to: i64, kw: f64) -> Load {
        let starts: Vec<i64> = (from * 24..to * 24).map(|h| h * 3600).collect();
        let usage = vec![kw; starts.len()];
        Load::new(&starts, &usage, |t| t, &[])
    }

    #[test]
    fn a_flat_kilowatt_under_time_of_use_costs_what_sam_says() {
        // SAM (Utilityrate5, this tariff, 1 kW all year): January $105.40, February $95.20.
        let from = days_from_civil(2018, 1, 1);
        let to = days_from_civil(2018, 3, 1);
        let load = flat_load(from, to, 1.0);
        let priced = price(&tou(""), &load, &Cycle::months(from, to), &Options::default());
        assert_eq!(priced.cycles[0].energy, 105.40);
        assert_eq!(priced.cycles[1].energy, 95.20);
        let kinds = priced.by_kind();
        assert_eq!(kinds[0].kind, Kind::Peak);
        assert!((kinds[0].usage - 59.0 * 5.0).abs() < 1e-9);
    }

    /// SAM's tier probe: January of 0.2 kW in hours 0–11 (period 0, 0.1 then
    /// 0.2) and 0.6 kW in 12–23 (period 1, 0.3 then 0.5), both tiers limited
    /// at `max` in `unit`; its energy charge.
    fn tier_probe(max: f64, unit: &str) -> f64 {
        let month = (0..24).map(|h| if h < 12 { "0" } else { "1" }).collect::<Vec<_>>().join(",");
        let schedule = format!("[{}]", vec![format!("[{month}]"); 12].join(","));
        let tier = |low: f64, high: f64| format!(r#"[{{"max":{max},"unit":"{unit}","rate":{low}}},{{"rate":{high}}}]"#);
        let tariff = read(&format!(
            r#"{{"energyratestructure":[{},{}],"energyweekdayschedule":{schedule},"energyweekendschedule":{schedule}}}"#,
            tier(0.1, 0.2),
            tier(0.3, 0.5)
        ))
        .unwrap();
        let from = days_from_civil(2018, 1, 1);
        let starts: Vec<i64> = (from * 24..(from + 31) * 24).map(|h| h * 3600).collect();
        let usage: Vec<f64> = starts.iter().map(|t| if t % DAY < 12 * 3600 { 0.2 } else { 0.6 }).collect();
        let load = Load::new(&starts, &usage, |t| t, &[]);
        price(&tariff, &load, &[Cycle { from, to: from + 31 }], &Options::default()).cycles[0].energy
    }

    #[test]
    fn tiers_share_the_total_in_proportion_as_sam_does() {
        // SAM with both tiers limited at 100 kWh a month: January $108.98.
        assert_eq!(tier_probe(100.0, "kWh"), 108.98);
    }

    #[test]
    fn daily_tiers_count_the_periods_days() {
        // SAM with 3 kWh daily in place of 100 kWh: January $110.21 (110.205).
        let energy = tier_probe(3.0, "kWh daily");
        assert!((energy - 110.205).abs() <= 0.005 + 1e-9, "{energy}");
    }

    #[test]
    fn fixed_minimum_fuel_and_taxes() {
        let tariff = tou(
            r#","fixedchargefirstmeter":0.5,"fixedchargeunits":"$/day","mincharge":40,"minchargeunits":"$/month","fueladjustmentsmonthly":[0.01,0,0,0,0,0,0,0,0,0,0,0]"#,
        );
        let from = days_from_civil(2018, 1, 1);
        let load = flat_load(from, from + 10, 0.1);
        let options = Options { taxes: 0.1, ..Options::default() };
        let c = &price(&tariff, &load, &[Cycle { from, to: from + 10 }], &options).cycles[0];
        // 24 kWh: 19 at 0.1 and 5 at 0.3 make $3.40; fuel $0.24; 10 days at $0.50.
        assert_eq!((c.energy, c.fuel, c.fixed), (3.40, 0.24, 5.00));
        // $8.64 falls short of the $40 minimum, and taxes are on the $40.
        assert_eq!((c.minimum, c.taxes, c.total), (31.36, 4.00, 44.00));
    }

    #[test]
    fn exports_are_credited_at_the_price_under_net_metering_and_at_sell_under_net_billing() {
        let from = days_from_civil(2018, 1, 1);
        let starts: Vec<i64> = (from * 24..(from + 1) * 24).map(|h| h * 3600).collect();
        // Sends 1 kWh back at noon and draws 1 kWh in each peak hour.
        let usage: Vec<f64> = (0..24)
            .map(|h| {
                if h == 12 {
                    -1.0
                } else if (16..21).contains(&h) {
                    1.0
                } else {
                    0.0
                }
            })
            .collect();
        let load = Load::new(&starts, &usage, |t| t, &[]);
        let cycle = [Cycle { from, to: from + 1 }];
        let net = &price(&tou(""), &load, &cycle, &Options::default()).cycles[0];
        assert_eq!((net.energy, net.credit), (1.50, -0.10));
        let billing = tou(r#","dgrules":"Net Billing Instantaneous""#).versions[0].clone();
        let mut billing = Tariff { versions: vec![billing] };
        billing.versions[0].periods[0][0].sell = Some(0.04);
        let c = &price(&billing, &load, &cycle, &Options::default()).cycles[0];
        assert_eq!((c.energy, c.credit), (1.50, -0.04));
        let flat =
            &price(&billing, &load, &cycle, &Options { export_rate: Some(0.07), ..Options::default() }).cycles[0];
        assert_eq!(flat.credit, -0.07);
    }

    /// A January of `kw` every hour, read under [`tou`].
    fn january(kw: f64) -> (Load, Pricing) {
        let from = days_from_civil(2018, 1, 1);
        let load = flat_load(from, from + 31, kw);
        let pricing = Pricing::new(&tou(""), &load, &Cycle::months(from, from + 31));
        (load, pricing)
    }

    #[test]
    fn shifting_peak_use_moves_it_to_off_peak_and_saves_the_difference() {
        let (_, pricing) = january(1.0);
        let none = pricing.priced(&Options::default()).total();
        let half = pricing.priced(&Options { shift: 0.5, ..Options::default() }).total();
        // 155 peak kWh, half of them moved from 0.30 to 0.10.
        assert!((none - half - 77.5 * 0.2).abs() < 0.011, "{none} then {half}");
    }

    #[test]
    fn each_interval_costs_its_share_and_they_add_up_to_the_energy() {
        let (load, pricing) = january(0.7);
        let priced = pricing.priced(&Options::default());
        let costs = pricing.interval_costs(&load, &priced);
        assert!((costs.iter().sum::<f64>() - priced.cycles[0].energy).abs() < 0.01);
        assert_eq!(pricing.interval_kind(17), Some(Kind::Peak));
        assert_eq!(pricing.interval_kind(3), Some(Kind::OffPeak));
    }

    #[test]
    fn the_version_in_force_at_each_period_prices_it() {
        let old = tou(r#","startdate":0,"enddate":1519862400"#).versions.remove(0);
        let mut new = tou(r#","startdate":1519862400"#).versions.remove(0);
        new.periods[0][0].rate = 0.2;
        let tariff = Tariff { versions: vec![old, new] };
        let from = days_from_civil(2018, 2, 1);
        let load = flat_load(from, from + 59, 1.0);
        let priced = price(&tariff, &load, &Cycle::months(from, from + 59), &Options::default());
        assert_eq!(priced.cycles[0].version, 0);
        assert_eq!(priced.cycles[1].version, 1);
        assert!(priced.cycles[1].energy > priced.cycles[0].energy);
    }

    #[test]
    fn kinds_follow_prices_month_by_month() {
        let t = tou("");
        assert_eq!(kinds(&t.versions[0]), vec![Kind::OffPeak, Kind::Peak]);
        let flat = read(r#"{"energyratestructure":[[{"rate":0.2}]],"energyweekdayschedule":[[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]]}"#).unwrap();
        assert_eq!(kinds(&flat.versions[0]), vec![Kind::AllHours]);
    }
}
