//! Meeting use cases: the executor applied to `Meeting`, the metadata every event gets,
//! and idempotent scheduling.
//!
//! ## Idempotent scheduling
//! A creating request that carries an `Idempotency-Key` gets a meeting id derived from
//! the caller and the key (UUID v5). A retry therefore targets the same aggregate, and the
//! event store's primary key lets only one of them create it. The retry then compares the
//! request fingerprint stored in the first event's metadata: the same request gets the
//! first result back, a different request under the same key is refused. Nothing else is
//! stored, and a crash between the two requests cannot leave a half-written key behind.

use crate::cache::ResumableStore;
use crate::executor::{CommandError, CommandOutcome, Executor, Origin};
use crate::ports::EventLog;
use cqrs_es::Aggregate;
use domain::meeting::{Meeting, MeetingCommand, MeetingError};
use domain::{Actor, MeetingId};
use std::collections::HashMap;
use uuid::Uuid;

/// Metadata keys stored with every event.
pub mod metadata {
    pub const ACTOR_ID: &str = "actor_id";
    pub const ACTOR_EMAIL: &str = "actor_email";
    pub const ACTOR_NAME: &str = "actor_name";
    pub const COMMAND: &str = "command";
    pub const REQUEST_ID: &str = "request_id";
    pub const REQUEST_FINGERPRINT: &str = "request_fingerprint";
    /// The language (`en`, `ru`) the actor's client asked for (`Accept-Language`); the
    /// emails about a meeting are written in the language its scheduling request had.
    pub const LOCALE: &str = "locale";
}

/// The namespace of meeting ids derived from idempotency keys.
const IDEMPOTENT_MEETING_NAMESPACE: Uuid = Uuid::from_u128(0x6d1f_5b0e_8c1a_4c7e_9a51_7e0c_2f43_9b11);

/// What the caller adds to a command: its precondition and its tracing.
#[derive(Debug, Clone, Default)]
pub struct CommandMeta {
    /// The `If-Match` version, if the caller sent one.
    pub expected_version: Option<u64>,
    /// The request id, stored so that an auditor can match an event to a log line.
    pub request_id: Option<String>,
    /// The caller's preferred language, if it named one veche speaks.
    pub locale: Option<String>,
}

/// A creating request's idempotency: the caller's key and a fingerprint of the request.
#[derive(Debug, Clone)]
pub struct Idempotency {
    pub key: String,
    pub fingerprint: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error(transparent)]
    Command(#[from] CommandError<MeetingError>),
    /// The key was used before by this caller for a different request.
    #[error("this Idempotency-Key was already used for a different request")]
    KeyReused,
}

/// The result of scheduling: a new meeting, or the one a previous identical request made.
#[derive(Debug)]
pub struct Scheduled {
    pub outcome: CommandOutcome<Meeting>,
    /// True when this was a retry answered with the first request's result.
    pub replayed: bool,
}

pub fn meeting_id_for_key(actor: &Actor, key: &str) -> MeetingId {
    let name = format!("{}\n{}", actor.user_id, key);
    MeetingId(Uuid::new_v5(&IDEMPOTENT_MEETING_NAMESPACE, name.as_bytes()))
}

pub fn new_meeting_id() -> MeetingId {
    MeetingId(Uuid::now_v7())
}

fn event_metadata(command: &MeetingCommand, meta: &CommandMeta) -> HashMap<String, String> {
    actor_metadata(command.actor(), command.name(), meta)
}

/// The metadata every event gets: who did it, by which command, in which request.
pub(crate) fn actor_metadata(actor: &Actor, command: &str, meta: &CommandMeta) -> HashMap<String, String> {
    let mut map = HashMap::from([
        (metadata::ACTOR_ID.to_string(), actor.user_id.clone()),
        (metadata::ACTOR_EMAIL.to_string(), actor.email.to_string()),
        (metadata::ACTOR_NAME.to_string(), actor.name.clone()),
        (metadata::COMMAND.to_string(), command.to_string()),
    ]);
    if let Some(request_id) = &meta.request_id {
        map.insert(metadata::REQUEST_ID.to_string(), request_id.clone());
    }
    if let Some(locale) = &meta.locale {
        map.insert(metadata::LOCALE.to_string(), locale.clone());
    }
    map
}

pub struct Meetings<ES, L> {
    executor: Executor<Meeting, ES, L>,
}

impl<ES, L> Meetings<ES, L>
where
    ES: ResumableStore<Meeting>,
    L: EventLog,
{
    pub fn new(executor: Executor<Meeting, ES, L>) -> Self {
        Self { executor }
    }

    pub fn executor(&self) -> &Executor<Meeting, ES, L> {
        &self.executor
    }

    /// Runs any meeting command except scheduling.
    pub async fn execute(
        &self,
        id: MeetingId,
        command: MeetingCommand,
        meta: CommandMeta,
    ) -> Result<CommandOutcome<Meeting>, CommandError<MeetingError>> {
        let metadata = event_metadata(&command, &meta);
        self.executor.execute(&id.to_string(), command, meta.expected_version, metadata).await
    }

    /// Schedules a meeting. The command's `meeting_id` must come from
    /// [`meeting_id_for_key`] when `idempotency` is given, and from [`new_meeting_id`]
    /// otherwise.
    pub async fn schedule(
        &self,
        command: MeetingCommand,
        idempotency: Option<Idempotency>,
        meta: CommandMeta,
    ) -> Result<Scheduled, ScheduleError> {
        let MeetingCommand::Schedule { meeting_id, .. } = &command else {
            unreachable!("schedule() is only called with MeetingCommand::Schedule");
        };
        let id = meeting_id.to_string();
        let mut metadata = event_metadata(&command, &meta);
        if let Some(idempotency) = &idempotency {
            metadata.insert(metadata::REQUEST_FINGERPRINT.into(), idempotency.fingerprint.clone());
        }
        // A meeting id from `new_meeting_id` was made for this request: there is nothing to
        // load. One derived from a key may exist already.
        let origin = if idempotency.is_some() { Origin::Unknown } else { Origin::New };
        let result = self.executor.execute_from(&id, origin, command, None, metadata).await;
        match (result, idempotency) {
            (Ok(outcome), _) => Ok(Scheduled { outcome, replayed: false }),
            (Err(CommandError::Rejected(MeetingError::AlreadyScheduled)), Some(idempotency)) => {
                let first = self.executor.log().first_metadata(Meeting::TYPE, &id).await.map_err(CommandError::Store)?;
                let same_request = first
                    .as_ref()
                    .and_then(|m| m.get(metadata::REQUEST_FINGERPRINT))
                    .is_some_and(|f| f == &idempotency.fingerprint);
                if !same_request {
                    return Err(ScheduleError::KeyReused);
                }
                let mut context =
                    self.executor.store().load_aggregate(&id).await.map_err(|e| CommandError::Store(Box::new(e)))?;
                let aggregate = cqrs_es::AggregateContext::aggregate(&mut context).clone();
                let position = self
                    .executor
                    .log()
                    .position_of(Meeting::TYPE, &id, aggregate.version())
                    .await
                    .map_err(CommandError::Store)?;
                Ok(Scheduled { outcome: CommandOutcome { aggregate, position, events: 0, event_types: vec![] }, replayed: true })
            }
            (Err(e), _) => Err(e.into()),
        }
    }
}
