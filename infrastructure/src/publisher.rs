//! The publisher: a transactional-outbox relay from the global log to JetStream.
//!
//! - **One leader** across nodes, under its own advisory lock (see [`projections::follow`]);
//!   a stand-by takes over within [`projections::follow::STANDBY_RETRY`] of the leader's
//!   session ending.
//! - **At least once, deduplicated**: each event is published with
//!   `Nats-Msg-Id: <aggregate_type>/<aggregate_id>/<sequence>` and `Veche-Position` /
//!   `Veche-Transaction` headers (its place in the log); the checkpoint (table `publisher_checkpoint`) advances only after JetStream
//!   acknowledged the whole batch. Acknowledgements are awaited together, so a batch costs
//!   one round trip, not one per event.
//! - **In order, with no hole**: within a run every message carries
//!   `Nats-Expected-Last-Msg-Id` = the previous event's id, so if one message is lost on the
//!   way (a connection that broke), JetStream refuses every later one instead of storing
//!   them past the hole; the relay then resynchronises and publishes again from the hole.
//!   The stream therefore holds events in the log's order (by writing transaction, then
//!   position; see [`projections::global_log`]), hence in per-aggregate order.
//! - **Resume from the stream**: at the start of each run (leadership, an error, NATS
//!   reconnected) the relay reads the position of the stream's last message. JetStream
//!   acknowledges before it fsyncs, so a NATS that crashed may have lost acknowledged
//!   messages: when the stream is behind the checkpoint, the relay publishes them again from
//!   PostgreSQL. When it is ahead (the relay died between the ack and its checkpoint), the
//!   relay continues after it. Only when the stream's last message cannot be read (deleted)
//!   does the checkpoint decide, and then Msg-Id deduplication absorbs the overlap.
//! - **NATS down**: publishing fails, the relay backs off and retries; the log keeps
//!   everything, so nothing is lost, and it catches up when NATS is back.

use crate::cloudevents::{self, CloudEvent};
use crate::nats::{Nats, EVENTS_STREAM};
use async_nats::jetstream::context::PublishAckFuture;
use async_nats::jetstream::message::PublishMessage;
use async_nats::jetstream::stream::Stream;
use projections::follow::{keep_leading, Leadership, LogFollower, Woken, FALLBACK_POLL};
use projections::global_log::{self, LogCursor, RecordedEvent};
use projections::wake::LogWake;
use sqlx::PgPool;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The header carrying the event's global position.
pub const POSITION_HEADER: &str = "Veche-Position";
/// The header carrying the id of the transaction that wrote the event: with the position,
/// the event's place in the log's order.
pub const TRANSACTION_HEADER: &str = "Veche-Transaction";
/// The advisory lock that elects the one publishing node ("vechePUB").
const LEADER_LOCK: i64 = 0x7665_6368_6550_5542;
/// How soon to look again when appended events are still hidden by running transactions.
const IN_FLIGHT_RETRY: Duration = Duration::from_millis(2);
/// How long to wait after a failure (NATS or PostgreSQL unreachable) before retrying.
const ERROR_BACKOFF: Duration = Duration::from_millis(500);

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("database error")]
    Database(#[from] sqlx::Error),
    #[error("NATS error")]
    Nats(#[source] async_nats::Error),
    #[error("the connection to NATS was made again; the stream may have lost its tail")]
    Reconnected,
}

impl PublishError {
    fn nats(error: impl Into<async_nats::Error>) -> Self {
        Self::Nats(error.into())
    }
}

#[derive(Clone)]
pub struct Publisher {
    pool: PgPool,
    nats: Nats,
    /// Base of `dataschema` URLs: veche's public URL.
    public_url: String,
    batch_size: i64,
    wake: LogWake,
    /// Whether this publisher holds the leader lock now (for tests and `/readyz`).
    leading: Arc<AtomicBool>,
}

/// Where a run of publishing starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Resume {
    cursor: LogCursor,
    /// Whether the stream's last message is known to be the event at `cursor`, so that
    /// the run may chain `Nats-Expected-Last-Msg-Id` from it.
    chained: bool,
}

