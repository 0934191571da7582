//! Given one meeting event and the meeting's state just before and just after it, which
//! messages go to whom. iTIP (RFC 5546) semantics:
//!
//! | event | message |
//! |---|---|
//! | `MeetingScheduled` | invitation (REQUEST) to every attendee |
//! | `AttendeesInvited` | invitation (REQUEST) to the new attendees |
//! | `MeetingRescheduled`, `MeetingDetailsChanged` | update (REQUEST, higher SEQUENCE) to every attendee |
//! | `AttendeeRemoved` | cancellation (CANCEL) to the removed attendee |
//! | `MeetingCancelled` | cancellation (CANCEL) to every attendee |
//! | `AttendeeResponded` | a notice to the organizer, with the answer as an iTIP REPLY |
//! | `RemindersChanged` | nothing (reminders are not part of the invitation) |
//!
//! Attendees who declined still get updates and cancellations: they may change their mind,
//! and their calendar keeps the declined event until told otherwise.

use domain::meeting::{Attendee, MeetingEvent, MeetingState, Response};
use domain::values::EmailAddress;

/// What a message is, in iTIP terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeKind {
    /// The first `METHOD:REQUEST` a person receives for the meeting.
    Invitation,
    /// A `METHOD:REQUEST` with a higher SEQUENCE: the time or the details changed.
    Update,
    /// A `METHOD:CANCEL`: the meeting is called off, or the person was taken off it.
    Cancellation,
    /// To the organizer: an attendee answered.
    Answered { attendee: EmailAddress, response: Response },
}

impl NoticeKind {
    /// A stable short name, part of the side effect's ledger key.
    pub fn slug(&self) -> &'static str {
        match self {
            Self::Invitation => "invitation",
            Self::Update => "update",
            Self::Cancellation => "cancellation",
            Self::Answered { .. } => "answered",
        }
    }
}

/// Who receives a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub email: EmailAddress,
    pub name: Option<String>,
}

impl From<&Attendee> for Recipient {
    fn from(attendee: &Attendee) -> Self {
        Self { email: attendee.email.clone(), name: attendee.name.as_ref().map(|n| n.as_str().to_string()) }
    }
}

/// One message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub kind: NoticeKind,
    pub to: Recipient,
}

impl Notice {
    /// The idempotency key of sending this notice for the event `sequence` of meeting
    /// `aggregate_id`: `<reactor>/<aggregate_id>/<sequence>/<kind>/<recipient>`.
    pub fn effect_key(&self, reactor: &str, aggregate_id: &str, sequence: i64) -> String {
        format!("{reactor}/{aggregate_id}/{sequence}/{}/{}", self.kind.slug(), self.to.email)
    }
}

