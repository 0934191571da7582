//! The `Meeting` aggregate: one meeting on the calendar, from scheduling to cancellation.
//!
//! ## Rules
//! - Only the organizer (matched by the token's subject) changes the meeting.
//! - Only an invited attendee (matched by email) answers.
//! - Anyone else is told the meeting does not exist.
//! - A cancelled meeting changes no more.
//! - A command that changes nothing records nothing, so retries are harmless.

mod command;
mod error;
mod event;
#[cfg(test)]
mod tests;

pub use command::{MeetingCommand, Response};
pub use error::{MeetingError, MAX_ATTENDEES};
pub use event::{MeetingEvent, Organizer, CURRENT_EVENT_VERSION};

use crate::values::{Description, EmailAddress, Invitee, Reminders, Schedule, Title};
use crate::{Actor, MeetingId, RoomId};
use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

/// Where a meeting stands in the calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeetingStatus {
    Scheduled,
    Cancelled,
}

/// An attendee's answer so far (iCalendar PARTSTAT); `NeedsAction` until they answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Partstat {
    NeedsAction,
    Accepted,
    Declined,
    Tentative,
}

impl From<Response> for Partstat {
    fn from(response: Response) -> Self {
        match response {
            Response::Accepted => Self::Accepted,
            Response::Declined => Self::Declined,
            Response::Tentative => Self::Tentative,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attendee {
    pub email: EmailAddress,
    pub name: Option<crate::values::DisplayName>,
    pub response: Partstat,
}

/// Everything known about a scheduled meeting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeetingState {
    pub id: MeetingId,
    pub room_id: RoomId,
    pub organizer: Organizer,
    pub title: Title,
    pub description: Description,
    pub schedule: Schedule,
    pub attendees: Vec<Attendee>,
    pub reminders: Reminders,
    pub status: MeetingStatus,
    pub cancellation_reason: Option<Description>,
    /// The iCalendar SEQUENCE of the latest organizer change.
    pub ical_sequence: u32,
}

impl MeetingState {
    pub fn is_organizer(&self, actor: &Actor) -> bool {
        self.organizer.user_id == actor.user_id
    }

    pub fn attendee(&self, email: &EmailAddress) -> Option<&Attendee> {
        self.attendees.iter().find(|a| &a.email == email)
    }

    /// The organizer and the attendees may see the meeting; nobody else.
    pub fn is_visible_to(&self, actor: &Actor) -> bool {
        self.is_organizer(actor) || self.attendee(&actor.email).is_some()
    }
}

/// The aggregate. `version` counts the events applied, so it equals the event store's
/// sequence of the last event and is what HTTP exposes as the `ETag`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Meeting {
    version: u64,
    state: Option<MeetingState>,
}

impl Meeting {
    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn state(&self) -> Option<&MeetingState> {
        self.state.as_ref()
    }

    /// The meeting as the actor may change it: it exists, they can see it, they organise
    /// it, and it is not cancelled.
    fn editable_by(&self, actor: &Actor) -> Result<&MeetingState, MeetingError> {
        let state = self.visible_to(actor)?;
        if !state.is_organizer(actor) {
            return Err(MeetingError::OrganizerOnly);
        }
        if state.status == MeetingStatus::Cancelled {
            return Err(MeetingError::Cancelled);
        }
        Ok(state)
    }

    fn visible_to(&self, actor: &Actor) -> Result<&MeetingState, MeetingError> {
        match &self.state {
            Some(state) if state.is_visible_to(actor) => Ok(state),
            _ => Err(MeetingError::NotFound),
        }
    }

