//! A URDB rate record (API versions 7 and 8, and the older names some
//! exports still carry), read liberally: numbers may be strings, a file may
//! hold one record, a list of them, or the API's `{"items": [...]}`. What is
//! wrong is named by its path (`items[0].energyweekdayschedule[6][17]`), so
//! whoever wrote the file can find it. Fields the engine reads but does not
//! price (demand charges, coincident charges) are kept by name in
//! [`Rate::unpriced`], never dropped in silence.

use serde_json::{Map, Value};

/// Months × hours of time-of-use period numbers (0-based, as URDB writes them).
pub type Schedule = [[u8; 24]; 12];

/// One tier of one time-of-use period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tier {
    /// Upper limit of the tier, in the tier's unit; `None` is no limit.
    pub max: Option<f64>,
    /// Dollars per kWh (or therm): URDB's `rate` plus its `adj`.
    pub rate: f64,
    /// Dollars per kWh credited for energy sent to the grid, when given.
    pub sell: Option<f64>,
    pub unit: TierUnit,
}

/// What a tier's `max` counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TierUnit {
    /// kWh (or therms) in the billing period: URDB's `kWh`.
    PerPeriod,
    /// kWh a day, times the period's days: URDB's `kWh daily`.
    PerDay,
    /// kWh per kW of demand (`kWh/kW`, `kWh/kW daily`): needs demand, not priced.
    PerDemand,
}

/// What a fixed or minimum charge is counted per.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Per {
    Day,
    /// Once a billing period.
    Month,
    /// A twelfth each billing period (fixed), or over a year's total (minimum).
    Year,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Charge {
    pub amount: f64,
    pub per: Per,
}

/// How energy sent to the grid is settled: URDB's `dgrules`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metering {
    /// Each period's net use is billed; a net export is credited at the
    /// tier's `sell`, or at its price when no `sell` is given.
    NetMetering,
    /// Use is billed as it is drawn; exports earn `sell` (`Net Billing
    /// Instantaneous`, `Net Billing Hourly`, `Buy All Sell All`: a meter's
    /// net intervals cannot tell these apart).
    NetBilling,
}

/// One version of a tariff: what a URDB record says.
#[derive(Debug, Clone, PartialEq)]
pub struct Rate {
    pub name: String,
    pub utility: String,
    /// URDB's own id, when the record carries one.
    pub label: String,
    /// Unix seconds from which (and before which) this version applies.
    pub start: Option<i64>,
    pub end: Option<i64>,
    /// Time-of-use periods, each a list of tiers.
    pub periods: Vec<Vec<Tier>>,
    pub weekday: Schedule,
    pub weekend: Schedule,
    /// Names of the periods (`energytoulabels`), when given.
    pub labels: Vec<String>,
    pub fixed: Option<Charge>,
    pub minimum: Option<Charge>,
    /// Dollars per kWh added in each month (`fueladjustmentsmonthly`).
    pub fuel: [f64; 12],
    pub metering: Metering,
    /// Fields present that the engine reads but does not price.
    pub unpriced: Vec<&'static str>,
}

/// A tariff: its versions, each in force from its `startdate`.
#[derive(Debug, Clone, PartialEq)]
pub struct Tariff {
    pub versions: Vec<Rate>,
}

impl Tariff {
    /// The version in force at `at` (Unix seconds): the latest that started
    /// by then and has not ended; else the earliest there is.
    pub fn at(&self, at: i64) -> &Rate {
        self.versions
            .iter()
            .filter(|r| r.start.is_none_or(|s| s <= at) && r.end.is_none_or(|e| at < e))
            .max_by_key(|r| r.start.unwrap_or(i64::MIN))
            .unwrap_or_else(|| self.versions.iter().min_by_key(|r| r.start.unwrap_or(i64::MIN)).expect("one version"))
    }

    pub fn name(&self) -> &str {
        &self.versions[0].name
    }

