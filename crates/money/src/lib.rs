//! Money from what Pelm gives (bills with periods and amounts, and the
//! intervals), with no tariff: what the bill of the cycle under way will
//! be, with a range measured on the account's own past, and why one bill
//! differs from another, in parts that add up to the cent.
//!
//! - [`days`]: intervals as local days, the unit every rule here counts in.
//! - [`cycle`]: where the cycle under way ends, from the account's history.
//! - [`cost`]: a bill's amount from its days and usage, fitted on past bills.
//! - [`projection`]: the projected bill, or why there is not one yet.
//! - [`explain`]: a bill against another, cause by cause.
//!
//! Pure, so it is tested natively and the companion could serve it too.

pub mod cost;
pub mod cycle;
pub mod days;
pub mod explain;
pub mod projection;

pub use cost::{BillFacts, CostModel};
pub use cycle::next_end;
pub use days::Days;
pub use explain::{cents, explain, Explanation, Part};
pub use projection::{project, Forecast, Projection, Short};
