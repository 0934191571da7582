//! One WebSocket connection's life: reading with size and rate limits, writing from its
//! bounded queue, ping/pong liveness. What the messages mean is the dialect's business
//! (the [`Session`] trait); this loop is the same for veche's protocol and PeerJS.

use super::hub::{close_code, PeerInbox};
use super::upgrade::Socket;
use futures::{SinkExt, StreamExt};
use std::future::Future;
use std::task::{Context, Poll};
use std::time::Instant;
use tokio::io::AsyncWriteExt;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

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
/// Not an `async fn`, which would keep a second copy of its arguments.
#[allow(clippy::manual_async_fn)]
pub fn run<'a>(
    socket: &'a mut Socket,
    inbox: &'a PeerInbox,
    session: &'a mut impl Session,
    limits: &'a ConnectionLimits,
) -> impl Future<Output = Ending> + Send + 'a {
    async move {
        if let Some(greeting) = inbox.pop() {
            if Box::pin(greet(socket, greeting)).await.is_err() {
                return Ending::Dropped;
            }
        }
        // Polled by hand rather than a `select!` over the inbox, the socket and the writes:
        // the connection's task keeps its future's largest state for its whole life, and a
        // `select!` with its write futures was 352 bytes; this is a few flags.
        let mut live = Live { bucket: TokenBucket::new(limits.messages_per_second, limits.burst), answered: true, unflushed: false };
        let ending = std::future::poll_fn(|cx| live.poll(cx, socket, inbox, session)).await;
        if let Ending::Ended(code) = ending {
            // Rare, and boxed so that its future is not part of every connection's.
            Box::pin(say_goodbye(socket, inbox, code)).await;
        }
        ending
    }
}

/// What a running connection remembers between wake-ups.
struct Live {
    bucket: TokenBucket,
    /// The client answered the last ping (or there was none yet).
    answered: bool,
    /// Frames were written to tungstenite's buffer and not yet flushed to the socket.
    unflushed: bool,
}

/// What to do after a message from the client.
enum Step {
    Continue,
    Reply(Utf8Bytes),
    End(Ending),
}

