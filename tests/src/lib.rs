//! # veche-tests
//!
//! End-to-end tests and benchmarks of veche against a real PostgreSQL.
//!
//! ## Layout
//! - [`cluster`]: one throwaway PostgreSQL cluster per test binary (temporary directory,
//!   free loopback port, stopped by a watchdog when the test process exits), and a fresh
//!   database per test cloned from a migrated template.
//! - [`nats`]: a throwaway nats-server per test (temporary directory, free port), which
//!   can be stopped, restarted on the same port, and have its store put back as it was.
//! - [`app`]: `spawn_app()`: veche on port 0 over a fresh database, with typed helpers
//!   for tokens and requests.
//! - [`coturn`]: a real TURN server (coturn, `use-auth-secret`) for the TURN tests.
//! - [`node`]: a veche node as a real process, for the multi-node and fault tests.
//! - [`signal`]: a WebSocket client for the signaling hub (veche's protocol and PeerJS);
//!   [`raw_ws`]: one that writes frames byte by byte, for what no client library sends.
//! - [`browser`]: runs the Node.js scripts of `tests/web`, which drive headless Chromium.
//! - [`smtp`]: a real SMTP server (aiosmtpd) that keeps what it receives.
//! - [`push_service`]: a local Web Push service that verifies VAPID and decrypts.
//! - [`bench_servers`]: the PostgreSQL and nats-server the benchmark commands run over;
//!   [`stats`]: percentiles for the benchmarks; [`cpu`]: the CPU time each party of a
//!   benchmark spent.
//! - [`process`]: the watchdog that stops the tests' child processes.
//! - `tests/api`: the HTTP API, as a client sees it.
//! - `tests/notify`: invitations, answers through signed links, reminders, Web Push.
//! - `tests/store`: the event store, the global log and the projector.
//! - `tests/nats`: the publisher to JetStream, the reactor consumers, the AsyncAPI document.
//! - `tests/faults`: veche killed mid-stream and PostgreSQL restarted under load.
//! - `tests/browser`: two real browsers in a meeting's room (veche's page, and PeerJS).
//! - `src/bin/bench.rs`: the calendar benchmark (`cargo run --release -p veche-tests --bin bench`);
//!   `bench_publisher.rs`, `bench_notify.rs`: the NATS publisher's and the notifications';
//!   `bench_outage.rs`: the SMTP outage drill.
#![forbid(unsafe_code)]

pub mod app;
pub mod bench_servers;
pub mod browser;
pub mod cluster;
pub mod coturn;
pub mod cpu;
pub mod nats;
pub mod node;
pub mod process;
pub mod push_service;
pub mod raw_ws;
pub mod signal;
pub mod smtp;
pub mod stats;
