//! The projector: runs every projection from its checkpoint over the global log.
//!
//! - **Exactly-once**: a batch's read-model changes and its checkpoint advance commit in
//!   one transaction. The checkpoint update is guarded by the value read at the start, so
//!   a batch that raced a rebuild rolls back instead of writing over the reset.
//! - **Asynchronous commit**: a batch commits with `synchronous_commit = off`. A crash can
//!   only lose whole batches together with their checkpoint, which are then projected again.
//! - **One leader**: each node runs a projector, but only the one holding the PostgreSQL
//!   advisory lock works; the others wait, and take over when its session ends. So a batch
//!   reads read-model rows without row locks: should another writer race it anyway (a
//!   one-off catch-up, a rebuild's reset), the checkpoint guard rolls one of them back.
//! - **Woken, not spinning**: this node's appends wake it in memory, other nodes' through
//!   `LISTEN veche_events`; a poll every [`FALLBACK_POLL`] is the fallback for a lost
//!   notification. Both are [`crate::follow`]'s, shared with the NATS publisher.
//! - **One bad event stops nothing**: a batch that fails on what it holds (not on the
//!   database: [`ProjectionError::is_poison`]) is taken again one event at a time, and the
//!   aggregate of the event that still fails is set aside ([`crate::quarantine`]) while the
//!   rest of the log goes on. Set-aside aggregates asked for again are replayed first.

use crate::batch::{self, DecodedBatch};
use crate::follow::{keep_leading, Leadership, LogFollower, Woken, FALLBACK_POLL};
use crate::global_log::RecordedEvent;
use crate::global_log::{self, LogCursor};
use crate::quarantine::{self, AggregateKey};
use crate::wake::LogWake;
use crate::{calendar, calendar_feed, meeting_details, reminders, rooms, BatchMemo, BatchWrites, ProjectionError};
use cqrs_es::persist::EventUpcaster;
use futures::FutureExt as _;
use sqlx::{PgConnection, PgPool};
use std::collections::HashSet;
use std::panic::AssertUnwindSafe;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// `work`'s outcome, with a panic in it made a [`ProjectionError::Panicked`] (a poison
/// error: the event that caused it is set aside rather than retried for ever).
async fn panic_caught<T>(work: impl std::future::Future<Output = Result<T, ProjectionError>>) -> Result<T, ProjectionError> {
    AssertUnwindSafe(work)
        .catch_unwind()
        .await
        .unwrap_or_else(|panic| Err(ProjectionError::Panicked(crate::panic_message(panic))))
}

/// The read models veche maintains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Projection {
    MeetingDetails,
    Calendar,
    Rooms,
    Reminders,
    CalendarFeed,
}

impl Projection {
    /// Every projection, in the order a batch is applied: `calendar` and `reminders` take
    /// the meeting states `meeting_details` has just computed (the batch's memo).
    pub const ALL: [Projection; 5] =
        [Projection::MeetingDetails, Projection::Calendar, Projection::Rooms, Projection::Reminders, Projection::CalendarFeed];

    pub fn name(self) -> &'static str {
        match self {
            Self::MeetingDetails => meeting_details::NAME,
            Self::Calendar => calendar::NAME,
            Self::Rooms => rooms::NAME,
            Self::Reminders => reminders::NAME,
            Self::CalendarFeed => calendar_feed::NAME,
        }
    }

    pub fn tables(self) -> &'static [&'static str] {
        match self {
            Self::MeetingDetails => meeting_details::TABLES,
            Self::Calendar => calendar::TABLES,
            Self::Rooms => rooms::TABLES,
            Self::Reminders => reminders::TABLES,
            Self::CalendarFeed => calendar_feed::TABLES,
        }
    }

    pub fn by_name(name: &str) -> Result<Self, ProjectionError> {
        Self::ALL.into_iter().find(|p| p.name() == name).ok_or_else(|| ProjectionError::UnknownProjection(name.to_string()))
    }

    /// Applies the batch's events after `checkpoint`, adding its writes to `writes`.
    async fn apply(
        self,
        conn: &mut PgConnection,
        batch: &DecodedBatch<'_>,
        checkpoint: LogCursor,
        memo: &mut BatchMemo,
        writes: &mut BatchWrites,
    ) -> Result<(), ProjectionError> {
        let meetings = batch::after(&batch.meetings, checkpoint);
        match self {
            Self::MeetingDetails => meeting_details::apply_batch(conn, meetings, memo, writes).await,
            Self::Calendar => calendar::apply_batch(conn, meetings, memo, writes).await,
            Self::Rooms => rooms::apply_batch(conn, batch::after(&batch.rooms, checkpoint), writes).await,
            Self::Reminders => reminders::apply_batch(conn, meetings, memo, writes).await,
            Self::CalendarFeed => calendar_feed::apply_batch(conn, meetings, memo, writes).await,
        }
    }
}

