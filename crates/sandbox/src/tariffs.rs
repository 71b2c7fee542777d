//! The sandbox's tariffs published as OpenEI URDB records, so the app's
//! tariff engine and the sandbox's bills can be checked against each other,
//! and a list of plans a site could offer, in the shape the app reads.
//!
//! The bills' tariff ([`crate::bills`]) becomes a record for each side of
//! its rate change: four time-of-use periods (summer and winter, peak and
//! off-peak) of two tiers each, the first up to the day's baseline, the
//! second the base price plus the charge above baseline. The alternatives
//! are plans the sandbox does not bill on: a tiered plan with no time of
//! use and an electric-vehicle plan with a cheap night. URDB has no taxes;
//! the plan list carries them.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use tower_http::cors::{Any, CorsLayer};

use crate::bills::{ElectricTariff, GasTariff, PEAK_HOURS, RATE_CHANGE, SUMMER};
use crate::bills::{ELECTRIC_AFTER, ELECTRIC_BEFORE, GAS_AFTER, GAS_BEFORE};

/// Month index (0–11) in summer.
fn summer(month: usize) -> bool {
    (SUMMER.0 as usize - 1..SUMMER.1 as usize).contains(&month)
}

fn peak(hour: usize) -> bool {
    (PEAK_HOURS.0 as usize..PEAK_HOURS.1 as usize).contains(&hour)
}

/// A 12 × 24 schedule from the period of each month and hour.
fn schedule(period: impl Fn(usize, usize) -> u8) -> Value {
    json!((0..12).map(|m| (0..24).map(|h| period(m, h)).collect::<Vec<_>>()).collect::<Vec<_>>())
}

fn dates(start: Option<i64>, end: Option<i64>) -> Value {
    let mut o = serde_json::Map::new();
    if let Some(start) = start {
        o.insert("startdate".into(), json!(start));
    }
    if let Some(end) = end {
        o.insert("enddate".into(), json!(end));
    }
    Value::Object(o)
}

fn merge(mut a: Value, b: Value) -> Value {
    if let (Value::Object(a), Value::Object(b)) = (&mut a, b) {
        a.extend(b);
    }
    a
}

fn common(name: &str, label: &str) -> Value {
    json!({
        "label": label,
        "utility": "Pelm Sandbox Electric",
        "name": name,
        "sector": "Residential",
        "servicetype": "Bundled",
        "approved": true,
        "dgrules": "Net Metering",
        "fixedchargeunits": "$/day",
    })
}

/// The bills' electric tariff at one side of its rate change.
fn electric_record(t: &ElectricTariff, start: Option<i64>, end: Option<i64>) -> Value {
    let [summer_peak, summer_off, winter_peak, winter_off] = t.prices;
    let tiers = |price: f64, baseline: f64| {
        json!([
            { "max": baseline, "unit": "kWh daily", "rate": price },
            { "rate": price + t.above_baseline },
        ])
    };
    let record = json!({
        "energyratestructure": [
            tiers(summer_peak, t.baseline.0),
            tiers(summer_off, t.baseline.0),
            tiers(winter_peak, t.baseline.1),
            tiers(winter_off, t.baseline.1),
        ],
        "energytoulabels": ["Summer peak", "Summer off-peak", "Winter peak", "Winter off-peak"],
        "energyweekdayschedule": schedule(|m, h| match (summer(m), peak(h)) {
            (true, true) => 0,
            (true, false) => 1,
            (false, true) => 2,
            (false, false) => 3,
        }),
        "fixedchargefirstmeter": t.daily,
    });
    let record =
        merge(merge(common("Residential time of use (sandbox)", "sandbox-electric-tou"), record), dates(start, end));
    // Weekends as weekdays: the sandbox's tariff has no weekend prices.
    let weekday = record["energyweekdayschedule"].clone();
    merge(record, json!({ "energyweekendschedule": weekday }))
}

/// The bills' electric tariff, both versions: the one they are priced on.
pub fn electric() -> Value {
    json!({ "items": [
        electric_record(&ELECTRIC_AFTER, Some(RATE_CHANGE), None),
        electric_record(&ELECTRIC_BEFORE, None, Some(RATE_CHANGE)),
    ] })
}

fn gas_record(t: &GasTariff, start: Option<i64>, end: Option<i64>) -> Value {
    let tiers =
        |baseline: f64| json!([{ "max": baseline, "unit": "therms daily", "rate": t.tier1 }, { "rate": t.tier2 }]);
    let season = schedule(|m, _| if summer(m) { 0 } else { 1 });
    let record = json!({
        "energyratestructure": [tiers(t.baseline.0), tiers(t.baseline.1)],
        "energyweekdayschedule": season.clone(),
        "energyweekendschedule": season,
        "fixedchargefirstmeter": t.daily,
    });
    merge(merge(common("Residential gas (sandbox)", "sandbox-gas"), record), dates(start, end))
}

/// The bills' gas tariff, in URDB's shape with therms for kWh (URDB lists electricity only).
pub fn gas() -> Value {
    json!({ "items": [gas_record(&GAS_AFTER, Some(RATE_CHANGE), None), gas_record(&GAS_BEFORE, None, Some(RATE_CHANGE))] })
}

