//! The command executor: cqrs-es's load → handle → commit, plus what `CqrsFramework`
//! does not give back: the version the aggregate reached and the event's global position.
//!
//! We use cqrs-es's `EventStore` directly rather than `CqrsFramework::execute`, because the
//! latter returns `()` and dispatches to in-process queries, while veche needs the new
//! version (for `ETag`) and log position (for read-your-writes), and builds read models
//! from the global log instead.

use crate::cache::{AggregateCache, Cached, ResumableStore, DEFAULT_CACHED_AGGREGATES};
use crate::ports::{EventLog, PortError};
use cqrs_es::{Aggregate, AggregateContext, AggregateError};
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

pub struct Executor<A, ES, L> {
    store: ES,
    log: L,
    cache: AggregateCache<A>,
}

impl<A: Clone, ES, L> Executor<A, ES, L> {
    /// An executor that keeps the [`DEFAULT_CACHED_AGGREGATES`] most recently changed
    /// aggregates (see [`crate::cache`]).
    pub fn new(store: ES, log: L) -> Self {
        Self::with_cache(store, log, DEFAULT_CACHED_AGGREGATES)
    }

    /// An executor that keeps up to `cached` aggregates; 0 loads every one from the store.
    pub fn with_cache(store: ES, log: L, cached: usize) -> Self {
        Self { store, log, cache: AggregateCache::new(cached) }
    }

    pub fn log(&self) -> &L {
        &self.log
    }

    pub fn store(&self) -> &ES {
        &self.store
    }
}

/// Where the state a command is decided on came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Loaded from the store, or the state of an unknown aggregate.
    Unknown,
    /// An aggregate whose id was made for it just now (a fresh UUID v7): it has no events,
    /// so its first decision needs no load. Still only a guess, checked like a cached state.
    New,
}

impl<A, ES, L> Executor<A, ES, L>
where
    A: Aggregate + Versioned + Clone,
    A::Command: Clone,
    A::Services: Default,
    A::Error: 'static,
    ES: ResumableStore<A>,
    L: EventLog,
{
    /// Runs a command against one aggregate.
    ///
    /// `expected_version` is the caller's `If-Match`; when given, a concurrent change is a
    /// [`CommandError::VersionMismatch`], never a lost update. `metadata` is stored with
    /// every event (actor, request id, ...).
    pub async fn execute(
        &self,
        aggregate_id: &str,
        command: A::Command,
        expected_version: Option<u64>,
        metadata: HashMap<String, String>,
    ) -> Result<CommandOutcome<A>, CommandError<A::Error>> {
        self.execute_from(aggregate_id, Origin::Unknown, command, expected_version, metadata).await
    }

    /// [`Executor::execute`] for an aggregate whose origin the caller knows.
    pub async fn execute_from(
        &self,
        aggregate_id: &str,
        origin: Origin,
        command: A::Command,
        expected_version: Option<u64>,
        metadata: HashMap<String, String>,
    ) -> Result<CommandOutcome<A>, CommandError<A::Error>> {
        let services = A::Services::default();
        let mut attempt = 0;
        // A state not read from the store just now: trusted only if the store accepts
        // the append decided on it (see `crate::cache`).
        let mut guess = match origin {
            Origin::New => Some(Cached { aggregate: A::default(), sequence: 0 }),
            Origin::Unknown => self.cache.get(aggregate_id),
        };
        loop {
            let guessed = guess.is_some();
            let mut context = match guess.take() {
                Some(cached) => self.store.resume(aggregate_id, cached),
                None => self.store.load_aggregate(aggregate_id).await.map_err(store_error)?,
            };
            let actual = context.aggregate().version();
            let decided = decide(context.aggregate(), &command, expected_version, &services).await;
            let (after, events) = match decided {
                Ok((after, events)) if !events.is_empty() => (after, events),
                // Only an append the store accepts confirms a guessed state: any other
                // outcome on one is decided again on the stored state.
                _ if guessed => {
                    self.cache.forget(aggregate_id);
                    continue;
                }
                Ok((after, _)) => return Ok(CommandOutcome { aggregate: after, position: None, events: 0, event_types: vec![] }),
                Err(error) => return Err(error),
            };
            let count = events.len();
            let event_types: Vec<String> = events.iter().map(cqrs_es::DomainEvent::event_type).collect();
            match self.store.commit(events, context, metadata.clone()).await {
                Ok(committed) => {
                    self.log.appended();
                    let last = committed.last().map(|e| e.sequence).unwrap_or(actual as usize);
                    self.cache.put(aggregate_id, Cached { aggregate: after.clone(), sequence: last });
                    let position = self.log.position_of(A::TYPE, aggregate_id, last as u64).await.map_err(CommandError::Store)?;
                    return Ok(CommandOutcome { aggregate: after, position, events: count, event_types });
                }
                Err(AggregateError::AggregateConflict) => {
                    self.cache.forget(aggregate_id);
                    if guessed {
                        // Someone appended since the state we guessed: decide again on
                        // what the store holds (an `If-Match` is checked against that).
                        continue;
                    }
                    if expected_version.is_some() {
                        // Someone committed between our load and our commit: the version
                        // the caller named is gone.
                        let mut current = self.store.load_aggregate(aggregate_id).await.map_err(store_error)?;
                        return Err(CommandError::VersionMismatch { expected: actual, actual: current.aggregate().version() });
                    }
                    attempt += 1;
                    if attempt > RETRIES_ON_CONFLICT {
                        return Err(CommandError::Contention);
                    }
                }
                Err(other) => {
                    // The append may or may not have landed (a connection lost after the
                    // commit): nothing is known of the state any more.
                    self.cache.forget(aggregate_id);
                    return Err(store_error(other));
                }
            }
        }
    }
}

/// Checks the caller's `If-Match` and lets the aggregate decide; returns its state after
/// the events it decided on, and those events (none: the command changes nothing).
async fn decide<A>(
    aggregate: &mut A,
    command: &A::Command,
    expected_version: Option<u64>,
    services: &A::Services,
) -> Result<(A, Vec<A::Event>), CommandError<A::Error>>
where
    A: Aggregate + Versioned + Clone,
    A::Command: Clone,
{
    let actual = aggregate.version();
    if let Some(expected) = expected_version.filter(|&expected| expected != actual) {
        return Err(CommandError::VersionMismatch { expected, actual });
    }
    let sink = cqrs_es::event_sink::EventSink::default();
    aggregate.handle(command.clone(), services, &sink).await.map_err(CommandError::Rejected)?;
    Ok((aggregate.clone(), sink.collect().await))
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
