//! # veche-application
//!
//! The use cases: how a command reaches an aggregate and what the caller learns back.
//! Nothing here knows HTTP or SQL; the store, the log, the read models and the hub are ports.
//!
//! ## Layout (one line per module)
//! - [`executor`]: load, check the expected version, decide, commit, report version and position.
//! - [`cache`]: the aggregates this node last committed, as a guess the store confirms.
//! - [`meetings`]: the meeting use cases, with idempotent scheduling.
//! - [`rooms`]: presence in video rooms, and closing them through the [`rooms::RoomDoors`] port.
//! - [`room_access`]: who may enter a room, over the [`room_access::MeetingsByRoom`] port.
//! - [`notifications`]: who is told what when a meeting changes, and the mailer and push ports.
//! - [`sign_in`]: who may sign in with an emailed link, over the [`sign_in::KnownPeople`] port.
//! - [`ports`]: the event log port.
#![forbid(unsafe_code)]

pub mod cache;
pub mod executor;
pub mod meetings;
pub mod notifications;
pub mod ports;
pub mod room_access;
pub mod rooms;
pub mod sign_in;

pub use executor::{CommandError, CommandOutcome, Executor, Versioned};