/// The messages an event calls for. `before` is the meeting's state before the event
/// (`None` for the first event), `after` its state once the event is applied.
pub fn notices_for(event: &MeetingEvent, before: Option<&MeetingState>, after: &MeetingState) -> Vec<Notice> {
    let to_all = |kind: NoticeKind, attendees: &[Attendee]| -> Vec<Notice> {
        attendees.iter().map(|a| Notice { kind: kind.clone(), to: a.into() }).collect()
    };
    match event {
        MeetingEvent::MeetingScheduled { .. } => to_all(NoticeKind::Invitation, &after.attendees),
        MeetingEvent::AttendeesInvited { attendees, .. } => after
            .attendees
            .iter()
            .filter(|a| attendees.iter().any(|invited| invited.email == a.email))
            .map(|a| Notice { kind: NoticeKind::Invitation, to: a.into() })
            .collect(),
        MeetingEvent::MeetingRescheduled { .. } | MeetingEvent::MeetingDetailsChanged { .. } => {
            to_all(NoticeKind::Update, &after.attendees)
        }
        MeetingEvent::AttendeeRemoved { email, .. } => before
            .and_then(|state| state.attendee(email))
            .map(|removed| vec![Notice { kind: NoticeKind::Cancellation, to: removed.into() }])
            .unwrap_or_default(),
        MeetingEvent::MeetingCancelled { .. } => to_all(NoticeKind::Cancellation, &after.attendees),
        MeetingEvent::AttendeeResponded { email, response } => vec![Notice {
            kind: NoticeKind::Answered { attendee: email.clone(), response: *response },
            to: Recipient { email: after.organizer.email.clone(), name: Some(after.organizer.name.clone()) },
        }],
        MeetingEvent::RemindersChanged { .. } => vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDateTime;
    use cqrs_es::Aggregate;
    use domain::meeting::{Meeting, Organizer};
    use domain::values::{Description, Invitee, Reminders, Schedule, TimeZone, Title};
    use domain::{MeetingId, RoomId};
    use uuid::Uuid;

    fn email(s: &str) -> EmailAddress {
        EmailAddress::parse(s).unwrap()
    }

    fn invitee(s: &str) -> Invitee {
        Invitee { email: email(s), name: None }
    }

    fn schedule(start: &str, end: &str) -> Schedule {
        let parse = |s| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").unwrap();
        Schedule::parse(parse(start), parse(end), TimeZone::parse("Europe/Berlin").unwrap()).unwrap()
    }

    fn scheduled(attendees: &[&str]) -> MeetingEvent {
        MeetingEvent::MeetingScheduled {
            meeting_id: MeetingId(Uuid::nil()),
            room_id: RoomId(Uuid::nil()),
            organizer: Organizer { user_id: "u-olga".into(), email: email("olga@example.org"), name: "Olga".into() },
            title: Title::parse("Planning").unwrap(),
            description: Description::default(),
            schedule: schedule("2026-12-01T10:00", "2026-12-01T11:00"),
            attendees: attendees.iter().map(|a| invitee(a)).collect(),
            reminders: Reminders::default(),
        }
    }

    /// Applies `history`, then `event`, and returns the policy's answer for `event`.
    fn notices_after(history: &[MeetingEvent], event: MeetingEvent) -> Vec<(String, String)> {
        let mut meeting = Meeting::default();
        for e in history {
            meeting.apply(e.clone());
        }
        let before = meeting.state().cloned();
        meeting.apply(event.clone());
        notices_for(&event, before.as_ref(), meeting.state().unwrap())
            .into_iter()
            .map(|n| (n.kind.slug().to_string(), n.to.email.to_string()))
            .collect()
    }

    fn pairs(kind: &str, emails: &[&str]) -> Vec<(String, String)> {
        emails.iter().map(|e| (kind.to_string(), e.to_string())).collect()
    }

    #[test]
    fn scheduling_invites_every_attendee_but_not_the_organizer() {
        let notices = notices_after(&[], scheduled(&["ann@example.org", "bob@example.org"]));
        assert_eq!(notices, pairs("invitation", &["ann@example.org", "bob@example.org"]));
    }

    #[test]
    fn inviting_more_people_invites_only_the_new_ones() {
        let event = MeetingEvent::AttendeesInvited { attendees: vec![invitee("cid@example.org")], ical_sequence: 1 };
        let notices = notices_after(&[scheduled(&["ann@example.org"])], event);
        assert_eq!(notices, pairs("invitation", &["cid@example.org"]));
    }

    #[test]
    fn a_reschedule_or_a_new_title_updates_every_attendee_including_those_who_declined() {
        let declined = MeetingEvent::AttendeeResponded { email: email("bob@example.org"), response: Response::Declined };
        let history = [scheduled(&["ann@example.org", "bob@example.org"]), declined];
        let moved =
            MeetingEvent::MeetingRescheduled { schedule: schedule("2026-12-02T10:00", "2026-12-02T11:00"), ical_sequence: 1 };
        assert_eq!(notices_after(&history, moved), pairs("update", &["ann@example.org", "bob@example.org"]));
        let renamed = MeetingEvent::MeetingDetailsChanged {
            title: Some(Title::parse("Roadmap").unwrap()),
            description: None,
            ical_sequence: 1,
        };
        assert_eq!(notices_after(&history, renamed), pairs("update", &["ann@example.org", "bob@example.org"]));
    }

    #[test]
    fn removing_an_attendee_cancels_for_that_attendee_only() {
        let removed = MeetingEvent::AttendeeRemoved { email: email("bob@example.org"), ical_sequence: 1 };
        let notices = notices_after(&[scheduled(&["ann@example.org", "bob@example.org"])], removed);
        assert_eq!(notices, pairs("cancellation", &["bob@example.org"]));
    }

    #[test]
    fn cancelling_the_meeting_cancels_for_everyone() {
        let cancelled = MeetingEvent::MeetingCancelled { reason: None, ical_sequence: 1 };
        let notices = notices_after(&[scheduled(&["ann@example.org", "bob@example.org"])], cancelled);
        assert_eq!(notices, pairs("cancellation", &["ann@example.org", "bob@example.org"]));
    }

    #[test]
    fn an_answer_is_told_to_the_organizer() {
        let answered = MeetingEvent::AttendeeResponded { email: email("ann@example.org"), response: Response::Tentative };
        let notices = notices_after(&[scheduled(&["ann@example.org"])], answered);
        assert_eq!(notices, pairs("answered", &["olga@example.org"]));
    }

    #[test]
    fn changing_reminders_sends_nothing() {
        let changed = MeetingEvent::RemindersChanged { reminders: Reminders::parse(&[30]).unwrap() };
        assert!(notices_after(&[scheduled(&["ann@example.org"])], changed).is_empty());
    }

    #[test]
    fn effect_keys_name_the_reactor_the_event_the_kind_and_the_recipient() {
        let notice = Notice { kind: NoticeKind::Invitation, to: Recipient { email: email("ann@example.org"), name: None } };
        assert_eq!(notice.effect_key("mailer", "m-1", 3), "mailer/m-1/3/invitation/ann@example.org");
    }
}
