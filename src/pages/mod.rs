//! The app's screens.

mod account;
mod accounts;
mod bills;
mod connect_button;
mod connection;
pub mod export;
pub(crate) mod held;
pub(crate) mod later;
pub mod loading;
mod money;
pub mod part;
mod problem;
pub mod shared;
mod start;
pub(crate) mod tariffs;
mod typical_day;
pub(crate) mod usage;

pub use account::{AccountPage, Tab};
pub use accounts::Accounts;
pub use bills::{sort_lines, with_usage, BillLine, Bills, BillsTable, Column};
pub use connect_button::ConnectButton;
pub use loading::{loading, Skeleton};
pub use problem::{problem_fallback, ProblemView};
pub use start::Start;
pub use usage::{MeterData, Usage, UsagePanel};

pub use crate::pages::shared::AccountsContext;
pub use crate::state::DataContext;
