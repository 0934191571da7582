//! The room-status reactor: a cancellation delivered through JetStream closes the room in
//! the log and lets its participants out, even when nothing else closed it; a reschedule
//! is announced to whoever is in the room.

use domain::meeting::MeetingCommand;
use domain::{Actor, MeetingId};
use reqwest::Method;
use serde_json::json;
use std::time::Duration;
use veche_tests::app::{spawn_app_with, user, TestApp, User};
use veche_tests::nats::TestNats;
use veche_tests::signal::SignalClient;

async fn app_with_nats(nats: &TestNats) -> TestApp {
    let url = nats.url();
    spawn_app_with(move |s| {
        s.nats_disabled = false;
        s.nats_url = Some(url.into());
    })
    .await
}

/// Ann's meeting with Bob, and Bob in its room: (Ann, meeting id, room id, Bob's connection).
async fn bob_in_the_room(app: &TestApp) -> (User, String, String, SignalClient) {
    let (ann, bob) = (user("ann"), user("bob"));
    let scheduled = app.schedule(&ann, &[&bob], json!({})).await;
    let id = scheduled["meeting"]["id"].as_str().unwrap().to_string();
    let room = scheduled["meeting"]["room_id"].as_str().unwrap().to_string();
    let mut bob_client = SignalClient::join(&app.base, &room, &bob.token, None).await.unwrap();
    bob_client.next_of_type("welcome").await;
    (ann, id, room, bob_client)
}

#[tokio::test]
async fn a_reschedule_is_announced_to_the_participants_in_the_room() {
    let nats = TestNats::start().await;
    let app = app_with_nats(&nats).await;
    let (ann, id, _, mut bob_client) = bob_in_the_room(&app).await;

    let moved = app
        .request(Method::PUT, &format!("/api/meetings/{id}/schedule"), &ann)
        .json(&json!({"start": "2026-12-02T15:00:00", "end": "2026-12-02T16:30:00", "time_zone": "Europe/Berlin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), 200);

    let notice = bob_client.next_of_type("meeting").await;
    assert_eq!(notice["status"], "rescheduled");
    assert_eq!(notice["starts_at"], "2026-12-02T14:00:00Z");
    assert_eq!(notice["ends_at"], "2026-12-02T15:30:00Z");
    app.stop().await;
}

#[tokio::test]
async fn a_cancellation_reaching_the_reactor_closes_the_room_and_lets_everyone_out() {
    let nats = TestNats::start().await;
    let app = app_with_nats(&nats).await;
    let (ann, id, room, mut bob_client) = bob_in_the_room(&app).await;

    // Cancel through the use case, not the HTTP handler (which also closes the room at
    // once): only the reactor can close it now.
    let organizer =
        Actor { user_id: ann.sub.clone(), email: domain::values::EmailAddress::parse(&ann.email).unwrap(), name: "ann".into() };
    let meeting_id = MeetingId(id.parse().unwrap());
    let cancel = MeetingCommand::Cancel { actor: organizer, reason: None };
    app.state().meetings.execute(meeting_id, cancel, Default::default()).await.expect("the organizer cancels");

    let (code, before) = bob_client.closed().await;
    assert_eq!(code, 4001, "{before:?}");
    assert!(before.iter().any(|m| m["type"] == "room-closed"));
    let mut events = Vec::new();
    for _ in 0..100 {
        events = projections::global_log::stream_of(&app.pool, "Room", &room, None).await.unwrap();
        if events.last().is_some_and(|e| e.event_type == "RoomClosed") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types, ["RoomOpened", "ParticipantJoined", "ParticipantLeft", "RoomEnded", "RoomClosed"]);
    assert_eq!(events.last().unwrap().metadata_str("actor_id").map(|a| a.starts_with("node:")), Some(true));
    app.stop().await;
}