/// A plan with no time of use: each season one price, tiered at the baseline.
pub fn tiered() -> Value {
    let t = ELECTRIC_AFTER;
    let tiers = |price: f64, baseline: f64| json!([{ "max": baseline, "unit": "kWh daily", "rate": price }, { "rate": price + 0.11 }]);
    let season = schedule(|m, _| if summer(m) { 0 } else { 1 });
    let record = json!({
        "energyratestructure": [tiers(0.47, t.baseline.0), tiers(0.40, t.baseline.1)],
        "energyweekdayschedule": season.clone(),
        "energyweekendschedule": season,
        "fixedchargefirstmeter": t.daily,
    });
    json!({ "items": [merge(common("Residential tiered (sandbox)", "sandbox-electric-tiered"), record)] })
}

/// An electric-vehicle plan: dear afternoons, cheap from midnight to 3 pm.
pub fn electric_vehicle() -> Value {
    let record = json!({
        "energyratestructure": [
            [{ "rate": 0.62 }], [{ "rate": 0.47 }], [{ "rate": 0.31 }],
            [{ "rate": 0.50 }], [{ "rate": 0.44 }], [{ "rate": 0.30 }],
        ],
        "energytoulabels": ["Summer peak", "Summer partial peak", "Summer off-peak", "Winter peak", "Winter partial peak", "Winter off-peak"],
        "energyweekdayschedule": schedule(|m, h| {
            let base = if summer(m) { 0 } else { 3 };
            base + match h {
                16..=20 => 0,
                15 | 21..=23 => 1,
                _ => 2,
            }
        }),
        "fixedchargefirstmeter": 0.41,
    });
    let record = merge(common("Electric vehicle time of use (sandbox)", "sandbox-electric-ev"), record);
    let weekday = record["energyweekdayschedule"].clone();
    json!({ "items": [merge(record, json!({ "energyweekendschedule": weekday }))] })
}

/// The plans a site built on the sandbox offers, as the app reads them:
/// tariff files by URL (relative to this list), the current plan marked,
/// with the taxes URDB cannot say.
pub fn plans() -> Value {
    json!({
        "plans": [
            { "name": "Residential time of use", "url": "electric.json", "current": true, "taxes": ELECTRIC_AFTER.taxes },
            { "name": "Residential tiered", "url": "tiered.json", "taxes": ELECTRIC_AFTER.taxes },
            { "name": "Electric vehicle time of use", "url": "electric-vehicle.json", "taxes": ELECTRIC_AFTER.taxes },
        ]
    })
}

/// A published file by its name.
pub fn file(name: &str) -> Option<Value> {
    Some(match name {
        "plans.json" => plans(),
        "electric.json" => electric(),
        "gas.json" => gas(),
        "tiered.json" => tiered(),
        "electric-vehicle.json" => electric_vehicle(),
        _ => return None,
    })
}

/// `/tariffs/{file}`: public data, so any page may read it.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let cors = CorsLayer::new().allow_origin(Any);
    Router::new().route("/tariffs/{file}", get(serve)).layer(cors)
}

async fn serve(Path(name): Path<String>) -> impl IntoResponse {
    match file(&name) {
        Some(value) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "public, max-age=3600")],
            value.to_string(),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain")], "No such tariff").into_response(),
    }
}

