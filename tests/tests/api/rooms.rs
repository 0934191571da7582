//! Video rooms through veche's signaling protocol: who may enter, presence in the log,
//! relaying, limits, reconnects, cancellation.

use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;
use veche_tests::app::{spawn_app, spawn_app_with, user, TestApp, User};
use veche_tests::signal::SignalClient;

/// A meeting of `organizer` with `attendees`; returns (meeting id, room id).
async fn meeting(app: &TestApp, organizer: &User, attendees: &[&User]) -> (String, String) {
    let result = app.schedule(organizer, attendees, json!({})).await;
    let meeting = &result["meeting"];
    (meeting["id"].as_str().unwrap().to_string(), meeting["room_id"].as_str().unwrap().to_string())
}

async fn enter(app: &TestApp, room: &str, who: &User) -> (SignalClient, Value) {
    let mut client = SignalClient::join(&app.base, room, &who.token, None).await.expect("the room opens");
    let welcome = client.next_of_type("welcome").await;
    (client, welcome)
}

/// The types of the room's events, in order.
async fn room_events(app: &TestApp, room: &str) -> Vec<String> {
    projections::global_log::stream_of(&app.pool, "Room", room, None).await.unwrap().into_iter().map(|e| e.event_type).collect()
}

/// `at` as the local time of a meeting scheduled in the `UTC` zone.
fn utc_local(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// Waits until the room's events are `expected` (commands after a close are asynchronous).
async fn await_room_events(app: &TestApp, room: &str, expected: &[&str]) {
    for _ in 0..100 {
        if room_events(app, room).await == expected {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(room_events(app, room).await, expected);
}

/// Ann (the organizer) and Bob (an attendee) in a new meeting's room, Ann told of Bob.
struct InRoom {
    room: String,
    ann_client: SignalClient,
    bob_client: SignalClient,
    bob_peer: String,
}

async fn ann_and_bob_in_the_room(app: &TestApp) -> InRoom {
    let (ann, bob) = (user("ann"), user("bob"));
    let (_, room) = meeting(app, &ann, &[&bob]).await;
    let (ann_client, _) = enter(app, &room, &ann).await;
    let (bob_client, bob_welcome) = enter(app, &room, &bob).await;
    let mut ann_client = ann_client;
    ann_client.next_of_type("joined").await;
    let bob_peer = bob_welcome["peer_id"].as_str().unwrap().to_string();
    InRoom { room, ann_client, bob_client, bob_peer }
}

fn candidate(seq: u32) -> Value {
    json!({ "candidate": "candidate:1 1 udp 2122260223 192.168.1.23 58461 typ host", "sdpMid": "0", "seq": seq })
}

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
async fn a_stranger_cannot_tell_the_room_exists_and_no_token_is_401() {
    let app = spawn_app().await;
    let (ann, bob, mallory) = (user("ann"), user("bob"), user("mallory"));
    let (_, room) = meeting(&app, &ann, &[&bob]).await;

    let refused = SignalClient::join(&app.base, &room, &mallory.token, None).await.err().expect("refused");
    assert_eq!(refused.status, 404);
    assert!(refused.body.contains("urn:veche:problem:room-not-found"), "{}", refused.body);
    let unknown = uuid::Uuid::new_v4().to_string();
    assert_eq!(SignalClient::join(&app.base, &unknown, &ann.token, None).await.err().unwrap().status, 404);
    let anonymous = SignalClient::connect(&app.base, &format!("/api/rooms/{room}/signal")).await.err().unwrap();
    assert_eq!(anonymous.status, 401);
    let bad_peer = SignalClient::join(&app.base, &room, &ann.token, Some("not%20ok")).await.err().unwrap();
    assert_eq!(bad_peer.status, 400);
    app.stop().await;
}

#[tokio::test]
async fn a_request_that_is_no_websocket_handshake_is_told_what_to_send() {
    let app = spawn_app().await;
    let (ann, bob) = (user("ann"), user("bob"));
    let (_, room) = meeting(&app, &ann, &[&bob]).await;

    let response = app.request(Method::GET, &format!("/api/rooms/{room}/signal"), &ann).send().await.unwrap();
    assert_eq!(response.headers()["upgrade"], "websocket");
    assert_eq!(response.headers()["sec-websocket-version"], "13");
    let (status, problem) = TestApp::json(response).await;
    assert_eq!(status, 426, "{problem}");
    assert_eq!(problem["type"], "urn:veche:problem:websocket-required");
    assert!(problem["detail"].as_str().unwrap().contains("Upgrade: websocket"), "{problem}");

    let handshake = |version: &'static str, key: &'static str| {
        app.request(Method::GET, &format!("/api/rooms/{room}/signal"), &ann)
            .header("connection", "keep-alive, Upgrade")
            .header("upgrade", "websocket")
            .header("sec-websocket-version", version)
            .header("sec-websocket-key", key)
    };
    let (status, problem) = TestApp::json(handshake("8", "dGhlIHNhbXBsZSBub25jZQ==").send().await.unwrap()).await;
    assert_eq!((status, problem["detail"].as_str().unwrap()), (426, "`Sec-WebSocket-Version` must be 13"));
    let (status, problem) = TestApp::json(handshake("13", "short").send().await.unwrap()).await;
    assert_eq!(status, 400, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("Sec-WebSocket-Key"), "{problem}");
    app.stop().await;
}

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
async fn a_connection_ends_when_the_token_it_entered_with_expires() {
    let app = spawn_app_with(|s| s.rooms.signal_ping_secs = 1).await;
    let (ann, bob) = (user("ann"), user("bob"));
    let (_, room) = meeting(&app, &ann, &[&bob]).await;
    let short = veche_tests::app::token(&api::auth::Claims {
        exp: chrono::Utc::now().timestamp() + 2,
        ..veche_tests::app::claims("bob")
    });
    let mut client = SignalClient::join(&app.base, &room, &short, None).await.unwrap();
    client.next_of_type("welcome").await;
    let started = std::time::Instant::now();
    let (code, _) = client.closed().await;
    assert_eq!(code, 4014, "token expired");
    assert!(started.elapsed() < Duration::from_secs(6), "within a ping period of the expiry: {:?}", started.elapsed());
    // The one who entered with a token of an hour stays.
    let (mut ann_client, _) = enter(&app, &room, &ann).await;
    assert!(ann_client.next_within(Duration::from_millis(1500)).await.is_none_or(|m| m["type"] != "error"));
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
async fn ice_servers_carry_turn_credentials_in_coturns_shared_secret_scheme() {
    let app = spawn_app_with(|s| {
        s.rooms.turn_urls = vec!["turn:127.0.0.1:3478?transport=udp".into()];
        s.rooms.turn_secret = Some("turn-shared-secret".into());
        s.rooms.turn_ttl_secs = 3600;
    })
    .await;
    let (ann, bob, mallory) = (user("ann"), user("bob"), user("mallory"));
    let (_, room) = meeting(&app, &ann, &[&bob]).await;

    let response = app.request(Method::GET, &format!("/api/rooms/{room}/ice-servers"), &bob).send().await.unwrap();
    let (status, body) = TestApp::json(response).await;
    assert_eq!(status, 200);
    let servers = body["ice_servers"].as_array().unwrap();
    assert_eq!(servers.len(), 1, "no STUN server unless the operator sets one: {body}");
    let username = servers[0]["username"].as_str().unwrap();
    let (expiry, who) = username.split_once(':').unwrap();
    assert_eq!(who, "bob@example.org");
    let expiry: i64 = expiry.parse().unwrap();
    let now = chrono::Utc::now().timestamp();
    assert!((now + 3500..=now + 3600).contains(&expiry));
    let expected = infrastructure::turn::turn_credential(
        "turn-shared-secret",
        "bob@example.org",
        chrono::DateTime::from_timestamp(expiry, 0).unwrap(),
    );
    assert_eq!(servers[0]["credential"], expected.password);
    assert!(body["refresh_at"].as_str().unwrap() < body["expires_at"].as_str().unwrap());

    let stranger = app.request(Method::GET, &format!("/api/rooms/{room}/ice-servers"), &mallory).send().await.unwrap();
    assert_eq!(stranger.status(), 404);
    app.stop().await;
}

#[tokio::test]
async fn without_turn_or_stun_configured_no_ice_server_is_given() {
    let app = spawn_app().await;
    let (ann, bob) = (user("ann"), user("bob"));
    let (_, room) = meeting(&app, &ann, &[&bob]).await;
    let response = app.request(Method::GET, &format!("/api/rooms/{room}/ice-servers"), &ann).send().await.unwrap();
    let (status, body) = TestApp::json(response).await;
    assert_eq!((status, body), (200, json!({ "ice_servers": [] })));
    app.stop().await;
}

#[tokio::test]
async fn an_attendee_taken_off_the_meeting_is_disconnected_at_once_and_neither_token_nor_pass_lets_them_back() {
    let app = spawn_app().await;
    let (ann, bob) = (user("ann"), user("bob"));
    let (meeting_id, room) = meeting(&app, &ann, &[&bob]).await;
    let pass = TestApp::json(app.request(Method::POST, &format!("/api/rooms/{room}/pass"), &bob).send().await.unwrap()).await.1
        ["pass"]
        .as_str()
        .unwrap()
        .to_string();
    let (mut ann_client, _) = enter(&app, &room, &ann).await;
    let (mut bob_client, bob_welcome) = enter(&app, &room, &bob).await;
    let bob_peer = bob_welcome["peer_id"].as_str().unwrap().to_string();
    ann_client.next_of_type("joined").await;

    let removed =
        app.request(Method::DELETE, &format!("/api/meetings/{meeting_id}/attendees/bob@example.org"), &ann).send().await.unwrap();
    let (status, removed) = TestApp::json(removed).await;
    assert_eq!(status, 200);
    let (code, before) = bob_client.closed().await;
    assert_eq!(code, 4003, "removed");
    assert!(before.iter().any(|m| m["type"] == "removed"), "{before:?}");
    let left = ann_client.next_of_type("left").await;
    assert_eq!(left["peer_id"], bob_peer.as_str());
    await_room_events(&app, &room, &["RoomOpened", "ParticipantJoined", "ParticipantJoined", "ParticipantLeft"]).await;

    let position = removed["position"].as_i64().unwrap();
    app.request(Method::GET, &format!("/api/meetings/{meeting_id}?after_position={position}"), &ann).send().await.unwrap();
    for token in [bob.token.as_str(), pass.as_str()] {
        let refused = SignalClient::join(&app.base, &room, token, None).await.err().expect("refused");
        assert_eq!(refused.status, 404, "a stranger again");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_room_pass_opens_its_room_and_nothing_else() {
    let app = spawn_app().await;
    let (ann, bob) = (user("ann"), user("bob"));
    let (_, room) = meeting(&app, &ann, &[&bob]).await;
    let (_, other_room) = meeting(&app, &ann, &[&bob]).await;

    let response = app.request(Method::POST, &format!("/api/rooms/{room}/pass"), &bob).send().await.unwrap();
    let (status, body) = TestApp::json(response).await;
    assert_eq!(status, 200);
    let pass = body["pass"].as_str().unwrap();

    let mut client = SignalClient::join(&app.base, &room, pass, None).await.expect("the pass opens its room");
    assert_eq!(client.next_of_type("welcome").await["type"], "welcome");
    assert_eq!(SignalClient::join(&app.base, &other_room, pass, None).await.err().unwrap().status, 404);
    let api = app.client.get(format!("{}/api/calendar?from=2026-12-01T00:00:00Z&to=2026-12-02T00:00:00Z", app.base));
    assert_eq!(api.bearer_auth(pass).send().await.unwrap().status(), 401);
    let chained = app.client.post(format!("{}/api/rooms/{room}/pass", app.base)).bearer_auth(pass).send().await.unwrap();
    assert_eq!(chained.status(), 401, "a pass does not mint passes");
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
async fn the_meeting_link_serves_the_room_page_and_a_path_that_is_no_room_gets_a_404() {
    let app = spawn_app().await;
    let (ann, bob) = (user("ann"), user("bob"));
    let scheduled = app.schedule(&ann, &[&bob], json!({})).await;
    let link = scheduled["meeting"]["meeting_link"].as_str().unwrap();
    let path = link.strip_prefix("https://meet.example.org").expect("the link is under the public URL");

    let page = app.client.get(format!("{}{path}", app.base)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(page.headers()["referrer-policy"], "no-referrer", "a token in the link must not leak as a referrer");
    assert!(page.text().await.unwrap().contains("/signal?"), "the page opens the room's signaling socket");

    let (status, problem) = TestApp::json(app.client.get(format!("{}/rooms/not-a-room", app.base)).send().await.unwrap()).await;
    assert_eq!(status, 404);
    assert_eq!(problem["status"], 404, "a problem document: {problem}");
    app.stop().await;
}

#[tokio::test]
async fn a_guest_links_join_token_opens_its_meetings_room_and_nothing_else() {
    let app = spawn_app().await;
    let (ann, bob) = (user("ann"), user("bob"));
    let (meeting_id, room) = meeting(&app, &ann, &[&bob]).await;
    let (_, other_room) = meeting(&app, &ann, &[&bob]).await;
    let links = infrastructure::links::GuestLinks::new(veche_tests::app::TEST_JWT_SECRET, "https://meet.example.org");
    let ends = chrono::Utc::now() + chrono::Duration::days(30);
    let mint = |scope| {
        links.mint(
            domain::MeetingId(meeting_id.parse().unwrap()),
            &domain::values::EmailAddress::parse("bob@example.org").unwrap(),
            "bob",
            scope,
            ends,
        )
    };
    let join = mint(infrastructure::links::GuestScope::Join);

    let mut guest = SignalClient::join(&app.base, &room, &join, None).await.expect("the guest enters");
    assert_eq!(guest.next_of_type("welcome").await["type"], "welcome");
    assert_eq!(SignalClient::join(&app.base, &other_room, &join, None).await.err().unwrap().status, 404);
    let calendar = app.client.get(format!("{}/api/calendar?from=2026-12-01T00:00:00Z&to=2026-12-02T00:00:00Z", app.base));
    assert_eq!(calendar.bearer_auth(&join).send().await.unwrap().status(), 401, "a link's token is no API token");
    let respond = mint(infrastructure::links::GuestScope::Respond);
    assert_eq!(SignalClient::join(&app.base, &room, &respond, None).await.err().unwrap().status, 401);
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
