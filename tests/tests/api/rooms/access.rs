//! Who may enter a room, with which token, and for how long.

use super::*;

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
async fn the_meeting_link_serves_the_web_apps_call_page_and_a_path_that_is_no_room_gets_a_404() {
    let app = spawn_app().await;
    let (ann, bob) = (user("ann"), user("bob"));
    let scheduled = app.schedule(&ann, &[&bob], json!({})).await;
    let link = scheduled["meeting"]["meeting_link"].as_str().unwrap();
    let path = link.strip_prefix("https://meet.example.org").expect("the link is under the public URL");

    let page = app.client.get(format!("{}{path}", app.base)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(page.headers()["referrer-policy"], "no-referrer", "a token in the link must not leak as a referrer");
    assert!(page.text().await.unwrap().contains("id=\"root\""), "the web app's page, whose router shows the call");

    let (status, problem) = TestApp::json(app.client.get(format!("{}/rooms/not-a-room", app.base)).send().await.unwrap()).await;
    assert_eq!(status, 404);
    assert_eq!(problem["status"], 404, "a problem document: {problem}");
    app.stop().await;
}
