//! What happened in a room. Signaling messages are never events; presence is.
//!
//! | event_type | version | recorded when |
//! |---|---|---|
//! | `RoomOpened` | 1.0 | the first participant joins |
//! | `ParticipantJoined` | 1.0 | someone enters |
//! | `ParticipantResumed` | 1.0 | someone reconnects within their lease and keeps their place |
//! | `ParticipantLeft` | 1.0 | someone leaves |
//! | `ParticipantExpired` | 1.0 | someone's lease ran out (their connection or node died) |
//! | `RoomEnded` | 1.0 | the last participant is gone |
//! | `RoomClosed` | 1.0 | the meeting was cancelled; no more joins |

use super::command::Participant;
use crate::{MeetingId, RoomId};
use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RoomEvent {
    RoomOpened { room_id: RoomId, meeting_id: MeetingId, at: DateTime<Utc> },
    ParticipantJoined { participant: Participant, at: DateTime<Utc> },
    ParticipantResumed { peer_id: String, node: String, at: DateTime<Utc> },
    ParticipantLeft { peer_id: String, at: DateTime<Utc> },
    ParticipantExpired { peer_id: String, at: DateTime<Utc> },
    RoomEnded { at: DateTime<Utc> },
    RoomClosed { at: DateTime<Utc> },
}

impl DomainEvent for RoomEvent {
    fn event_type(&self) -> String {
        match self {
            Self::RoomOpened { .. } => "RoomOpened",
            Self::ParticipantJoined { .. } => "ParticipantJoined",
            Self::ParticipantResumed { .. } => "ParticipantResumed",
            Self::ParticipantLeft { .. } => "ParticipantLeft",
            Self::ParticipantExpired { .. } => "ParticipantExpired",
            Self::RoomEnded { .. } => "RoomEnded",
            Self::RoomClosed { .. } => "RoomClosed",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        crate::meeting::CURRENT_EVENT_VERSION.to_string()
    }
}
