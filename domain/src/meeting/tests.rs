//! Given events, when a command, then events or an error.

use super::*;
use crate::values::{DisplayName, TimeZone};
use chrono::NaiveDateTime;
use cqrs_es::test::TestFramework;
use uuid::Uuid;

type MeetingTest = TestFramework<Meeting>;

fn email(s: &str) -> EmailAddress {
    EmailAddress::parse(s).unwrap()
}

fn actor(user_id: &str, address: &str) -> Actor {
    Actor { user_id: user_id.into(), email: email(address), name: user_id.into() }
}

fn ann() -> Actor {
    actor("ann", "ann@example.org")
}
fn bob() -> Actor {
    actor("bob", "bob@example.org")
}
fn eve() -> Actor {
    actor("eve", "eve@example.org")
}

fn invitee(address: &str) -> Invitee {
    Invitee { email: email(address), name: Some(DisplayName::parse("Guest").unwrap()) }
}

fn schedule(start: &str, end: &str) -> Schedule {
    let parse = |s| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").unwrap();
    Schedule::parse(parse(start), parse(end), TimeZone::parse("Europe/Berlin").unwrap()).unwrap()
}

fn meeting_id() -> MeetingId {
    MeetingId(Uuid::from_u128(1))
}

/// Ann schedules a meeting with Bob for 1 December, 10:00–11:00 in Berlin.
fn scheduled() -> MeetingEvent {
    MeetingEvent::MeetingScheduled {
        meeting_id: meeting_id(),
        room_id: RoomId(Uuid::from_u128(2)),
        organizer: Organizer { user_id: "ann".into(), email: email("ann@example.org"), name: "ann".into() },
        title: Title::parse("Planning").unwrap(),
        description: Description::default(),
        schedule: schedule("2026-12-01T10:00", "2026-12-01T11:00"),
        attendees: vec![invitee("bob@example.org")],
        reminders: Reminders::default(),
    }
}

fn schedule_command(attendees: Vec<Invitee>) -> MeetingCommand {
    MeetingCommand::Schedule {
        meeting_id: meeting_id(),
        room_id: RoomId(Uuid::from_u128(2)),
        organizer: ann(),
        title: Title::parse("Planning").unwrap(),
        description: Description::default(),
        schedule: schedule("2026-12-01T10:00", "2026-12-01T11:00"),
        attendees,
        reminders: Reminders::default(),
    }
}

fn cancelled() -> MeetingEvent {
    MeetingEvent::MeetingCancelled { reason: None, ical_sequence: 1 }
}

#[test]
fn scheduling_a_new_meeting_records_it_with_its_attendees() {
    MeetingTest::with(())
        .given_no_previous_events()
        .when(schedule_command(vec![invitee("bob@example.org")]))
        .then_expect_events(vec![scheduled()]);
}

#[test]
fn scheduling_twice_under_one_id_is_refused() {
    MeetingTest::with(())
        .given(vec![scheduled()])
        .when(schedule_command(vec![]))
        .then_expect_error(MeetingError::AlreadyScheduled);
}

#[test]
fn the_organizer_is_not_invited_to_their_own_meeting() {
    MeetingTest::with(())
        .given_no_previous_events()
        .when(schedule_command(vec![invitee("ann@example.org")]))
        .then_expect_error(MeetingError::OrganizerInvited(email("ann@example.org")));
}

#[test]
fn an_attendee_listed_twice_is_refused() {
    MeetingTest::with(())
        .given_no_previous_events()
        .when(schedule_command(vec![invitee("carl@example.org"), invitee("Carl@Example.org")]))
        .then_expect_error(MeetingError::DuplicateAttendee(email("carl@example.org")));
}

#[test]
fn more_attendees_than_the_limit_are_refused() {
    let crowd = (0..=MAX_ATTENDEES).map(|i| invitee(&format!("p{i}@example.org"))).collect();
    MeetingTest::with(())
        .given_no_previous_events()
        .when(schedule_command(crowd))
        .then_expect_error(MeetingError::TooManyAttendees { max: MAX_ATTENDEES });
}

#[test]
fn rescheduling_bumps_the_ical_sequence() {
    MeetingTest::with(())
        .given(vec![scheduled()])
        .when(MeetingCommand::Reschedule { actor: ann(), schedule: schedule("2026-12-02T10:00", "2026-12-02T11:00") })
        .then_expect_events(vec![MeetingEvent::MeetingRescheduled {
            schedule: schedule("2026-12-02T10:00", "2026-12-02T11:00"),
            ical_sequence: 1,
        }]);
}

#[test]
fn rescheduling_to_the_same_time_records_nothing() {
    MeetingTest::with(())
        .given(vec![scheduled()])
        .when(MeetingCommand::Reschedule { actor: ann(), schedule: schedule("2026-12-01T10:00", "2026-12-01T11:00") })
        .then_expect_events(vec![]);
}

