//! Presence in the log and what the others are told: entering, relaying, resuming, leaving, expiring, closing, the call in the calendar and the history.

use super::*;

#[tokio::test]
async fn the_organizer_and_an_attendee_enter_the_room_and_see_each_other() {
    let app = spawn_app().await;
    let (ann, bob) = (user("ann"), user("bob"));
    let (meeting_id, room) = meeting(&app, &ann, &[&bob]).await;

    let (mut ann_client, ann_welcome) = enter(&app, &room, &ann).await;
    assert_eq!(ann_welcome["participants"], json!([]));
    assert_eq!(ann_welcome["meeting_id"], meeting_id.as_str());
    assert_eq!(ann_welcome["capacity"], 8);
    assert_eq!(ann_welcome["resumed"], false);

    let (_bob_client, bob_welcome) = enter(&app, &room, &bob).await;
    let ann_peer = ann_welcome["peer_id"].as_str().unwrap();
    assert_eq!(bob_welcome["participants"], json!([{ "peer_id": ann_peer, "name": "ann", "email": "ann@example.org" }]));

    let joined = ann_client.next_of_type("joined").await;
    assert_eq!(joined["peer"]["peer_id"], bob_welcome["peer_id"]);
    assert_eq!(joined["peer"]["email"], "bob@example.org");
    assert_eq!(room_events(&app, &room).await, ["RoomOpened", "ParticipantJoined", "ParticipantJoined"]);
    app.stop().await;
}

#[tokio::test]
async fn a_signal_reaches_only_the_participant_it_is_addressed_to() {
    let app = spawn_app().await;
    let (ann, bob, cara) = (user("ann"), user("bob"), user("cara"));
    let (_, room) = meeting(&app, &ann, &[&bob, &cara]).await;
    let (mut ann_client, _) = enter(&app, &room, &ann).await;
    let (mut bob_client, bob_welcome) = enter(&app, &room, &bob).await;
    let (mut cara_client, _) = enter(&app, &room, &cara).await;
    let bob_peer = bob_welcome["peer_id"].as_str().unwrap();
    let ann_peer = bob_welcome["participants"][0]["peer_id"].as_str().unwrap();

    let offer = json!({ "type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n" });
    ann_client.send_json(json!({ "type": "signal", "to": bob_peer, "kind": "offer", "data": offer })).await;

    let received = bob_client.next_of_type("signal").await;
    assert_eq!(received, json!({ "type": "signal", "kind": "offer", "from": ann_peer, "data": offer }));
    let cara_saw = cara_client.next_within(Duration::from_millis(300)).await;
    assert!(cara_saw.as_ref().is_none_or(|m| m["type"] != "signal"), "cara got someone else's signal: {cara_saw:?}");
    app.stop().await;
}

#[tokio::test]
async fn a_participant_who_reconnects_with_the_same_peer_id_resumes_their_place() {
    let app = spawn_app().await;
    let (ann, bob) = (user("ann"), user("bob"));
    let (_, room) = meeting(&app, &ann, &[&bob]).await;
    let (mut ann_client, _) = enter(&app, &room, &ann).await;
    let mut bob_client = SignalClient::join(&app.base, &room, &bob.token, Some("bob-laptop")).await.unwrap();
    bob_client.next_of_type("welcome").await;
    ann_client.next_of_type("joined").await;

    bob_client.drop_connection();
    let mut bob_again = SignalClient::join(&app.base, &room, &bob.token, Some("bob-laptop")).await.unwrap();
    let welcome = bob_again.next_of_type("welcome").await;
    assert_eq!(welcome["resumed"], true);
    assert_eq!(welcome["participants"].as_array().unwrap().len(), 1);
    let joined = ann_client.next_of_type("joined").await;
    assert_eq!(joined["resumed"], true);
    assert_eq!(joined["peer"]["peer_id"], "bob-laptop");
    assert_eq!(room_events(&app, &room).await, ["RoomOpened", "ParticipantJoined", "ParticipantJoined", "ParticipantResumed"]);

    // Someone else presenting bob's peer id is not bob.
    let mut ann_as_bob = SignalClient::join(&app.base, &room, &ann.token, Some("bob-laptop")).await.unwrap();
    let (code, before) = ann_as_bob.closed().await;
    assert_eq!((code, before[0]["code"].as_str()), (4010, Some("peer-id-taken")));
    app.stop().await;
}