impl Live {
    /// One wake-up: finish a flush, then the hub's side (the end, a ping, queued messages),
    /// then the client's messages. While a flush waits for the socket nothing else is done,
    /// so a client that stops reading stops being read from, and its queue overflows.
    fn poll(&mut self, cx: &mut Context<'_>, socket: &mut Socket, inbox: &PeerInbox, session: &mut impl Session) -> Poll<Ending> {
        loop {
            if self.unflushed {
                match socket.poll_flush_unpin(cx) {
                    Poll::Ready(Ok(())) => self.unflushed = false,
                    Poll::Ready(Err(_)) => return Poll::Ready(Ending::Dropped),
                    Poll::Pending => return Poll::Pending,
                }
            }
            // tungstenite takes a frame only when ready (its buffer may be full).
            match socket.poll_ready_unpin(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(_)) => return Poll::Ready(Ending::Dropped),
                Poll::Pending => return Poll::Pending,
            }
            match inbox.poll_ready(cx) {
                Poll::Ready(Err(code)) => return Poll::Ready(Ending::Ended(code)),
                Poll::Ready(Ok(())) => {
                    if let Err(ending) = self.write_queued(cx, socket, inbox) {
                        return Poll::Ready(ending);
                    }
                    continue;
                }
                Poll::Pending => {}
            }
            let Poll::Ready(message) = socket.poll_next_unpin(cx) else { return Poll::Pending };
            match self.on_message(message, session) {
                Step::Continue => {}
                Step::Reply(text) => {
                    if socket.start_send_unpin(Message::Text(text)).is_err() {
                        return Poll::Ready(Ending::Dropped);
                    }
                    self.unflushed = true;
                }
                Step::End(ending) => return Poll::Ready(ending),
            }
        }
    }

    /// A due ping, then up to [`WRITE_BATCH`] queued messages into tungstenite's buffer (the
    /// caller flushes them in one write). Stops early if tungstenite is not ready for more.
    fn write_queued(&mut self, cx: &mut Context<'_>, socket: &mut Socket, inbox: &PeerInbox) -> Result<(), Ending> {
        let broken = |_| Ending::Dropped;
        if inbox.take_ping() {
            if !self.answered {
                return Err(Ending::Ended(close_code::UNRESPONSIVE));
            }
            self.answered = false;
            socket.start_send_unpin(Message::Ping(Default::default())).map_err(broken)?;
            self.unflushed = true;
        }
        for _ in 0..WRITE_BATCH {
            match socket.poll_ready_unpin(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(_)) => return Err(Ending::Dropped),
                // Flushing the blockage; the next wake-up goes on.
                Poll::Pending => break,
            }
            let Some(text) = inbox.pop() else { break };
            socket.start_send_unpin(Message::Text(text)).map_err(broken)?;
            self.unflushed = true;
        }
        Ok(())
    }

    fn on_message(&mut self, message: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>, session: &mut impl Session) -> Step {
        match message {
            Some(Ok(Message::Text(text))) => {
                if !self.bucket.take() {
                    metrics::counter!("veche_signal_rate_limited_total").increment(1);
                    return Step::Reply(session.rate_limited());
                }
                match session.on_text(text.as_str()) {
                    Flow::Continue => Step::Continue,
                    Flow::Reply(reply) => Step::Reply(reply),
                    Flow::Leave => Step::End(Ending::Left),
                }
            }
            Some(Ok(Message::Binary(_))) => Step::Reply(session.binary_refused()),
            Some(Ok(Message::Pong(_))) => {
                self.answered = true;
                Step::Continue
            }
            // tungstenite queues the pong itself; it leaves with the next flush.
            Some(Ok(Message::Ping(_))) => {
                self.answered = true;
                self.unflushed = true;
                Step::Continue
            }
            Some(Ok(Message::Close(frame))) => {
                // 1000 (normal) and 1001 (page closed) are goodbyes; anything else,
                // e.g. 1006 from a dying network, may come back.
                let goodbye = frame.as_ref().is_none_or(|f| matches!(u16::from(f.code), 1000 | 1001));
                Step::End(if goodbye { Ending::Left } else { Ending::Dropped })
            }
            // Raw frames are only ever written, never read.
            Some(Ok(Message::Frame(_))) => Step::Continue,
            // A frame over the size limit, a protocol error, or the TCP connection gone.
            Some(Err(_)) | None => Step::End(Ending::Dropped),
        }
    }
}

/// Writes the connection's first message (its greeting) past tungstenite's write buffer.
/// That buffer keeps the size of the largest message it has held for the connection's whole
/// life, and a greeting (a few hundred bytes: more than a participant waiting alone in a room
/// gets after it) would be kept by every idle connection. Done before tungstenite has read
/// or written anything, so it has nothing buffered that this frame could cut into.
async fn greet(socket: &mut Socket, text: Utf8Bytes) -> Result<(), tokio_tungstenite::tungstenite::Error> {
    let frame = Frame::message(text, OpCode::Data(Data::Text), true);
    let mut bytes = Vec::with_capacity(frame.len());
    frame.format(&mut bytes)?;
    let stream = socket.get_mut();
    stream.write_all(&bytes).await?;
    stream.flush().await?;
    Ok(())
}

/// The server ends the connection: whatever was queued before the end (e.g. "room-closed")
/// goes out first, then the close frame with `code`.
async fn say_goodbye(socket: &mut Socket, inbox: &PeerInbox, code: u16) {
    while let Some(text) = inbox.pop() {
        if socket.feed(Message::Text(text)).await.is_err() {
            return;
        }
    }
    let _ = socket.send(Message::Close(Some(close_frame(code)))).await;
}

/// The close frame for one of our codes, with its reason.
pub fn close_frame(code: u16) -> CloseFrame {
    CloseFrame { code: code.into(), reason: Utf8Bytes::from_static(reason(code)) }
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
