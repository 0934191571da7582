//! Two real browsers in a meeting's room: headless Chromium (Debian's) with a fake camera
//! and microphone, driven by the scripts of `tests/web`. Each person must receive the
//! other's video, through veche's own room page and through the PeerJS client library.

mod call;
mod web_app;

use reqwest::Method;
use serde_json::json;
use veche_tests::app::{spawn_app, user, TestApp, User};
use veche_tests::browser::run_script;

/// A meeting of `organizer` with `attendee`: (meeting id, room id).
async fn meeting(app: &TestApp, organizer: &User, attendee: &User) -> (String, String) {
    let scheduled = app.schedule(organizer, &[attendee], json!({})).await;
    let id = |field: &str| scheduled["meeting"][field].as_str().expect("a meeting has an id and a room").to_string();
    (id("id"), id("room_id"))
}

/// The types of the room's events, in order.
async fn room_event_types(app: &TestApp, room: &str) -> Vec<String> {
    let events = projections::global_log::stream_of(&app.pool, "Room", room, None).await.unwrap();
    events.into_iter().map(|event| event.event_type).collect()
}

/// The room's log begins with two people joining it.
async fn assert_two_joined(app: &TestApp, room: &str) {
    let types = room_event_types(app, room).await;
    assert_eq!(
        types.get(..3),
        Some(&["RoomOpened", "ParticipantJoined", "ParticipantJoined"].map(String::from)[..]),
        "room events: {types:?}"
    );
}

#[tokio::test]
async fn the_organizer_and_an_attendee_receive_each_others_video_through_the_room_page() {
    // Given a meeting of Ann with Bob
    let app = spawn_app().await;
    let (ann, bob) = (user("ann"), user("bob"));
    let (_, room) = meeting(&app, &ann, &bob).await;

    // When each opens the meeting link in a browser of their own (Ann first)
    let run = run_script("room-call.mjs", &[&app.base, &room, &ann.token, &bob.token]).await;

    // Then each browser shows a live video from the other, in a tile with their name
    run.assert_passed();
    // and the room's log says both were there.
    assert_two_joined(&app, &room).await;
    app.stop().await;
}

#[tokio::test]
async fn a_page_whose_connection_drops_comes_back_in_its_place_and_the_call_goes_on() {
    // Given Ann and Bob in a call on the room page
    let app = spawn_app().await;
    let (ann, bob) = (user("ann"), user("bob"));
    let (_, room) = meeting(&app, &ann, &bob).await;

    // When Bob's signaling connection drops (the script closes it once both receive video)
    let run = run_script("room-call.mjs", &[&app.base, &room, &ann.token, &bob.token, "reconnect"]).await;

    // Then his page reconnects with the same peer id, and both receive video again
    run.assert_passed();
    // and the room's log says he resumed his place rather than joining twice.
    let events = room_event_types(&app, &room).await;
    assert_eq!(events.iter().filter(|t| *t == "ParticipantJoined").count(), 2, "room events: {events:?}");
    assert!(events.iter().any(|t| t == "ParticipantResumed"), "room events: {events:?}");
    app.stop().await;
}

#[tokio::test]
async fn when_the_organizer_cancels_during_the_call_both_pages_say_the_room_is_closed() {
    // Given Ann and Bob in a call on the room page
    let app = spawn_app().await;
    let (ann, bob) = (user("ann"), user("bob"));
    let (meeting, room) = meeting(&app, &ann, &bob).await;

    // When Ann cancels the meeting (the script does, once both receive video)
    let run = run_script("room-call.mjs", &[&app.base, &room, &ann.token, &bob.token, &format!("cancel:{meeting}")]).await;

    // Then both pages end the call, say why, and do not try to reconnect.
    run.assert_passed();
    app.stop().await;
}

#[tokio::test]
async fn two_peerjs_clients_receive_each_others_video_through_the_compatible_endpoint() {
    // Given a meeting of Ann with Bob, and a room pass for each (a PeerJS client's `key`)
    let app = spawn_app().await;
    let (ann, bob) = (user("ann"), user("bob"));
    let (_, room) = meeting(&app, &ann, &bob).await;
    let pass = |who: &User| {
        let request = app.request(Method::POST, &format!("/api/rooms/{room}/pass"), who);
        async move {
            let (status, body) = TestApp::json(request.send().await.unwrap()).await;
            assert_eq!(status, 200, "minting a room pass: {body}");
            body["pass"].as_str().unwrap().to_string()
        }
    };
    let (ann_pass, bob_pass) = (pass(&ann).await, pass(&bob).await);

    // When Ann's PeerJS client calls Bob's with her camera, and Bob answers with his
    let run = run_script("peerjs-call.mjs", &[&app.base, &ann_pass, &bob_pass]).await;

    // Then each receives the other's video
    run.assert_passed();
    // and, as the passes were for this meeting's room, both were in the room.
    assert_two_joined(&app, &room).await;
    app.stop().await;
}

#[tokio::test]
async fn the_original_plans_frontend_on_another_origin_holds_a_call_through_socketio_and_peerjs() {
    // Given veche that lets the frontend's origin call it, and a meeting of Ann with Bob with
    // a room pass each (the Socket.io handshake's token and the PeerJS key)
    let page_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let origin = format!("http://127.0.0.1:{page_port}");
    let app = veche_tests::app::spawn_app_with(|settings| settings.cors_origins = vec![origin.clone()]).await;
    let (ann, bob) = (user("ann"), user("bob"));
    let (_, room) = meeting(&app, &ann, &bob).await;
    let pass = |who: &User| {
        let request = app.request(Method::POST, &format!("/api/rooms/{room}/pass"), who);
        async move { TestApp::json(request.send().await.unwrap()).await.1["pass"].as_str().unwrap().to_string() }
    };
    let (ann_pass, bob_pass) = (pass(&ann).await, pass(&bob).await);

    // When each opens the plan's page (socket.io-client for the room, PeerJS for the media)
    let run = run_script("plan-call.mjs", &[&app.base, &page_port.to_string(), &room, &ann_pass, &bob_pass]).await;

    // Then each sees the other's video, and the room's log says both were there (each
    // twice: the room's Socket.io connection and the media's PeerJS one).
    run.assert_passed();
    let events = projections::global_log::stream_of(&app.pool, "Room", &room, None).await.unwrap();
    let joined: Vec<String> =
        events.iter().filter(|e| e.event_type == "ParticipantJoined").map(|e| e.payload.to_string()).collect();
    for who in [&ann, &bob] {
        assert_eq!(joined.iter().filter(|payload| payload.contains(&who.email)).count(), 2, "{joined:?}");
    }
    app.stop().await;
}
