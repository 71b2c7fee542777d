//! Test logins for the sandbox's Connect, and the utilities it lists.
//!
//! Pelm's own sandbox has one login and cannot force MFA or errors; this table
//! is how a developer reaches each state on purpose. docs/sandbox.md repeats it, and
//! the Connect modal shows it.

use pelm_model::pelm::MeterType;

use crate::data::{seed_of, MeterSpec};
use pelm_model::civil::{UsZone, EASTERN, PACIFIC};

/// A utility in Connect's selection screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtilityInfo {
    pub id: &'static str,
    pub full_name: &'static str,
    /// False for utilities Pelm lists but cannot connect to yet: credentials
    /// submitted for them end Connect with `unavailable_utility_credentials_submitted`.
    pub supported: bool,
    pub zone: UsZone,
    /// Pelm reports emissions only for some utilities (PG&E and SCE).
    pub emissions: bool,
    /// Whether bill PDFs exist; without them `/bills/{id}/pdf` is `feature_unavailable`.
    pub bill_pdfs: bool,
}

const fn utility_info(id: &'static str, full_name: &'static str, zone: UsZone) -> UtilityInfo {
    UtilityInfo { id, full_name, supported: true, zone, emissions: false, bill_pdfs: true }
}

pub const UTILITIES: &[UtilityInfo] = &[
    UtilityInfo { emissions: true, ..utility_info("1", "Pacific Gas and Electric", PACIFIC) },
    UtilityInfo { emissions: true, ..utility_info("2", "Southern California Edison", PACIFIC) },
    UtilityInfo { bill_pdfs: false, ..utility_info("3", "Consolidated Edison", EASTERN) },
    // Gas only, as in much of California, where one utility sells the
    // electricity and another the gas: a household links both.
    utility_info("4", "Southern California Gas Company", PACIFIC),
    UtilityInfo { supported: false, bill_pdfs: false, ..utility_info("8", "Cherokee Electric Cooperative", EASTERN) },
];

pub fn utility(id: &str) -> Option<&'static UtilityInfo> {
    UTILITIES.iter().find(|u| u.id == id)
}

/// One account that a scenario's login owns.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AccountSeed {
    pub account_number: &'static str,
    pub address: &'static str,
    pub meter_types: &'static [MeterType],
    /// Seconds per electric interval: 900 or 3600. Gas is always hourly.
    pub electric_step: i64,
    /// Rooftop solar: net electric usage below zero at midday.
    pub solar: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    /// The login connects at once.
    Connects,
    /// The login asks for this MFA code first.
    Mfa { code: &'static str },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scenario {
    pub username: &'static str,
    pub password: &'static str,
    pub outcome: Outcome,
    pub accounts: &'static [AccountSeed],
    /// Seconds that data calls answer `data_unavailable` after connecting,
    /// on top of the sandbox's configured delay.
    pub data_delay: u64,
    /// Seconds the newest data lags behind the usual day: a utility that
    /// has not sent newer readings yet.
    pub data_lag: i64,
    /// What the scenario is for, shown in the modal and in docs/sandbox.md.
    pub purpose: &'static str,
}

const ELECTRIC: &[MeterType] = &[MeterType::Electric];
const ELECTRIC_AND_GAS: &[MeterType] = &[MeterType::Electric, MeterType::Gas];
const GAS: &[MeterType] = &[MeterType::Gas];

/// The seed's two accounts, as Pelm's own sandbox returns them.
const SEED_ACCOUNTS: &[AccountSeed] = &[
    AccountSeed {
        account_number: "5777345636",
        address: "1 WARRIORS WAY SAN FRANCISCO CA 94158",
        meter_types: ELECTRIC,
        electric_step: 900,
        solar: false,
    },
    AccountSeed {
        account_number: "8011757182",
        address: "1 FERRY BUILDING SAN FRANCISCO CA 94105",
        meter_types: ELECTRIC,
        electric_step: 3600,
        solar: false,
    },
];

const fn home(account_number: &'static str, address: &'static str) -> AccountSeed {
    AccountSeed { account_number, address, meter_types: ELECTRIC, electric_step: 900, solar: false }
}

