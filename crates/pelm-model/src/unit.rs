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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterUnits {
    pub usage: String,
    pub emissions: String,
}

impl Account {
    /// The units of `meter`'s figures, as the account names them
    /// (`usage_unit` and `emissions_unit` for electricity, `gas_usage_unit`
    /// and `ghg_emissions_unit` for gas), or Pelm's defaults.
    pub fn units(&self, meter: MeterType) -> MeterUnits {
        let (usage, emissions) = match meter {
            MeterType::Electric => (&self.usage_unit, &self.emissions_unit),
            MeterType::Gas => (&self.gas_usage_unit, &self.ghg_emissions_unit),
        };
        let read = |given: &Option<String>, default: Unit| {
            given.as_deref().filter(|g| !g.trim().is_empty()).map_or(default, Unit::parse).label().to_owned()
        };
        MeterUnits { usage: read(usage, Unit::usage_default(meter)), emissions: read(emissions, Unit::KgCo2e) }
    }
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
        account.emissions_unit = Some("lb CO2e".to_owned());
        account.gas_usage_unit = Some("ccf".to_owned());
        account.ghg_emissions_unit = Some("kgco2e".to_owned());
        assert_eq!(account.units(MeterType::Electric).emissions, "lb CO2e", "the account's own unit is honoured");
        assert_eq!(account.units(MeterType::Gas), MeterUnits { usage: "CCF".into(), emissions: "kg CO₂e".into() });
    }
}