    /// Every field read and not priced, across the versions, once each.
    pub fn unpriced(&self) -> Vec<&'static str> {
        let mut all: Vec<&'static str> = self.versions.iter().flat_map(|r| r.unpriced.iter().copied()).collect();
        all.sort_unstable();
        all.dedup();
        all
    }
}

/// What is wrong with a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    NotJson,
    /// No rate record in the file.
    NoRates,
    Missing,
    NotNumber,
    NotList,
    NotText,
    /// A list of the wrong length; the length wanted.
    Length(usize),
    /// A schedule names a period the structure does not have.
    UnknownPeriod,
    UnknownUnit,
    /// Tier limits must rise, and only the last may be unlimited.
    TiersNotRising,
    Negative,
}

/// Why a tariff file could not be used: the field, by its path, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    pub field: String,
    pub problem: Problem,
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.problem {
            Problem::NotJson => "is not JSON".to_owned(),
            Problem::NoRates => "holds no rate".to_owned(),
            Problem::Missing => "is missing".to_owned(),
            Problem::NotNumber => "is not a number".to_owned(),
            Problem::NotList => "is not a list".to_owned(),
            Problem::NotText => "is not text".to_owned(),
            Problem::Length(n) => format!("does not have {n} entries"),
            Problem::UnknownPeriod => "names a period energyratestructure does not have".to_owned(),
            Problem::UnknownUnit => "is not a unit the engine knows".to_owned(),
            Problem::TiersNotRising => "has tier limits that do not rise".to_owned(),
            Problem::Negative => "is below zero".to_owned(),
        };
        write!(f, "{} {what}", if self.field.is_empty() { "the file" } else { &self.field })
    }
}

fn error(field: &str, problem: Problem) -> ReadError {
    ReadError { field: field.to_owned(), problem }
}

/// The tariff in a URDB JSON file: one record, a list, or `{"items": [...]}`,
/// each record a version of it.
pub fn read(json: &str) -> Result<Tariff, ReadError> {
    let value: Value = serde_json::from_str(json).map_err(|_| error("", Problem::NotJson))?;
    read_value(&value)
}

/// As [`read`], from JSON already parsed (a plan list's inline record).
pub fn read_value(value: &Value) -> Result<Tariff, ReadError> {
    let (records, prefix): (Vec<&Value>, &str) = match value {
        Value::Object(o) if o.contains_key("items") => match &o["items"] {
            Value::Array(items) => (items.iter().collect(), "items"),
            _ => return Err(error("items", Problem::NotList)),
        },
        Value::Object(_) => (vec![value], ""),
        Value::Array(items) => (items.iter().collect(), ""),
        _ => return Err(error("", Problem::NoRates)),
    };
    if records.is_empty() {
        return Err(error(prefix, Problem::NoRates));
    }
    let many = !(prefix.is_empty() && matches!(value, Value::Object(_)));
    let versions = records
        .into_iter()
        .enumerate()
        .map(|(i, record)| {
            let path = if many { format!("{prefix}[{i}]") } else { String::new() };
            match record {
                Value::Object(o) => rate(o, &path),
                _ => Err(error(&path, Problem::NoRates)),
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Tariff { versions })
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_owned()
    } else {
        format!("{path}.{field}")
    }
}

/// A number, or a string holding one (some exports quote them).
fn number(value: &Value, path: &str) -> Result<f64, ReadError> {
    let n = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    n.filter(|n| n.is_finite()).ok_or_else(|| error(path, Problem::NotNumber))
}

fn optional_number(o: &Map<String, Value>, path: &str, field: &str) -> Result<Option<f64>, ReadError> {
    match o.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => number(v, &join(path, field)).map(Some),
    }
}

fn text(o: &Map<String, Value>, field: &str) -> String {
    match o.get(field) {
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn list<'a>(value: &'a Value, path: &str) -> Result<&'a Vec<Value>, ReadError> {
    value.as_array().ok_or_else(|| error(path, Problem::NotList))
}

