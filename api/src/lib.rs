//! # veche-api
//!
//! The HTTP face of veche and the `veche` binary: routes, the CLI and the signaling hub,
//! wiring the use cases to their adapters.
//!
//! ## Layout (one line per module)
//! - [`cli`]: the `veche` subcommands.
//! - [`settings`]: every `VECHE_*` variable, with its default and why.
//! - [`server`]: start-up and shutdown of a node and its tasks.
//! - [`listener`]: the HTTP listener, whose small reads come out of one buffer per thread.
//! - [`state`]: what every handler shares.
//! - [`error`]: one error type, rendered as RFC 9457 problem+json.
//! - [`auth`]: bearer JWT verification and minting.
//! - [`extract`]: extractors whose rejections are problem+json too.
//! - [`http`]: one module per feature, merged with the OpenAPI document.
//! - [`rate_limit`]: per-person limits on commands and on the emails they cause.
//! - [`notifications`]: the mailer, guest links, reactors and reminder scheduler of a node.
//! - [`signaling`]: the WebSocket signaling hub (see ARCHITECTURE.md for its module tree).
//! - [`supervisor`]: the node's long-running tasks, restarted after a panic, and their health.
//! - [`telemetry`]: tracing and Prometheus set-up.
//! - [`live`]: the node's fan-out of calendar changes to the browsers' live streams.
//! - [`session`]: the web app's session cookie and its CSRF token.
//! - [`web_sign_in`]: who may sign in, the sign-in limits, where a sign-in may come from and go to.
//! - [`oidc`]: single sign-on with an OpenID Connect provider (code flow with PKCE).
#![forbid(unsafe_code)]

pub mod auth;
pub mod cli;
pub mod error;
pub mod extract;
pub mod http;
pub mod listener;
pub mod live;
pub mod notifications;
pub mod oidc;
pub mod rate_limit;
pub mod server;
pub mod session;
pub mod settings;
pub mod signaling;
pub mod state;
pub mod supervisor;
pub mod telemetry;
pub mod web_sign_in;
