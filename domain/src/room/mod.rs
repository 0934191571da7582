//! The `Room` aggregate: who is in a meeting's video room, from the first join to the end.
//!
//! ## Rules
//! - A full mesh holds at most `capacity` peers; the next one is refused, clearly.
//! - One person holds at most `seats_per_person` places at once.
//! - A participant who reconnects with the same peer id while still present (within the
//!   lease) resumes their place instead of being refused as "ID taken" or duplicated.
//! - A closed room (cancelled meeting) refuses joins.
//! - When the last participant leaves or expires, the room ends; a later join opens it again.

mod command;
mod error;
mod event;
#[cfg(test)]
mod tests;

pub use command::{Participant, RoomCommand};
pub use error::RoomError;
pub use event::RoomEvent;

use crate::{MeetingId, RoomId};
use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Room {
    version: u64,
    room_id: Option<RoomId>,
    meeting_id: Option<MeetingId>,
    participants: Vec<Participant>,
    /// True between RoomOpened and RoomEnded.
    open: bool,
    closed: bool,
}

impl Room {
    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn participants(&self) -> &[Participant] {
        &self.participants
    }

    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Whether a call is going on (between `RoomOpened` and `RoomEnded`).
    pub fn is_open(&self) -> bool {
        self.open
    }

    pub fn meeting_id(&self) -> Option<MeetingId> {
        self.meeting_id
    }

    pub fn participant(&self, peer_id: &str) -> Option<&Participant> {
        self.present(peer_id)
    }

    fn present(&self, peer_id: &str) -> Option<&Participant> {
        self.participants.iter().find(|p| p.peer_id == peer_id)
    }

    fn decide(&self, command: RoomCommand) -> Result<Vec<RoomEvent>, RoomError> {
        match command {
            RoomCommand::Join { room_id, meeting_id, participant, capacity, seats_per_person, at } => {
                if self.closed {
                    return Err(RoomError::Closed);
                }
                if let Some(present) = self.present(&participant.peer_id) {
                    if present.email != participant.email {
                        return Err(RoomError::PeerIdTaken(participant.peer_id));
                    }
                    return Ok(vec![RoomEvent::ParticipantResumed { peer_id: participant.peer_id, node: participant.node, at }]);
                }
                if self.participants.len() >= capacity {
                    return Err(RoomError::Full { capacity });
                }
                if self.participants.iter().filter(|p| p.email == participant.email).count() >= seats_per_person {
                    return Err(RoomError::TooManySeats { email: participant.email, max: seats_per_person });
                }
                let mut events = Vec::new();
                if !self.open {
                    events.push(RoomEvent::RoomOpened { room_id, meeting_id, at });
                }
                events.push(RoomEvent::ParticipantJoined { participant, at });
                Ok(events)
            }
            RoomCommand::Leave { peer_id, at } => self.departure(peer_id, at, false),
            RoomCommand::Expire { peer_id, held_by, at } => match self.present(&peer_id) {
                // Resumed elsewhere since: the lease that ran out is no longer theirs.
                Some(present) if present.node != held_by => Ok(vec![]),
                _ => self.departure(peer_id, at, true),
            },
            RoomCommand::Close { at } => {
                if self.closed {
                    return Ok(vec![]);
                }
                let mut events: Vec<RoomEvent> =
                    self.participants.iter().map(|p| RoomEvent::ParticipantLeft { peer_id: p.peer_id.clone(), at }).collect();
                if self.open {
                    events.push(RoomEvent::RoomEnded { at });
                }
                events.push(RoomEvent::RoomClosed { at });
                Ok(events)
            }
        }
    }

    fn departure(&self, peer_id: String, at: chrono::DateTime<chrono::Utc>, expired: bool) -> Result<Vec<RoomEvent>, RoomError> {
        if self.present(&peer_id).is_none() {
            return Err(RoomError::NotInRoom(peer_id));
        }
        let last = self.participants.len() == 1;
        let mut events = vec![if expired {
            RoomEvent::ParticipantExpired { peer_id, at }
        } else {
            RoomEvent::ParticipantLeft { peer_id, at }
        }];
        if last {
            events.push(RoomEvent::RoomEnded { at });
        }
        Ok(events)
    }
}

impl Aggregate for Room {
    const TYPE: &'static str = "Room";
    type Command = RoomCommand;
    type Event = RoomEvent;
    type Error = RoomError;
    type Services = ();

    async fn handle(&mut self, command: Self::Command, _: &Self::Services, sink: &EventSink<Self>) -> Result<(), Self::Error> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        self.version += 1;
        match event {
            RoomEvent::RoomOpened { room_id, meeting_id, .. } => {
                self.room_id = Some(room_id);
                self.meeting_id = Some(meeting_id);
                self.open = true;
            }
            RoomEvent::ParticipantJoined { participant, .. } => self.participants.push(participant),
            RoomEvent::ParticipantResumed { peer_id, node, .. } => {
                if let Some(p) = self.participants.iter_mut().find(|p| p.peer_id == peer_id) {
                    p.node = node;
                }
            }
            RoomEvent::ParticipantLeft { peer_id, .. } | RoomEvent::ParticipantExpired { peer_id, .. } => {
                self.participants.retain(|p| p.peer_id != peer_id);
            }
            RoomEvent::RoomEnded { .. } => self.open = false,
            RoomEvent::RoomClosed { .. } => self.closed = true,
        }
    }
}
