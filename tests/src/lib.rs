//! # veche-tests
//!
//! End-to-end tests and benchmarks of veche against a real PostgreSQL.
//!
//! ## Layout
//! - [`cluster`]: one throwaway PostgreSQL cluster per test binary (temporary directory,
//!   free loopback port, stopped by a watchdog when the test process exits), and a fresh
//!   database per test cloned from a migrated template.
//! - [`app`]: `spawn_app()`: veche on port 0 over a fresh database, with typed helpers
//!   for tokens and requests.
//! - [`signal`]: a WebSocket client for the signaling hub (veche's protocol and PeerJS).
//! - [`browser`]: runs the Node.js scripts of `tests/web`, which drive headless Chromium.
//! - `tests/api`: the HTTP API, as a client sees it.
//! - `tests/store`: the event store, the global log and the projector.
//! - `tests/browser`: two real browsers in a meeting's room (veche's page, and PeerJS).
//! - `src/bin/bench.rs`: the benchmark (`cargo run --release -p veche-tests --bin bench`).
#![forbid(unsafe_code)]

pub mod app;
pub mod browser;
pub mod cluster;
pub mod signal;
