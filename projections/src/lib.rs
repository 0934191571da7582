//! # veche-projections
//!
//! The read side: the global log of events, the projector that folds it into read-model
//! tables, and the queries over those tables.
//!
//! Delivery to a projection is exactly-once: each batch updates the read model and the
//! projection's checkpoint in one transaction, so a crash either keeps both or neither.
//!
//! ## Layout
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

pub use global_log::RecordedEvent;
pub use projector::{Projection, Projector};

/// What one projection of a batch leaves for the next ones in the same transaction: the
/// meetings `meeting_details` brought up to the end of the batch (written to `meeting_view`
/// as they are here), so that `calendar` and `reminders` need not read back and decode what
/// was just written.
#[derive(Default)]
pub(crate) struct BatchMemo {
    pub meetings: std::collections::HashMap<uuid::Uuid, domain::meeting::Meeting>,
}

impl BatchMemo {
    /// The meetings `ids` as `meeting_view` has them now. A meeting `meeting_details` did
    /// not touch in this batch (it had seen its events already: a rebuild of another
    /// projection) is read from the table, and kept for the next projection. Meetings with
    /// no row are left out.
    pub(crate) async fn meetings_of(
        &mut self,
        conn: &mut sqlx::PgConnection,
        ids: &[uuid::Uuid],
    ) -> Result<Vec<(uuid::Uuid, &domain::meeting::Meeting)>, ProjectionError> {
        let unseen: Vec<uuid::Uuid> = ids.iter().filter(|id| !self.meetings.contains_key(id)).copied().collect();
        if !unseen.is_empty() {
            for (id, meeting, _) in meeting_details::stored(conn, &unseen).await? {
                self.meetings.insert(id, meeting);
            }
        }
        Ok(ids.iter().filter_map(|id| self.meetings.get(id).map(|meeting| (*id, meeting))).collect())
    }
}

/// The distinct UUIDs of the aggregates of a batch's events that `keep` picks, sorted. Ids
/// that are not UUIDs were never written by veche and are left out.
pub(crate) fn distinct_ids<E>(events: &[(&RecordedEvent, E)], keep: impl Fn(&E) -> bool) -> Vec<uuid::Uuid> {
    let mut ids: Vec<uuid::Uuid> = events
        .iter()
        .filter(|(_, event)| keep(event))
        .filter_map(|(recorded, _)| recorded.aggregate_id.parse().ok())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

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
    #[error("the projections did not reach position {head} in time: a transaction is holding back the snapshot horizon")]
    Timeout { head: i64 },
    #[error("unknown projection `{0}`")]
    UnknownProjection(String),
}

/// A batch's events keyed by their aggregate id as a UUID, and the distinct ids, sorted. Ids
/// that are not UUIDs were never written by veche and are left out.
pub(crate) fn keyed_by_uuid<E>(
    events: Vec<(&RecordedEvent, E)>,
) -> (Vec<(uuid::Uuid, &RecordedEvent, E)>, Vec<uuid::Uuid>) {
    let ids = distinct_ids(&events, |_| true);
    let keyed: Vec<(uuid::Uuid, &RecordedEvent, E)> = events
        .into_iter()
        .filter_map(|(recorded, event)| recorded.aggregate_id.parse().ok().map(|id| (id, recorded, event)))
        .collect();
    (keyed, ids)
}
