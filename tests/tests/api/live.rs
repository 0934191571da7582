//! The live calendar stream (Server-Sent Events): a change by someone else reaches the
//! people of the meeting, not anyone else, and a stream resumed with `Last-Event-ID` gets
//! what it missed.

use reqwest::Method;
use serde_json::json;
use std::time::Duration;
use veche_tests::app::{spawn_app, user, TestApp, User};
use veche_tests::event_stream::EventStream;

async fn open(app: &TestApp, who: &User, last_event_id: Option<&str>) -> EventStream {
    EventStream::open(&app.base, &who.token, last_event_id).await
}

#[tokio::test]
async fn a_meeting_scheduled_by_someone_else_reaches_the_attendees_stream_and_nobody_elses() {
    let app = spawn_app().await;
    let (ann, bob, eve) = (user("ann"), user("bob"), user("eve"));
    let mut bobs = open(&app, &bob, None).await;
    let mut eves = open(&app, &eve, None).await;
    let (ready, start, _) = bobs.next(Duration::from_secs(5)).await.unwrap();
    assert_eq!(ready, "ready");
    assert!(start.is_some());

    let scheduled = app.schedule(&ann, &[&bob], json!({})).await;
    let id = scheduled["meeting"]["id"].as_str().unwrap().to_string();
    assert_eq!(bobs.next_change().await.0, id);

    // Eve sees nothing of it (her stream's first event is its `ready`).
    assert_eq!(eves.next(Duration::from_secs(5)).await.unwrap().0, "ready");
    assert!(eves.next(Duration::from_secs(2)).await.is_none(), "a stranger's stream stays quiet");
}

#[tokio::test]
async fn a_stream_resumed_with_last_event_id_gets_the_changes_it_missed_in_order() {
    let app = spawn_app().await;
    let (ann, bob) = (user("ann"), user("bob"));
    let mut stream = open(&app, &bob, None).await;
    let first = app.schedule(&ann, &[&bob], json!({"title": "One"})).await;
    let (_, seen) = stream.next_change().await;
    drop(stream);

    // While Bob is away, two more meetings.
    let second = app.schedule(&ann, &[&bob], json!({"title": "Two"})).await;
    let third = app.schedule(&ann, &[&bob], json!({"title": "Three"})).await;
    let position = third["position"].as_i64().unwrap();
    app.request(
        Method::GET,
        &format!("/api/calendar?from=2026-12-01T00:00:00Z&to=2026-12-02T00:00:00Z&after_position={position}"),
        &bob,
    )
    .send()
    .await
    .unwrap();

    let mut resumed = open(&app, &bob, Some(&seen)).await;
    let ids = [resumed.next_change().await.0, resumed.next_change().await.0];
    assert_eq!(ids, [second["meeting"]["id"].as_str().unwrap(), third["meeting"]["id"].as_str().unwrap()]);
    assert_ne!(ids[0], first["meeting"]["id"].as_str().unwrap());
}

#[tokio::test]
async fn the_stream_needs_a_person() {
    let app = spawn_app().await;
    let response = app.client.get(format!("{}/api/calendar/stream", app.base)).send().await.unwrap();
    assert_eq!(response.status(), 401);
}
