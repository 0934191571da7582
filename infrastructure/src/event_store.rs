//! The event store: postgres-es over the `events` table (appends in one statement, see
//! [`EventRepository`]), plus the global log lookups the application needs (postgres-es
//! knows nothing of `global_position`).

use application::ports::{EventLog, PortError};
use cqrs_es::persist::{
    PersistedEventRepository, PersistedEventStore, PersistenceError, ReplayStream, SerializedEvent, SerializedSnapshot,
};
use cqrs_es::Aggregate;
use domain::meeting::Meeting;
use domain::room::Room;
use postgres_es::PostgresEventRepository;
use projections::global_log::LogCursor;
use projections::wake::LogWake;
use serde_json::Value;
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The store of `Meeting` events: every load replays the meeting's events (through the
/// upcasters), every commit appends them atomically, and a concurrent append of the same
/// sequence fails on the primary key (optimistic concurrency).
pub type MeetingStore = PersistedEventStore<EventRepository, Meeting>;

pub fn meeting_store(pool: PgPool) -> MeetingStore {
    meeting_store_over(EventRepository::new(pool))
}

fn meeting_store_over(repository: EventRepository) -> MeetingStore {
    PersistedEventStore::new_event_store(repository).with_upcasters(domain::upcasting::meeting_upcasters())
}

/// The store of `Room` events: presence in video rooms (joins, leaves, expiries).
pub type RoomStore = PersistedEventStore<EventRepository, Room>;

/// postgres-es's repository, except for appends: postgres-es sends BEGIN, one INSERT per
/// event and COMMIT, three round trips or more with the transaction open in between; we
/// send one `INSERT … SELECT FROM unnest(…)`, atomic on its own. That is fewer round trips
/// per command, and, above all, the appending transaction holds its id only while the server
/// executes the statement: the gap-free log hides every event behind an open transaction
/// (see `projections::global_log`), so a writer whose task waited for a CPU between its
/// INSERT and its COMMIT held back every projection. Loads and snapshots are postgres-es's.
///
/// An append also returns the global positions the events took, and tells them to the
/// [`PgEventLog`] that built the store (see [`PgEventLog::meeting_store`]), which answers the
/// executor's "where did my commit land?" without another query.
pub struct EventRepository {
    postgres_es: PostgresEventRepository,
    pool: PgPool,
    appended: Option<AppendedPositions>,
    /// Told where each append landed (for reads after it on this node).
    wake: Option<LogWake>,
}

impl EventRepository {
    pub fn new(pool: PgPool) -> Self {
        Self { postgres_es: PostgresEventRepository::new(pool.clone()), pool, appended: None, wake: None }
    }
}

/// The global positions of the latest appends, keyed by (aggregate type, aggregate id,
/// sequence of the append's last event), from the append's commit to the executor's lookup
/// right after it. An entry nobody looks up (an append outside the executor) is dropped with
/// the rest when the map is full; a lookup that misses asks the database.
#[derive(Clone, Default)]
struct AppendedPositions(Arc<Mutex<HashMap<AppendKey, i64>>>);

/// (aggregate type, aggregate id, sequence of the append's last event).
type AppendKey = (String, String, u64);

/// Commits in flight at once are far fewer than this.
const REMEMBERED_APPENDS: usize = 4096;

impl AppendedPositions {
    fn remember(&self, aggregate_type: &str, aggregate_id: &str, sequence: u64, position: i64) {
        let mut positions = self.0.lock().expect("the appended positions' lock is never poisoned");
        if positions.len() >= REMEMBERED_APPENDS {
            positions.clear();
        }
        positions.insert((aggregate_type.to_string(), aggregate_id.to_string(), sequence), position);
    }

    fn take(&self, aggregate_type: &str, aggregate_id: &str, sequence: u64) -> Option<i64> {
        let mut positions = self.0.lock().expect("the appended positions' lock is never poisoned");
        positions.remove(&(aggregate_type.to_string(), aggregate_id.to_string(), sequence))
    }
}

const APPEND: &str = "insert into events \
     (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
     select $1, $2, e.sequence, e.event_type, e.event_version, e.payload::json, e.metadata::json \
     from unnest($3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[]) with ordinality \
          as e(sequence, event_type, event_version, payload, metadata, n) \
     order by e.n \
     returning sequence, global_position as position, transaction_id::text::bigint as transaction_id";

