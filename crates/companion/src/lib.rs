//! The reference companion backend for the Pelm energy app.
//!
//! It holds the Pelm secret, creates Connect tokens, exchanges authorization
//! codes for access tokens, keeps those tokens in SQLite, and answers the
//! browser app under `/api`. In one-port deployments it also serves the built
//! app, and in sandbox mode it mounts the Pelm sandbox at `/sandbox`.
//!
//! The rooms, from the top: [`startup`] runs what [`router`] builds; the
//! features (`connections`, `accounts`, `intervals`, `bills`, `csp_report`)
//! each declare their routes beside their handlers; `data` and `linked` ask
//! Pelm and record what it says; [`state`] is what they share; below it the
//! parts ([`store`], [`pelm`], [`limits`], [`session`], [`error`], ...).

mod accounts;
mod bills;
mod cache;
pub mod config;
mod connections;
pub mod crypto;
pub mod csp;
mod csp_report;
mod data;
pub mod encoding;
pub mod error;
mod extract;
pub mod faults;
pub mod hosts;
mod intervals;
pub mod limits;
mod linked;
pub mod metrics;
pub mod pelm;
pub mod router;
pub mod server;
pub mod session;
pub mod startup;
pub mod state;
pub mod static_files;
pub mod store;
pub mod telemetry;

pub use config::Config;
pub use pelm_sandbox::Sandbox;
pub use router::app;
pub use startup::Application;
pub use state::{AppState, StartError};
