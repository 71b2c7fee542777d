//! Test logins for the sandbox's Connect, and the utilities it lists.
//!
//! Pelm's own sandbox has one login and cannot force MFA or errors; this table
//! is how a developer reaches each state on purpose. The README repeats it, and
//! the Connect modal shows it.

use pelm_model::pelm::MeterType;

/// A utility in Connect's selection screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtilityInfo {
    pub id: &'static str,
    pub full_name: &'static str,
    /// False for utilities Pelm lists but cannot connect to yet: credentials
    /// submitted for them end Connect with `unavailable_utility_credentials_submitted`.
    pub supported: bool,
}

pub const UTILITIES: &[UtilityInfo] = &[
    UtilityInfo {
        id: "1",
        full_name: "Pacific Gas and Electric",
        supported: true,
    },
    UtilityInfo {
        id: "2",
        full_name: "Southern California Edison",
        supported: true,
    },
    UtilityInfo {
        id: "3",
        full_name: "Consolidated Edison",
        supported: true,
    },
    UtilityInfo {
        id: "8",
        full_name: "Cherokee Electric Cooperative",
        supported: false,
    },
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
    /// What the scenario is for, shown in the modal and the README.
    pub purpose: &'static str,
}

const ELECTRIC: &[MeterType] = &[MeterType::Electric];

/// The seed's two accounts, as Pelm's own sandbox returns them.
const SEED_ACCOUNTS: &[AccountSeed] = &[
    AccountSeed {
        account_number: "5777345636",
        address: "1 WARRIORS WAY SAN FRANCISCO CA 94158",
        meter_types: ELECTRIC,
    },
    AccountSeed {
        account_number: "8011757182",
        address: "1 FERRY BUILDING SAN FRANCISCO CA 94105",
        meter_types: ELECTRIC,
    },
];

/// Every password is `password`; a wrong one is rejected, and three failures
/// in one Connect session lock it (`connect_max_attempted_logins`).
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        username: "user@pelm.com",
        password: "password",
        outcome: Outcome::Connects,
        accounts: SEED_ACCOUNTS,
        purpose: "Connects at once; two electric accounts (Pelm's own sandbox login)",
    },
    Scenario {
        username: "mfa@pelm.com",
        password: "password",
        outcome: Outcome::Mfa { code: "1234" },
        accounts: SEED_ACCOUNTS,
        purpose: "Asks for an MFA code: 1234 passes, anything else fails",
    },
];

/// Failed logins allowed in one Connect session before it locks.
pub const MAX_LOGIN_ATTEMPTS: u32 = 3;

pub fn scenario(username: &str) -> Option<&'static Scenario> {
    SCENARIOS
        .iter()
        .find(|s| s.username.eq_ignore_ascii_case(username.trim()))
}
