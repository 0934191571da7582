//! Runs a [`Reactor`] as a JetStream durable pull consumer of `VECHE_EVENTS`.
//!
//! - **Shared by every node**: the durable is named after the reactor, so every node's
//!   runner pulls from the same consumer and JetStream hands each event to one of them.
//! - **Explicit ack, bounded retries**: `Ok` acks. [`ReactorError::Retry`] retries the
//!   event in place after a growing delay, telling JetStream it is still being worked on
//!   (`+WPI`), so the events after it on its lane wait (per-aggregate order holds through
//!   retries). An event not acknowledged within `ack_wait` (its node died, the runner was
//!   stopped) is delivered again, to any node. A passing failure is retried for as long as
//!   the event is younger than `retry_horizon` (a day), however many attempts that takes;
//!   a long `react` tells JetStream every half `ack_wait` that the event is still in hand.
//!   After `max_deliver` attempts past that horizon, or at once on
//!   [`ReactorError::Poison`] or an undecodable message, the event goes to
//!   `VECHE_DEAD_LETTERS` (subject `veche.dead_letters.<reactor>`, the reason in headers,
//!   the original message as payload) and is terminated, so it is never delivered again.
//! - **Order and concurrency**: with `max_ack_pending = 1` and one lane (the default)
//!   JetStream has one unacknowledged event per reactor at a time across all nodes, so a
//!   reactor sees all events in stream order, which is global order (see
//!   [`crate::publisher`]). With `lanes > 1` a node handles up to `lanes` events at once,
//!   each aggregate's events on one lane (by hash of the subject), so on one node they keep
//!   their order; with several nodes, two events of one aggregate may be handled at once on
//!   two nodes. Only reactors that do not depend on order run so (the invitation notifier
//!   renders each event from the meeting as it was then, and iTIP's SEQUENCE lets calendar
//!   clients put updates in order).
//! - **A panic is a poison event**: a reactor that panics on an event has it dead-lettered,
//!   and the runner goes on with the next one.
//! - **Replays**: each runner also consumes `veche.replays.<reactor>` of `VECHE_REPLAYS`,
//!   where `veche dead-letters replay` sends parked events back, handled as any other.
//! - **At least once**: an event may come twice (a redelivery after `ack_wait`, an ack lost
//!   with a dying node), so reactors make their side effects idempotent.

use crate::cloudevents::CloudEvent;
use crate::nats::{dead_letter_subject, replay_subject, Nats, EVENTS_SUBJECTS};
use crate::reactor::{Reactor, ReactorError};
use async_nats::jetstream::consumer::{pull, AckPolicy, Consumer, DeliverPolicy};
use async_nats::jetstream::message::{AckKind, PublishMessage};
use async_nats::jetstream::Message;
use futures::{FutureExt as _, StreamExt};
use projections::global_log::RecordedEvent;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Headers of a dead letter.
pub const DEAD_LETTER_REACTOR: &str = "Veche-Reactor";
pub const DEAD_LETTER_REASON: &str = "Veche-Reason";
pub const DEAD_LETTER_SUBJECT: &str = "Veche-Original-Subject";
pub const DEAD_LETTER_SEQUENCE: &str = "Veche-Stream-Sequence";
pub const DEAD_LETTER_DELIVERIES: &str = "Veche-Deliveries";
/// The longest reason kept in a header.
const MAX_REASON_LEN: usize = 1024;
/// How long to wait after the consumer failed (NATS unreachable) before pulling again.
const ERROR_BACKOFF: Duration = Duration::from_millis(500);

