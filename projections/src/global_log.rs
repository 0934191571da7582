//! The global log: every event of every aggregate, in `global_position` order, with no gaps.
//!
//! ## Why a reader never skips an event
//! Positions come from an identity column, taken at insert time; transactions commit in
//! any order. Were a reader to take "everything above my checkpoint", a transaction that
//! took position 10 and committed after another that took 11 would be skipped once the
//! checkpoint passed 11. So a reader only takes events whose writing transaction is older
//! than the oldest transaction still running (`pg_snapshot_xmin(pg_current_snapshot())`):
//! every such transaction has finished, and no event with a lower position can appear
//! later. Events of newer transactions are read on a later pass.

use chrono::{DateTime, Utc};
use cqrs_es::persist::SerializedEvent;
use domain::meeting::{Meeting, MeetingEvent};
use serde_json::Value;
use sqlx::{PgExecutor, Row};

/// One stored event as the global log returns it.
#[derive(Debug, Clone)]
pub struct RecordedEvent {
    pub position: i64,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub event_version: String,
    pub payload: Value,
    pub metadata: Value,
    pub recorded_at: DateTime<Utc>,
}

const SELECT_COLUMNS: &str = "global_position, aggregate_type, aggregate_id, sequence, \
     event_type, event_version, payload, metadata, recorded_at";

impl RecordedEvent {
    fn from_row(row: &sqlx::postgres::PgRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            position: row.try_get("global_position")?,
            aggregate_type: row.try_get("aggregate_type")?,
            aggregate_id: row.try_get("aggregate_id")?,
            sequence: row.try_get("sequence")?,
            event_type: row.try_get("event_type")?,
            event_version: row.try_get("event_version")?,
            payload: row.try_get("payload")?,
            metadata: row.try_get("metadata")?,
            recorded_at: row.try_get("recorded_at")?,
        })
    }

    /// The event as a `Meeting` event, brought to the current version by the upcasters;
    /// `None` if it belongs to another aggregate type.
    pub fn meeting_event(
        &self,
        upcasters: &[Box<dyn cqrs_es::persist::EventUpcaster>],
    ) -> Result<Option<MeetingEvent>, crate::ProjectionError> {
        self.event_of::<Meeting>(upcasters)
    }

    /// The event as an event of aggregate `A`, brought to the current version by the
    /// upcasters; `None` if it belongs to another aggregate type.
    pub fn event_of<A: cqrs_es::Aggregate>(
        &self,
        upcasters: &[Box<dyn cqrs_es::persist::EventUpcaster>],
    ) -> Result<Option<A::Event>, crate::ProjectionError> {
        if self.aggregate_type != A::TYPE {
            return Ok(None);
        }
        let serialized = SerializedEvent::new(
            self.aggregate_id.clone(),
            self.sequence as usize,
            self.aggregate_type.clone(),
            self.event_type.clone(),
            self.event_version.clone(),
            self.payload.clone(),
            self.metadata.clone(),
        );
        let current = domain::upcasting::upcast(serialized, upcasters);
        serde_json::from_value(current.payload).map(Some).map_err(|source| {
            crate::ProjectionError::Decode {
                position: self.position,
                event_type: self.event_type.clone(),
                event_version: self.event_version.clone(),
                source,
            }
        })
    }

    /// A metadata value, if present.
    pub fn metadata_str(&self, key: &str) -> Option<&str> {
        self.metadata.get(key).and_then(Value::as_str)
    }
}

/// Up to `limit` events after `after`, in position order, from finished transactions only.
pub async fn read_after<'e>(
    executor: impl PgExecutor<'e>,
    after: i64,
    limit: i64,
) -> Result<Vec<RecordedEvent>, sqlx::Error> {
    let sql = format!(
        "select {SELECT_COLUMNS} from events \
         where global_position > $1 \
           and transaction_id < pg_snapshot_xmin(pg_current_snapshot()) \
         order by global_position limit $2"
    );
    let rows = sqlx::query(&sql).bind(after).bind(limit).fetch_all(executor).await?;
    rows.iter().map(RecordedEvent::from_row).collect()
}

/// The highest position taken so far, committed or not (0 for an empty store). When it is
/// above what [`read_after`] returns, a transaction is still in flight.
pub async fn head<'e>(executor: impl PgExecutor<'e>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select coalesce(max(global_position), 0) from events")
        .fetch_one(executor)
        .await
}

/// One aggregate's events in sequence order, optionally only those recorded at or before
/// `as_of` (the auditors' "as it was then").
pub async fn stream_of<'e>(
    executor: impl PgExecutor<'e>,
    aggregate_type: &str,
    aggregate_id: &str,
    as_of: Option<DateTime<Utc>>,
) -> Result<Vec<RecordedEvent>, sqlx::Error> {
    let sql = format!(
        "select {SELECT_COLUMNS} from events \
         where aggregate_type = $1 and aggregate_id = $2 \
           and ($3::timestamptz is null or recorded_at <= $3) \
         order by sequence"
    );
    let rows = sqlx::query(&sql)
        .bind(aggregate_type)
        .bind(aggregate_id)
        .bind(as_of)
        .fetch_all(executor)
        .await?;
    rows.iter().map(RecordedEvent::from_row).collect()
}

/// The channel on which nodes announce appends to each other (see [`crate::wake`]).
pub const EVENTS_CHANNEL: &str = "veche_events";
