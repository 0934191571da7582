//! The PeerJS-compatible endpoint, spoken as the PeerJS client library speaks it.

use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;
use veche_tests::app::{spawn_app, spawn_app_with, user, TestApp};
use veche_tests::signal::SignalClient;

fn peerjs_url(key: &str, id: &str, token: &str) -> String {
    format!("/peerjs/peerjs?key={key}&id={id}&token={token}&version=1.5.4")
}

async fn open_peer(app: &TestApp, key: &str, id: &str, token: &str) -> SignalClient {
    let mut client = SignalClient::connect(&app.base, &peerjs_url(key, id, token)).await.expect("upgrade");
    assert_eq!(client.next_json().await, json!({ "type": "OPEN" }));
    client
}

fn open_mode() -> impl FnOnce(&mut api::settings::Settings) {
    |s| s.rooms.peerjs = api::settings::EndpointMode::Open
}

#[tokio::test]
async fn two_peers_with_the_shared_key_exchange_an_offer_as_with_the_stock_server() {
    let app = spawn_app_with(open_mode()).await;
    let mut a = open_peer(&app, "peerjs", "alice", "tok-a").await;
    let mut b = open_peer(&app, "peerjs", "bob", "tok-b").await;

    let payload = json!({ "sdp": { "type": "offer", "sdp": "v=0" }, "type": "media", "connectionId": "mc_1" });
    a.send_json(json!({ "type": "OFFER", "payload": payload, "dst": "bob" })).await;
    assert_eq!(b.next_json().await, json!({ "type": "OFFER", "src": "alice", "dst": "bob", "payload": payload }));
    b.send_json(json!({ "type": "HEARTBEAT" })).await;
    b.send_json(json!({ "type": "ANSWER", "payload": { "sdp": "x" }, "dst": "alice" })).await;
    assert_eq!(a.next_json().await["type"], "ANSWER");
    // A message without a payload is relayed with a null one.
    b.send_json(json!({ "type": "LEAVE", "dst": "alice" })).await;
    assert_eq!(a.next_json().await, json!({ "type": "LEAVE", "src": "bob", "dst": "alice", "payload": null }));
    app.stop().await;
}

#[tokio::test]
async fn an_id_held_by_another_client_is_taken_and_the_same_client_takes_it_over() {
    let app = spawn_app_with(open_mode()).await;
    let mut first = open_peer(&app, "peerjs", "alice", "tok-a").await;

    let mut impostor = SignalClient::connect(&app.base, &peerjs_url("peerjs", "alice", "tok-other")).await.unwrap();
    let (_, before) = impostor.closed().await;
    assert_eq!(before, vec![json!({ "type": "ID-TAKEN", "payload": { "msg": "ID is taken" } })]);

    let _again = open_peer(&app, "peerjs", "alice", "tok-a").await;
    let (code, _) = first.closed().await;
    assert_eq!(code, 4012);
    app.stop().await;
}

#[tokio::test]
async fn a_wrong_key_or_missing_parameters_get_an_error() {
    let app = spawn_app_with(open_mode()).await;
    let mut wrong = SignalClient::connect(&app.base, &peerjs_url("guess", "alice", "t")).await.unwrap();
    let (_, before) = wrong.closed().await;
    assert_eq!(before, vec![json!({ "type": "ERROR", "payload": { "msg": "Invalid key provided" } })]);
    let mut missing = SignalClient::connect(&app.base, "/peerjs/peerjs?key=peerjs&id=alice").await.unwrap();
    let (_, before) = missing.closed().await;
    assert_eq!(before[0]["type"], "ERROR");
    app.stop().await;
}

#[tokio::test]
async fn a_message_to_an_absent_peer_comes_back_as_expire_and_bad_messages_as_error() {
    let app = spawn_app_with(open_mode()).await;
    let mut a = open_peer(&app, "peerjs", "alice", "tok-a").await;
    a.send_json(json!({ "type": "OFFER", "payload": {}, "dst": "nobody" })).await;
    assert_eq!(a.next_json().await, json!({ "type": "EXPIRE", "src": "nobody", "dst": "alice" }));
    a.send_json(json!({ "type": "LEAVE", "dst": "nobody" })).await;
    a.send_text("not json".into()).await;
    assert_eq!(a.next_json().await, json!({ "type": "ERROR", "payload": { "msg": "Invalid message" } }));
    app.stop().await;
}

#[tokio::test]
async fn the_id_route_gives_a_fresh_id_each_time() {
    let app = spawn_app_with(open_mode()).await;
    let get = |path: &str| app.client.get(format!("{}{path}", app.base)).send();
    let one = get("/peerjs/peerjs/id").await.unwrap().text().await.unwrap();
    let two = get("/peerjs/peerjs/id").await.unwrap().text().await.unwrap();
    assert_ne!(one, two);
    assert!(uuid::Uuid::parse_str(&one).is_ok());
    assert_eq!(get("/peerjs/peerjs/peers").await.unwrap().status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn by_default_only_a_room_pass_opens_the_endpoint_and_the_peer_is_in_the_room() {
    let app = spawn_app().await;
    let (ann, bob, cara) = (user("ann"), user("bob"), user("cara"));
    let result = app.schedule(&ann, &[&bob], json!({})).await;
    let room = result["meeting"]["room_id"].as_str().unwrap().to_string();
    let other = app.schedule(&cara, &[], json!({})).await;
    let other_room = other["meeting"]["room_id"].as_str().unwrap().to_string();
    let pass = |who: &veche_tests::app::User, room: &str| {
        let request = app.request(Method::POST, &format!("/api/rooms/{room}/pass"), who);
        async move { request.send().await.unwrap().json::<Value>().await.unwrap()["pass"].as_str().unwrap().to_string() }
    };

    let mut shared = SignalClient::connect(&app.base, &peerjs_url("peerjs", "x", "t")).await.unwrap();
    assert_eq!(shared.closed().await.1[0]["payload"]["msg"], "Invalid key provided");

    let (ann_pass, bob_pass, cara_pass) = (pass(&ann, &room).await, pass(&bob, &room).await, pass(&cara, &other_room).await);
    let mut a = open_peer(&app, &ann_pass, "ann-cam", "t1").await;
    let mut b = open_peer(&app, &bob_pass, "bob-cam", "t2").await;
    let _c = open_peer(&app, &cara_pass, "cara-cam", "t3").await;
    a.send_json(json!({ "type": "OFFER", "payload": { "sdp": "v=0" }, "dst": "bob-cam" })).await;
    assert_eq!(b.next_json().await["src"], "ann-cam");
    // Another room's peer is out of reach.
    a.send_json(json!({ "type": "OFFER", "payload": {}, "dst": "cara-cam" })).await;
    assert_eq!(a.next_json().await["type"], "EXPIRE");

    let events: Vec<String> = projections::global_log::stream_of(&app.pool, "Room", &room, None)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    assert_eq!(events, ["RoomOpened", "ParticipantJoined", "ParticipantJoined"]);
    drop(b);
    tokio::time::sleep(Duration::from_millis(10)).await;
    app.stop().await;
}