fn schedule(o: &Map<String, Value>, path: &str, field: &str, periods: usize) -> Result<Schedule, ReadError> {
    let path = join(path, field);
    let months = list(o.get(field).ok_or_else(|| error(&path, Problem::Missing))?, &path)?;
    if months.len() != 12 {
        return Err(error(&path, Problem::Length(12)));
    }
    let mut out = [[0u8; 24]; 12];
    for (m, month) in months.iter().enumerate() {
        let month_path = format!("{path}[{m}]");
        let hours = list(month, &month_path)?;
        if hours.len() != 24 {
            return Err(error(&month_path, Problem::Length(24)));
        }
        for (h, hour) in hours.iter().enumerate() {
            let hour_path = format!("{month_path}[{h}]");
            let n = number(hour, &hour_path)?;
            if n < 0.0 || n.fract() != 0.0 || n as usize >= periods {
                return Err(error(&hour_path, Problem::UnknownPeriod));
            }
            out[m][h] = n as u8;
        }
    }
    Ok(out)
}

fn tier(value: &Value, path: &str) -> Result<Tier, ReadError> {
    let o = value.as_object().ok_or_else(|| error(path, Problem::NotList))?;
    let rate = optional_number(o, path, "rate")?;
    let adj = optional_number(o, path, "adj")?;
    if rate.is_none() && adj.is_none() {
        return Err(error(&join(path, "rate"), Problem::Missing));
    }
    let max = optional_number(o, path, "max")?;
    if max.is_some_and(|m| m < 0.0) {
        return Err(error(&join(path, "max"), Problem::Negative));
    }
    let unit = match o.get("unit") {
        None | Some(Value::Null) => TierUnit::PerPeriod,
        Some(Value::String(s)) => {
            let s = s.trim().to_ascii_lowercase();
            let s = s.trim_end_matches('s');
            match s {
                "kwh" | "therm" | "" => TierUnit::PerPeriod,
                "kwh daily" | "therm daily" | "therms daily" => TierUnit::PerDay,
                "kwh/kw" | "kwh/kw daily" => TierUnit::PerDemand,
                _ => return Err(error(&join(path, "unit"), Problem::UnknownUnit)),
            }
        }
        Some(_) => return Err(error(&join(path, "unit"), Problem::NotText)),
    };
    Ok(Tier { max, rate: rate.unwrap_or(0.0) + adj.unwrap_or(0.0), sell: optional_number(o, path, "sell")?, unit })
}

fn charge_unit(units: &str, daily: bool) -> Per {
    match units.trim().to_ascii_lowercase().as_str() {
        "$/day" => Per::Day,
        "$/year" => Per::Year,
        "$/month" => Per::Month,
        _ if daily => Per::Day,
        _ => Per::Month,
    }
}

/// Fields that hold charges the engine does not price.
const DEMAND_FIELDS: [&str; 6] = [
    "demandratestructure",
    "flatdemandstructure",
    "coincidentratestructure",
    "demandattrs",
    "fixedchargeattrs",
    "fixedchargeeaaddl",
];

