//! # veche-projections
//!
//! The read side: the global log of events, the projector that folds it into read-model
//! tables, and the queries over those tables.
//!
//! Delivery to a projection is exactly-once: each batch updates the read model and the
//! projection's checkpoint in one transaction, so a crash either keeps both or neither.
//!
//! ## Layout
//! - [`batch`]: what a batch's projections share: its events decoded once, the meeting
//!   states of the batch, and its writes gathered into one statement.
//! - [`global_log`]: the gap-free reader of the `events` table in `global_position` order.
//! - [`projector`]: the loop that runs every projection from its checkpoint, one leader
//!   at a time across nodes, woken by `NOTIFY` with polling as the fallback; and rebuild.
//! - [`follow`]: what every follower of the log shares: one leader across nodes (an
//!   advisory lock), and waiting for appends (in memory, `NOTIFY`, polling).
//! - [`meeting_details`], [`calendar`], [`rooms`], [`reminders`]: the read models and how
//!   events change them (`reminders`: the notifications due, for the reminder scheduler).
//! - [`progress`]: how far the projections have got, for read-your-writes waits.
//! - [`queries`]: what the API reads.
//! - [`wake`]: how appends wake the readers of the log, on this node and the others.
#![forbid(unsafe_code)]

mod batch;
pub mod calendar;
pub mod follow;
pub mod global_log;
pub mod meeting_details;
pub mod progress;
pub mod projector;
pub mod queries;
pub mod reminders;
pub mod rooms;
pub mod wake;

pub(crate) use batch::{distinct_ids, keyed_by_uuid, BatchMemo, BatchWrites};
pub use global_log::RecordedEvent;
pub use projector::{Projection, Projector};

/// Why projecting failed. The projector retries the batch; nothing is skipped.
#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    #[error("database error")]
    Database(#[from] sqlx::Error),
    #[error("event at position {position} ({event_type} {event_version}) cannot be decoded")]
    Decode {
        position: i64,
        event_type: String,
        event_version: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("the projections did not reach the log's head ({head}) in time: a transaction is holding back the snapshot horizon")]
    Timeout { head: global_log::LogCursor },
    #[error("unknown projection `{0}`")]
    UnknownProjection(String),
}