impl Publisher {
    pub fn new(pool: PgPool, nats: Nats, public_url: impl Into<String>) -> Self {
        Self {
            pool,
            nats,
            public_url: public_url.into(),
            // Large enough that a batch's single round trip for acks is amortised, small
            // enough that a batch is published in a few milliseconds.
            batch_size: 1000,
            wake: LogWake::new(),
            leading: Arc::default(),
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

    /// A flag that is true while this publisher leads.
    pub fn leading(&self) -> Arc<AtomicBool> {
        self.leading.clone()
    }

    /// The place in the log up to which every event is known to be in the stream.
    pub async fn checkpoint(&self) -> Result<LogCursor, sqlx::Error> {
        let checkpoint: Option<LogCursor> =
            sqlx::query_as("select transaction_id, position from publisher_checkpoint where stream = $1")
                .bind(EVENTS_STREAM)
                .fetch_optional(&self.pool)
                .await?;
        Ok(checkpoint.unwrap_or_default())
    }

    /// Runs as leader or stand-by until `shutdown` is cancelled.
    pub async fn run(self, shutdown: CancellationToken) {
        keep_leading("publisher", "veche_publisher_errors_total", ERROR_BACKOFF, &shutdown, || self.lead(&shutdown)).await;
    }

    async fn lead(&self, shutdown: &CancellationToken) -> Result<(), PublishError> {
        let Some(mut leadership) = Leadership::acquire(&self.pool, LEADER_LOCK, shutdown).await? else {
            return Ok(());
        };
        tracing::info!("publisher is the leader");
        metrics::gauge!("veche_publisher_leader").set(1.0);
        self.leading.store(true, Ordering::SeqCst);
        let result = self.publish_as_leader(&mut leadership, shutdown).await;
        self.leading.store(false, Ordering::SeqCst);
        metrics::gauge!("veche_publisher_leader").set(0.0);
        leadership.release().await;
        result
    }

    async fn publish_as_leader(&self, leadership: &mut Leadership, shutdown: &CancellationToken) -> Result<(), PublishError> {
        let mut stream = self.nats.ensure_events_stream().await.map_err(PublishError::Nats)?;
        let mut follower = LogFollower::connect(&self.pool, &self.wake).await?;
        let connections = self.nats.connections();
        let mut resume = self.resume_point(&mut stream).await?;
        // The id of the last message of this run, which the next one expects.
        let mut last_message_id: Option<String> = None;
        loop {
            if shutdown.is_cancelled() {
                return Ok(());
            }
            if self.nats.connections() != connections {
                return Err(PublishError::Reconnected);
            }
            let events = global_log::read_after(&self.pool, resume.cursor, self.batch_size).await?;
            let Some(last) = events.last() else {
                metrics::gauge!("veche_publisher_lag_seconds").set(0.0);
                let in_flight = global_log::head(&self.pool).await? > resume.cursor;
                if !in_flight {
                    // Idle: make sure this node still leads before sleeping on it.
                    leadership.confirm().await?;
                }
                if follower.wait(if in_flight { IN_FLIGHT_RETRY } else { FALLBACK_POLL }, shutdown).await? == Woken::Shutdown {
                    return Ok(());
                }
                continue;
            };
            let (last_cursor, last_recorded_at) = (last.cursor(), last.recorded_at);
            last_message_id = self.publish_batch(&events, resume.chained, last_message_id).await?;
            self.advance_checkpoint(last_cursor).await?;
            resume = Resume { cursor: last_cursor, chained: resume.chained };
            metrics::counter!("veche_published_events_total").increment(events.len() as u64);
            metrics::gauge!("veche_publisher_position").set(last_cursor.position as f64);
            let lag = (chrono::Utc::now() - last_recorded_at).num_milliseconds().max(0) as f64 / 1000.0;
            metrics::gauge!("veche_publisher_lag_seconds").set(lag);
        }
    }

    /// Publishes `events` in order without waiting between them, then waits for every
    /// acknowledgement. Returns the id of the last message.
    async fn publish_batch(
        &self,
        events: &[RecordedEvent],
        chained: bool,
        mut previous: Option<String>,
    ) -> Result<Option<String>, PublishError> {
        let mut acks: Vec<PublishAckFuture> = Vec::with_capacity(events.len());
        for event in events {
            let id = cloudevents::message_id(event);
            let payload =
                serde_json::to_vec(&CloudEvent::from_recorded(event, &self.public_url)).expect("a CloudEvent always serialises");
            let mut message = PublishMessage::build()
                .payload(payload.into())
                .message_id(&id)
                .header(POSITION_HEADER, event.position.to_string().as_str())
                .header(TRANSACTION_HEADER, event.transaction.to_string().as_str())
                .header("Content-Type", cloudevents::CONTENT_TYPE);
            if let (true, Some(previous)) = (chained, &previous) {
                message = message.expected_last_message_id(previous);
            }
            let ack =
                self.nats.jetstream().send_publish(cloudevents::subject(event), message).await.map_err(PublishError::nats)?;
            acks.push(ack);
            previous = Some(id);
        }
        for ack in acks {
            ack.await.map_err(PublishError::nats)?;
        }
        Ok(previous)
    }

    async fn advance_checkpoint(&self, cursor: LogCursor) -> Result<(), sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        // A checkpoint lost in a crash only makes the relay start a little earlier, and
        // the stream's own position comes first anyway; no need to wait for the flush.
        sqlx::query("set local synchronous_commit = off").execute(&mut *tx).await?;
        sqlx::query(
            "insert into publisher_checkpoint (stream, transaction_id, position) values ($1, $2, $3) \
             on conflict (stream) do update set transaction_id = excluded.transaction_id, \
               position = excluded.position, updated_at = now()",
        )
        .bind(EVENTS_STREAM)
        .bind(cursor.transaction)
        .bind(cursor.position)
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }

    /// Where to start: after the stream's last message when it can be read and belongs to
    /// this log, else after the checkpoint.
    async fn resume_point(&self, stream: &mut Stream) -> Result<Resume, PublishError> {
        let checkpoint = self.checkpoint().await?;
        let head = global_log::head(&self.pool).await?;
        let last_sequence = stream.info().await.map_err(PublishError::nats)?.state.last_sequence;
        let stream_position = if last_sequence == 0 {
            // Never held a message: new, or NATS lost its whole store.
            Some(LogCursor::START)
        } else {
            match stream.get_raw_message(last_sequence).await {
                Ok(message) => {
                    let header = |name: &str| message.headers.get(name).and_then(|value| value.as_str().parse::<i64>().ok());
                    // A message without the transaction (published before it was added)
                    // does not say where it is in the log: the checkpoint decides.
                    header(TRANSACTION_HEADER).zip(header(POSITION_HEADER)).map(|(t, p)| LogCursor::new(t, p))
                }
                Err(error) => {
                    tracing::warn!(%error, last_sequence, "the stream's last message cannot be read; resuming from the checkpoint");
                    None
                }
            }
        };
        let resume = match stream_position {
            Some(position) if position > head => {
                tracing::error!(
                    stream_position = %position,
                    head = %head,
                    "the stream holds positions this log never had (another database's stream?); resuming from the checkpoint"
                );
                Resume { cursor: checkpoint, chained: false }
            }
            Some(position) => {
                if position < checkpoint {
                    tracing::warn!(
                        stream_position = %position,
                        checkpoint = %checkpoint,
                        "the stream lost events it had acknowledged; publishing them again from PostgreSQL"
                    );
                    metrics::counter!("veche_publisher_refills_total").increment(1);
                }
                Resume { cursor: position, chained: true }
            }
            None => Resume { cursor: checkpoint, chained: false },
        };
        tracing::info!(cursor = %resume.cursor, checkpoint = %checkpoint, "publisher resumes");
        Ok(resume)
    }
}
