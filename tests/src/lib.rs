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
//! - [`smtp`]: a real SMTP server (aiosmtpd) that keeps what it receives.
//! - [`push_service`]: a local Web Push service that verifies VAPID and decrypts.
//! - [`process`]: the watchdog that stops the tests' child processes.
//! - `tests/api`: the HTTP API, as a client sees it.
//! - `tests/notify`: invitations, answers through signed links, reminders, Web Push.
//! - `tests/store`: the event store, the global log and the projector.
//! - `src/bin/bench.rs`: the benchmark (`cargo run --release -p veche-tests --bin bench`).
#![forbid(unsafe_code)]

pub mod app;
pub mod cluster;
pub mod process;
pub mod push_service;
pub mod smtp;