/// Where an appended event went.
#[derive(sqlx::FromRow)]
struct Appended {
    sequence: i64,
    #[sqlx(flatten)]
    cursor: LogCursor,
}

impl PersistedEventRepository for EventRepository {
    async fn get_events<A: Aggregate>(&self, aggregate_id: &str) -> Result<Vec<SerializedEvent>, PersistenceError> {
        self.postgres_es.get_events::<A>(aggregate_id).await
    }

    async fn get_last_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
        last_sequence: usize,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        self.postgres_es.get_last_events::<A>(aggregate_id, last_sequence).await
    }

    async fn get_snapshot<A: Aggregate>(&self, aggregate_id: &str) -> Result<Option<SerializedSnapshot>, PersistenceError> {
        self.postgres_es.get_snapshot::<A>(aggregate_id).await
    }

    async fn persist<A: Aggregate>(
        &self,
        events: &[SerializedEvent],
        snapshot_update: Option<(String, Value, usize)>,
    ) -> Result<(), PersistenceError> {
        let Some(first) = events.first() else { return Ok(()) };
        if snapshot_update.is_some() {
            // Snapshots are not used by veche's stores; postgres-es handles them if one is.
            return self.postgres_es.persist::<A>(events, snapshot_update).await;
        }
        let appended: Vec<Appended> = sqlx::query_as(APPEND)
            .bind(A::TYPE)
            .bind(first.aggregate_id.as_str())
            .bind(events.iter().map(|e| e.sequence as i64).collect::<Vec<_>>())
            .bind(events.iter().map(|e| e.event_type.as_str()).collect::<Vec<_>>())
            .bind(events.iter().map(|e| e.event_version.as_str()).collect::<Vec<_>>())
            .bind(events.iter().map(|e| e.payload.to_string()).collect::<Vec<_>>())
            .bind(events.iter().map(|e| e.metadata.to_string()).collect::<Vec<_>>())
            .fetch_all(&self.pool)
            .await
            .map_err(|error| match &error {
                sqlx::Error::Database(e) if e.code().as_deref() == Some("23505") => PersistenceError::OptimisticLockError,
                sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::PoolTimedOut => {
                    PersistenceError::ConnectionError(error.into())
                }
                _ => PersistenceError::UnknownError(error.into()),
            })?;
        if let Some(last) = appended.iter().max_by_key(|event| event.sequence) {
            if let Some(positions) = &self.appended {
                positions.remember(A::TYPE, &first.aggregate_id, last.sequence as u64, last.cursor.position);
            }
            if let Some(wake) = &self.wake {
                wake.landed(last.cursor);
            }
        }
        Ok(())
    }

    async fn stream_events<A: Aggregate>(&self, aggregate_id: &str) -> Result<ReplayStream, PersistenceError> {
        self.postgres_es.stream_events::<A>(aggregate_id).await
    }

    async fn stream_all_events<A: Aggregate>(&self) -> Result<ReplayStream, PersistenceError> {
        self.postgres_es.stream_all_events::<A>().await
    }
}

/// The [`EventLog`] port over the `events` table.
#[derive(Clone)]
pub struct PgEventLog {
    pool: PgPool,
    wake: LogWake,
    appended: AppendedPositions,
}

impl PgEventLog {
    pub fn new(pool: PgPool, wake: LogWake) -> Self {
        Self { pool, wake, appended: AppendedPositions::default() }
    }

    /// The store of `Meeting` events, which tells this log where its appends land.
    pub fn meeting_store(&self) -> MeetingStore {
        meeting_store_over(self.repository())
    }

    /// The store of `Room` events, which tells this log where its appends land.
    pub fn room_store(&self) -> RoomStore {
        PersistedEventStore::new_event_store(self.repository())
    }

    fn repository(&self) -> EventRepository {
        EventRepository {
            appended: Some(self.appended.clone()),
            wake: Some(self.wake.clone()),
            ..EventRepository::new(self.pool.clone())
        }
    }
}

impl EventLog for PgEventLog {
    fn appended(&self) {
        self.wake.appended();
    }

    async fn position_of(&self, aggregate_type: &str, aggregate_id: &str, sequence: u64) -> Result<Option<i64>, PortError> {
        if let Some(position) = self.appended.take(aggregate_type, aggregate_id, sequence) {
            return Ok(Some(position));
        }
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
