//! Given events, when a command, then events or an error.

use super::*;
use crate::values::EmailAddress;
use chrono::{DateTime, TimeZone, Utc};
use cqrs_es::test::TestFramework;
use uuid::Uuid;

type RoomTest = TestFramework<Room>;

fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 9, minute, 0).unwrap()
}

fn peer(name: &str) -> Participant {
    Participant {
        peer_id: format!("peer-{name}"),
        email: EmailAddress::parse(&format!("{name}@example.org")).unwrap(),
        display_name: name.into(),
        node: "node-a".into(),
    }
}

fn ids() -> (RoomId, MeetingId) {
    (RoomId(Uuid::from_u128(2)), MeetingId(Uuid::from_u128(1)))
}

fn join(name: &str, capacity: usize) -> RoomCommand {
    let (room_id, meeting_id) = ids();
    RoomCommand::Join { room_id, meeting_id, participant: peer(name), capacity, seats_per_person: 3, at: at(1) }
}

fn opened() -> RoomEvent {
    let (room_id, meeting_id) = ids();
    RoomEvent::RoomOpened { room_id, meeting_id, at: at(0) }
}

fn joined(name: &str) -> RoomEvent {
    RoomEvent::ParticipantJoined { participant: peer(name), at: at(0) }
}

#[test]
fn the_first_join_opens_the_room() {
    RoomTest::with(()).given_no_previous_events().when(join("ann", 8)).then_expect_events(vec![
        RoomEvent::RoomOpened { room_id: ids().0, meeting_id: ids().1, at: at(1) },
        RoomEvent::ParticipantJoined { participant: peer("ann"), at: at(1) },
    ]);
}

#[test]
fn one_person_cannot_hold_more_seats_than_allowed() {
    let mut third = peer("ann");
    third.peer_id = "peer-ann-3".into();
    let (second, mut first) = (joined("ann"), peer("ann"));
    first.peer_id = "peer-ann-2".into();
    let (room_id, meeting_id) = ids();
    RoomTest::with(())
        .given(vec![opened(), second, RoomEvent::ParticipantJoined { participant: first, at: at(0) }, joined("bob")])
        .when(RoomCommand::Join { room_id, meeting_id, participant: third, capacity: 8, seats_per_person: 2, at: at(5) })
        .then_expect_error(RoomError::TooManySeats { email: peer("ann").email, max: 2 });
}

#[test]
fn a_full_mesh_refuses_the_next_participant() {
    RoomTest::with(())
        .given(vec![opened(), joined("ann"), joined("bob")])
        .when(join("carl", 2))
        .then_expect_error(RoomError::Full { capacity: 2 });
}

#[test]
fn a_reconnect_within_the_lease_resumes_the_same_place() {
    let mut moved = peer("ann");
    moved.node = "node-b".into();
    let (room_id, meeting_id) = ids();
    RoomTest::with(())
        .given(vec![opened(), joined("ann"), joined("bob")])
        .when(RoomCommand::Join { room_id, meeting_id, participant: moved, capacity: 2, seats_per_person: 3, at: at(5) })
        .then_expect_events(vec![RoomEvent::ParticipantResumed { peer_id: "peer-ann".into(), node: "node-b".into(), at: at(5) }]);
}

#[test]
fn someone_else_cannot_take_a_present_peer_id() {
    let mut impostor = peer("eve");
    impostor.peer_id = "peer-ann".into();
    let (room_id, meeting_id) = ids();
    RoomTest::with(())
        .given(vec![opened(), joined("ann")])
        .when(RoomCommand::Join { room_id, meeting_id, participant: impostor, capacity: 8, seats_per_person: 3, at: at(5) })
        .then_expect_error(RoomError::PeerIdTaken("peer-ann".into()));
}

#[test]
fn the_last_one_to_expire_ends_the_room() {
    RoomTest::with(())
        .given(vec![opened(), joined("ann")])
        .when(RoomCommand::Expire { peer_id: "peer-ann".into(), held_by: "node-a".into(), at: at(9) })
        .then_expect_events(vec![
            RoomEvent::ParticipantExpired { peer_id: "peer-ann".into(), at: at(9) },
            RoomEvent::RoomEnded { at: at(9) },
        ]);
}

#[test]
fn closing_a_room_lets_everyone_out_and_refuses_joins() {
    RoomTest::with(()).given(vec![opened(), joined("ann")]).when(RoomCommand::Close { at: at(3) }).then_expect_events(vec![
        RoomEvent::ParticipantLeft { peer_id: "peer-ann".into(), at: at(3) },
        RoomEvent::RoomEnded { at: at(3) },
        RoomEvent::RoomClosed { at: at(3) },
    ]);
    RoomTest::with(()).given(vec![RoomEvent::RoomClosed { at: at(3) }]).when(join("bob", 8)).then_expect_error(RoomError::Closed);
}

#[test]
fn leaving_a_room_one_is_not_in_is_refused() {
    RoomTest::with(())
        .given(vec![opened(), joined("ann")])
        .when(RoomCommand::Leave { peer_id: "peer-zed".into(), at: at(2) })
        .then_expect_error(RoomError::NotInRoom("peer-zed".into()));
}

#[test]
fn a_lease_running_out_on_a_node_the_participant_has_left_for_another_expires_nobody() {
    let resumed_elsewhere = RoomEvent::ParticipantResumed { peer_id: "peer-ann".into(), node: "node-b".into(), at: at(3) };
    RoomTest::with(())
        .given(vec![opened(), joined("ann"), resumed_elsewhere])
        .when(RoomCommand::Expire { peer_id: "peer-ann".into(), held_by: "node-a".into(), at: at(9) })
        .then_expect_events(vec![]);
}

#[test]
fn expiring_someone_who_is_not_in_the_room_is_refused() {
    RoomTest::with(())
        .given(vec![opened(), joined("ann")])
        .when(RoomCommand::Expire { peer_id: "peer-bob".into(), held_by: "node-a".into(), at: at(9) })
        .then_expect_error(RoomError::NotInRoom("peer-bob".into()));
}