const BUILDINGS: &[AccountSeed] = &[
    home("3100452218", "500 CASTRO ST APT 1 SAN FRANCISCO CA 94114"),
    home("3100452219", "500 CASTRO ST APT 2 SAN FRANCISCO CA 94114"),
    home("3100452220", "500 CASTRO ST APT 3 SAN FRANCISCO CA 94114"),
    AccountSeed { electric_step: 3600, ..home("3100452221", "500 CASTRO ST COMMON AREA SAN FRANCISCO CA 94114") },
];

const GAS_HOME: &[AccountSeed] =
    &[AccountSeed { meter_types: ELECTRIC_AND_GAS, ..home("6402219934", "18 ORCHARD LN BERKELEY CA 94705") }];

const GAS_ONLY_HOME: &[AccountSeed] =
    &[AccountSeed { meter_types: GAS, ..home("0419937752", "2 ORCHARD LN BERKELEY CA 94705") }];

const SOLAR_HOME: &[AccountSeed] =
    &[AccountSeed { solar: true, ..home("7719005521", "742 SUNNY HILL RD DAVIS CA 95616") }];

/// Every password is `password`; a wrong one is rejected, and three failures
/// in one Connect session lock it (`connect_max_attempted_logins`).
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        username: "user@pelm.com",
        password: "password",
        outcome: Outcome::Connects,
        accounts: SEED_ACCOUNTS,
        data_delay: 0,
        data_lag: 0,
        purpose: "Connects at once; two electric accounts (Pelm's own sandbox login)",
    },
    Scenario {
        username: "mfa@pelm.com",
        password: "password",
        outcome: Outcome::Mfa { code: "1234" },
        accounts: SEED_ACCOUNTS,
        data_delay: 0,
        data_lag: 0,
        purpose: "Asks for an MFA code: 1234 passes, anything else fails",
    },
    Scenario {
        username: "slow@pelm.com",
        password: "password",
        outcome: Outcome::Connects,
        accounts: SEED_ACCOUNTS,
        data_delay: 120,
        data_lag: 0,
        purpose: "Connects, but data is not ready for 2 minutes (data_unavailable)",
    },
    Scenario {
        username: "building@pelm.com",
        password: "password",
        outcome: Outcome::Connects,
        accounts: BUILDINGS,
        data_delay: 0,
        data_lag: 0,
        purpose: "Four accounts: three flats and a common area",
    },
    Scenario {
        username: "gas@pelm.com",
        password: "password",
        outcome: Outcome::Connects,
        accounts: GAS_HOME,
        data_delay: 0,
        data_lag: 0,
        purpose: "One home with electric and gas meters",
    },
    Scenario {
        username: "solar@pelm.com",
        password: "password",
        outcome: Outcome::Connects,
        accounts: SOLAR_HOME,
        data_delay: 0,
        data_lag: 0,
        purpose: "Rooftop solar: net usage below zero at midday",
    },
    Scenario {
        username: "gasonly@pelm.com",
        password: "password",
        outcome: Outcome::Connects,
        accounts: GAS_ONLY_HOME,
        data_delay: 0,
        data_lag: 0,
        purpose: "One home with a gas meter only, as at a gas utility (Southern California Gas Company)",
    },
    Scenario {
        username: "lagging@pelm.com",
        password: "password",
        outcome: Outcome::Connects,
        accounts: SEED_ACCOUNTS,
        data_delay: 0,
        data_lag: 4 * 86_400,
        purpose: "The utility has sent no data for the last 4 days",
    },
];

/// What decides the data of one meter of the account `account_id`: its
/// ids seed it, its utility gives the zone.
pub fn meter_spec(account_id: &str, seed: &AccountSeed, meter_type: MeterType, utility: &UtilityInfo) -> MeterSpec {
    MeterSpec {
        seed: seed_of(&format!("{account_id}/{}", meter_type.as_str())),
        meter_type,
        step: match meter_type {
            MeterType::Electric => seed.electric_step,
            MeterType::Gas => 3600,
        },
        zone: utility.zone,
        solar: seed.solar && meter_type == MeterType::Electric,
        emissions: utility.emissions,
        gaps: true,
    }
}

/// Failed logins allowed in one Connect session before it locks.
pub const MAX_LOGIN_ATTEMPTS: u32 = 3;

pub fn scenario(username: &str) -> Option<&'static Scenario> {
    SCENARIOS.iter().find(|s| s.username.eq_ignore_ascii_case(username.trim()))
}