/// A year of one home's 15-minute use (35,040 readings, no gaps): the load
/// the engine and NREL's SAM both price in `crates/tariff/reference/`.
pub fn reference_load() -> Vec<f64> {
    use pelm_model::civil::{days_from_civil, PACIFIC};
    let spec = crate::data::MeterSpec {
        seed: crate::data::seed_of("reference/electric"),
        meter_type: pelm_model::pelm::MeterType::Electric,
        step: 900,
        zone: PACIFIC,
        solar: false,
        emissions: false,
        gaps: false,
    };
    let start = PACIFIC.midnight_utc(days_from_civil(2025, 1, 1));
    spec.intervals(start, start + 365 * pelm_model::civil::DAY).iter().map(|i| i.usage).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bills::statements;
    use crate::scenarios::{meter_spec, utility, SCENARIOS};
    use pelm_model::civil::DAY;
    use pelm_model::pelm::MeterType;
    use pelm_tariff::{price, read, Cycle, Load, Options};

    fn tariff(value: Value) -> pelm_tariff::Tariff {
        read(&value.to_string()).expect("the sandbox's own record reads")
    }

    /// Every published file reads, and every plan names one.
    #[test]
    fn every_published_file_reads() {
        for plan in plans()["plans"].as_array().unwrap() {
            let url = plan["url"].as_str().unwrap();
            tariff(file(url).unwrap_or_else(|| panic!("{url} is published")));
        }
        tariff(gas());
        assert!(file("nothing.json").is_none());
    }

    /// The engine's monthly energy charges against NREL's SAM
    /// (`crates/tariff/reference/sam.py` wrote sam.json) for the sandbox's
    /// tariffs and three residential tariffs (tiered, time of use, tiered
    /// time of use) over a year of 15-minute use: within a cent a month.
    #[test]
    fn the_engine_matches_sam_within_a_cent_a_month() {
        let sam: Value = serde_json::from_str(include_str!("../../tariff/reference/sam.json")).unwrap();
        let real = [
            ("pge-e-1.json", include_str!("../../tariff/reference/tariffs/pge-e-1.json")),
            ("pge-e-tou-c.json", include_str!("../../tariff/reference/tariffs/pge-e-tou-c.json")),
            ("sce-tou-d-4-9pm.json", include_str!("../../tariff/reference/tariffs/sce-tou-d-4-9pm.json")),
        ];
        let mut records: Vec<(String, Value)> = Vec::new();
        for name in ["electric.json", "tiered.json", "electric-vehicle.json"] {
            for (i, item) in file(name).unwrap()["items"].as_array().unwrap().iter().enumerate() {
                records.push((format!("sandbox/{name}#{i}"), item.clone()));
            }
        }
        for (name, text) in real {
            let value: Value = serde_json::from_str(text).unwrap();
            for (i, item) in value["items"].as_array().unwrap().iter().enumerate() {
                records.push((format!("{name}#{i}"), item.clone()));
            }
        }
        // SAM's year: 365 days from a Monday, no daylight saving.
        let first = pelm_model::civil::days_from_civil(2018, 1, 1);
        let usage = reference_load();
        let starts: Vec<i64> = (0..usage.len() as i64).map(|k| first * DAY + k * 900).collect();
        let load = Load::new(&starts, &usage, |t| t, &[]);
        let months = Cycle::months(first, first + 365);
        let mut worst = 0.0f64;
        for (key, record) in &records {
            let expected = sam["monthly_energy_charges"][key].as_array().unwrap_or_else(|| panic!("SAM priced {key}"));
            let priced = price(&read(&record.to_string()).unwrap(), &load, &months, &Options::default());
            for (month, (cycle, sam)) in priced.cycles.iter().zip(expected).enumerate() {
                let sam = sam.as_f64().unwrap();
                let off = (cycle.energy - sam).abs();
                assert!(off <= 0.01, "{key} month {}: engine {} SAM {sam}", month + 1, cycle.energy);
                worst = worst.max(off);
            }
        }
        assert_eq!(records.len(), 7);
        eprintln!("{} tariffs × 12 months against SAM, worst ${worst:.4}", records.len());
    }

    /// The sandbox's bills, priced again by the engine from the published
    /// records and the same intervals, agree within 1% (issue 36's figure).
    /// Across every scenario's accounts: flats, a solar home's credits, a
    /// home with gas, two years of bills each, both sides of the rate change.
    #[test]
    fn the_engine_reproduces_the_sandboxs_bills_within_one_percent() {
        let (electric, gas) = (tariff(super::electric()), tariff(super::gas()));
        let options = Options { taxes: ELECTRIC_AFTER.taxes, ..Options::default() };
        let gas_options = Options { taxes: GAS_AFTER.taxes, ..Options::default() };
        let data_end = pelm_model::civil::days_from_civil(2026, 12, 1) * DAY;
        let history_start = data_end - 3 * 365 * DAY;
        let (mut worst, mut count) = (0.0f64, 0);
        let mut seen = std::collections::HashSet::new();
        for scenario in SCENARIOS {
            for seed in scenario.accounts {
                if !seen.insert(seed.account_number) {
                    continue;
                }
                let info = utility(if seed.meter_types == [MeterType::Gas] { "4" } else { "1" }).unwrap();
                let account_id = format!("acct-{}", seed.account_number);
                let meters: Vec<_> = seed.meter_types.iter().map(|&t| meter_spec(&account_id, seed, t, info)).collect();
                let zone = info.zone;
                for statement in statements(&account_id, &meters, &zone, history_start, data_end) {
                    let bill = &statement.bill;
                    let cycle = Cycle {
                        from: zone.local(bill.start_date).div_euclid(DAY),
                        to: zone.local(bill.end_date).div_euclid(DAY),
                    };
                    let priced: f64 = meters
                        .iter()
                        .map(|meter| {
                            let intervals = meter.intervals(bill.start_date, bill.end_date);
                            let starts: Vec<i64> = intervals.iter().map(|i| i.start).collect();
                            let usage: Vec<f64> = intervals.iter().map(|i| i.usage).collect();
                            let load = Load::new(&starts, &usage, |t| zone.local(t), &[]);
                            let (t, o) = match meter.meter_type {
                                MeterType::Electric => (&electric, &options),
                                MeterType::Gas => (&gas, &gas_options),
                            };
                            price(t, &load, &[cycle], o).total()
                        })
                        .sum();
                    let billed = bill.total_amount_due;
                    let error = (priced - billed).abs() / billed.abs().max(1.0);
                    assert!(error <= 0.01, "{account_id} bill {} billed {billed} priced {priced}", bill.id);
                    worst = worst.max(error);
                    count += 1;
                }
            }
        }
        assert!(count > 100, "{count} bills");
        eprintln!("{count} sandbox bills priced again, worst error {:.4}%", worst * 100.0);
    }
}
