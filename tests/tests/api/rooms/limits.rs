//! The hub's limits: capacity, places per person, message size and rate, pings, slow readers.

use super::*;

#[tokio::test]
async fn the_participant_after_the_capacity_is_refused_with_a_clear_message() {
    let app = spawn_app_with(|s| s.rooms.room_capacity = 2).await;
    let (ann, bob, cara) = (user("ann"), user("bob"), user("cara"));
    let (_, room) = meeting(&app, &ann, &[&bob, &cara]).await;
    let (_ann_client, _) = enter(&app, &room, &ann).await;
    let (_bob_client, _) = enter(&app, &room, &bob).await;

    let mut cara_client = SignalClient::join(&app.base, &room, &cara.token, None).await.unwrap();
    let (code, before) = cara_client.closed().await;
    assert_eq!(code, 4009);
    assert_eq!(before[0]["type"], "error");
    assert_eq!(before[0]["code"], "room-full");
    assert!(before[0]["message"].as_str().unwrap().contains("at most 2"));
    assert_eq!(room_events(&app, &room).await, ["RoomOpened", "ParticipantJoined", "ParticipantJoined"]);
    app.stop().await;
}

#[tokio::test]
async fn one_person_cannot_hold_more_places_in_a_room_than_allowed() {
    let app = spawn_app_with(|s| s.rooms.room_seats_per_person = 2).await;
    let (ann, bob) = (user("ann"), user("bob"));
    let (_, room) = meeting(&app, &ann, &[&bob]).await;
    let (_laptop, _) = enter(&app, &room, &bob).await;
    let (_phone, _) = enter(&app, &room, &bob).await;

    let mut tablet = SignalClient::join(&app.base, &room, &bob.token, None).await.unwrap();
    let (code, before) = tablet.closed().await;
    assert_eq!(code, 4011);
    assert_eq!(before[0]["code"], "too-many-seats");
    let (_ann_client, _) = enter(&app, &room, &ann).await;
    app.stop().await;
}

#[tokio::test]
async fn bad_messages_get_an_error_and_the_connection_stays_open() {
    let app = spawn_app().await;
    let (ann, bob) = (user("ann"), user("bob"));
    let (_, room) = meeting(&app, &ann, &[&bob]).await;
    let (mut client, welcome) = enter(&app, &room, &ann).await;
    let me = welcome["peer_id"].as_str().unwrap().to_string();

    client.send_text("{not json".into()).await;
    assert_eq!(client.next_json().await["code"], "malformed-message");
    client.send_json(json!({ "type": "dance" })).await;
    assert_eq!(client.next_json().await["code"], "unknown-type");
    client.send_json(json!({ "type": "signal", "to": "nobody", "kind": "offer", "data": {} })).await;
    assert_eq!(client.next_json().await["code"], "no-such-peer");
    client.send_json(json!({ "type": "signal", "to": me, "kind": "offer", "data": {} })).await;
    assert_eq!(client.next_json().await["code"], "no-such-peer");
    client.send_json(json!({ "type": "signal", "to": "x", "kind": "bye", "data": {} })).await;
    assert_eq!(client.next_json().await["code"], "malformed-message");
    client.send_json(json!({ "type": "ping" })).await;
    assert_eq!(client.next_json().await, json!({ "type": "pong" }));
    app.stop().await;
}

#[tokio::test]
async fn a_message_over_the_size_limit_closes_the_connection_with_1009() {
    let app = spawn_app_with(|s| s.rooms.signal_max_message_bytes = 2048).await;
    let (ann, bob) = (user("ann"), user("bob"));
    let (_, room) = meeting(&app, &ann, &[&bob]).await;
    let (mut client, _) = enter(&app, &room, &ann).await;
    client.send_json(json!({ "type": "ping", "padding": "x".repeat(4096) })).await;
    let (code, _) = client.closed().await;
    assert_eq!(code, 1009, "the close frame arrives, not a reset");
    // The hub lives on: the same person enters again.
    let (_again, welcome) = enter(&app, &room, &ann).await;
    assert_eq!(welcome["type"], "welcome");
    app.stop().await;
}

