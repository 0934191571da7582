//! The JSON shapes of meetings, shared by the meeting, calendar and history endpoints.

use application::meetings::metadata;
use chrono::{DateTime, NaiveDateTime, Utc};
use domain::meeting::{Meeting, MeetingState, MeetingStatus, Partstat};
use domain::Actor;
use projections::RecordedEvent;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ResponseStatus {
    NeedsAction,
    Accepted,
    Declined,
    Tentative,
}

impl From<Partstat> for ResponseStatus {
    fn from(p: Partstat) -> Self {
        match p {
            Partstat::NeedsAction => Self::NeedsAction,
            Partstat::Accepted => Self::Accepted,
            Partstat::Declined => Self::Declined,
            Partstat::Tentative => Self::Tentative,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Organizer,
    Attendee,
    /// Reads the meeting's history without taking part (token role `auditor`).
    Auditor,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PersonView {
    pub user_id: String,
    pub email: String,
    pub name: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AttendeeView {
    pub email: String,
    pub name: Option<String>,
    pub response: ResponseStatus,
}

/// A meeting as a client sees it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MeetingView {
    pub id: Uuid,
    pub room_id: Uuid,
    /// Where to join the call.
    pub meeting_link: String,
    pub organizer: PersonView,
    pub title: String,
    pub description: String,
    /// Wall-clock start in `time_zone`.
    #[schema(value_type = String, example = "2026-12-01T10:00:00")]
    pub start: NaiveDateTime,
    #[schema(value_type = String, example = "2026-12-01T11:00:00")]
    pub end: NaiveDateTime,
    #[schema(example = "Europe/Berlin")]
    pub time_zone: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// `scheduled` or `cancelled`.
    pub status: String,
    pub cancellation_reason: Option<String>,
    pub attendees: Vec<AttendeeView>,
    /// Minutes before the start.
    pub reminders: Vec<u32>,
    /// iCalendar SEQUENCE of the latest organizer change.
    pub ical_sequence: u32,
    /// The aggregate version, also sent as the `ETag`.
    pub version: u64,
    /// The caller's part in the meeting.
    pub my_role: Role,
    /// The caller's own answer (`null` for the organizer).
    pub my_response: Option<ResponseStatus>,
    /// The call in the meeting's room (on reads of the meeting and the calendar).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call: Option<CallView>,
}

/// The state of a meeting's call, from its room's events.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CallView {
    /// `scheduled`, `in_progress`, `completed` or `cancelled`.
    pub status: String,
    /// When the room was last opened (the first participant entered).
    pub started_at: Option<DateTime<Utc>>,
    /// When the room last ended (the last participant left or expired).
    pub ended_at: Option<DateTime<Utc>>,
    /// How many are in the room now.
    pub participants: i32,
}

impl CallView {
    /// Cancelled beats everything; someone in the room is a call in progress; a room that
    /// ended, or a meeting whose time is over, is completed.
    pub fn of(state: &MeetingState, call: &projections::queries::CallRecord, now: DateTime<Utc>) -> Self {
        let status = if state.status == MeetingStatus::Cancelled {
            "cancelled"
        } else if call.in_progress {
            "in_progress"
        } else if call.ended_at.is_some() || now >= state.schedule.ends_at {
            "completed"
        } else {
            "scheduled"
        };
        Self { status: status.into(), started_at: call.started_at, ended_at: call.ended_at, participants: call.participants }
    }
}

impl MeetingView {
    /// The meeting as `viewer` sees it. `None` when they may not see it.
    pub fn of(meeting: &Meeting, viewer: &Actor, public_url: &str) -> Option<Self> {
        let state = meeting.state()?;
        let my_role = if state.is_organizer(viewer) {
            Role::Organizer
        } else if state.attendee(&viewer.email).is_some() {
            Role::Attendee
        } else {
            return None;
        };
        Some(Self::build(meeting.version(), state, my_role, viewer, public_url))
    }

    /// The meeting as `viewer` sees it, with its call, from the read model.
    pub fn of_record(record: &projections::queries::MeetingRecord, viewer: &Actor, public_url: &str) -> Option<Self> {
        let mut view = Self::of(&record.meeting, viewer, public_url)?;
        view.call = record.meeting.state().map(|state| CallView::of(state, &record.call, Utc::now()));
        Some(view)
    }

    /// The meeting for an auditor, who sees it without taking part.
    pub fn for_auditor(meeting: &Meeting, public_url: &str, auditor: &Actor) -> Option<Self> {
        let state = meeting.state()?;
        Some(Self::build(meeting.version(), state, Role::Auditor, auditor, public_url))
    }

    fn build(version: u64, state: &MeetingState, my_role: Role, viewer: &Actor, public_url: &str) -> Self {
        Self {
            id: state.id.as_uuid(),
            room_id: state.room_id.as_uuid(),
            meeting_link: format!("{public_url}/rooms/{}", state.room_id),
            organizer: PersonView {
                user_id: state.organizer.user_id.clone(),
                email: state.organizer.email.to_string(),
                name: state.organizer.name.clone(),
            },
            title: state.title.as_str().to_string(),
            description: state.description.as_str().to_string(),
            start: state.schedule.start,
            end: state.schedule.end,
            time_zone: state.schedule.time_zone.name().to_string(),
            starts_at: state.schedule.starts_at,
            ends_at: state.schedule.ends_at,
            status: match state.status {
                MeetingStatus::Scheduled => "scheduled",
                MeetingStatus::Cancelled => "cancelled",
            }
            .to_string(),
            cancellation_reason: state.cancellation_reason.as_ref().map(|r| r.as_str().to_string()),
            attendees: state
                .attendees
                .iter()
                .map(|a| AttendeeView {
                    email: a.email.to_string(),
                    name: a.name.as_ref().map(|n| n.as_str().to_string()),
                    response: a.response.into(),
                })
                .collect(),
            reminders: state.reminders.minutes().to_vec(),
            ical_sequence: state.ical_sequence,
            version,
            my_role,
            my_response: state.attendee(&viewer.email).map(|a| a.response.into()),
            call: None,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ActorView {
    pub user_id: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HistoryEntry {
    /// The event's number within the meeting (1, 2, ...): the version it produced.
    pub sequence: i64,
    /// The event's position in the global log.
    pub position: i64,
    pub event_type: String,
    pub event_version: String,
    pub recorded_at: DateTime<Utc>,
    /// Who did it.
    pub actor: ActorView,
    /// What changed: the event's fields.
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>)]
    pub changes: serde_json::Value,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HistoryView {
    pub meeting_id: Uuid,
    pub as_of: Option<DateTime<Utc>>,
    pub events: Vec<HistoryEntry>,
    /// The meeting after the last listed event (`null` if it did not exist yet).
    pub state: Option<MeetingView>,
    /// The events of the meeting's room: who was in the call and when (joined, resumed,
    /// left, expired; room opened, ended, closed). `sequence` counts within the room.
    pub call: Vec<HistoryEntry>,
}

impl HistoryEntry {
    pub fn from_recorded(event: &RecordedEvent) -> Self {
        let actor_field = |key| event.metadata_str(key).map(str::to_string);
        // Payloads are stored as {"EventType": {fields}}; the fields are what changed.
        let changes = event.payload.get(&event.event_type).cloned().unwrap_or_else(|| event.payload.clone());
        Self {
            sequence: event.sequence,
            position: event.position,
            event_type: event.event_type.clone(),
            event_version: event.event_version.clone(),
            recorded_at: event.recorded_at,
            actor: ActorView {
                user_id: actor_field(metadata::ACTOR_ID),
                email: actor_field(metadata::ACTOR_EMAIL),
                name: actor_field(metadata::ACTOR_NAME),
            },
            changes,
        }
    }
}
