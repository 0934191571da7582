//! What may be asked of a meeting. Every field is an already-parsed value type, so the
//! aggregate only enforces rules about state, never about format.

use crate::values::{Description, EmailAddress, Invitee, Reminders, Schedule, Title};
use crate::{Actor, MeetingId, RoomId};
use serde::{Deserialize, Serialize};

/// An attendee's answer to an invitation (iCalendar PARTSTAT).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Response {
    Accepted,
    Declined,
    Tentative,
}

#[derive(Debug, Clone, PartialEq)]
pub enum MeetingCommand {
    /// Put a new meeting on the calendar; the actor becomes its organizer.
    Schedule {
        meeting_id: MeetingId,
        room_id: RoomId,
        organizer: Actor,
        title: Title,
        description: Description,
        schedule: Schedule,
        attendees: Vec<Invitee>,
        reminders: Reminders,
    },
    /// Change the title, the description or the reminders; `None` keeps the current value.
    ChangeDetails { actor: Actor, title: Option<Title>, description: Option<Description>, reminders: Option<Reminders> },
    /// Move the meeting to another time or zone.
    Reschedule { actor: Actor, schedule: Schedule },
    /// Add people to the meeting.
    InviteAttendees { actor: Actor, attendees: Vec<Invitee> },
    /// Take someone off the meeting.
    RemoveAttendee { actor: Actor, email: EmailAddress },
    /// An attendee accepts, declines or answers "maybe".
    Respond { actor: Actor, response: Response },
    /// Call the meeting off. It stays in the log and the calendar, marked cancelled.
    Cancel { actor: Actor, reason: Option<Description> },
}

impl MeetingCommand {
    /// A stable name for metrics and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Schedule { .. } => "schedule",
            Self::ChangeDetails { .. } => "change_details",
            Self::Reschedule { .. } => "reschedule",
            Self::InviteAttendees { .. } => "invite_attendees",
            Self::RemoveAttendee { .. } => "remove_attendee",
            Self::Respond { .. } => "respond",
            Self::Cancel { .. } => "cancel",
        }
    }

    pub fn actor(&self) -> &Actor {
        match self {
            Self::Schedule { organizer, .. } => organizer,
            Self::ChangeDetails { actor, .. }
            | Self::Reschedule { actor, .. }
            | Self::InviteAttendees { actor, .. }
            | Self::RemoveAttendee { actor, .. }
            | Self::Respond { actor, .. }
            | Self::Cancel { actor, .. } => actor,
        }
    }
}
