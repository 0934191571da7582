//! Room use cases: presence in a meeting's video room as commands on the `Room` aggregate.
//!
//! Who may enter is decided before these are called (the caller checks the meeting); the
//! aggregate decides capacity, resumption after a reconnect and closure. The signaling
//! messages themselves never come here: they are ephemeral and never stored.

use crate::cache::ResumableStore;
use crate::executor::{CommandError, CommandOutcome, Executor};
use crate::meetings::{actor_metadata, CommandMeta};
use crate::ports::EventLog;
use chrono::{DateTime, Utc};
use domain::room::{Participant, Room, RoomCommand, RoomError};
use domain::values::EmailAddress;
use domain::{Actor, MeetingId, RoomId};

/// The rooms' doors on every node: how the use cases let people out of a room now, as well
/// as in the log. The signaling hub opens and shuts them.
pub trait RoomDoors: Send + Sync {
    /// Tells everyone connected to the room that it closed, and lets them out.
    fn close(&self, room_id: RoomId);
    /// Ends one participant's connection and tells them they were taken off the meeting.
    fn turn_away(&self, room_id: RoomId, peer_id: &str);
    /// Tells the participants their meeting moved.
    fn announce_schedule(&self, room_id: RoomId, starts_at: DateTime<Utc>, ends_at: DateTime<Utc>);
}

pub type RoomResult = Result<CommandOutcome<Room>, CommandError<RoomError>>;

pub struct Rooms<ES, L> {
    executor: Executor<Room, ES, L>,
    /// The most peers a full mesh holds (`VECHE_ROOM_CAPACITY`).
    capacity: usize,
    /// The most places one person holds at once (`VECHE_ROOM_SEATS_PER_PERSON`).
    seats_per_person: usize,
}

impl<ES, L> Rooms<ES, L>
where
    ES: ResumableStore<Room>,
    L: EventLog,
{
    pub fn new(executor: Executor<Room, ES, L>, capacity: usize, seats_per_person: usize) -> Self {
        Self { executor, capacity: capacity.max(1), seats_per_person: seats_per_person.max(1) }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Enters the room, or resumes one's place after a reconnect within the lease.
    pub async fn join(
        &self,
        room_id: RoomId,
        meeting_id: MeetingId,
        participant: Participant,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> RoomResult {
        let command = RoomCommand::Join {
            room_id,
            meeting_id,
            participant,
            capacity: self.capacity,
            seats_per_person: self.seats_per_person,
            at,
        };
        self.run(room_id, command, actor, "Join").await
    }

    pub async fn leave(&self, room_id: RoomId, peer_id: String, actor: &Actor, at: DateTime<Utc>) -> RoomResult {
        self.run(room_id, RoomCommand::Leave { peer_id, at }, actor, "Leave").await
    }

    /// Expires a participant whose connection on node `held_by` went away without leaving
    /// (unless they have resumed on another node since).
    pub async fn expire(
        &self,
        room_id: RoomId,
        peer_id: String,
        held_by: String,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> RoomResult {
        self.run(room_id, RoomCommand::Expire { peer_id, held_by, at }, actor, "Expire").await
    }

    /// Closes the room of a cancelled meeting: everyone is let out, joins are refused.
    pub async fn close(&self, room_id: RoomId, actor: &Actor, at: DateTime<Utc>) -> RoomResult {
        self.run(room_id, RoomCommand::Close { at }, actor, "Close").await
    }

    /// Closes a cancelled meeting's room: recorded (joins are refused from now on) and shut
    /// on every node. The doors shut even if the record fails, since access also checks the
    /// meeting's status; the error says the record should be tried again.
    pub async fn close_cancelled(&self, room_id: RoomId, actor: &Actor, at: DateTime<Utc>, doors: &dyn RoomDoors) -> RoomResult {
        let recorded = self.close(room_id, actor, at).await;
        doors.close(room_id);
        recorded
    }

    /// Lets out, on every node, whatever places someone taken off the meeting holds.
    pub async fn turn_away(
        &self,
        room_id: RoomId,
        email: &EmailAddress,
        doors: &dyn RoomDoors,
    ) -> Result<(), CommandError<RoomError>> {
        let room = self.load(room_id).await?;
        for participant in room.participants().iter().filter(|p| &p.email == email) {
            doors.turn_away(room_id, &participant.peer_id);
        }
        Ok(())
    }

    /// The room as its events say it is now.
    pub async fn load(&self, room_id: RoomId) -> Result<Room, CommandError<RoomError>> {
        let mut context =
            self.executor.store().load_aggregate(&room_id.to_string()).await.map_err(|e| CommandError::Store(Box::new(e)))?;
        Ok(cqrs_es::AggregateContext::aggregate(&mut context).clone())
    }

    async fn run(&self, room_id: RoomId, command: RoomCommand, actor: &Actor, name: &str) -> RoomResult {
        let metadata = actor_metadata(actor, name, &CommandMeta::default());
        self.executor.execute(&room_id.to_string(), command, None, metadata).await
    }
}
