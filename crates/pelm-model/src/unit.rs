//! Units as utilities write them (`kwh`, `Therms`, `ccf`, `kg co2e`), read
//! once into what the app shows and the files it writes need. The one place
//! a unit's spelling is matched: the accounts, the Green Button writer and
//! the sandbox's bills all go through it.

use crate::pelm::{Account, MeterType};

/// A unit of usage or of emissions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unit {
    Kwh,
    Wh,
    Therm,
    Ccf,
    KgCo2e,
    /// Any other, as given (trimmed).
    Other(String),
}

impl Unit {
    /// `text` whatever its case, spacing or subscript: `kwh`, ` MWh `,
    /// `therm`/`therms`, `CCF`, `kg CO2e`/`kgCO₂e`.
    pub fn parse(text: &str) -> Unit {
        let squashed: String =
            text.chars().filter(|c| !c.is_whitespace() && *c != '_').map(|c| if c == '₂' { '2' } else { c }).collect();
        match squashed.to_ascii_lowercase().as_str() {
            "kwh" => Unit::Kwh,
            "wh" => Unit::Wh,
            "therm" | "therms" => Unit::Therm,
            "ccf" => Unit::Ccf,
            "kgco2e" | "kgco2" => Unit::KgCo2e,
            _ => Unit::Other(text.trim().to_owned()),
        }
    }

    /// As people read it.
    pub fn label(&self) -> &str {
        match self {
            Unit::Kwh => "kWh",
            Unit::Wh => "Wh",
            Unit::Therm => "therms",
            Unit::Ccf => "CCF",
            Unit::KgCo2e => "kg CO₂e",
            Unit::Other(text) => text,
        }
    }

    /// The usage unit of `meter` on an account that names none: Pelm's defaults.
    pub fn usage_default(meter: MeterType) -> Unit {
        match meter {
            MeterType::Electric => Unit::Kwh,
            MeterType::Gas => Unit::Therm,
        }
    }
}

/// What one meter's figures are in: its usage, and its emissions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MeterUnits {
    pub usage: String,
    pub emissions: String,
}

impl Account {
    /// The units of `meter`'s figures, as the account names them, or Pelm's
    /// defaults. Usage: `usage_unit` for electricity, `gas_usage_unit` for
    /// gas. Emissions: the intervals' own unit, `ghg_emissions_unit`
    /// (`kg_co2e`), for either meter; else `emissions_unit`, which Pelm's
    /// accounts give as an intensity (`kg_co2e_per_kwh`), read as what an
    /// interval's emissions are counted in (`kg_co2e`).
    pub fn units(&self, meter: MeterType) -> MeterUnits {
        let usage = match meter {
            MeterType::Electric => given(&self.usage_unit),
            MeterType::Gas => given(&self.gas_usage_unit),
        };
        let emissions = given(&self.ghg_emissions_unit).or_else(|| given(&self.emissions_unit).map(amount_of));
        MeterUnits {
            usage: usage.map_or(Unit::usage_default(meter), Unit::parse).label().to_owned(),
            emissions: emissions.map_or(Unit::KgCo2e, Unit::parse).label().to_owned(),
        }
    }
}

fn given(unit: &Option<String>) -> Option<&str> {
    unit.as_deref().map(str::trim).filter(|u| !u.is_empty())
}

/// What an intensity counts: `kg_co2e_per_kwh`, `kg CO2e/kWh` → `kg_co2e`, `kg CO2e`.
fn amount_of(intensity: &str) -> &str {
    let cut = ["_per_", " per ", "/"].iter().filter_map(|sep| intensity.find(sep)).min();
    cut.map_or(intensity, |at| intensity[..at].trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_read_whatever_their_spelling() {
        for (text, unit) in [
            ("kwh", Unit::Kwh),
            (" KWh ", Unit::Kwh),
            ("Therms", Unit::Therm),
            ("therm", Unit::Therm),
            ("ccf", Unit::Ccf),
            ("kg CO2e", Unit::KgCo2e),
            ("kgCO₂e", Unit::KgCo2e),
            ("kg_co2e", Unit::KgCo2e),
        ] {
            assert_eq!(Unit::parse(text), unit, "{text:?}");
        }
        assert_eq!(Unit::parse(" MWh ").label(), "MWh", "an unknown unit is shown as given");
        assert_eq!(Unit::KgCo2e.label(), "kg CO₂e");
    }

    #[test]
    fn an_accounts_units_are_its_own_per_meter_or_pelms_defaults() {
        let mut account = Account { id: "a".to_owned(), ..Account::default() };
        assert_eq!(account.units(MeterType::Electric), MeterUnits { usage: "kWh".into(), emissions: "kg CO₂e".into() });
        assert_eq!(account.units(MeterType::Gas).usage, "therms");
        // As Pelm's accounts give it: an intensity, whose amount is what intervals count.
        account.emissions_unit = Some("kg_co2e_per_kwh".to_owned());
        assert_eq!(account.units(MeterType::Electric).emissions, "kg CO₂e");
        account.emissions_unit = Some("lb CO2e/kWh".to_owned());
        assert_eq!(account.units(MeterType::Electric).emissions, "lb CO2e", "the account's own unit is honoured");
        // The intervals' own unit wins, for either meter.
        account.gas_usage_unit = Some("ccf".to_owned());
        account.ghg_emissions_unit = Some("t_co2e".to_owned());
        assert_eq!(account.units(MeterType::Gas), MeterUnits { usage: "CCF".into(), emissions: "t_co2e".into() });
        assert_eq!(account.units(MeterType::Electric).emissions, "t_co2e");
    }
}
