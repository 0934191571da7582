//! # veche-projections
//!
//! The read side: the global log of events, the projector that folds it into read-model
//! tables, and the queries over those tables.
//!
//! Delivery to a projection is exactly-once: each batch updates the read model and the
//! projection's checkpoint in one transaction, so a crash either keeps both or neither.
//!
//! ## Layout (one line per module)
//! - `batch`: what a batch's projections share (decoded events, meeting states, one write).
//! - [`global_log`]: the gap-free reader of the `events` table in log order.
//! - [`projector`]: runs every projection from its checkpoint, one leader across nodes; rebuild.
//! - [`follow`]: one leader across nodes, and waiting for appends (memory, `NOTIFY`, polling).
//! - [`meeting_details`]: the `meeting_view` read model.
//! - [`calendar`]: the `calendar_entry` read model (who sees which meeting when).
//! - [`rooms`]: the `room_view` read model (who is in the call).
//! - [`calendar_feed`]: whose calendar changed, in order, for the web app's live stream.
//! - [`reminders`]: the `reminder_due` read model, for the reminder scheduler.
//! - [`quarantine`]: aggregates set aside because an event of theirs could not be applied.
//! - [`progress`]: how far the projections have got, for read-your-writes waits.
//! - [`queries`]: what the API and the hub read from the read models.
//! - [`history`]: a meeting's history replayed from the log.
//! - [`wake`]: how appends wake the readers of the log, on this node and the others.
#![forbid(unsafe_code)]

mod batch;
pub mod calendar;
pub mod calendar_feed;
pub mod follow;
pub mod global_log;
pub mod history;
pub mod meeting_details;
pub mod progress;
pub mod projector;
pub mod quarantine;
pub mod queries;
pub mod reminders;
pub mod rooms;
pub mod wake;

pub(crate) use batch::{distinct_ids, keyed_by_uuid, BatchMemo, BatchWrites};
pub use global_log::RecordedEvent;
pub use projector::{Projection, Projector};

/// Why projecting failed. The projector retries the batch, unless the failure is the
/// batch's data ([`ProjectionError::is_poison`]): then the one event is found and its
/// aggregate set aside ([`quarantine`]).
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
    #[error("a projection panicked: {0}")]
    Panicked(String),
}

impl ProjectionError {
    /// True when the failure comes from what the batch holds rather than from the database
    /// being unreachable or busy: retrying the same events would fail the same way. That is
    /// an undecodable event or row, a panic, and PostgreSQL's data exceptions (class 22, a
    /// timestamp out of range), integrity violations (23) and program limits (54).
    pub fn is_poison(&self) -> bool {
        match self {
            Self::Decode { .. } | Self::Panicked(_) => true,
            Self::Database(sqlx::Error::Encode(_)) => true,
            Self::Database(sqlx::Error::Database(error)) => {
                error.code().is_some_and(|code| ["22", "23", "54"].iter().any(|class| code.starts_with(class)))
            }
            _ => false,
        }
    }
}

/// The text of a caught panic, for the log and the quarantine record.
pub fn panic_message(panic: Box<dyn std::any::Any + Send>) -> String {
    match panic.downcast::<String>() {
        Ok(message) => *message,
        Err(panic) => panic.downcast_ref::<&str>().map_or_else(|| "a panic without a message".to_string(), |m| m.to_string()),
    }
}
