//! # veche-domain
//!
//! The business rules of veche, with no IO: aggregates decide, events record what was
//! decided. Everything here is deterministic, so the same events always rebuild the same
//! state (that is what lets auditors replay a meeting as it was at any instant).
//!
//! ## Layout (one line per module)
//! - [`values`]: value types with `parse` constructors, one file per family, valid once built.
//! - [`ids`]: typed identifiers of meetings and rooms.
//! - [`actor`]: who issues a command, checked from a token's claims.
//! - [`meeting`]: the `Meeting` aggregate, its commands, events and errors.
//! - [`room`]: the `Room` aggregate: presence in a meeting's video room.
//! - [`upcasting`]: stored events of older `event_version`s brought up to date.
#![forbid(unsafe_code)]

pub mod actor;
pub mod ids;
pub mod meeting;
pub mod room;
pub mod upcasting;
pub mod values;

pub use actor::Actor;
pub use ids::{MeetingId, RoomId};