/// How a reactor's consumer behaves. Fixed when the durable is first created.
#[derive(Debug, Clone)]
pub struct ConsumerOptions {
    /// How long a delivered event may stay unacknowledged before JetStream delivers it
    /// again (to any node).
    pub ack_wait: Duration,
    /// Attempts (deliveries and in-place retries) before a failing event is dead-lettered,
    /// once it is older than [`ConsumerOptions::retry_horizon`].
    pub max_deliver: i64,
    /// How long after it was recorded an event that fails for a passing reason (SMTP down,
    /// a push service timing out) is still retried, whatever the attempts: an outage of
    /// hours loses no invitation, and one that outlasts this parks it for a replay.
    pub retry_horizon: Duration,
    /// The delay before the first retry after [`ReactorError::Retry`]; it doubles on each
    /// later one, up to [`ConsumerOptions::max_retry_delay`].
    pub retry_delay: Duration,
    pub max_retry_delay: Duration,
    /// Events delivered and not yet acknowledged, across nodes. 1 keeps global order.
    pub max_ack_pending: i64,
    /// Events this node handles at once, each aggregate on one lane.
    pub lanes: usize,
}

impl Default for ConsumerOptions {
    fn default() -> Self {
        Self {
            ack_wait: Duration::from_secs(30),
            max_deliver: 10,
            retry_horizon: Duration::from_secs(24 * 3600),
            retry_delay: Duration::from_secs(1),
            max_retry_delay: Duration::from_secs(60),
            max_ack_pending: 1,
            lanes: 1,
        }
    }
}

impl ConsumerOptions {
    /// For a reactor that does not depend on order: `lanes` events at once on this node.
    pub fn concurrent(lanes: usize) -> Self {
        let lanes = lanes.max(1);
        Self { lanes, max_ack_pending: (lanes * 4) as i64, ..Self::default() }
    }
}

/// The lane of an event: its subject without the event type names the aggregate.
fn lane_of(subject: &str, lanes: usize) -> usize {
    use std::hash::{Hash, Hasher};
    if lanes == 1 {
        return 0;
    }
    let aggregate = subject.rsplit_once('.').map_or(subject, |(aggregate, _)| aggregate);
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    aggregate.hash(&mut hasher);
    (hasher.finish() % lanes as u64) as usize
}

/// Runs one reactor on this node.
#[derive(Clone)]
pub struct ReactorRunner {
    nats: Nats,
    reactor: Arc<dyn Reactor>,
    options: ConsumerOptions,
}

/// Where a runner's events come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// `VECHE_EVENTS`: every domain event.
    Events,
    /// `VECHE_REPLAYS`: this reactor's dead letters, sent back by an operator.
    Replays,
}

/// What became of one delivered event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Acked,
    Skipped,
    /// Stopping mid-retry: handed back to JetStream for another attempt.
    HandedBack,
    DeadLettered,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Self::Acked => "acked",
            Self::Skipped => "skipped",
            Self::HandedBack => "handed_back",
            Self::DeadLettered => "dead_lettered",
        }
    }
}

impl ReactorRunner {
    pub fn new(nats: Nats, reactor: Arc<dyn Reactor>, options: ConsumerOptions) -> Self {
        Self { nats, reactor, options }
    }

