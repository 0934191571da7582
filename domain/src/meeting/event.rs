//! What happened to a meeting. Events are facts in the past tense, carry what their
//! readers (projections, mailers, auditors) need without loading anything else, and are
//! never changed once stored: a new shape gets a new `event_version` and an upcaster.
//!
//! | event_type | version | recorded when |
//! |---|---|---|
//! | `MeetingScheduled` | 1.0 | a meeting is created, with everything it starts with |
//! | `MeetingDetailsChanged` | 1.0 | the title or description changes |
//! | `RemindersChanged` | 1.0 | the reminder offsets change (no new SEQUENCE: not in the invitation) |
//! | `MeetingRescheduled` | 1.0 | the start, end or zone changes |
//! | `AttendeesInvited` | 1.0 | people are added |
//! | `AttendeeRemoved` | 1.0 | someone is taken off |
//! | `AttendeeResponded` | 1.0 | an attendee answers |
//! | `MeetingCancelled` | 1.0 | the organizer calls it off |
//!
//! `ical_sequence` is the iCalendar SEQUENCE (RFC 5545 §3.8.7.4) the change results in:
//! the organizer's changes that attendees must see bump it, answers do not.

use super::command::Response;
use crate::values::{Description, EmailAddress, Invitee, Reminders, Schedule, Title};
use crate::{MeetingId, RoomId};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

/// The organizer as recorded: the token's subject, email and name at scheduling time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organizer {
    pub user_id: String,
    pub email: EmailAddress,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MeetingEvent {
    MeetingScheduled {
        meeting_id: MeetingId,
        room_id: RoomId,
        organizer: Organizer,
        title: Title,
        description: Description,
        schedule: Schedule,
        attendees: Vec<Invitee>,
        reminders: Reminders,
    },
    MeetingDetailsChanged {
        title: Option<Title>,
        description: Option<Description>,
        ical_sequence: u32,
    },
    RemindersChanged {
        reminders: Reminders,
    },
    MeetingRescheduled {
        schedule: Schedule,
        ical_sequence: u32,
    },
    AttendeesInvited {
        attendees: Vec<Invitee>,
        ical_sequence: u32,
    },
    AttendeeRemoved {
        email: EmailAddress,
        ical_sequence: u32,
    },
    AttendeeResponded {
        email: EmailAddress,
        response: Response,
    },
    MeetingCancelled {
        reason: Option<Description>,
        ical_sequence: u32,
    },
}

/// The version every event type is written with today.
pub const CURRENT_EVENT_VERSION: &str = "1.0";

impl DomainEvent for MeetingEvent {
    fn event_type(&self) -> String {
        match self {
            Self::MeetingScheduled { .. } => "MeetingScheduled",
            Self::MeetingDetailsChanged { .. } => "MeetingDetailsChanged",
            Self::RemindersChanged { .. } => "RemindersChanged",
            Self::MeetingRescheduled { .. } => "MeetingRescheduled",
            Self::AttendeesInvited { .. } => "AttendeesInvited",
            Self::AttendeeRemoved { .. } => "AttendeeRemoved",
            Self::AttendeeResponded { .. } => "AttendeeResponded",
            Self::MeetingCancelled { .. } => "MeetingCancelled",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        CURRENT_EVENT_VERSION.to_string()
    }
}
