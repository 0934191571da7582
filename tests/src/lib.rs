//! # veche-tests
//!
//! End-to-end tests and benchmarks of veche against real servers. The tests by area are
//! `tests/<area>` (api, notify, store, nats, faults, browser, multinode, turn); the
//! benchmark commands are `src/bin` and their history `BENCHMARKS.md`.
//!
//! ## Layout (one line per module)
//! - [`cluster`]: one throwaway PostgreSQL cluster per test binary, a fresh database per test.
//! - [`nats`]: a throwaway nats-server per test, which can be stopped and restarted.
//! - [`app`]: `spawn_app()`: veche on port 0 over a fresh database, with typed helpers.
//! - [`coturn`]: a real TURN server (coturn, `use-auth-secret`).
//! - [`node`]: a veche node as a real process, for the multi-node and fault tests.
//! - [`signal`]: a WebSocket client for the signaling hub (veche's protocol and PeerJS).
//! - [`raw_ws`]: a WebSocket client that writes frames byte by byte.
//! - [`browser`]: runs the Node.js scripts of `tests/web`, which drive headless Chromium.
//! - [`oidc`]: a real OpenID Provider (npm `oidc-provider`) for the sign-in tests.
//! - [`event_stream`]: a client of the live calendar stream (Server-Sent Events).
//! - [`smtp`]: a real SMTP server (aiosmtpd) that keeps what it receives.
//! - [`push_service`]: a local Web Push service that verifies VAPID and decrypts.
//! - [`bench_servers`]: the PostgreSQL and nats-server the benchmark commands run over.
//! - [`stats`]: percentiles for the benchmarks.
//! - [`cpu`]: the CPU time each party of a benchmark spent.
//! - [`process`]: the watchdog that stops the tests' child processes.
#![forbid(unsafe_code)]

pub mod app;
pub mod bench_servers;
pub mod browser;
pub mod cluster;
pub mod coturn;
pub mod cpu;
pub mod event_stream;
pub mod nats;
pub mod netns;
pub mod node;
pub mod oidc;
pub mod process;
pub mod push_service;
pub mod raw_ws;
pub mod signal;
pub mod smtp;
pub mod stats;
