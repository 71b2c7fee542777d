//! Wire types shared by the app, the companion and the sandbox.
//!
//! [`pelm`] is Pelm's own REST API, as the sandbox serves it and the companion
//! consumes it. [`companion`] is the contract between the browser app and its
//! companion backend. Optional fields are `Option` and lists default to empty,
//! because Pelm's responses have grown fields over time and a site's companion
//! may pass through older shapes. [`bills`] reads both bill shapes Pelm has
//! used; [`civil`] is the calendar maths they and the charts share.
//! [`problem`] reads every error body the app can meet, [`messages`] holds
//! what the user is told about each, and [`retry`] when to ask again.

pub mod bills;
pub mod civil;
pub mod companion;
pub mod embed;
pub mod lenient;
pub mod messages;
pub mod pelm;
pub mod place;
pub mod problem;
pub mod retry;
