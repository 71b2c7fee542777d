//! The companion's integration tests, one binary: each test starts its own
//! companion, database and Pelm sandbox on loopback (`helpers::spawn_app`).
//! Set `TEST_LOG=1` to see the companion's log lines (`RUST_LOG` filters
//! them); those of a failing test are printed with its output.
//!
//! The test that reads every log line, `tests/logs.rs`, is a binary of its
//! own: it installs a subscriber of its own for the whole process.

mod columns;
mod compression;
mod connections;
mod contract;
mod data;
mod helpers;
mod hostile;
mod openapi;
mod postgres;
mod shutdown;
mod static_files;
