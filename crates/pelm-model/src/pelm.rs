//! Pelm's REST API (base `https://api.pelm.com`), as documented in Pelm's
//! getting-started guide and error table.

use serde::{Deserialize, Serialize};

pub use crate::codes::pelm as error_code;
pub use crate::interval::Interval;

/// `POST /auth/connect-token`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectToken {
    pub connect_token: String,
    /// Seconds; Pelm issues tokens for 30 minutes.
    pub expires_in: u64,
}

/// `POST /auth/token`. Only `access_token` matters: it never expires. The
/// other three fields belong to Pelm's legacy authorization framework.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessToken {
    pub access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_expires_in: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_expires_in: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum MeterType {
    Electric,
    Gas,
}

impl MeterType {
    /// The name on the wire: `ELECTRIC` or `GAS`.
    pub fn as_str(self) -> &'static str {
        match self {
            MeterType::Electric => "ELECTRIC",
            MeterType::Gas => "GAS",
        }
    }

    /// The meter's name as people say it.
    pub fn name(self) -> &'static str {
        match self {
            MeterType::Electric => "Electric",
            MeterType::Gas => "Gas",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meter {
    pub id: String,
}

/// One element of `GET /accounts`. The seed's accounts carry only the first
/// five fields; later versions add meter types, gas units and meters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Account {
    #[serde(deserialize_with = "crate::lenient::text")]
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage_unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emissions_unit: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub available_meter_types: Vec<MeterType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gas_usage_unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ghg_emissions_unit: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub meters: Vec<Meter>,
    /// Added by the companion, which merges the accounts of every utility a
    /// person linked: the connection this account came through...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
    /// ...its utility...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utility: Option<crate::utility::Utility>,
    /// ...and, when Pelm could not be asked for it just now, why: the account
    /// is then as the companion last saw it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_status: Option<crate::utility::ConnectionStatus>,
}

/// What of an account number may be shown: its last four characters, and
/// nothing of a number that short. Cards, file names and file titles all
/// show this much and no more.
pub fn last_four(number: &str) -> Option<String> {
    let number = number.trim();
    let count = number.chars().count();
    (count > 4).then(|| number.chars().skip(count - 4).collect())
}

impl Account {
    /// The account number with all but its last four characters hidden, as
    /// cards show it until the user asks: `•••• 4321`.
    pub fn masked_number(&self) -> Option<String> {
        let number = self.account_number.as_deref()?.trim();
        Some(match last_four(number) {
            Some(shown) => format!("•••• {shown}"),
            None => "•".repeat(number.chars().count()),
        })
    }

    /// The unit a meter's usage is in, as people write it (`kWh`, `therms`,
    /// `CCF`): the account's own when Pelm names it. Every page that shows
    /// usage asks here, so one account never shows two units for one meter.
    pub fn unit(&self, meter: MeterType) -> String {
        self.units(meter).usage
    }

    /// The meter types the account has: as listed; when Pelm leaves the list
    /// out, electric, with gas too when the account names a gas unit.
    pub fn meter_types(&self) -> Vec<MeterType> {
        if !self.available_meter_types.is_empty() {
            return self.available_meter_types.clone();
        }
        let mut types = vec![MeterType::Electric];
        if self.gas_usage_unit.is_some() {
            types.push(MeterType::Gas);
        }
        types
    }
}

/// `GET /intervals`. Read liberally: rows that cannot be read are left out
/// and counted in `skipped`; rows come out in order, one per start, none
/// overlapping (see [`crate::interval::tidy`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "WireIntervals")]
pub struct Intervals {
    pub utility: String,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub meter_type: Option<MeterType>,
    pub account: Account,
    pub intervals: Vec<Interval>,
    /// Rows of the answer that could not be read.
    #[serde(skip_serializing)]
    pub skipped: usize,
}

#[derive(Deserialize)]
struct WireIntervals {
    #[serde(default)]
    utility: Option<String>,
    #[serde(default, rename = "type")]
    meter_type: Option<MeterType>,
    account: Account,
    intervals: crate::interval::Rows,
}

impl From<WireIntervals> for Intervals {
    fn from(wire: WireIntervals) -> Self {
        Intervals {
            utility: wire.utility.unwrap_or_default(),
            meter_type: wire.meter_type,
            account: wire.account,
            intervals: wire.intervals.rows,
            skipped: wire.intervals.skipped,
        }
    }
}

/// One bill in Pelm's current `GET /bills` shape; dates are Unix seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bill {
    #[serde(deserialize_with = "crate::lenient::text")]
    pub id: String,
    #[serde(deserialize_with = "crate::lenient::seconds")]
    pub start_date: i64,
    #[serde(deserialize_with = "crate::lenient::seconds")]
    pub end_date: i64,
    #[serde(deserialize_with = "crate::lenient::seconds")]
    pub statement_date: i64,
    #[serde(deserialize_with = "crate::lenient::seconds")]
    pub due_date: i64,
    /// In the account's currency (US dollars for every utility Pelm serves).
    #[serde(deserialize_with = "crate::lenient::number")]
    pub total_amount_due: f64,
}

/// One element of `GET /bills` in Pelm's current shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountBills {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    pub bills: Vec<Bill>,
}

/// One bill in the seed's older shape: a map from bill id to these dates,
/// written as RFC 1123 strings (`"Wed, 15 Dec 2021 08:00:00 GMT"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LegacyBill {
    pub bill_start_date: String,
    pub bill_end_date: String,
}

/// `GET /users/{user_id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    #[serde(deserialize_with = "crate::lenient::text")]
    pub id: String,
    /// Some answers leave the utility out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utility: Option<Utility>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utility_username: Option<String>,
    pub credentials_valid: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Utility {
    #[serde(deserialize_with = "crate::lenient::text")]
    pub id: String,
    pub full_name: String,
}

/// Every Pelm error body: `{"error_code": "...", "message": "..."}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error_code: String,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(number: Option<&str>) -> Account {
        Account {
            id: "a".to_owned(),
            account_number: number.map(str::to_owned),
            address: None,
            usage_unit: None,
            emissions_unit: None,
            available_meter_types: Vec::new(),
            gas_usage_unit: None,
            ghg_emissions_unit: None,
            meters: Vec::new(),
            ..Account::default()
        }
    }

    #[test]
    fn a_meters_unit_is_the_accounts_own_as_people_write_it() {
        let mut gas = account(None);
        gas.available_meter_types = vec![MeterType::Gas];
        assert_eq!(gas.unit(MeterType::Gas), "therms", "Pelm's default for gas");
        gas.gas_usage_unit = Some("ccf".to_owned());
        assert_eq!(gas.unit(MeterType::Gas), "CCF");
        assert_eq!(gas.meter_types(), [MeterType::Gas]);
        assert_eq!(account(None).unit(MeterType::Electric), "kWh");
        let mut odd = account(None);
        odd.usage_unit = Some(" MWh ".to_owned());
        assert_eq!(odd.unit(MeterType::Electric), "MWh");
        assert_eq!(MeterType::Gas.name(), "Gas");
    }

    #[test]
    fn account_numbers_are_masked_to_their_last_four() {
        assert_eq!(account(Some("3021894412")).masked_number().as_deref(), Some("•••• 4412"));
        assert_eq!(account(Some("123")).masked_number().as_deref(), Some("•••"), "too short to show any of it");
        assert_eq!(account(None).masked_number(), None);
        assert_eq!(account(None).meter_types(), [MeterType::Electric]);
    }
}
