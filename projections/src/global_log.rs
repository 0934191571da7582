//! The global log: every event of every aggregate, with no gaps, in the order of the
//! transactions that wrote them.
//!
//! ## Why a reader never skips an event
//! Positions come from an identity column, taken at insert time, and transactions commit
//! in any order. A reader therefore only takes events whose writing transaction is older
//! than the oldest transaction still running (`pg_snapshot_xmin(pg_current_snapshot())`):
//! every such transaction has finished. But a transaction's id and its positions are taken
//! at different moments, so a transaction with an older id can hold a *higher* position
//! than a younger one (A takes its id, B takes id and position 10, A takes position 11; A
//! commits while B still runs). A reader that went by position alone would then read 11,
//! move past 10, and never see B's event. So the log is read in (transaction id, position)
//! order from a [`LogCursor`] of both: everything below the horizon is final, and nothing
//! can ever appear before a cursor that only moved through finished transactions.
//!
//! `global_position` stays an event's stable number (unique, increasing within a
//! transaction); it is not the order in which events become readable.

use chrono::{DateTime, Utc};
use cqrs_es::persist::SerializedEvent;
use domain::meeting::{Meeting, MeetingEvent};
use serde_json::Value;
use sqlx::{PgExecutor, Row};

/// A place in the global log: the writing transaction's id (`xid8`, as a number) and the
/// event's position. The log's order is this pair's order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, sqlx::FromRow)]
pub struct LogCursor {
    #[sqlx(rename = "transaction_id")]
    pub transaction: i64,
    pub position: i64,
}

impl LogCursor {
    /// Before every event.
    pub const START: LogCursor = LogCursor { transaction: 0, position: 0 };

    pub fn new(transaction: i64, position: i64) -> Self {
        Self { transaction, position }
    }
}

impl std::fmt::Display for LogCursor {
    /// `transaction:position`, as notifications carry it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.transaction, self.position)
    }
}

impl std::str::FromStr for LogCursor {
    type Err = std::num::ParseIntError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Without the colon it fails to parse, as any other malformed text does.
        let (transaction, position) = s.split_once(':').unwrap_or(("", ""));
        Ok(Self { transaction: transaction.parse()?, position: position.parse()? })
    }
}

/// One stored event as the global log returns it.
#[derive(Debug, Clone)]
pub struct RecordedEvent {
    pub position: i64,
    /// The id of the transaction that wrote it.
    pub transaction: i64,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub event_version: String,
    pub payload: Value,
    pub metadata: Value,
    pub recorded_at: DateTime<Utc>,
}

const SELECT_COLUMNS: &str = "global_position, transaction_id::text::bigint as transaction, aggregate_type, \
     aggregate_id, sequence, event_type, event_version, payload, metadata, recorded_at";

impl RecordedEvent {
    /// Where this event is in the log.
    pub fn cursor(&self) -> LogCursor {
        LogCursor { transaction: self.transaction, position: self.position }
    }

    fn from_row(row: &sqlx::postgres::PgRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            position: row.try_get("global_position")?,
            transaction: row.try_get("transaction")?,
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
        serde_json::from_value(current.payload).map(Some).map_err(|source| crate::ProjectionError::Decode {
            position: self.position,
            event_type: self.event_type.clone(),
            event_version: self.event_version.clone(),
            source,
        })
    }

    /// A metadata value, if present.
    pub fn metadata_str(&self, key: &str) -> Option<&str> {
        self.metadata.get(key).and_then(Value::as_str)
    }
}

/// Up to `limit` events after `after`, in log order, from finished transactions only.
pub async fn read_after<'e>(
    executor: impl PgExecutor<'e>,
    after: LogCursor,
    limit: i64,
) -> Result<Vec<RecordedEvent>, sqlx::Error> {
    let sql = format!(
        "select {SELECT_COLUMNS} from events \
         where (transaction_id, global_position) > ($1::text::xid8, $2) \
           and transaction_id < pg_snapshot_xmin(pg_current_snapshot()) \
         order by transaction_id, global_position limit $3"
    );
    let rows = sqlx::query(&sql).bind(after.transaction.to_string()).bind(after.position).bind(limit).fetch_all(executor).await?;
    rows.iter().map(RecordedEvent::from_row).collect()
}

/// The cursor of the last committed event in log order ([`LogCursor::START`] for an empty
/// store). Once a reader has reached it, it has read everything committed before the call;
/// while [`read_after`] returns less, a transaction older than that event is in flight.
pub async fn head<'e>(executor: impl PgExecutor<'e>) -> Result<LogCursor, sqlx::Error> {
    let head: Option<LogCursor> = sqlx::query_as(
        "select transaction_id::text::bigint as transaction_id, global_position as position from events \
         order by transaction_id desc, global_position desc limit 1",
    )
    .fetch_optional(executor)
    .await?;
    Ok(head.unwrap_or(LogCursor::START))
}

/// How many committed events come after `cursor` (counted up to a million): how far a
/// reader at `cursor` is behind.
pub async fn events_after<'e>(executor: impl PgExecutor<'e>, cursor: LogCursor) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select count(*) from (select 1 from events \
         where (transaction_id, global_position) > ($1::text::xid8, $2) limit 1000000) behind",
    )
    .bind(cursor.transaction.to_string())
    .bind(cursor.position)
    .fetch_one(executor)
    .await
}

/// Where the event at `position` is in the log, if it is committed.
pub async fn cursor_of<'e>(executor: impl PgExecutor<'e>, position: i64) -> Result<Option<LogCursor>, sqlx::Error> {
    let transaction: Option<i64> =
        sqlx::query_scalar("select transaction_id::text::bigint from events where global_position = $1")
            .bind(position)
            .fetch_optional(executor)
            .await?;
    Ok(transaction.map(|transaction| LogCursor { transaction, position }))
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
    let rows = sqlx::query(&sql).bind(aggregate_type).bind(aggregate_id).bind(as_of).fetch_all(executor).await?;
    rows.iter().map(RecordedEvent::from_row).collect()
}

/// The channel on which nodes announce appends to each other (see [`crate::wake`]).
pub const EVENTS_CHANNEL: &str = "veche_events";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_is_ordered_by_transaction_first_and_travels_as_transaction_colon_position() {
        assert!(LogCursor::new(7, 100) < LogCursor::new(8, 3));
        assert!(LogCursor::new(8, 3) < LogCursor::new(8, 4));
        let cursor = LogCursor::new(758, 3);
        assert_eq!(cursor.to_string(), "758:3");
        assert_eq!("758:3".parse::<LogCursor>(), Ok(cursor));
        assert!("3".parse::<LogCursor>().is_err(), "a bare position is not a cursor");
        assert!("x:3".parse::<LogCursor>().is_err());
    }
}