    /// The reactor's name.
    pub fn name(&self) -> &'static str {
        self.reactor.name()
    }

    /// Pulls and handles events, and the replays sent to this reactor, until `shutdown`;
    /// reconnects after failures. An event being handled when `shutdown` comes is finished
    /// first.
    pub async fn run(self, shutdown: CancellationToken) {
        tokio::join!(self.keep_consuming(Source::Events, &shutdown), self.keep_consuming(Source::Replays, &shutdown));
    }

    async fn keep_consuming(&self, source: Source, shutdown: &CancellationToken) {
        while !shutdown.is_cancelled() {
            if let Err(error) = self.consume(source, shutdown).await {
                tracing::warn!(reactor = self.reactor.name(), ?source, %error, "reactor consumer failed; retrying");
                metrics::counter!("veche_reactor_errors_total", "reactor" => self.reactor.name()).increment(1);
                tokio::select! {
                    _ = shutdown.cancelled() => {}
                    _ = tokio::time::sleep(ERROR_BACKOFF) => {}
                }
            }
        }
    }

    async fn consume(&self, source: Source, shutdown: &CancellationToken) -> Result<(), async_nats::Error> {
        self.nats.ensure_dead_letters_stream().await?;
        let name = self.reactor.name();
        let (stream, durable, filter) = match source {
            Source::Events => (self.nats.ensure_events_stream().await?, name.to_string(), EVENTS_SUBJECTS.to_string()),
            Source::Replays => (self.nats.ensure_replays_stream().await?, format!("{name}-replays"), replay_subject(name)),
        };
        let consumer: Consumer<pull::Config> = stream
            .get_or_create_consumer(
                &durable,
                pull::Config {
                    durable_name: Some(durable.clone()),
                    description: Some(format!("veche reactor {name} ({source:?})")),
                    deliver_policy: DeliverPolicy::All,
                    ack_policy: AckPolicy::Explicit,
                    ack_wait: self.options.ack_wait,
                    max_deliver: self.options.max_deliver,
                    max_ack_pending: self.options.max_ack_pending,
                    filter_subject: filter,
                    ..Default::default()
                },
            )
            .await?;
        let mut messages = consumer.messages().await?;
        let lanes = self.options.lanes.max(1);
        let depth = (self.options.max_ack_pending.max(1) as usize).div_ceil(lanes);
        let (senders, receivers): (Vec<_>, Vec<_>) = (0..lanes).map(|_| mpsc::channel::<Message>(depth)).unzip();
        let dispatch = async move {
            loop {
                let message = tokio::select! {
                    _ = shutdown.cancelled() => return Ok(()),
                    message = messages.next() => message,
                };
                let Some(message) = message else { return Ok(()) };
                let message = message?;
                let lane = lane_of(message.subject.as_str(), lanes);
                if senders[lane].send(message).await.is_err() {
                    return Ok(());
                }
            }
        };
        let work = futures::future::try_join_all(receivers.into_iter().map(|queue| self.lane(queue, shutdown)));
        tokio::try_join!(dispatch, work)?;
        Ok(())
    }

    /// Handles one lane's events in order. Once `shutdown` comes, the event in hand is
    /// finished and the queued ones are handed back to JetStream.
    async fn lane(&self, mut queue: mpsc::Receiver<Message>, shutdown: &CancellationToken) -> Result<(), async_nats::Error> {
        while let Some(message) = queue.recv().await {
            if shutdown.is_cancelled() {
                message.ack_with(AckKind::Nak(None)).await?;
                continue;
            }
            let started = std::time::Instant::now();
            let outcome = self.handle(&message, shutdown).await?;
            metrics::histogram!("veche_reactor_event_seconds", "reactor" => self.reactor.name())
                .record(started.elapsed().as_secs_f64());
            metrics::counter!("veche_reactor_events_total", "reactor" => self.reactor.name(), "outcome" => outcome.label())
                .increment(1);
        }
        Ok(())
    }

    async fn handle(&self, message: &Message, shutdown: &CancellationToken) -> Result<Outcome, async_nats::Error> {
        let mut attempt = message.info()?.delivered;
        let event = match CloudEvent::decode(&message.payload) {
            Ok(event) => event,
            Err(error) => return self.dead_letter(message, attempt, &format!("undecodable: {error}")).await,
        };
        if !self.reactor.wants(&event.aggregate_type, &event.event_type) {
            message.ack().await?;
            return Ok(Outcome::Skipped);
        }
        loop {
            match self.react_keeping_alive(message, &event).await {
                Ok(()) => {
                    message.ack().await?;
                    return Ok(Outcome::Acked);
                }
                Err(ReactorError::Poison(error)) => {
                    return self.dead_letter(message, attempt, &format!("poison: {error:#}")).await;
                }
                Err(ReactorError::Retry(error)) if attempt >= self.options.max_deliver && !self.still_useful(&event) => {
                    let reason = format!("gave up after {attempt} deliveries: {error:#}");
                    return self.dead_letter(message, attempt, &reason).await;
                }
                Err(ReactorError::Retry(error)) => {
                    let delay = self.retry_delay(attempt);
                    metrics::counter!("veche_reactor_retries_total", "reactor" => self.reactor.name()).increment(1);
                    tracing::info!(reactor = self.reactor.name(), position = event.position, attempt, ?delay, error = %format!("{error:#}"), "reactor will retry the event");
                    if !self.hold(message, delay, shutdown).await? {
                        // Stopping: another node (or this one, restarted) takes it up.
                        message.ack_with(AckKind::Nak(None)).await?;
                        return Ok(Outcome::HandedBack);
                    }
                    attempt += 1;
                }
            }
        }
    }

    /// Lets the reactor handle the event, telling JetStream every half `ack_wait` that it is
    /// still in hand (a send to a slow SMTP server may outlast `ack_wait`, and the event
    /// would be delivered to another node meanwhile). A panic is a poison event.
    async fn react_keeping_alive(&self, message: &Message, event: &RecordedEvent) -> Result<(), ReactorError> {
        let reacting = AssertUnwindSafe(self.reactor.react(event)).catch_unwind();
        tokio::pin!(reacting);
        let beat = (self.options.ack_wait / 2).max(Duration::from_millis(100));
        loop {
            tokio::select! {
                outcome = &mut reacting => {
                    return outcome.unwrap_or_else(|panic| {
                        Err(ReactorError::Poison(anyhow::anyhow!("panicked: {}", projections::panic_message(panic))))
                    });
                }
                _ = tokio::time::sleep(beat) => {
                    if let Err(error) = message.ack_with(AckKind::Progress).await {
                        tracing::warn!(reactor = self.reactor.name(), %error, "could not tell JetStream an event is still in hand");
                    }
                }
            }
        }
    }

    /// Whether a failing event is young enough to be retried beyond `max_deliver`.
    fn still_useful(&self, event: &RecordedEvent) -> bool {
        (chrono::Utc::now() - event.recorded_at).to_std().is_ok_and(|age| age < self.options.retry_horizon)
    }

    /// Waits `delay` while telling JetStream the event is still in hand, so it is not
    /// delivered elsewhere meanwhile; `false` when `shutdown` came first.
    async fn hold(&self, message: &Message, delay: Duration, shutdown: &CancellationToken) -> Result<bool, async_nats::Error> {
        let deadline = tokio::time::Instant::now() + delay;
        let beat = (self.options.ack_wait / 2).max(Duration::from_millis(100));
        loop {
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Ok(true);
            }
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(false),
                _ = tokio::time::sleep((deadline - now).min(beat)) => {}
            }
            message.ack_with(AckKind::Progress).await?;
        }
    }

    fn retry_delay(&self, deliveries: i64) -> Duration {
        let doublings = deliveries.saturating_sub(1).clamp(0, 16) as u32;
        self.options.retry_delay.saturating_mul(1 << doublings).min(self.options.max_retry_delay)
    }

    /// Publishes the message to the dead letters and waits for JetStream to store it, then
    /// terminates it. A crash in between delivers it again, and the dead letter's Msg-Id
    /// keeps a second copy out.
    async fn dead_letter(&self, message: &Message, deliveries: i64, reason: &str) -> Result<Outcome, async_nats::Error> {
        let name = self.reactor.name();
        let info = message.info()?;
        let sequence = info.stream_sequence;
        tracing::warn!(reactor = name, sequence, deliveries, reason, "event dead-lettered");
        let reason: String = reason.chars().filter(|c| !c.is_control()).take(MAX_REASON_LEN).collect();
        let subject = dead_letter_subject(name);
        let dead_letter = PublishMessage::build()
            .payload(message.payload.clone())
            .message_id(format!("{name}/{}/{sequence}", info.stream))
            .header(DEAD_LETTER_REACTOR, name)
            .header(DEAD_LETTER_REASON, reason.as_str())
            .header(DEAD_LETTER_SUBJECT, message.subject.as_str())
            .header(DEAD_LETTER_SEQUENCE, sequence.to_string().as_str())
            .header(DEAD_LETTER_DELIVERIES, deliveries.to_string().as_str());
        self.nats.jetstream().send_publish(subject, dead_letter).await?.await?;
        message.ack_with(AckKind::Term).await?;
        Ok(Outcome::DeadLettered)
    }
}
