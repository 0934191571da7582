//! Who may enter a meeting's room: its organizer and attendees, entering with a token of
//! their own, a room pass for that room, or a guest link of that meeting. Anyone else is
//! told there is no such room, so a stranger cannot tell a room exists.

use crate::ports::PortError;
use chrono::{DateTime, Utc};
use domain::meeting::{Meeting, MeetingStatus};
use domain::{Actor, MeetingId, RoomId};
use std::future::Future;

/// What the token someone enters with says about them.
#[derive(Debug, Clone)]
pub struct Ticket {
    pub actor: Actor,
    /// A room pass opens this room and no other.
    pub only_room: Option<RoomId>,
    /// A guest link opens its own meeting's room and no other.
    pub only_meeting: Option<MeetingId>,
    /// When the token expires (seconds since the Unix epoch): the connection ends then.
    pub expires_at: i64,
}

/// Someone allowed into a room.
#[derive(Debug, Clone)]
pub struct RoomAccess {
    pub actor: Actor,
    pub room_id: RoomId,
    pub meeting_id: MeetingId,
    /// The meeting is cancelled: the room refuses joins.
    pub cancelled: bool,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// When the token or pass entered with expires (its `exp`): the connection ends then.
    pub expires_at: i64,
}

/// Why someone is not let in.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// No such room, or not one this person may enter: the two look alike on purpose.
    #[error("no such room")]
    NotFound,
    #[error("could not read the meetings: {0}")]
    Read(PortError),
}

/// The meetings as the read model has them, found by their room.
pub trait MeetingsByRoom: Send + Sync {
    fn meeting_of_room(&self, room_id: RoomId) -> impl Future<Output = Result<Option<Meeting>, PortError>> + Send;

    /// Waits, for a bounded time, until the read model holds what the log holds now.
    fn catch_up(&self) -> impl Future<Output = Result<(), PortError>> + Send;
}

/// Lets the ticket's holder into the room, or says why not.
pub async fn admit(meetings: &impl MeetingsByRoom, room_id: RoomId, ticket: Ticket) -> Result<RoomAccess, AccessError> {
    if ticket.only_room.is_some_and(|room| room != room_id) {
        return Err(AccessError::NotFound);
    }
    let meeting = match meetings.meeting_of_room(room_id).await.map_err(AccessError::Read)? {
        Some(meeting) => meeting,
        // A link followed right after scheduling may beat the projector: wait for it to
        // reach what is in the log now, then look once more.
        None => {
            meetings.catch_up().await.map_err(AccessError::Read)?;
            meetings.meeting_of_room(room_id).await.map_err(AccessError::Read)?.ok_or(AccessError::NotFound)?
        }
    };
    decide(room_id, &meeting, ticket)
}

/// The rule itself, given the room's meeting.
pub fn decide(room_id: RoomId, meeting: &Meeting, ticket: Ticket) -> Result<RoomAccess, AccessError> {
    let state = meeting.state().filter(|state| state.room_id == room_id).ok_or(AccessError::NotFound)?;
    if ticket.only_room.is_some_and(|room| room != room_id) || ticket.only_meeting.is_some_and(|id| id != state.id) {
        return Err(AccessError::NotFound);
    }
    // Whoever enters must still be the organizer or invited, whatever the token: a removed
    // attendee's pass and link stop opening the room at once.
    if !state.is_visible_to(&ticket.actor) {
        return Err(AccessError::NotFound);
    }
    Ok(RoomAccess {
        actor: ticket.actor,
        room_id,
        meeting_id: state.id,
        cancelled: state.status == MeetingStatus::Cancelled,
        starts_at: state.schedule.starts_at,
        ends_at: state.schedule.ends_at,
        expires_at: ticket.expires_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use cqrs_es::Aggregate;
    use domain::meeting::{MeetingEvent, Organizer};
    use domain::values::{Description, EmailAddress, Invitee, Reminders, Schedule, TimeZone, Title};
    use uuid::Uuid;

    const ROOM: RoomId = RoomId(Uuid::from_u128(2));
    const MEETING: MeetingId = MeetingId(Uuid::from_u128(1));

    fn person(name: &str) -> Actor {
        Actor { user_id: name.into(), email: EmailAddress::parse(&format!("{name}@example.org")).unwrap(), name: name.into() }
    }

    fn ticket(name: &str) -> Ticket {
        Ticket { actor: person(name), only_room: None, only_meeting: None, expires_at: 4_000_000_000 }
    }

    /// Ann's meeting with Bob, after `later` events.
    fn meeting(later: Vec<MeetingEvent>) -> Meeting {
        let at = |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").unwrap();
        let mut meeting = Meeting::default();
        meeting.apply(MeetingEvent::MeetingScheduled {
            meeting_id: MEETING,
            room_id: ROOM,
            organizer: Organizer { user_id: "ann".into(), email: person("ann").email, name: "ann".into() },
            title: Title::parse("Planning").unwrap(),
            description: Description::default(),
            schedule: Schedule::parse(at("2026-12-01T10:00"), at("2026-12-01T11:00"), TimeZone::parse("Europe/Berlin").unwrap())
                .unwrap(),
            attendees: vec![Invitee { email: person("bob").email, name: None }],
            reminders: Reminders::default(),
        });
        later.into_iter().for_each(|event| meeting.apply(event));
        meeting
    }

    fn refused(result: Result<RoomAccess, AccessError>) -> bool {
        matches!(result, Err(AccessError::NotFound))
    }

    #[test]
    fn the_organizer_and_an_attendee_enter_and_a_stranger_is_told_there_is_no_such_room() {
        let access = decide(ROOM, &meeting(vec![]), ticket("ann")).unwrap();
        assert_eq!((access.meeting_id, access.cancelled), (MEETING, false));
        assert!(decide(ROOM, &meeting(vec![]), ticket("bob")).is_ok());
        assert!(refused(decide(ROOM, &meeting(vec![]), ticket("eve"))));
    }

    #[test]
    fn a_pass_opens_its_own_room_only_and_a_guest_link_its_own_meeting_only() {
        let other_room = Ticket { only_room: Some(RoomId(Uuid::from_u128(9))), ..ticket("bob") };
        assert!(refused(decide(ROOM, &meeting(vec![]), other_room)));
        let other_meeting = Ticket { only_meeting: Some(MeetingId(Uuid::from_u128(9))), ..ticket("bob") };
        assert!(refused(decide(ROOM, &meeting(vec![]), other_meeting)));
        let own = Ticket { only_room: Some(ROOM), only_meeting: Some(MEETING), ..ticket("bob") };
        assert_eq!(decide(ROOM, &meeting(vec![]), own).unwrap().expires_at, 4_000_000_000);
    }

    #[test]
    fn an_attendee_taken_off_the_meeting_no_longer_enters_whatever_they_hold() {
        let removed = meeting(vec![MeetingEvent::AttendeeRemoved { email: person("bob").email, ical_sequence: 1 }]);
        let pass = Ticket { only_room: Some(ROOM), ..ticket("bob") };
        assert!(refused(decide(ROOM, &removed, pass)));
    }

    #[test]
    fn a_cancelled_meetings_room_is_found_but_says_it_is_cancelled() {
        let cancelled = meeting(vec![MeetingEvent::MeetingCancelled { reason: None, ical_sequence: 1 }]);
        assert!(decide(ROOM, &cancelled, ticket("bob")).unwrap().cancelled);
    }
}
