//! In-call chat and the participants' states (muted, camera off, sharing, hand raised):
//! relayed by the hub to the room, kept in memory for whoever enters later, bounded, never
//! written to the event log.

use super::*;

#[tokio::test]
async fn a_chat_message_reaches_everyone_with_its_author_and_a_late_comer_reads_the_recent_ones() {
    let app = spawn_app().await;
    let (ann, bob, cara) = (user("ann"), user("bob"), user("cara"));
    let (_, room) = meeting(&app, &ann, &[&bob, &cara]).await;
    let (mut ann_client, ann_welcome) = enter(&app, &room, &ann).await;
    let (mut bob_client, _) = enter(&app, &room, &bob).await;

    let text = "<b>Hello</b> & welcome,\nall";
    ann_client.send_json(json!({ "type": "chat", "text": format!("  {text} ") })).await;
    let heard = bob_client.next_of_type("chat").await;
    assert_eq!(heard["text"], text, "as written, trimmed, never interpreted");
    assert_eq!(heard["from"], ann_welcome["peer_id"]);
    assert_eq!(heard["name"], "ann");
    assert!(heard["at"].as_str().unwrap().parse::<chrono::DateTime<chrono::Utc>>().is_ok());
    assert_eq!(ann_client.next_of_type("chat").await, heard, "the author gets it too, in the room's order");
    bob_client.send_json(json!({ "type": "chat", "text": "Hi Ann" })).await;

    let (mut cara_client, _) = enter(&app, &room, &cara).await;
    let recent = cara_client.next_of_type("recent").await;
    let texts: Vec<&str> = recent["messages"].as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert_eq!(texts, [text, "Hi Ann"], "the chat so far, in one message after the welcome");
    let types = room_events(&app, &room).await;
    assert!(types.iter().all(|t| !t.to_lowercase().contains("chat")), "the chat is not in the log: {types:?}");
    app.stop().await;
}

#[tokio::test]
async fn a_chat_message_too_long_empty_or_too_frequent_is_refused_with_a_reason() {
    let app = spawn_app().await;
    let InRoom { mut ann_client, mut bob_client, .. } = ann_and_bob_in_the_room(&app).await;
    for bad in
        [json!({ "type": "chat", "text": "x".repeat(2001) }), json!({ "type": "chat", "text": "   " }), json!({ "type": "chat" })]
    {
        ann_client.send_json(bad).await;
        assert_eq!(ann_client.next_of_type("error").await["code"], "malformed-message");
    }
    for n in 0..8 {
        ann_client.send_json(json!({ "type": "chat", "text": format!("message {n}") })).await;
    }
    let refused = ann_client.next_of_type("error").await;
    assert_eq!(refused["code"], "rate-limited");
    let mut heard = 0;
    while let Some(message) = bob_client.next_within(Duration::from_millis(500)).await {
        heard += usize::from(message["type"] == "chat");
    }
    assert_eq!(heard, 5, "five at once, then a message a second");
    app.stop().await;
}

#[tokio::test]
async fn a_participants_state_reaches_the_others_and_whoever_enters_later_until_they_leave() {
    let app = spawn_app().await;
    let (ann, bob, cara) = (user("ann"), user("bob"), user("cara"));
    let (_, room) = meeting(&app, &ann, &[&bob, &cara]).await;
    let (mut ann_client, _) = enter(&app, &room, &ann).await;
    let (mut bob_client, bob_welcome) = enter(&app, &room, &bob).await;
    let bob_peer = bob_welcome["peer_id"].clone();

    let state = json!({ "type": "state", "muted": true, "camera": false, "sharing": false, "hand": true });
    bob_client.send_json(state).await;
    let seen = ann_client.next_of_type("state").await;
    assert_eq!(
        seen,
        json!({ "type": "state", "peer_id": bob_peer, "muted": true, "camera": false, "sharing": false, "hand": true })
    );
    assert!(bob_client.next_within(Duration::from_millis(300)).await.is_none(), "not echoed to its author");
    bob_client.send_json(json!({ "type": "state", "muted": true })).await;
    assert_eq!(bob_client.next_of_type("error").await["code"], "malformed-message");

    let (mut cara_client, _) = enter(&app, &room, &cara).await;
    let recent = cara_client.next_of_type("recent").await;
    assert_eq!(recent["messages"], json!([seen]), "the last state of each other participant");
    bob_client.leave().await;
    cara_client.next_of_type("left").await;
    cara_client.leave().await;
    let (mut cara_again, _) = enter(&app, &room, &cara).await;
    assert!(
        cara_again.next_within(Duration::from_millis(500)).await.is_none_or(|m| m["type"] != "state"),
        "Bob's state went with him"
    );
    app.stop().await;
}
