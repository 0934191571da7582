//! # veche-api
//!
//! The HTTP face of veche and the `veche` binary.
//!
//! ## Layout
//! - [`cli`]: the `veche` subcommands (`serve`, `migrate`, `projections
//!   rebuild|quarantined|retry`, `dead-letters list|replay`, `history`, `token`).
//! - [`settings`]: every `VECHE_*` variable, with its default and why.
//! - [`server`]: start-up and shutdown: database (embedded or configured), migrations,
//!   projector, HTTP listener.
//! - [`listener`]: the HTTP listener's connections, whose small reads (WebSocket frames)
//!   come out of one buffer per thread, so that an idle connection keeps little.
//! - [`state`]: what every handler shares.
//! - [`error`]: one error type, rendered as RFC 9457 problem+json.
//! - [`auth`]: bearer JWT verification and minting.
//! - [`extract`]: extractors for JSON bodies, `If-Match`, `Idempotency-Key`, request ids,
//!   whose rejections are problem+json too.
//! - [`http`]: one module per feature, each with its handlers and DTOs, merged with the
//!   OpenAPI document in [`http::router`].
//! - [`rate_limit`]: per-person limits on commands and on the emails they cause.
//! - [`notifications`]: the mailer, guest links, reactors and reminder scheduler of a node.
//! - [`signaling`]: the WebSocket signaling hub (veche's protocol and PeerJS), room
//!   access, ICE servers, presence and node leases.
//! - [`supervisor`]: the node's long-running tasks, started again after a panic, and
//!   their health for `/readyz`.
//! - [`telemetry`]: tracing and Prometheus set-up.
#![forbid(unsafe_code)]

pub mod auth;
pub mod cli;
pub mod error;
pub mod extract;
pub mod http;
pub mod listener;
pub mod notifications;
pub mod rate_limit;
pub mod server;
pub mod settings;
pub mod signaling;
pub mod state;
pub mod supervisor;
pub mod telemetry;
