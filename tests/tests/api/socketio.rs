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
