//! Wire types shared by the app, the companion and the sandbox.
//!
//! [`pelm`] is Pelm's own REST API, as the sandbox serves it and the companion
//! consumes it, [`interval`] a meter's readings and how a list of them is
//! tidied, and [`lenient`] how a field is read when it is missing or odd.
//! [`codes`] holds every error code on the wire, and [`utility`] a utility
//! and its connection's health; [`unit`] reads units whatever their spelling. [`companion`] is the contract between the browser app and its
//! companion backend. Optional fields are `Option` and lists default to empty,
//! because Pelm's responses have grown fields over time and a site's companion
//! may pass through older shapes. [`bills`] reads both bill shapes Pelm has
//! used; [`civil`] is the calendar maths they and the charts share.
//!
//! What the app makes of these (error wording, routing, embedding) lives in
//! `pelm-app-logic`, so that the servers compile none of it.

pub mod bills;
pub mod civil;
pub mod codes;
pub mod companion;
pub mod interval;
pub mod lenient;
pub mod pelm;
pub mod unit;
pub mod utility;
