//! # veche-domain
//!
//! The business rules of veche, with no IO: aggregates decide, events record what was
//! decided. Everything here is deterministic, so the same events always rebuild the same
//! state (that is what lets auditors replay a meeting as it was at any instant).
//!
//! ## Layout
//! - [`values`]: value types with `parse` constructors, one file per family (email address,
//!   texts and their character rules, people and token claims, time zone and schedule,
//!   reminders). Once built they are valid, so nothing downstream checks them again.
//! - [`ids`]: typed identifiers of meetings and rooms.
//! - [`actor`]: who issues a command (taken from the bearer token by the API).
//! - [`meeting`]: the `Meeting` aggregate, its commands, events and errors.
//! - [`room`]: the `Room` aggregate: presence in a meeting's video room (capacity, seats per
//!   person, resumption, closure), driven by the signaling hub.
//! - [`upcasting`]: how stored events of older `event_version`s are brought up to date.
#![forbid(unsafe_code)]

pub mod actor;
pub mod ids;
pub mod meeting;
pub mod room;
pub mod upcasting;
pub mod values;

pub use actor::Actor;
pub use ids::{MeetingId, RoomId};