    fn decide(&self, command: MeetingCommand) -> Result<Vec<MeetingEvent>, MeetingError> {
        match command {
            MeetingCommand::Schedule { meeting_id, room_id, organizer, title, description, schedule, attendees, reminders } => {
                if self.state.is_some() {
                    return Err(MeetingError::AlreadyScheduled);
                }
                check_new_attendees(&[], &organizer.email, &attendees)?;
                Ok(vec![MeetingEvent::MeetingScheduled {
                    meeting_id,
                    room_id,
                    organizer: Organizer { user_id: organizer.user_id, email: organizer.email, name: organizer.name },
                    title,
                    description,
                    schedule,
                    attendees,
                    reminders,
                }])
            }
            MeetingCommand::ChangeDetails { actor, title, description, reminders } => {
                let state = self.editable_by(&actor)?;
                let title = title.filter(|t| t != &state.title);
                let description = description.filter(|d| d != &state.description);
                let mut events = Vec::new();
                if title.is_some() || description.is_some() {
                    events.push(MeetingEvent::MeetingDetailsChanged {
                        title,
                        description,
                        ical_sequence: state.ical_sequence + 1,
                    });
                }
                if let Some(reminders) = reminders.filter(|r| r != &state.reminders) {
                    events.push(MeetingEvent::RemindersChanged { reminders });
                }
                Ok(events)
            }
            MeetingCommand::Reschedule { actor, schedule } => {
                let state = self.editable_by(&actor)?;
                if state.schedule.same_as(&schedule) {
                    return Ok(vec![]);
                }
                Ok(vec![MeetingEvent::MeetingRescheduled { schedule, ical_sequence: state.ical_sequence + 1 }])
            }
            MeetingCommand::InviteAttendees { actor, attendees } => {
                let state = self.editable_by(&actor)?;
                if attendees.is_empty() {
                    return Err(MeetingError::NobodyToInvite);
                }
                check_new_attendees(&state.attendees, &state.organizer.email, &attendees)?;
                Ok(vec![MeetingEvent::AttendeesInvited { attendees, ical_sequence: state.ical_sequence + 1 }])
            }
            MeetingCommand::RemoveAttendee { actor, email } => {
                let state = self.editable_by(&actor)?;
                if state.attendee(&email).is_none() {
                    return Err(MeetingError::NotInvited(email));
                }
                Ok(vec![MeetingEvent::AttendeeRemoved { email, ical_sequence: state.ical_sequence + 1 }])
            }
            MeetingCommand::Respond { actor, response } => {
                let state = self.visible_to(&actor)?;
                let Some(attendee) = state.attendee(&actor.email) else {
                    return Err(MeetingError::AttendeesOnly);
                };
                if state.status == MeetingStatus::Cancelled {
                    return Err(MeetingError::Cancelled);
                }
                if attendee.response == Partstat::from(response) {
                    return Ok(vec![]);
                }
                Ok(vec![MeetingEvent::AttendeeResponded { email: actor.email, response }])
            }
            MeetingCommand::Cancel { actor, reason } => {
                let state = self.editable_by(&actor)?;
                Ok(vec![MeetingEvent::MeetingCancelled { reason, ical_sequence: state.ical_sequence + 1 }])
            }
        }
    }
}

/// Checks a list of people to invite against those already invited: no one twice, not
/// the organizer, and not more than [`MAX_ATTENDEES`] in all.
fn check_new_attendees(current: &[Attendee], organizer: &EmailAddress, new: &[Invitee]) -> Result<(), MeetingError> {
    if current.len() + new.len() > MAX_ATTENDEES {
        return Err(MeetingError::TooManyAttendees { max: MAX_ATTENDEES });
    }
    let mut seen = std::collections::HashSet::new();
    for invitee in new {
        if &invitee.email == organizer {
            return Err(MeetingError::OrganizerInvited(invitee.email.clone()));
        }
        if current.iter().any(|a| a.email == invitee.email) {
            return Err(MeetingError::AlreadyInvited(invitee.email.clone()));
        }
        if !seen.insert(&invitee.email) {
            return Err(MeetingError::DuplicateAttendee(invitee.email.clone()));
        }
    }
    Ok(())
}

fn to_attendees(invitees: Vec<Invitee>) -> impl Iterator<Item = Attendee> {
    invitees.into_iter().map(|invitee| Attendee { email: invitee.email, name: invitee.name, response: Partstat::NeedsAction })
}

impl Aggregate for Meeting {
    const TYPE: &'static str = "Meeting";
    type Command = MeetingCommand;
    type Event = MeetingEvent;
    type Error = MeetingError;
    /// A meeting decides from its own state alone.
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        self.version += 1;
        if let MeetingEvent::MeetingScheduled {
            meeting_id,
            room_id,
            organizer,
            title,
            description,
            schedule,
            attendees,
            reminders,
        } = event
        {
            self.state = Some(MeetingState {
                id: meeting_id,
                room_id,
                organizer,
                title,
                description,
                schedule,
                attendees: to_attendees(attendees).collect(),
                reminders,
                status: MeetingStatus::Scheduled,
                cancellation_reason: None,
                ical_sequence: 0,
            });
            return;
        }
        // Every other event follows a MeetingScheduled; the store guarantees the order.
        let Some(state) = self.state.as_mut() else { return };
        match event {
            MeetingEvent::MeetingScheduled { .. } => {}
            MeetingEvent::MeetingDetailsChanged { title, description, ical_sequence } => {
                if let Some(title) = title {
                    state.title = title;
                }
                if let Some(description) = description {
                    state.description = description;
                }
                state.ical_sequence = ical_sequence;
            }
            MeetingEvent::RemindersChanged { reminders } => state.reminders = reminders,
            MeetingEvent::MeetingRescheduled { schedule, ical_sequence } => {
                state.schedule = schedule;
                state.ical_sequence = ical_sequence;
            }
            MeetingEvent::AttendeesInvited { attendees, ical_sequence } => {
                state.attendees.extend(to_attendees(attendees));
                state.ical_sequence = ical_sequence;
            }
            MeetingEvent::AttendeeRemoved { email, ical_sequence } => {
                state.attendees.retain(|a| a.email != email);
                state.ical_sequence = ical_sequence;
            }
            MeetingEvent::AttendeeResponded { email, response } => {
                if let Some(attendee) = state.attendees.iter_mut().find(|a| a.email == email) {
                    attendee.response = response.into();
                }
            }
            MeetingEvent::MeetingCancelled { reason, ical_sequence } => {
                state.status = MeetingStatus::Cancelled;
                state.cancellation_reason = reason;
                state.ical_sequence = ical_sequence;
            }
        }
    }
}
