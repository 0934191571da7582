//! The command executor: cqrs-es's load → handle → commit, plus what `CqrsFramework`
//! does not give back: the version the aggregate reached and the event's global position.
//!
//! We use cqrs-es's `EventStore` directly rather than `CqrsFramework::execute`, because the
//! latter returns `()` and dispatches to in-process queries, while veche needs the new
//! version (for `ETag`) and log position (for read-your-writes), and builds read models
//! from the global log instead.

use crate::ports::{EventLog, PortError};
use cqrs_es::{Aggregate, AggregateContext, AggregateError, EventStore};
use std::collections::HashMap;

/// Aggregates that count their events, so that a caller's `If-Match` can be checked
/// against the state the decision is made on.
pub trait Versioned {
    fn version(&self) -> u64;
}

impl Versioned for domain::meeting::Meeting {
    fn version(&self) -> u64 {
        domain::meeting::Meeting::version(self)
    }
}

impl Versioned for domain::room::Room {
    fn version(&self) -> u64 {
        domain::room::Room::version(self)
    }
}

/// What a successful command leaves behind.
#[derive(Debug, Clone)]
pub struct CommandOutcome<A> {
    /// The aggregate after the command (its `version()` is the new `ETag`).
    pub aggregate: A,
    /// Global position of the last event written, or `None` if the command changed nothing.
    pub position: Option<i64>,
    /// How many events the command recorded.
    pub events: usize,
    /// The types of the events recorded, in order.
    pub event_types: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CommandError<E: std::error::Error> {
    /// The aggregate refused the command.
    #[error(transparent)]
    Rejected(E),
    /// The caller decided on a version that is no longer current (`If-Match` failed).
    #[error("the caller expected version {expected}, the current version is {actual}")]
    VersionMismatch { expected: u64, actual: u64 },
    /// Another writer kept committing first, more times than we retry.
    #[error("the aggregate kept changing concurrently; try again")]
    Contention,
    #[error("the event store failed")]
    Store(#[source] PortError),
}

/// How often a command without `If-Match` is decided again on fresh state after losing a
/// race with another writer. Such a command is an intention, not a diff of a version, so
/// deciding it again is what the caller wants. Every lost race means another writer
/// committed, so with N concurrent writers of one meeting each succeeds within N-1 retries:
/// this bound covers far more simultaneous editors of one meeting than people ever are.
const RETRIES_ON_CONFLICT: usize = 16;

pub struct Executor<ES, L> {
    store: ES,
    log: L,
}

impl<ES, L> Executor<ES, L> {
    pub fn new(store: ES, log: L) -> Self {
        Self { store, log }
    }

    pub fn log(&self) -> &L {
        &self.log
    }

    pub fn store(&self) -> &ES {
        &self.store
    }
}

impl<ES, L> Executor<ES, L>
where
    L: EventLog,
{
    /// Runs a command against one aggregate.
    ///
    /// `expected_version` is the caller's `If-Match`; when given, a concurrent change is a
    /// [`CommandError::VersionMismatch`], never a lost update. `metadata` is stored with
    /// every event (actor, request id, ...).
    pub async fn execute<A>(
        &self,
        aggregate_id: &str,
        command: A::Command,
        expected_version: Option<u64>,
        metadata: HashMap<String, String>,
    ) -> Result<CommandOutcome<A>, CommandError<A::Error>>
    where
        A: Aggregate + Versioned + Clone,
        A::Command: Clone,
        A::Services: Default,
        A::Error: 'static,
        ES: EventStore<A>,
    {
        let services = A::Services::default();
        let mut attempt = 0;
        loop {
            let mut context = self.store.load_aggregate(aggregate_id).await.map_err(store_error)?;
            let aggregate = context.aggregate();
            let actual = aggregate.version();
            if let Some(expected) = expected_version {
                if expected != actual {
                    return Err(CommandError::VersionMismatch { expected, actual });
                }
            }
            let sink = cqrs_es::event_sink::EventSink::default();
            aggregate
                .handle(command.clone(), &services, &sink)
                .await
                .map_err(CommandError::Rejected)?;
            let after = aggregate.clone();
            let events = sink.collect().await;
            if events.is_empty() {
                return Ok(CommandOutcome { aggregate: after, position: None, events: 0, event_types: vec![] });
            }
            let count = events.len();
            let event_types: Vec<String> = events.iter().map(cqrs_es::DomainEvent::event_type).collect();
            match self.store.commit(events, context, metadata.clone()).await {
                Ok(committed) => {
                    self.log.appended();
                    let last = committed.last().map(|e| e.sequence as u64).unwrap_or(actual);
                    let position = self
                        .log
                        .position_of(A::TYPE, aggregate_id, last)
                        .await
                        .map_err(CommandError::Store)?;
                    return Ok(CommandOutcome { aggregate: after, position, events: count, event_types });
                }
                Err(AggregateError::AggregateConflict) => {
                    if expected_version.is_some() {
                        // Someone committed between our load and our commit: the version
                        // the caller named is gone.
                        let mut current =
                            self.store.load_aggregate(aggregate_id).await.map_err(store_error)?;
                        return Err(CommandError::VersionMismatch {
                            expected: actual,
                            actual: current.aggregate().version(),
                        });
                    }
                    attempt += 1;
                    if attempt > RETRIES_ON_CONFLICT {
                        return Err(CommandError::Contention);
                    }
                }
                Err(other) => return Err(store_error(other)),
            }
        }
    }
}

fn store_error<E: std::error::Error + 'static>(error: AggregateError<E>) -> CommandError<E> {
    match error {
        AggregateError::UserError(e) => CommandError::Rejected(e),
        AggregateError::AggregateConflict => CommandError::Contention,
        AggregateError::DatabaseConnectionError(e)
        | AggregateError::DeserializationError(e)
        | AggregateError::UnexpectedError(e) => CommandError::Store(e),
    }
}
