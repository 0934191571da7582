//! Video rooms through veche's signaling protocol: who may enter ([`access`]), presence in
//! the log and relaying ([`presence`]), the hub's limits ([`limits`]), ICE servers ([`ice`]).
//! The helpers here are the scenarios' shared steps.

mod access;
mod chat;
mod ice;
mod limits;
mod presence;

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
