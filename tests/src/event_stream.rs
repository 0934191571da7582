//! A client of the live calendar stream (`GET /api/calendar/stream`, Server-Sent Events):
//! opens it with a bearer token and reads it event by event.

use futures::StreamExt;
use std::time::Duration;

/// An open event stream, read event by event.
pub struct EventStream {
    body: futures::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    buffer: String,
}

/// One event: (`event`, `id`, `data`).
pub type SseEvent = (String, Option<String>, String);

impl EventStream {
    /// Opens the stream of the person `token` speaks for at veche's `base` URL.
    pub async fn open(base: &str, token: &str, last_event_id: Option<&str>) -> Self {
        let mut request = reqwest::Client::new().get(format!("{base}/api/calendar/stream")).bearer_auth(token);
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
        Self { body: response.bytes_stream().boxed(), buffer: String::new() }
    }

    /// The next event (comments and keep-alives skipped), or `None` within `wait`.
    pub async fn next(&mut self, wait: Duration) -> Option<SseEvent> {
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
    pub async fn next_change(&mut self) -> (String, String) {
        loop {
            let (event, id, data) = self.next(Duration::from_secs(10)).await.expect("an event in time");
            if event == "change" {
                let data: serde_json::Value = serde_json::from_str(&data).unwrap();
                return (data["meeting_id"].as_str().unwrap().to_string(), id.unwrap());
            }
        }
    }
}