/// How soon to look again when events exist that in-flight transactions still hide. Any
/// write transaction in the cluster hides later events for its duration (the effect
/// ledger's, the publisher's checkpoint...), so under load this is the projector's usual
/// rhythm: on its own thread a steady 2 ms retry polled thousands of statements a second.
const IN_FLIGHT_RETRY: Duration = Duration::from_millis(5);
/// The longest such retry: the retries double from [`IN_FLIGHT_RETRY`] up to this.
const MAX_IN_FLIGHT_RETRY: Duration = Duration::from_millis(80);
/// The shortest time between the starts of two batches.
const MIN_BATCH_INTERVAL: Duration = Duration::from_millis(5);
/// How long to wait after a failed batch before retrying it.
const ERROR_BACKOFF: Duration = Duration::from_secs(1);
/// The advisory lock that elects the one working projector.
const LEADER_LOCK: i64 = 0x7665_6368_6550_524a; // "vecheePRJ"
/// The channel on which a committed batch announces progress.
pub const PROJECTED_CHANNEL: &str = "veche_projected";

pub struct Projector {
    pool: PgPool,
    projections: Vec<Projection>,
    batch_size: i64,
    upcasters: Vec<Box<dyn EventUpcaster>>,
    /// This node's appends wake the projector at once (see [`crate::wake`]).
    wake: LogWake,
}

/// The outcome of one batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Events were applied; `full` when the batch took as many as it may, so more may be
    /// visible already.
    Applied { events: usize, full: bool, hidden: bool },
    /// Nothing visible to apply.
    Idle { hidden: bool },
    /// A concurrent rebuild reset the checkpoint; the batch was rolled back.
    Raced,
    /// The batch's one event could not be applied; its aggregate was set aside.
    SetAside,
    /// Quarantined aggregates were replayed (or failed again) instead of a batch.
    Replayed,
}

impl Step {
    /// True when committed events were still hidden from the batch by transactions in
    /// flight: they become visible when those commit, which nothing announces.
    fn hidden(self) -> bool {
        match self {
            Self::Applied { hidden, .. } | Self::Idle { hidden } => hidden,
            Self::Raced | Self::SetAside | Self::Replayed => false,
        }
    }
}

/// Where a batch starts: every checkpoint; the last committed event in log order, which the
/// batch is compared with to tell whether transactions in flight hid events from it; and the
/// quarantined aggregates (`type/id`), all of them and those to replay (usually none: the
/// table is empty, and asking costs no round trip of its own).
const CHECKPOINTS_AND_HEAD: &str = "select c.name, c.transaction_id, c.position, \
       coalesce(h.transaction, 0) as head_transaction, coalesce(h.position, 0) as head_position, q.held, q.replay from projection_checkpoint c \
     left join lateral (select transaction_id::text::bigint as transaction, global_position as position \
       from events order by transaction_id desc, global_position desc limit 1) h on true \
     cross join (select coalesce(array_agg(aggregate_type || '/' || aggregate_id), '{}') as held, \
       coalesce(array_agg(aggregate_type || '/' || aggregate_id) filter (where retry_requested), '{}') as replay \
       from projection_quarantine) q \
     where c.name = any($1)";

