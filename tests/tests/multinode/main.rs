//! Two real veche processes sharing PostgreSQL and a real nats-server: participants on
//! different nodes reach each other, a node that dies has its participants expired, and a
//! cancellation or a removal on one node lets the participants out on the other, and a
//! browser's live calendar on one node hears of a meeting scheduled on the other, and
//! Socket.io clients on the two nodes reach each other.

use reqwest::Method;
use serde_json::{json, Value};
use veche_tests::app::{user, User};
use veche_tests::cluster::TestDatabase;
use veche_tests::event_stream::EventStream;
use veche_tests::nats::TestNats;
use veche_tests::node::VecheNode;
use veche_tests::signal::SignalClient;

async fn schedule(node: &VecheNode, organizer: &User, attendees: &[&User]) -> Value {
    let body = json!({
        "title": "Across nodes", "start": "2026-12-01T10:00:00", "end": "2026-12-01T11:00:00",
        "time_zone": "Europe/Berlin",
        "attendees": attendees.iter().map(|a| json!({ "email": a.email })).collect::<Vec<_>>(),
    });
    let response = reqwest::Client::new()
        .request(Method::POST, format!("{}/api/meetings", node.base))
        .bearer_auth(&organizer.token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

async fn two_nodes(database: &TestDatabase, nats: &TestNats) -> (VecheNode, VecheNode) {
    // A short lease, and a reconnect grace longer than the test: an expiry can only come
    // from the dead node's lease.
    let env = [("VECHE_NODE_LEASE_SECS", "3"), ("VECHE_SIGNAL_RECONNECT_GRACE_SECS", "600")];
    let a = VecheNode::start("node-a", &database.url, &nats.url(), &env).await;
    let b = VecheNode::start("node-b", &database.url, &nats.url(), &env).await;
    (a, b)
}

#[tokio::test]
async fn participants_on_two_nodes_signal_each_other_and_a_dead_nodes_participant_expires() {
    let (database, nats) = (TestDatabase::create().await, TestNats::start().await);
    let (node_a, mut node_b) = two_nodes(&database, &nats).await;
    let (ann, bob) = (user("ann"), user("bob"));
    let room = schedule(&node_a, &ann, &[&bob]).await["meeting"]["room_id"].as_str().unwrap().to_string();

    let mut ann_client = SignalClient::join(&node_a.base, &room, &ann.token, Some("ann-1")).await.unwrap();
    ann_client.next_of_type("welcome").await;
    let mut bob_client = SignalClient::join(&node_b.base, &room, &bob.token, Some("bob-1")).await.unwrap();
    let bob_welcome = bob_client.next_of_type("welcome").await;
    assert_eq!(bob_welcome["participants"][0]["peer_id"], "ann-1", "bob on node b sees ann on node a");
    let joined = ann_client.next_of_type("joined").await;
    assert_eq!(joined["peer"]["peer_id"], "bob-1", "ann on node a is told of bob joining on node b");

    let offer = json!({ "type": "offer", "sdp": "v=0" });
    ann_client.send_json(json!({ "type": "signal", "to": "bob-1", "kind": "offer", "data": offer })).await;
    assert_eq!(
        bob_client.next_of_type("signal").await,
        json!({ "type": "signal", "kind": "offer", "from": "ann-1", "data": offer })
    );
    bob_client.send_json(json!({ "type": "signal", "to": "ann-1", "kind": "answer", "data": { "sdp": "v=0" } })).await;
    assert_eq!(ann_client.next_of_type("signal").await["from"], "bob-1");

    // The chat and a participant's state cross too, and node a keeps them for a late comer.
    bob_client.send_json(json!({ "type": "chat", "text": "from node b" })).await;
    assert_eq!(ann_client.next_of_type("chat").await["text"], "from node b");
    bob_client.send_json(json!({ "type": "state", "muted": true, "camera": true, "sharing": false, "hand": false })).await;
    assert_eq!(ann_client.next_of_type("state").await["peer_id"], "bob-1");
    let mut ann_again = SignalClient::join(&node_a.base, &room, &ann.token, Some("ann-2")).await.unwrap();
    let recent = ann_again.next_of_type("recent").await;
    assert_eq!(recent["messages"][0]["text"], "from node b");
    assert_eq!(recent["messages"].as_array().unwrap().iter().find(|m| m["type"] == "state").unwrap()["peer_id"], "bob-1");
    ann_again.leave().await;
    assert_eq!(ann_client.next_of_type("left").await["peer_id"], "ann-2");

    node_b.kill();
    let left = ann_client.next_of_type("left").await;
    assert_eq!(left, json!({ "type": "left", "peer_id": "bob-1", "reason": "expired" }));
    let events: Vec<String> = projections::global_log::stream_of(&database.pool(2).await, "Room", &room, None)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    let expected =
        ["RoomOpened", "ParticipantJoined", "ParticipantJoined", "ParticipantJoined", "ParticipantLeft", "ParticipantExpired"];
    assert_eq!(events, expected);
    drop(node_a);
}

/// Bob in a meeting's room on node b while Ann, on node a, sends `method path` (`{id}` is the
/// meeting's id): the status she gets, and how Bob's connection ends (code, what came before).
async fn bob_on_node_b_while_ann_on_node_a(method: Method, path: &str) -> (u16, u16, Vec<Value>) {
    let (database, nats) = (TestDatabase::create().await, TestNats::start().await);
    let (node_a, node_b) = two_nodes(&database, &nats).await;
    let (ann, bob) = (user("ann"), user("bob"));
    let meeting = schedule(&node_a, &ann, &[&bob]).await;
    let (id, room) = (meeting["meeting"]["id"].as_str().unwrap(), meeting["meeting"]["room_id"].as_str().unwrap());
    let mut bob_client = SignalClient::join(&node_b.base, room, &bob.token, None).await.unwrap();
    bob_client.next_of_type("welcome").await;
    let url = format!("{}{}", node_a.base, path.replace("{id}", id));
    let status = reqwest::Client::new().request(method, url).bearer_auth(&ann.token).send().await.unwrap().status().as_u16();
    let (code, before) = bob_client.closed().await;
    drop((node_a, node_b));
    (status, code, before)
}

#[tokio::test]
async fn cancelling_on_one_node_closes_the_room_on_the_other() {
    let (status, code, before) = bob_on_node_b_while_ann_on_node_a(Method::POST, "/api/meetings/{id}/cancel").await;
    assert_eq!(status, 200);
    assert_eq!(code, 4001, "bob on node b is let out; he saw {before:?}");
    assert!(before.iter().any(|m| m["type"] == "room-closed"));
}

#[tokio::test]
async fn an_attendee_removed_on_one_node_is_disconnected_on_the_other() {
    let (status, code, before) =
        bob_on_node_b_while_ann_on_node_a(Method::DELETE, "/api/meetings/{id}/attendees/bob@example.org").await;
    assert_eq!(status, 200);
    assert_eq!(code, 4003, "bob on node b is let out; he saw {before:?}");
    assert!(before.iter().any(|m| m["type"] == "removed"));
}

#[tokio::test]
async fn a_meeting_scheduled_on_one_node_reaches_a_browsers_live_stream_on_the_other() {
    let (database, nats) = (TestDatabase::create().await, TestNats::start().await);
    let (a, b) = two_nodes(&database, &nats).await;
    let (ann, bob) = (user("ann"), user("bob"));
    let mut bobs_stream = EventStream::open(&b.base, &bob.token, None).await;
    assert_eq!(bobs_stream.next(std::time::Duration::from_secs(10)).await.map(|e| e.0).as_deref(), Some("ready"));

    let scheduled = schedule(&a, &ann, &[&bob]).await;
    let (meeting, _) = bobs_stream.next_change().await;
    assert_eq!(meeting, scheduled["meeting"]["id"].as_str().unwrap());
}

#[tokio::test]
async fn socketio_clients_on_two_nodes_reach_each_other_through_the_relay() {
    let (database, nats) = (TestDatabase::create().await, TestNats::start().await);
    let env = [("VECHE_SOCKETIO", "open")];
    let a = VecheNode::start("node-a", &database.url, &nats.url(), &env).await;
    let b = VecheNode::start("node-b", &database.url, &nats.url(), &env).await;
    // Bob joining at once, and long after Ann, when her node has stopped publishing her
    // room's messages for want of another node holding it (until Bob's node says hello).
    for (room, gap_ms) in [("a-room-across-nodes", "300"), ("a-room-joined-later-elsewhere", "2500")] {
        let run = veche_tests::browser::run_script_with_env(
            "socketio-check.mjs",
            &[&a.base, "websocket", "open", room],
            &[("BOB_BASE", &b.base), ("JOIN_GAP_MS", gap_ms)],
        )
        .await;
        run.assert_passed();
    }
}
