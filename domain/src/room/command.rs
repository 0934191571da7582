//! What may be asked of a room. The time of each command is an input (the application's
//! clock), so the aggregate stays deterministic.

use crate::values::EmailAddress;
use crate::{MeetingId, RoomId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Who is in the room: a signed-in person, or a guest holding a signed invitation link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    /// The connection's peer id, unique in the room; a reconnect presents it again.
    pub peer_id: String,
    /// The person's email (attendees and guests are invited by email).
    pub email: EmailAddress,
    pub display_name: String,
    /// The node whose hub holds the connection (for expiry when that node dies).
    pub node: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RoomCommand {
    /// Enter the room (or resume one's place after a reconnect within the lease).
    Join {
        room_id: RoomId,
        meeting_id: MeetingId,
        participant: Participant,
        /// The most peers a full mesh holds in this room.
        capacity: usize,
        /// The most places one person (email) may hold at once: a laptop, a phone, a
        /// tablet, not the whole room.
        seats_per_person: usize,
        at: DateTime<Utc>,
    },
    /// Leave the room of one's own accord.
    Leave { peer_id: String, at: DateTime<Utc> },
    /// The participant's lease ran out: the connection held by node `held_by` dropped and
    /// was not resumed in time, or that node stopped renewing its lease. If the participant
    /// has since resumed on another node, nothing happens.
    Expire { peer_id: String, held_by: String, at: DateTime<Utc> },
    /// The meeting was cancelled: the room refuses joins from now on.
    Close { at: DateTime<Utc> },
}