/// The lowest checkpoint of the projections `names`: where all of them have got to.
pub(crate) async fn lowest_checkpoint(pool: &PgPool, names: &[&str]) -> Result<LogCursor, sqlx::Error> {
    let lowest: Option<LogCursor> = sqlx::query_as(
        "select transaction_id, position from projection_checkpoint where name = any($1) \
         order by transaction_id, position limit 1",
    )
    .bind(names)
    .fetch_optional(pool)
    .await?;
    Ok(lowest.unwrap_or_default())
}

/// A checkpoint as a batch reads it, with the log's head and the quarantined aggregates
/// (the same on every row).
#[derive(Debug, sqlx::FromRow)]
struct CheckpointRow {
    name: String,
    #[sqlx(flatten)]
    checkpoint: LogCursor,
    head_transaction: i64,
    head_position: i64,
    /// Quarantined aggregates (`type/id`).
    held: Vec<String>,
    /// Those of them an operator asked to replay.
    replay: Vec<String>,
}

/// Advances every checkpoint that moved only from where this batch found it: the last part
/// of a batch's writes (see [`BatchWrites`]).
const ADVANCE: &str = "checkpoints_moved as ( \
       update projection_checkpoint c set transaction_id = $4, position = $5, updated_at = now() \
       from unnest($1::text[], $2::bigint[], $3::bigint[]) as seen(name, transaction_id, position) \
       where c.name = seen.name and c.transaction_id = seen.transaction_id and c.position = seen.position \
       returning c.transaction_id, c.position)";

/// The final query of a batch's writes: how many checkpoints moved, and the announcement of
/// the new cursor (a notification is sent on commit only, so a rolled-back batch
/// announces nothing).
fn moved_and_announced() -> String {
    format!("select (select count(*) from checkpoints_moved), \
             pg_notify('{PROJECTED_CHANNEL}', (select max(transaction_id)::text || ':' || max(position)::text from checkpoints_moved))")
}

