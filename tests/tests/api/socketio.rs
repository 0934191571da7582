//! The Socket.io endpoint as the original plan's frontend uses it, driven by
//! socket.io-client 4 (`tests/web/socketio-check.mjs`) over both transports: the plan's
//! events relayed within the room with the sender's socket id, presence notices, the errors
//! for refused messages; in open mode rooms named by their clients, in token mode veche's
//! rooms, whose joins and leaves are Room events and which strangers cannot enter.

use api::settings::EndpointMode;
use serde_json::json;
use veche_tests::app::{spawn_app_with, user};
use veche_tests::browser::run_script;

#[tokio::test]
async fn the_plans_events_are_relayed_within_a_room_named_by_its_clients_over_websocket_and_long_polling() {
    let app = spawn_app_with(|settings| settings.rooms.socketio = EndpointMode::Open).await;
    for transport in ["websocket", "polling", "polling,websocket"] {
        run_script("socketio-check.mjs", &[&app.base, transport, "open", &format!("plan-room-{transport}")])
            .await
            .assert_passed();
    }
    app.stop().await;
}

#[tokio::test]
async fn in_a_meetings_room_only_its_people_enter_and_their_presence_is_recorded() {
    let app = spawn_app_with(|_| {}).await;
    let (ann, bob, eve) = (user("ann"), user("bob"), user("eve"));
    for transport in ["websocket", "polling,websocket"] {
        let scheduled = app.schedule(&ann, &[&bob], json!({})).await;
        let room = scheduled["meeting"]["room_id"].as_str().unwrap().to_string();
        run_script("socketio-check.mjs", &[&app.base, transport, "rooms", &room, &ann.token, &bob.token, &eve.token])
            .await
            .assert_passed();
        let events = projections::global_log::stream_of(&app.pool, "Room", &room, None).await.unwrap();
        let types: Vec<&str> = events.iter().map(|event| event.event_type.as_str()).collect();
        assert_eq!(types.iter().filter(|t| **t == "ParticipantJoined").count(), 2, "{transport}: {types:?}");
        assert!(types.contains(&"ParticipantLeft"), "{transport}: Bob's departure is recorded: {types:?}");
    }
    app.stop().await;
}

#[tokio::test]
async fn the_hubs_limits_hold_for_socketio_clients_too() {
    let app = spawn_app_with(|settings| {
        settings.rooms.socketio = EndpointMode::Open;
        settings.rooms.signal_rate = 20;
        settings.rooms.signal_max_message_bytes = 4096;
    })
    .await;
    for transport in ["websocket", "polling"] {
        run_script("socketio-limits.mjs", &[&app.base, transport, "200", "20000"]).await.assert_passed();
    }
    app.stop().await;
}

/// A long-polling Engine.IO session, spoken by hand (as socket.io-client would over HTTP).
struct PollingSession {
    client: reqwest::Client,
    url: String,
}

impl PollingSession {
    /// Opens a session and enters the default namespace.
    async fn open(base: &str) -> Self {
        let client = reqwest::Client::new();
        let opened = client.get(format!("{base}/socket.io/?EIO=4&transport=polling")).send().await.unwrap();
        assert_eq!(opened.status(), 200);
        let body = opened.text().await.unwrap();
        let handshake: serde_json::Value = serde_json::from_str(body.strip_prefix('0').expect("an open packet")).unwrap();
        assert_eq!(handshake["upgrades"], json!(["websocket"]));
        let sid = handshake["sid"].as_str().unwrap();
        let session = Self { client, url: format!("{base}/socket.io/?EIO=4&transport=polling&sid={sid}") };
        assert_eq!(session.send(&["40"]).await, 200);
        assert!(session.poll().await.1[0].starts_with("40{\"sid\":"), "in the default namespace");
        session
    }

    async fn send(&self, packets: &[&str]) -> u16 {
        self.client.post(&self.url).body(packets.join("\u{1e}")).send().await.unwrap().status().as_u16()
    }

    /// The packets of one poll (pings answered).
    async fn poll(&self) -> (u16, Vec<String>) {
        let response = self.client.get(&self.url).send().await.unwrap();
        let status = response.status().as_u16();
        let packets: Vec<String> = response.text().await.unwrap().split('\u{1e}').map(str::to_string).collect();
        if packets.iter().any(|packet| packet == "2") {
            self.send(&["3"]).await;
        }
        (status, packets)
    }

    /// Polls until a packet `wanted` comes, for at most `within`.
    async fn poll_until(&self, wanted: &str, within: std::time::Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        while tokio::time::Instant::now() < deadline {
            if self.poll().await.1.iter().any(|packet| packet == wanted) {
                return true;
            }
        }
        false
    }
}

#[tokio::test]
async fn a_long_polling_client_that_stops_polling_is_let_go_and_the_room_hears_it_leave() {
    let app = spawn_app_with(|settings| {
        settings.rooms.socketio = EndpointMode::Open;
        settings.rooms.signal_ping_secs = 1;
    })
    .await;
    let (ann, bob) = (PollingSession::open(&app.base).await, PollingSession::open(&app.base).await);
    ann.send(&[r#"42["join-room","quiet-room","ann"]"#]).await;
    bob.send(&[r#"42["join-room","quiet-room","bob"]"#]).await;
    let within = std::time::Duration::from_secs(5);
    assert!(ann.poll_until(r#"42["user-connected","bob"]"#, within).await);

    // Ann's client goes away without a word; Bob keeps polling.
    assert!(bob.poll_until(r#"42["user-disconnected","ann"]"#, within).await, "the room hears Ann left");
    let (status, _) = ann.poll().await;
    assert_eq!(status, 400, "her session is gone");
    app.stop().await;
}

#[tokio::test]
async fn engine_io_requests_it_does_not_serve_get_a_problem_and_a_second_poll_ends_the_session() {
    let app = spawn_app_with(|settings| settings.rooms.socketio = EndpointMode::Open).await;
    let problem = |url: String, post: bool| {
        let client = app.client.clone();
        async move {
            let request = if post { client.post(url).body("40") } else { client.get(url) };
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.headers()["content-type"].to_str().unwrap().to_string())
        }
    };
    let base = &app.base;
    for (url, post) in [
        (format!("{base}/socket.io/?EIO=3&transport=polling"), false),
        (format!("{base}/socket.io/?EIO=4&transport=flashsocket"), false),
        (format!("{base}/socket.io/?EIO=4&transport=polling&sid=nobody"), false),
        (format!("{base}/socket.io/?EIO=4&transport=polling&sid=nobody"), true),
        (format!("{base}/socket.io/?EIO=4&transport=polling"), true),
    ] {
        assert_eq!(problem(url.clone(), post).await, (400, "application/problem+json".to_string()), "{url}");
    }

    let session = PollingSession::open(base).await;
    let waiting = {
        let (client, url) = (session.client.clone(), session.url.clone());
        tokio::spawn(async move { client.get(url).send().await.unwrap().text().await.unwrap() })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(session.poll().await.0, 400, "a second poll while one waits");
    assert!(waiting.await.unwrap().ends_with("\u{1e}1"), "the waiting poll is told the session closed");
    assert_eq!(session.send(&[r#"42["join-room","r","u"]"#]).await, 400, "the session is gone");
    app.stop().await;
}