#[tokio::test]
async fn messages_over_the_rate_limit_are_refused_and_dropped() {
    let app = spawn_app_with(|s| s.rooms.signal_rate = 5).await;
    let InRoom { mut ann_client, bob_client, bob_peer, .. } = ann_and_bob_in_the_room(&app).await;
    let mut bob_client = bob_client;

    for seq in 0..40 {
        ann_client.send_json(json!({ "type": "signal", "to": bob_peer, "kind": "candidate", "data": candidate(seq) })).await;
    }
    let refusal = ann_client.next_of_type("error").await;
    assert_eq!(refusal["code"], "rate-limited");
    let mut relayed = 0;
    while let Some(message) = bob_client.next_within(Duration::from_millis(500)).await {
        relayed += (message["type"] == "signal") as u32;
    }
    // A burst of twice the rate passes, plus what refills while sending; never all 40.
    assert!((10..40).contains(&relayed), "{relayed} of 40 relayed");
    app.stop().await;
}

#[tokio::test]
async fn a_participant_who_stops_answering_pings_is_closed_and_one_who_answers_stays() {
    let app = spawn_app_with(|s| s.rooms.signal_ping_secs = 1).await;
    let InRoom { mut ann_client, mut bob_client, .. } = ann_and_bob_in_the_room(&app).await;
    // Bob's client reads, and so answers every ping; Ann's reads nothing for three periods.
    let quiet_until = tokio::time::Instant::now() + Duration::from_secs(3);
    while bob_client.next_within(quiet_until - tokio::time::Instant::now()).await.is_some() {}
    let (code, _) = ann_client.closed().await;
    assert_eq!(code, 4013, "no pong in time");
    bob_client.send_json(json!({ "type": "ping" })).await;
    assert_eq!(bob_client.next_of_type("pong").await, json!({ "type": "pong" }));
    app.stop().await;
}

#[tokio::test]
async fn a_participant_that_does_not_read_is_disconnected_rather_than_queued_for() {
    let app = spawn_app_with(|s| {
        s.rooms.signal_queue = 2;
        s.rooms.signal_rate = 100_000;
    })
    .await;
    let InRoom { mut ann_client, bob_client, bob_peer, .. } = ann_and_bob_in_the_room(&app).await;
    let mut bob_client = bob_client;

    // Bob reads nothing while ann sends far more than socket buffers and his queue hold.
    let sdp = "a".repeat(60_000);
    for seq in 0..400 {
        ann_client
            .send_json(json!({ "type": "signal", "to": bob_peer, "kind": "offer", "data": { "sdp": sdp, "seq": seq } }))
            .await;
    }
    let (code, before) = bob_client.closed().await;
    assert_eq!(code, 4008, "closed with {code} after {} messages", before.len());
    assert!(before.len() < 400);
    app.stop().await;
}

#[tokio::test]
async fn a_participant_that_stops_reading_altogether_is_dropped_after_a_ping_period() {
    let app = spawn_app_with(|s| {
        s.rooms.signal_ping_secs = 1;
        s.rooms.signal_rate = 100_000;
    })
    .await;
    let InRoom { mut ann_client, mut bob_client, bob_peer, .. } = ann_and_bob_in_the_room(&app).await;

    // More than the socket buffers hold, so that the server's writes to Bob block.
    let sdp = "a".repeat(60_000);
    for seq in 0..400 {
        ann_client
            .send_json(json!({ "type": "signal", "to": bob_peer, "kind": "offer", "data": { "sdp": sdp, "seq": seq } }))
            .await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    // Dropped without a close frame: nothing more could be written to him.
    let (code, before) = bob_client.closed().await;
    assert_eq!(code, 1006, "closed with {code} after {} messages", before.len());
    assert!(before.len() < 400);
    app.stop().await;
}