fn rate(o: &Map<String, Value>, path: &str) -> Result<Rate, ReadError> {
    let structure_path = join(path, "energyratestructure");
    let structure =
        list(o.get("energyratestructure").ok_or_else(|| error(&structure_path, Problem::Missing))?, &structure_path)?;
    if structure.is_empty() {
        return Err(error(&structure_path, Problem::Missing));
    }
    let mut periods = Vec::with_capacity(structure.len());
    for (p, period) in structure.iter().enumerate() {
        let period_path = format!("{structure_path}[{p}]");
        let tiers = list(period, &period_path)?
            .iter()
            .enumerate()
            .map(|(t, v)| tier(v, &format!("{period_path}[{t}]")))
            .collect::<Result<Vec<_>, _>>()?;
        if tiers.is_empty() {
            return Err(error(&period_path, Problem::Missing));
        }
        // Limits rise, and only the last tier goes without one.
        let limits: Vec<Option<f64>> = tiers.iter().map(|t| t.max).collect();
        let rising =
            limits.windows(2).all(|w| matches!(w, [Some(a), Some(b)] if a < b) || matches!(w, [Some(_), None]));
        if !rising {
            return Err(error(&format!("{period_path}[{}].max", tiers.len() - 1), Problem::TiersNotRising));
        }
        periods.push(tiers);
    }
    let weekday = schedule(o, path, "energyweekdayschedule", periods.len())?;
    let weekend = match o.get("energyweekendschedule") {
        None | Some(Value::Null) => weekday,
        Some(_) => schedule(o, path, "energyweekendschedule", periods.len())?,
    };
    let labels = match o.get("energytoulabels") {
        Some(Value::Array(l)) => l.iter().map(|v| v.as_str().unwrap_or("").trim().to_owned()).collect(),
        _ => Vec::new(),
    };
    // v7/v8 name the fixed charge `fixedchargefirstmeter`; older exports `fixedmonthlycharge`.
    let fixed =
        match (optional_number(o, path, "fixedchargefirstmeter")?, optional_number(o, path, "fixedmonthlycharge")?) {
            (Some(amount), _) => Some(Charge { amount, per: charge_unit(&text(o, "fixedchargeunits"), false) }),
            (None, Some(amount)) => Some(Charge { amount, per: Per::Month }),
            _ => None,
        };
    let minimum = match (
        optional_number(o, path, "mincharge")?,
        optional_number(o, path, "minmonthlycharge")?,
        optional_number(o, path, "annualmincharge")?,
    ) {
        (Some(amount), ..) => Some(Charge { amount, per: charge_unit(&text(o, "minchargeunits"), false) }),
        (None, Some(amount), _) => Some(Charge { amount, per: Per::Month }),
        (None, None, Some(amount)) => Some(Charge { amount, per: Per::Year }),
        _ => None,
    };
    let mut fuel = [0.0; 12];
    if let Some(value) = o.get("fueladjustmentsmonthly").filter(|v| !v.is_null()) {
        let fuel_path = join(path, "fueladjustmentsmonthly");
        let months = list(value, &fuel_path)?;
        if months.len() != 12 {
            return Err(error(&fuel_path, Problem::Length(12)));
        }
        for (m, v) in months.iter().enumerate() {
            fuel[m] = number(v, &format!("{fuel_path}[{m}]"))?;
        }
    }
    let metering = match text(o, "dgrules").to_ascii_lowercase().as_str() {
        "" | "net metering" => Metering::NetMetering,
        _ => Metering::NetBilling,
    };
    let mut unpriced: Vec<&'static str> = DEMAND_FIELDS
        .iter()
        .copied()
        .filter(|f| o.get(*f).is_some_and(|v| !v.is_null() && v != &Value::Array(vec![])))
        .collect();
    if periods.iter().flatten().any(|t| t.unit == TierUnit::PerDemand) {
        unpriced.push("energyratestructure.unit");
    }
    let time =
        |field: &str| -> Result<Option<i64>, ReadError> { Ok(optional_number(o, path, field)?.map(|t| t as i64)) };
    Ok(Rate {
        name: text(o, "name"),
        utility: text(o, "utility"),
        label: text(o, "label"),
        start: time("startdate")?,
        end: time("enddate")?,
        periods,
        weekday,
        weekend,
        labels,
        fixed,
        minimum,
        fuel,
        metering,
        unpriced,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(period: u8) -> String {
        let month = format!("[{}]", vec![period.to_string(); 24].join(","));
        format!("[{}]", vec![month; 12].join(","))
    }

    fn record(extra: &str) -> String {
        format!(
            r#"{{"name":"Flat","energyratestructure":[[{{"rate":0.1,"unit":"kWh"}}]],"energyweekdayschedule":{w},"energyweekendschedule":{w}{extra}}}"#,
            w = flat(0)
        )
    }

    #[test]
    fn reads_one_record_a_list_and_the_apis_items() {
        let one = read(&record("")).unwrap();
        assert_eq!(one.versions.len(), 1);
        assert_eq!(one.versions[0].periods[0][0].rate, 0.1);
        let items = read(&format!(r#"{{"items":[{},{}]}}"#, record(r#","startdate":100"#), record(""))).unwrap();
        assert_eq!(items.versions.len(), 2);
        let listed = read(&format!("[{}]", record(""))).unwrap();
        assert_eq!(listed, one);
    }

    #[test]
    fn a_wrong_field_is_named_by_its_path() {
        let bad = record("").replacen("[0,0,0", "[0,7,0", 1);
        assert_eq!(
            read(&format!(r#"{{"items":[{bad}]}}"#)).unwrap_err(),
            ReadError { field: "items[0].energyweekdayschedule[0][1]".into(), problem: Problem::UnknownPeriod }
        );
        let no_rate = record("").replace(r#""rate":0.1,"#, "");
        assert_eq!(read(&no_rate).unwrap_err().field, "energyratestructure[0][0].rate");
        let short = record(r#","fueladjustmentsmonthly":[0.01,0.02]"#);
        assert_eq!(read(&short).unwrap_err().problem, Problem::Length(12));
        assert_eq!(read("<html>").unwrap_err().problem, Problem::NotJson);
        assert_eq!(read("{}").unwrap_err().field, "energyratestructure");
        let unit = record("").replace(r#""unit":"kWh""#, r#""unit":"MJ""#);
        assert_eq!(
            read(&unit).unwrap_err().to_string(),
            "energyratestructure[0][0].unit is not a unit the engine knows"
        );
    }

    #[test]
    fn tiers_must_rise() {
        let tiers = record("").replace(
            r#"[[{"rate":0.1,"unit":"kWh"}]]"#,
            r#"[[{"rate":0.1,"max":300},{"rate":0.2,"max":200},{"rate":0.3}]]"#,
        );
        assert_eq!(read(&tiers).unwrap_err().problem, Problem::TiersNotRising);
    }

    #[test]
    fn adj_adds_to_rate_numbers_may_be_quoted_and_charges_take_their_units() {
        let r = record(
            r#","fixedchargefirstmeter":"0.39","fixedchargeunits":"$/day","mincharge":10,"minchargeunits":"$/month""#,
        )
        .replace(r#""rate":0.1"#, r#""rate":0.1,"adj":0.02"#);
        let rate = &read(&r).unwrap().versions[0];
        assert!((rate.periods[0][0].rate - 0.12).abs() < 1e-12);
        assert_eq!(rate.fixed, Some(Charge { amount: 0.39, per: Per::Day }));
        assert_eq!(rate.minimum, Some(Charge { amount: 10.0, per: Per::Month }));
    }

    #[test]
    fn demand_charges_are_listed_as_not_priced() {
        let r = record(r#","flatdemandstructure":[[{"rate":12.5}]],"flatdemandmonths":[0,0,0,0,0,0,0,0,0,0,0,0]"#);
        assert_eq!(read(&r).unwrap().unpriced(), vec!["flatdemandstructure"]);
        assert!(read(&record("")).unwrap().unpriced().is_empty());
    }

    #[test]
    fn the_version_in_force_is_the_latest_started() {
        let t = read(&format!(
            "[{},{}]",
            record(r#","startdate":1000,"name":"new""#).replacen(r#""name":"Flat","#, "", 1),
            record(r#","startdate":0,"enddate":1000"#)
        ))
        .unwrap();
        assert_eq!(t.at(500).start, Some(0));
        assert_eq!(t.at(1500).start, Some(1000));
        assert_eq!(t.at(-5).start, Some(0));
    }
}