#[tokio::test]
async fn leaving_is_recorded_the_others_are_told_and_the_last_one_out_ends_the_room() {
    let app = spawn_app().await;
    let InRoom { room, mut ann_client, bob_client, bob_peer, .. } = ann_and_bob_in_the_room(&app).await;

    bob_client.leave().await;
    let left = ann_client.next_of_type("left").await;
    assert_eq!(left, json!({ "type": "left", "peer_id": bob_peer, "reason": "left" }));
    ann_client.send_json(json!({ "type": "leave" })).await;
    await_room_events(
        &app,
        &room,
        &["RoomOpened", "ParticipantJoined", "ParticipantJoined", "ParticipantLeft", "ParticipantLeft", "RoomEnded"],
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn a_dropped_participant_who_does_not_come_back_in_time_expires() {
    let app = spawn_app_with(|s| s.rooms.reconnect_grace_secs = 1).await;
    let InRoom { room, mut ann_client, bob_client, bob_peer, .. } = ann_and_bob_in_the_room(&app).await;

    bob_client.drop_connection();
    let left = ann_client.next_of_type("left").await;
    assert_eq!(left["peer_id"], bob_peer.as_str());
    assert_eq!(left["reason"], "expired");
    assert_eq!(room_events(&app, &room).await.last().unwrap(), "ParticipantExpired");
    app.stop().await;
}

#[tokio::test]
async fn cancelling_the_meeting_closes_its_room_for_those_inside_and_those_coming() {
    let app = spawn_app().await;
    let (ann, bob) = (user("ann"), user("bob"));
    let (meeting_id, room) = meeting(&app, &ann, &[&bob]).await;
    let (mut bob_client, _) = enter(&app, &room, &bob).await;

    let response = app.request(Method::POST, &format!("/api/meetings/{meeting_id}/cancel"), &ann).send().await.unwrap();
    let (status, cancelled) = TestApp::json(response).await;
    assert_eq!(status, 200);
    let (code, before) = bob_client.closed().await;
    assert_eq!(code, 4001);
    assert!(before.iter().any(|m| m["type"] == "room-closed"), "{before:?}");

    let position = cancelled["position"].as_i64().unwrap();
    app.request(Method::GET, &format!("/api/meetings/{meeting_id}?after_position={position}"), &ann).send().await.unwrap();
    let mut late = SignalClient::join(&app.base, &room, &bob.token, None).await.unwrap();
    let (code, before) = late.closed().await;
    assert_eq!((code, before[0]["code"].as_str()), (4001, Some("room-closed")));
    let events = room_events(&app, &room).await;
    assert_eq!(&events[events.len() - 3..], ["ParticipantLeft", "RoomEnded", "RoomClosed"]);
    app.stop().await;
}

#[tokio::test]
async fn the_calendar_shows_the_call_in_progress_and_then_completed() {
    let app = spawn_app().await;
    let (ann, bob) = (user("ann"), user("bob"));
    // A meeting whose time is still to come: one whose end has passed is completed anyway.
    let start = chrono::Utc::now() + chrono::Duration::days(1);
    let body = json!({"start": utc_local(start), "end": utc_local(start + chrono::Duration::hours(1)), "time_zone": "UTC"});
    let scheduled = app.schedule(&ann, &[&bob], body).await;
    let (meeting_id, room) = (scheduled["meeting"]["id"].as_str().unwrap(), scheduled["meeting"]["room_id"].as_str().unwrap());
    let call = |app: &TestApp| {
        let request = app.request(Method::GET, &format!("/api/meetings/{meeting_id}"), &bob);
        async move {
            let body: Value = request.send().await.unwrap().json().await.unwrap();
            body["call"].clone()
        }
    };
    // Projections follow the log within milliseconds; poll briefly for each state.
    async fn until(mut probe: impl AsyncFnMut() -> Value, status: &str) -> Value {
        for _ in 0..100 {
            let call = probe().await;
            if call["status"] == status {
                return call;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the call never became {status}: {}", probe().await);
    }
    until(async || call(&app).await, "scheduled").await;
    let (ann_client, _) = enter(&app, room, &ann).await;
    let during = until(async || call(&app).await, "in_progress").await;
    assert_eq!(during["participants"], 1);
    assert!(during["started_at"].is_string());
    ann_client.leave().await;
    let after = until(async || call(&app).await, "completed").await;
    assert!(after["ended_at"].is_string());
    app.stop().await;
}

#[tokio::test]
async fn the_meetings_history_shows_who_was_in_the_call_and_when() {
    let app = spawn_app().await;
    let (ann, bob) = (user("ann"), user("bob"));
    let (meeting_id, room) = meeting(&app, &ann, &[&bob]).await;
    let (ann_client, _) = enter(&app, &room, &ann).await;
    let (bob_client, _) = enter(&app, &room, &bob).await;
    bob_client.leave().await;
    // Leaving is asynchronous on the hub: Bob's leave is recorded before Ann leaves.
    await_room_events(&app, &room, &["RoomOpened", "ParticipantJoined", "ParticipantJoined", "ParticipantLeft"]).await;
    ann_client.leave().await;
    await_room_events(
        &app,
        &room,
        &["RoomOpened", "ParticipantJoined", "ParticipantJoined", "ParticipantLeft", "ParticipantLeft", "RoomEnded"],
    )
    .await;

    let response = app.request(Method::GET, &format!("/api/meetings/{meeting_id}/history"), &ann).send().await.unwrap();
    let (status, history) = TestApp::json(response).await;
    assert_eq!(status, 200);
    let call = history["call"].as_array().unwrap();
    let who: Vec<(&str, &str)> =
        call.iter().map(|e| (e["event_type"].as_str().unwrap(), e["actor"]["email"].as_str().unwrap())).collect();
    assert_eq!(
        who,
        [
            ("RoomOpened", "ann@example.org"),
            ("ParticipantJoined", "ann@example.org"),
            ("ParticipantJoined", "bob@example.org"),
            ("ParticipantLeft", "bob@example.org"),
            ("ParticipantLeft", "ann@example.org"),
            ("RoomEnded", "ann@example.org"),
        ]
    );
    assert_eq!(call[2]["changes"]["participant"]["display_name"], "bob");
    assert!(call.windows(2).all(|w| w[0]["recorded_at"].as_str() <= w[1]["recorded_at"].as_str()));

    // As of before anyone entered, the call had no events.
    let before = history["events"][0]["recorded_at"].as_str().unwrap();
    let past = app
        .request(Method::GET, &format!("/api/meetings/{meeting_id}/history?as_of={}", before.replace('+', "%2B")), &ann)
        .send()
        .await
        .unwrap();
    assert_eq!(TestApp::json(past).await.1["call"], json!([]));
    app.stop().await;
}

#[tokio::test]
async fn the_participants_are_told_when_the_meeting_starts_and_when_its_time_is_up() {
    let app = spawn_app().await;
    let (ann, bob) = (user("ann"), user("bob"));
    // Given a meeting that starts a few seconds from now and lasts two seconds
    let start = chrono::Utc::now() + chrono::Duration::seconds(4);
    let end = start + chrono::Duration::seconds(2);
    let scheduled =
        app.schedule(&ann, &[&bob], json!({"start": utc_local(start), "end": utc_local(end), "time_zone": "UTC"})).await;
    let room = scheduled["meeting"]["room_id"].as_str().unwrap();
    let starts_at = scheduled["meeting"]["starts_at"].clone();

    // When Bob waits in the room
    let (mut bob_client, welcome) = enter(&app, room, &bob).await;
    assert_eq!(welcome["starts_at"], starts_at);
    assert_eq!(welcome["ends_at"], scheduled["meeting"]["ends_at"]);

    // Then he is told the meeting started, and then that its time is up
    let started = bob_client.next_of_type("meeting").await;
    assert_eq!(started["status"], "started");
    assert_eq!(started["starts_at"], starts_at);
    let ended = bob_client.next_of_type("meeting").await;
    assert_eq!(ended["status"], "ended");
    // and nothing is announced twice
    let again = bob_client.next_within(Duration::from_millis(1500)).await;
    assert!(again.as_ref().is_none_or(|m| m["type"] != "meeting"), "{again:?}");
    app.stop().await;
}
