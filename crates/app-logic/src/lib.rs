//! The browser app's own pure logic, apart from the DOM so that it is tested
//! natively. The servers do not depend on it: it is wording and routing.
//!
//! [`kind`] names what a failure means for the user, [`problem`] reads every error body the app can meet (Pelm's, the
//! companion's, a proxy's HTML page), [`messages`] holds what the user is told
//! about each, with the site's overrides, and [`retry`] says when to ask
//! again; [`health`] words a connection's health. [`embed`] reads how a host page configures the app, and [`place`]
//! is where in the app the address bar (or the hash) points. [`styles`] makes
//! the later parts' stylesheets small while compiling.

pub mod embed;
pub mod health;
pub mod kind;
pub mod messages;
pub mod place;
mod placeholders;
pub mod problem;
pub mod retry;
pub mod styles;
pub mod words;
