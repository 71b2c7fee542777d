//! The end-to-end tests: the built app in headless Chromium against the companion
//! and the sandbox. One binary, so a fresh clone links one test executable
//! here rather than fifteen: each carried the whole harness and the companion,
//! 92 MB apiece with line tables, 236 MB with full debug info.

mod catalogue;
mod compare;
mod connect_flow;
mod connections;
mod contrast;
mod delivery;
mod docs;
mod embedding;
mod errors;
mod hidpi;
mod languages;
mod money;
mod narrow;
mod network;
mod tariffs;