impl Projector {
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            projections: Projection::ALL.to_vec(),
            // Small enough that a batch commits within milliseconds under load (lag is
            // at least one batch), large enough to amortise the commit when catching up.
            batch_size: 500,
            upcasters: domain::upcasting::meeting_upcasters(),
            wake: LogWake::new(),
        }
    }

    /// Shares the node's wake-up signal with the writers.
    pub fn with_wake(mut self, wake: LogWake) -> Self {
        self.wake = wake;
        self
    }

    pub fn with_batch_size(mut self, batch_size: i64) -> Self {
        self.batch_size = batch_size.max(1);
        self
    }

    /// The checkpoint names of the projections this projector runs.
    fn names(&self) -> Vec<&'static str> {
        self.projections.iter().map(|p| p.name()).collect()
    }

    /// Creates the checkpoint rows of every projection (idempotent).
    pub async fn ensure_checkpoints(&self) -> Result<(), ProjectionError> {
        sqlx::query("insert into projection_checkpoint (name) select unnest($1::text[]) on conflict do nothing")
            .bind(self.names())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Applies one batch of the log to every projection that has not seen it, in one
    /// transaction: the batch is read and decoded once, and one commit advances every
    /// checkpoint with its read model. Under a stream of appends this runs up to 200 times
    /// a second, so it keeps to six round trips (begin, checkpoints, log, the stored meetings,
    /// every write in one statement, commit), and one more when the batch has room events.
    pub async fn step(&self) -> Result<Step, ProjectionError> {
        self.step_with(self.batch_size).await
    }

    /// One batch of at most `limit` events (see [`Projector::step`]).
    async fn step_with(&self, limit: i64) -> Result<Step, ProjectionError> {
        let names = self.names();
        // Read models are derived data: if a crash loses this commit, it loses the
        // checkpoints with it, and the batch is projected again. So the batch need not wait
        // for its WAL flush, which keeps the projector off the writers' fsync queue.
        // Custom plans: a generic plan, made for any array, scanned all of `meeting_view` for
        // `meeting_id = any($1)` (found by perf: a third of the projector's PostgreSQL CPU
        // compared UUIDs, and batches took longer as the table grew).
        let mut tx = self
            .pool
            .begin_with("begin; set local synchronous_commit = off; set local plan_cache_mode = force_custom_plan")
            .await?;
        // Read before writing anything: until it writes, this transaction has no id of its
        // own, so it does not hold back the snapshot horizon the log reader relies on.
        let mut checkpoints: Vec<CheckpointRow> = sqlx::query_as(CHECKPOINTS_AND_HEAD).bind(&names).fetch_all(&mut *tx).await?;
        // Apply in the order of `ALL` (rows come back in no particular order): `calendar`
        // and `reminders` take what `meeting_details` computes in the same batch.
        checkpoints.sort_by_key(|row| names.iter().position(|n| *n == row.name));
        let (held, replay) = checkpoints.first().map(|c| (c.held.clone(), c.replay.clone())).unwrap_or_default();
        metrics::gauge!("veche_projection_quarantined_aggregates").set(held.len() as f64);
        if !replay.is_empty() {
            tx.rollback().await?;
            self.replay(&replay, &checkpoints).await?;
            return Ok(Step::Replayed);
        }
        let head = checkpoints.first().map(|c| LogCursor::new(c.head_transaction, c.head_position)).unwrap_or_default();
        let Some(lowest) = checkpoints.iter().map(|c| c.checkpoint).min() else {
            tx.rollback().await?;
            return Ok(Step::Idle { hidden: false });
        };
        let events = global_log::read_after(&mut *tx, lowest, limit).await?;
        let Some(last) = events.last() else {
            tx.rollback().await?;
            return Ok(Step::Idle { hidden: head > lowest });
        };
        let (last_cursor, last_recorded_at) = (last.cursor(), last.recorded_at);
        // A quarantined aggregate's events are passed over; the checkpoints move past them.
        let held: HashSet<String> = held.into_iter().collect();
        let applicable: Vec<&RecordedEvent> = events
            .iter()
            .filter(|e| held.is_empty() || !held.contains(&quarantine::key(&e.aggregate_type, &e.aggregate_id)))
            .collect();
        let applied = panic_caught(self.apply_and_advance(&mut tx, &applicable, &checkpoints, last_cursor)).await;
        let all_moved = match applied {
            Ok(all_moved) => all_moved,
            Err(error) if error.is_poison() && applicable.len() == 1 => {
                tx.rollback().await?;
                quarantine::set_aside(&self.pool, applicable[0], &error).await?;
                return Ok(Step::SetAside);
            }
            Err(error) => return Err(error),
        };
        if !all_moved {
            tx.rollback().await?;
            return Ok(Step::Raced);
        }
        tx.commit().await?;
        let lag = (chrono::Utc::now() - last_recorded_at).num_milliseconds().max(0) as f64 / 1000.0;
        for name in &names {
            metrics::gauge!("veche_projection_lag_seconds", "projection" => *name).set(lag);
            metrics::gauge!("veche_projection_position", "projection" => *name).set(last_cursor.position as f64);
        }
        metrics::counter!("veche_projected_events_total").increment(events.len() as u64);
        Ok(Step::Applied { events: events.len(), full: events.len() as i64 >= limit, hidden: head > last_cursor })
    }

    /// Applies `events` to every projection whose checkpoint is before `last`, and adds the
    /// advance of those checkpoints to `last` to the batch's one statement. False when a
    /// checkpoint was no longer where the batch found it (a rebuild raced it).
    async fn apply_and_advance(
        &self,
        conn: &mut PgConnection,
        events: &[&RecordedEvent],
        checkpoints: &[CheckpointRow],
        last: LogCursor,
    ) -> Result<bool, ProjectionError> {
        let decoded = DecodedBatch::decode(events.iter().copied(), &self.upcasters)?;
        let mut advanced: (Vec<&str>, Vec<i64>, Vec<i64>) = (vec![], vec![], vec![]);
        let (mut memo, mut writes) = (BatchMemo::default(), BatchWrites::default());
        for CheckpointRow { name, checkpoint, .. } in checkpoints {
            if *checkpoint >= last {
                continue;
            }
            let projection = Projection::by_name(name)?;
            projection.apply(conn, &decoded, *checkpoint, &mut memo, &mut writes).await?;
            advanced.0.push(name);
            advanced.1.push(checkpoint.transaction);
            advanced.2.push(checkpoint.position);
        }
        // Every checkpoint moves only from where this batch found it: a rebuild that reset
        // one meanwhile makes the count fall short, and the batch is rolled back.
        writes
            .add(ADVANCE)
            .bind(&advanced.0)?
            .bind(&advanced.1)?
            .bind(&advanced.2)?
            .bind(last.transaction)?
            .bind(last.position)?;
        let moved: i64 = writes.execute(conn, &moved_and_announced()).await?;
        Ok(moved == advanced.0.len() as i64)
    }

    /// Replays the quarantined aggregates `keys` (`type/id`) from their first event up to
    /// each projection's checkpoint, each in a transaction of its own: its rows are deleted
    /// and built again, and its quarantine ends. One that fails again on its data stays
    /// quarantined with the new error.
    async fn replay(&self, keys: &[String], checkpoints: &[CheckpointRow]) -> Result<(), ProjectionError> {
        for key in keys {
            let Some((aggregate_type, aggregate_id)) = key.split_once('/') else { continue };
            let key: AggregateKey = (aggregate_type.to_string(), aggregate_id.to_string());
            match self.replay_one(&key, checkpoints).await {
                Ok(()) => {}
                Err(error) if error.is_poison() => quarantine::retry_failed(&self.pool, &key, &error).await?,
                Err(error) => return Err(error),
            }
        }
        Ok(())
    }

    async fn replay_one(&self, key: &AggregateKey, checkpoints: &[CheckpointRow]) -> Result<(), ProjectionError> {
        let mut tx = self.pool.begin().await?;
        let events = global_log::stream_of(&mut *tx, &key.0, &key.1, None).await?;
        quarantine::delete_rows(&mut tx, &key.0, &key.1).await?;
        let (mut memo, mut writes) = (BatchMemo::default(), BatchWrites::default());
        let conn: &mut PgConnection = &mut tx;
        panic_caught(async {
            for CheckpointRow { name, checkpoint, .. } in checkpoints {
                let checkpoint = *checkpoint;
                let seen = events.iter().filter(|event| event.cursor() <= checkpoint);
                let decoded = DecodedBatch::decode(seen, &self.upcasters)?;
                Projection::by_name(name)?.apply(conn, &decoded, LogCursor::START, &mut memo, &mut writes).await?;
            }
            writes.execute::<i32>(conn, "select 1").await
        })
        .await?;
        quarantine::release(&mut tx, key).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Runs every projection until none has visible work left. Returns the events applied.
    pub async fn catch_up(&self) -> Result<usize, ProjectionError> {
        self.ensure_checkpoints().await?;
        Ok(self.drain().await?.0)
    }

    /// Applies batches until one finds nothing more visible (a batch that was not full
    /// took everything visible when it read). Returns the events applied and whether the
    /// last batch saw events still hidden by transactions in flight.
    async fn drain(&self) -> Result<(usize, bool), ProjectionError> {
        let mut total = 0;
        // After a batch failed on what it holds, this many events are taken one at a time,
        // so that the one that fails is found and set aside and the others are applied.
        let mut one_by_one = 0;
        loop {
            let limit = if one_by_one > 0 { 1 } else { self.batch_size };
            let step = match self.step_with(limit).await {
                Err(error) if error.is_poison() && limit > 1 => {
                    tracing::warn!(error = %error, "a batch failed on its events; taking them one at a time");
                    one_by_one = limit;
                    continue;
                }
                step => step?,
            };
            if matches!(step, Step::Applied { .. } | Step::SetAside) {
                one_by_one = (one_by_one - 1).max(0);
            }
            match step {
                Step::Applied { events, full: true, .. } => total += events,
                Step::Applied { events, .. } => return Ok((total + events, step.hidden())),
                Step::Idle { .. } => return Ok((total, step.hidden())),
                // Go round again: from the reset checkpoint, past the set-aside event, or
                // after the replays.
                Step::Raced | Step::SetAside | Step::Replayed => {}
            }
        }
    }

    /// Runs every projection until each has reached the last event committed when the
    /// call began, waiting for transactions still in flight (anywhere in the cluster: the
    /// snapshot horizon is cluster-wide) for at most `timeout`. Returns the events applied.
    pub async fn catch_up_to_head(&self, timeout: Duration) -> Result<usize, ProjectionError> {
        let head = global_log::head(&self.pool).await?;
        let deadline = tokio::time::Instant::now() + timeout;
        let mut total = 0;
        loop {
            total += self.catch_up().await?;
            if self.lowest_checkpoint().await? >= head {
                return Ok(total);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(ProjectionError::Timeout { head });
            }
            tokio::time::sleep(IN_FLIGHT_RETRY).await;
        }
    }

    async fn lowest_checkpoint(&self) -> Result<LogCursor, ProjectionError> {
        Ok(lowest_checkpoint(&self.pool, &self.names()).await?)
    }

    /// Runs as leader or stand-by until `shutdown` is cancelled.
    pub async fn run(self, shutdown: CancellationToken) {
        keep_leading("projector", "veche_projector_errors_total", ERROR_BACKOFF, &shutdown, || self.lead(&shutdown)).await;
    }

    async fn lead(&self, shutdown: &CancellationToken) -> Result<(), ProjectionError> {
        let Some(leadership) = Leadership::acquire(&self.pool, LEADER_LOCK, shutdown).await? else {
            return Ok(());
        };
        tracing::info!("projector is the leader");
        let mut follower = LogFollower::connect(&self.pool, &self.wake).await?;
        metrics::gauge!("veche_projector_running").set(1.0);
        let result = self.work(&mut follower, shutdown).await;
        metrics::gauge!("veche_projector_running").set(0.0);
        leadership.release().await;
        result
    }

    async fn work(&self, follower: &mut LogFollower, shutdown: &CancellationToken) -> Result<(), ProjectionError> {
        self.ensure_checkpoints().await?;
        let mut retry = IN_FLIGHT_RETRY;
        let mut last_drain = tokio::time::Instant::now();
        loop {
            if shutdown.is_cancelled() {
                return Ok(());
            }
            // Under a stream of appends every one of them wakes the projector; batches at
            // most every MIN_BATCH_INTERVAL gather them, at that much lag.
            tokio::time::sleep_until(last_drain + MIN_BATCH_INTERVAL).await;
            last_drain = tokio::time::Instant::now();
            let (applied, hidden) = self.drain().await?;
            if applied > 0 {
                retry = IN_FLIGHT_RETRY;
            } else {
                for projection in &self.projections {
                    metrics::gauge!("veche_projection_lag_seconds", "projection" => projection.name()).set(0.0);
                }
            }
            // Events hidden by transactions in flight become visible when those commit, which
            // nothing announces: look again soon, then less and less often.
            let wait = if hidden {
                let wait = retry;
                retry = (retry * 2).min(MAX_IN_FLIGHT_RETRY);
                wait
            } else {
                retry = IN_FLIGHT_RETRY;
                FALLBACK_POLL
            };
            if follower.wait(wait, shutdown).await? == Woken::Shutdown {
                return Ok(());
            }
        }
    }

    /// Empties a projection's tables and sets its checkpoint to zero, in one transaction.
    /// The running leader (or [`Projector::catch_up`]) then rebuilds it from the first event.
    pub async fn reset(&self, projection: Projection) -> Result<(), ProjectionError> {
        self.ensure_checkpoints().await?;
        let mut tx = self.pool.begin().await?;
        for table in projection.tables() {
            sqlx::query(&format!("truncate table {table}")).execute(&mut *tx).await?;
        }
        sqlx::query("update projection_checkpoint set transaction_id = 0, position = 0, updated_at = now() where name = $1")
            .bind(projection.name())
            .execute(&mut *tx)
            .await?;
        // Every node's progress goes back with it (see `crate::progress`).
        sqlx::query("select pg_notify($1, 'reset')").bind(PROJECTED_CHANNEL).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Tries to become leader on a dedicated connection for a one-off job (the CLI's
    /// rebuild): returns the connection holding the lock, or `None` if a server leads.
    pub async fn try_lead_once(&self) -> Result<Option<PgConnection>, ProjectionError> {
        Ok(Leadership::try_acquire(&self.pool, LEADER_LOCK).await?.map(Leadership::into_connection))
    }
}
