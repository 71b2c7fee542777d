//! Wire types shared by the app, the companion and the sandbox.
//!
//! [`pelm`] is Pelm's own REST API, as the sandbox serves it and the companion
//! consumes it, and [`lenient`] how its data is read when a field is missing
//! or odd. [`companion`] is the contract between the browser app and its
//! companion backend. Optional fields are `Option` and lists default to empty,
//! because Pelm's responses have grown fields over time and a site's companion
//! may pass through older shapes. [`bills`] reads both bill shapes Pelm has
//! used; [`civil`] is the calendar maths they and the charts share.
//!
//! What the app makes of these (error wording, routing, embedding) lives in
//! `pelm-app-logic`, so that the servers compile none of it.

pub mod bills;
pub mod civil;
pub mod companion;
pub mod lenient;
pub mod pelm;
