//! The live calendar stream (Server-Sent Events): a change by someone else reaches the
//! people of the meeting, not anyone else, and a stream resumed with `Last-Event-ID` gets
//! what it missed.

use futures::StreamExt;
use reqwest::Method;
use serde_json::json;
use std::time::Duration;
use veche_tests::app::{spawn_app, user, TestApp, User};

/// An open event stream, read event by event.
struct EventStream {
    body: futures::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    buffer: String,
}

/// One event: (`event`, `id`, `data`).
type SseEvent = (String, Option<String>, String);

impl EventStream {
    async fn open(app: &TestApp, who: &User, last_event_id: Option<&str>) -> Self {
        let mut request = app.request(Method::GET, "/api/calendar/stream", who);
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
        Self { body: response.bytes_stream().boxed(), buffer: String::new() }
    }

    /// The next event (comments and keep-alives skipped), or `None` within `wait`.
    async fn next(&mut self, wait: Duration) -> Option<SseEvent> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut event, mut id, mut data) = ("message".to_string(), None, String::new());
                for line in block.lines() {
                    if let Some(value) = line.strip_prefix("event:") {
                        event = value.trim().to_string();
                    } else if let Some(value) = line.strip_prefix("id:") {
                        id = Some(value.trim().to_string());
                    } else if let Some(value) = line.strip_prefix("data:") {
                        data.push_str(value.trim());
                    }
                }
                if data.is_empty() && id.is_none() {
                    continue;
                }
                return Some((event, id, data));
            }
            let chunk = tokio::time::timeout_at(deadline, self.body.next()).await.ok()??.ok()?;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// The next `change` event's meeting id and event id.
    async fn next_change(&mut self) -> (String, String) {
        loop {
            let (event, id, data) = self.next(Duration::from_secs(10)).await.expect("an event in time");
            if event == "change" {
                let data: serde_json::Value = serde_json::from_str(&data).unwrap();
                return (data["meeting_id"].as_str().unwrap().to_string(), id.unwrap());
            }
        }
    }
}

#[tokio::test]
async fn a_meeting_scheduled_by_someone_else_reaches_the_attendees_stream_and_nobody_elses() {
    let app = spawn_app().await;
    let (ann, bob, eve) = (user("ann"), user("bob"), user("eve"));
    let mut bobs = EventStream::open(&app, &bob, None).await;
    let mut eves = EventStream::open(&app, &eve, None).await;
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
    let mut stream = EventStream::open(&app, &bob, None).await;
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

    let mut resumed = EventStream::open(&app, &bob, Some(&seen)).await;
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
