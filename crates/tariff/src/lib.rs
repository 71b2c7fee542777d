//! A tariff engine: the user's own intervals priced under a tariff as the
//! OpenEI Utility Rate Database (URDB) publishes it, the format NREL's SAM
//! and REopt read.
//!
//! - [`urdb`]: a URDB record read field by field; what it cannot read is
//!   named by its path, and what it reads but does not price is listed.
//! - [`load`]: intervals placed once in the account's local time (month,
//!   hour, weekend or holiday, day), which every plan then reuses.
//! - [`price`]: a plan's charges per billing period, from the load's sums
//!   per time-of-use period: tiers, fixed and minimum charges, fuel
//!   adjustments, export credit, taxes.
//! - [`plans`]: the list of plans a site offers, by URL or inline.
//! - [`compare`]: plans side by side over the same periods, the shift of
//!   peak use, and calibration against the user's bills.
//!
//! Pure, so it is tested natively against SAM's figures (see
//! `reference/`), and the app runs it in a wasm part of its own.

pub mod compare;
pub mod load;
pub mod plans;
pub mod price;
pub mod urdb;

pub use compare::{calibrate, compare, Advice, Calibration, Comparison, PlanYear};
pub use load::{Cycle, Load};
pub use plans::{read_plans, resolve, Plan, PlanList, Source};
pub use price::{price, Kind, Options, Priced, Pricing};
pub use urdb::{read, Problem, Rate, ReadError, Tariff};
