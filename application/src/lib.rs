//! # veche-application
//!
//! The use cases: how a command reaches an aggregate and what the caller learns back.
//! Nothing here knows HTTP or SQL; the store and the log are ports.
//!
//! ## Layout
//! - [`executor`]: load an aggregate, check the caller's expected version, decide, commit,
//!   and report the new version and global log position (read-your-writes).
//! - [`meetings`]: the meeting use cases on top of the executor, with idempotent scheduling.
//! - [`notifications`]: who is told what when a meeting changes (the reactors' policy),
//!   and the mailer and push ports.
//! - [`rooms`]: presence in video rooms (join, resume, leave, expire, close).
//! - [`ports`]: the traits infrastructure implements (the log position lookup).
#![forbid(unsafe_code)]

pub mod cache;
pub mod executor;
pub mod meetings;
pub mod notifications;
pub mod ports;
pub mod room_access;
pub mod rooms;

pub use executor::{CommandError, CommandOutcome, Executor, Versioned};
