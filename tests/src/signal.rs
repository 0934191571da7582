//! A WebSocket client for the signaling tests: veche's protocol and PeerJS's.

use futures::{SinkExt, StreamExt};
use serde_json::Value;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Stream = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a test waits for a message it expects.
pub const EXPECT_WITHIN: Duration = Duration::from_secs(10);

pub struct SignalClient {
    ws: Stream,
}

/// Why a connection could not be opened: the HTTP status of a refused upgrade.
#[derive(Debug)]
pub struct Refused {
    pub status: u16,
    pub body: String,
}

impl SignalClient {
    /// Opens `ws://<base>/<path_and_query>` (base is `http://host:port`).
    pub async fn connect(base: &str, path_and_query: &str) -> Result<Self, Refused> {
        let url = format!("{}{}", base.replacen("http://", "ws://", 1), path_and_query);
        match tokio_tungstenite::connect_async(url).await {
            Ok((ws, _)) => Ok(Self { ws }),
            Err(tungstenite::Error::Http(response)) => Err(Refused {
                status: response.status().as_u16(),
                body: response.body().as_ref().map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default(),
            }),
            Err(other) => panic!("connecting to the hub failed: {other}"),
        }
    }

    /// Opens a room's signaling connection with a token, optionally asking for a peer id.
    pub async fn join(base: &str, room_id: &str, token: &str, peer_id: Option<&str>) -> Result<Self, Refused> {
        let mut path = format!("/api/rooms/{room_id}/signal?access_token={token}");
        if let Some(peer_id) = peer_id {
            path.push_str(&format!("&peer_id={peer_id}"));
        }
        Self::connect(base, &path).await
    }

    pub async fn send_json(&mut self, value: Value) {
        self.send_text(value.to_string()).await;
    }

    pub async fn send_text(&mut self, text: String) {
        self.ws.send(Message::Text(text.into())).await.expect("sending to the hub");
    }

    /// The next JSON message, skipping control frames; panics on a close or a timeout.
    pub async fn next_json(&mut self) -> Value {
        match self.next_within(EXPECT_WITHIN).await {
            Some(value) => value,
            None => panic!("no message arrived within {EXPECT_WITHIN:?}"),
        }
    }

    /// The next JSON message within `wait`, or `None` if none came (or the connection closed).
    pub async fn next_within(&mut self, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.ws.next()).await.ok()??;
            match frame {
                Ok(Message::Text(text)) => return Some(serde_json::from_str(&text).expect("the hub sends JSON")),
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => continue,
            }
        }
    }

    /// Reads until a message of `kind` (its `type`) arrives, returning it.
    pub async fn next_of_type(&mut self, kind: &str) -> Value {
        loop {
            let message = self.next_json().await;
            if message["type"] == kind {
                return message;
            }
        }
    }

    /// Reads until the server closes; returns the close code (1006 if the TCP connection
    /// just ended) and the messages that came before it.
    pub async fn closed(&mut self) -> (u16, Vec<Value>) {
        let mut before = Vec::new();
        loop {
            match tokio::time::timeout(EXPECT_WITHIN, self.ws.next()).await {
                Err(_) => panic!("the server did not close within {EXPECT_WITHIN:?}"),
                Ok(None) | Ok(Some(Err(_))) => return (1006, before),
                Ok(Some(Ok(Message::Close(frame)))) => {
                    return (frame.map(|f| u16::from(f.code)).unwrap_or(1005), before);
                }
                Ok(Some(Ok(Message::Text(text)))) => before.push(serde_json::from_str(&text).unwrap()),
                Ok(Some(Ok(_))) => {}
            }
        }
    }

    /// Says goodbye with a normal close.
    pub async fn leave(mut self) {
        let _ = self.ws.close(Some(tungstenite::protocol::CloseFrame { code: CloseCode::Normal, reason: "bye".into() })).await;
        // Wait for the server's close so that its leave is recorded before we go on.
        let _ = tokio::time::timeout(EXPECT_WITHIN, async { while self.ws.next().await.is_some() {} }).await;
    }

    /// Drops the TCP connection without a close frame, as a network failure would.
    pub fn drop_connection(self) {
        drop(self.ws);
    }
}
