//! One WebSocket connection's life: reading with size and rate limits, writing from its
//! bounded queue, ping/pong liveness. What the messages mean is the dialect's business
//! (the [`Session`] trait); this loop is the same for veche's protocol and PeerJS.

use super::hub::{close_code, PeerInbox};
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures::SinkExt;
use std::time::Instant;

/// Limits of one connection (`VECHE_SIGNAL_*`).
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    /// Messages a connection may send per second, on average...
    pub messages_per_second: u32,
    /// ...and in a burst.
    pub burst: u32,
}

/// What a dialect makes of one message from its client.
pub enum Flow {
    Continue,
    /// Answer the sender (an error, a pong).
    Reply(Utf8Bytes),
    /// The client asked to leave.
    Leave,
}

pub trait Session: Send {
    fn on_text(&mut self, text: &str) -> Flow;
    /// The reply to a message over the rate limit.
    fn rate_limited(&self) -> Utf8Bytes;
    /// The reply to a binary message.
    fn binary_refused(&self) -> Utf8Bytes;
}

/// How the connection ended, which decides between leaving and expiring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The client said goodbye (a close frame or a leave message).
    Left,
    /// The connection dropped or stopped answering: the participant may come back.
    Dropped,
    /// The server ended it (slow consumer, replaced, room closed, shutdown).
    Ended(u16),
}

struct TokenBucket {
    tokens: f64,
    rate: f64,
    burst: f64,
    last: Instant,
}

impl TokenBucket {
    fn new(rate: u32, burst: u32) -> Self {
        Self { tokens: burst as f64, rate: rate as f64, burst: burst as f64, last: Instant::now() }
    }

    fn take(&mut self) -> bool {
        let now = Instant::now();
        self.tokens = (self.tokens + now.duration_since(self.last).as_secs_f64() * self.rate).min(self.burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// How many queued messages are written before one flush.
const WRITE_BATCH: usize = 64;

/// Runs the connection until it ends. The socket is borrowed: each async function that
/// took it by value would keep a copy of it for the connection's whole life. Pings are
/// asked for by the hub's pinger through the inbox; a connection that has not answered the
/// previous ping when the next is due is closed.
pub async fn run(socket: &mut WebSocket, inbox: &PeerInbox, session: &mut impl Session, limits: &ConnectionLimits) -> Ending {
    let mut bucket = TokenBucket::new(limits.messages_per_second, limits.burst);
    let mut answered = true;
    let ending = loop {
        tokio::select! {
            biased;
            ready = inbox.ready() => match ready {
                Err(code) => break Ending::Ended(code),
                Ok(()) => {
                    if inbox.take_ping() {
                        if !answered {
                            break Ending::Ended(close_code::UNRESPONSIVE);
                        }
                        answered = false;
                        if socket.feed(Message::Ping(Default::default())).await.is_err() {
                            break Ending::Dropped;
                        }
                    }
                    if write_batch(socket, inbox).await.is_err() {
                        break Ending::Dropped;
                    }
                }
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    let reply = if bucket.take() {
                        match session.on_text(text.as_str()) {
                            Flow::Continue => None,
                            Flow::Reply(reply) => Some(reply),
                            Flow::Leave => break Ending::Left,
                        }
                    } else {
                        metrics::counter!("veche_signal_rate_limited_total").increment(1);
                        Some(session.rate_limited())
                    };
                    if let Some(reply) = reply {
                        if socket.send(Message::Text(reply)).await.is_err() {
                            break Ending::Dropped;
                        }
                    }
                }
                Some(Ok(Message::Binary(_))) => {
                    if socket.send(Message::Text(session.binary_refused())).await.is_err() {
                        break Ending::Dropped;
                    }
                }
                Some(Ok(Message::Pong(_))) => answered = true,
                // tungstenite answers pings itself.
                Some(Ok(Message::Ping(_))) => answered = true,
                Some(Ok(Message::Close(frame))) => {
                    // 1000 (normal) and 1001 (page closed) are goodbyes; anything else,
                    // e.g. 1006 from a dying network, may come back.
                    let goodbye = frame.as_ref().is_none_or(|f| f.code == 1000 || f.code == 1001);
                    break if goodbye { Ending::Left } else { Ending::Dropped };
                }
                // A frame over the size limit, a protocol error, or the TCP connection gone.
                Some(Err(_)) | None => break Ending::Dropped,
            },
        }
    };
    if let Ending::Ended(code) = ending {
        // Whatever was queued before the end (e.g. "room-closed") goes out first.
        while let Some(text) = inbox.pop() {
            if socket.feed(Message::Text(text)).await.is_err() {
                return ending;
            }
        }
        let _ = socket
            .send(Message::Close(Some(CloseFrame { code, reason: Utf8Bytes::from_static(reason(code)) })))
            .await;
    }
    ending
}

/// Writes what is queued (at most [`WRITE_BATCH`] messages), then flushes once.
async fn write_batch(socket: &mut WebSocket, inbox: &PeerInbox) -> Result<(), axum::Error> {
    for _ in 0..WRITE_BATCH {
        let Some(text) = inbox.pop() else { break };
        socket.feed(Message::Text(text)).await?;
    }
    socket.flush().await
}

/// The close frame's reason for each of our codes.
pub fn reason(code: u16) -> &'static str {
    match code {
        close_code::ROOM_CLOSED => "room closed: the meeting was cancelled",
        close_code::SLOW_CONSUMER => "slow consumer: too many messages queued",
        close_code::ROOM_FULL => "room full",
        close_code::PEER_ID_TAKEN => "peer id taken",
        close_code::REPLACED => "replaced by a newer connection of the same participant",
        close_code::UNRESPONSIVE => "no pong in time",
        close_code::GOING_AWAY => "server going away; reconnect to resume",
        _ => "server error",
    }
}
