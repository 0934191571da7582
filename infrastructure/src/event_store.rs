//! The event store: postgres-es over the `events` table, plus the global log lookups the
//! application needs (postgres-es knows nothing of `global_position`).

use application::ports::{EventLog, PortError};
use cqrs_es::persist::PersistedEventStore;
use domain::meeting::Meeting;
use domain::room::Room;
use postgres_es::PostgresEventRepository;
use projections::wake::LogWake;
use sqlx::PgPool;
use std::collections::HashMap;

/// The store of `Meeting` events: every load replays the meeting's events (through the
/// upcasters), every commit appends them in one transaction, and a concurrent append of
/// the same sequence fails on the primary key (optimistic concurrency).
pub type MeetingStore = PersistedEventStore<PostgresEventRepository, Meeting>;

pub fn meeting_store(pool: PgPool) -> MeetingStore {
    PersistedEventStore::new_event_store(PostgresEventRepository::new(pool))
        .with_upcasters(domain::upcasting::meeting_upcasters())
}

/// The store of `Room` events: presence in video rooms (joins, leaves, expiries).
pub type RoomStore = PersistedEventStore<PostgresEventRepository, Room>;

pub fn room_store(pool: PgPool) -> RoomStore {
    PersistedEventStore::new_event_store(PostgresEventRepository::new(pool))
}

/// The [`EventLog`] port over the `events` table.
#[derive(Clone)]
pub struct PgEventLog {
    pool: PgPool,
    wake: LogWake,
}

impl PgEventLog {
    pub fn new(pool: PgPool, wake: LogWake) -> Self {
        Self { pool, wake }
    }
}

impl EventLog for PgEventLog {
    fn appended(&self) {
        self.wake.appended();
    }

    async fn position_of(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        sequence: u64,
    ) -> Result<Option<i64>, PortError> {
        Ok(sqlx::query_scalar(
            "select global_position from events \
             where aggregate_type = $1 and aggregate_id = $2 and sequence = $3",
        )
        .bind(aggregate_type)
        .bind(aggregate_id)
        .bind(sequence as i64)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn first_metadata(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<Option<HashMap<String, String>>, PortError> {
        let metadata: Option<serde_json::Value> = sqlx::query_scalar(
            "select metadata from events \
             where aggregate_type = $1 and aggregate_id = $2 order by sequence limit 1",
        )
        .bind(aggregate_type)
        .bind(aggregate_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(metadata.map(serde_json::from_value).transpose()?)
    }
}