#[test]
fn an_attendee_may_not_reschedule() {
    MeetingTest::with(())
        .given(vec![scheduled()])
        .when(MeetingCommand::Reschedule { actor: bob(), schedule: schedule("2026-12-02T10:00", "2026-12-02T11:00") })
        .then_expect_error(MeetingError::OrganizerOnly);
}

#[test]
fn a_stranger_is_told_the_meeting_does_not_exist() {
    MeetingTest::with(())
        .given(vec![scheduled()])
        .when(MeetingCommand::Cancel { actor: eve(), reason: None })
        .then_expect_error(MeetingError::NotFound);
}

#[test]
fn a_command_to_a_meeting_never_scheduled_finds_nothing() {
    MeetingTest::with(())
        .given_no_previous_events()
        .when(MeetingCommand::Cancel { actor: ann(), reason: None })
        .then_expect_error(MeetingError::NotFound);
}

#[test]
fn changing_details_bumps_the_sequence_but_reminders_do_not() {
    MeetingTest::with(())
        .given(vec![scheduled()])
        .when(MeetingCommand::ChangeDetails {
            actor: ann(),
            title: Some(Title::parse("Planning 2027").unwrap()),
            description: None,
            reminders: Some(Reminders::parse(&[5, 60]).unwrap()),
        })
        .then_expect_events(vec![
            MeetingEvent::MeetingDetailsChanged {
                title: Some(Title::parse("Planning 2027").unwrap()),
                description: None,
                ical_sequence: 1,
            },
            MeetingEvent::RemindersChanged { reminders: Reminders::parse(&[5, 60]).unwrap() },
        ]);
}

#[test]
fn inviting_someone_already_invited_is_refused() {
    MeetingTest::with(())
        .given(vec![scheduled()])
        .when(MeetingCommand::InviteAttendees { actor: ann(), attendees: vec![invitee("bob@example.org")] })
        .then_expect_error(MeetingError::AlreadyInvited(email("bob@example.org")));
}

#[test]
fn removing_someone_not_invited_is_refused() {
    MeetingTest::with(())
        .given(vec![scheduled()])
        .when(MeetingCommand::RemoveAttendee { actor: ann(), email: email("carl@example.org") })
        .then_expect_error(MeetingError::NotInvited(email("carl@example.org")));
}

#[test]
fn a_removed_attendee_no_longer_sees_the_meeting() {
    MeetingTest::with(())
        .given(vec![scheduled(), MeetingEvent::AttendeeRemoved { email: email("bob@example.org"), ical_sequence: 1 }])
        .when(MeetingCommand::Respond { actor: bob(), response: Response::Accepted })
        .then_expect_error(MeetingError::NotFound);
}

#[test]
fn an_attendee_answers_and_the_same_answer_again_records_nothing() {
    MeetingTest::with(())
        .given(vec![scheduled()])
        .when(MeetingCommand::Respond { actor: bob(), response: Response::Tentative })
        .then_expect_events(vec![MeetingEvent::AttendeeResponded {
            email: email("bob@example.org"),
            response: Response::Tentative,
        }]);
    MeetingTest::with(())
        .given(vec![
            scheduled(),
            MeetingEvent::AttendeeResponded { email: email("bob@example.org"), response: Response::Tentative },
        ])
        .when(MeetingCommand::Respond { actor: bob(), response: Response::Tentative })
        .then_expect_events(vec![]);
}

#[test]
fn the_organizer_does_not_answer_their_own_invitation() {
    MeetingTest::with(())
        .given(vec![scheduled()])
        .when(MeetingCommand::Respond { actor: ann(), response: Response::Declined })
        .then_expect_error(MeetingError::AttendeesOnly);
}

#[test]
fn a_cancelled_meeting_changes_no_more() {
    MeetingTest::with(())
        .given(vec![scheduled(), cancelled()])
        .when(MeetingCommand::InviteAttendees { actor: ann(), attendees: vec![invitee("carl@example.org")] })
        .then_expect_error(MeetingError::Cancelled);
    MeetingTest::with(())
        .given(vec![scheduled(), cancelled()])
        .when(MeetingCommand::Respond { actor: bob(), response: Response::Accepted })
        .then_expect_error(MeetingError::Cancelled);
}

#[test]
fn the_version_counts_every_applied_event() {
    let mut meeting = Meeting::default();
    meeting.apply(scheduled());
    meeting.apply(cancelled());
    assert_eq!(meeting.version(), 2);
    assert_eq!(meeting.state().unwrap().status, MeetingStatus::Cancelled);
    assert_eq!(meeting.state().unwrap().ical_sequence, 1);
}
