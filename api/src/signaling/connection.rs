//! One WebSocket connection's life: reading with size and rate limits, writing from its
//! bounded queue, ping/pong liveness. What the messages mean is the dialect's business
//! (the [`Session`] trait); this loop is the same for veche's protocol and PeerJS.

use super::mailbox::PeerInbox;
use super::protocol::{close_code, close_frame};
use super::rate::TokenBucket;
use super::upgrade::Socket;
use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::AsyncWrite;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::{Error as WsError, Message, Utf8Bytes};

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
    /// Stop reading: the session has asynchronous work to do before the client's next
    /// message (the connection's owner does it, then runs the connection again).
    Suspend,
}

pub trait Session: Send {
    fn on_text(&mut self, text: &str) -> Flow;
    /// The reply to a message over the rate limit.
    fn rate_limited(&self) -> Utf8Bytes;
    /// The reply to a binary message.
    fn binary_refused(&self) -> Utf8Bytes;
    /// A text the protocol sends beside each WebSocket ping, for clients whose liveness
    /// check listens for the protocol's own pings (Engine.IO's).
    fn ping(&self) -> Option<Utf8Bytes> {
        None
    }
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
    /// Not ended: the session asked to be suspended ([`Flow::Suspend`]).
    Suspended,
}

/// How many queued messages are gathered into one write, at most...
const WRITE_BATCH: usize = 64;
/// ...and how many bytes (a message larger than this goes alone).
const WRITE_GATHER: usize = 16 * 1024;

/// How long the server's close (what was queued, then the close frame) may take.
const GOODBYE_WITHIN: std::time::Duration = std::time::Duration::from_secs(10);

thread_local! {
    /// Outgoing frames are gathered here and written from here: one buffer per worker thread.
    /// tungstenite's write buffer is per connection and keeps the size of the largest burst it
    /// held for the connection's whole life (a call's offers and answers are kilobytes), so
    /// only tungstenite's own frames (pongs, the close) go through it.
    static GATHER: RefCell<Vec<u8>> = RefCell::new(Vec::with_capacity(WRITE_GATHER));
}

/// Runs the connection until it ends (then [`finish`] it). The socket is borrowed: each
/// async function that took it by value would keep a copy of it for the connection's whole
/// life. Pings are asked for by the hub's pinger through the inbox; a connection that has
/// not answered the previous ping when the next is due is closed.
/// Polled by hand rather than a `select!` over the inbox, the socket and the writes: the
/// connection's task keeps its future's largest state for its whole life, and a `select!`
/// with its write futures was 352 bytes; this is a few fields and the borrows.
pub fn run<'a>(
    socket: &'a mut Socket,
    inbox: &'a PeerInbox,
    session: &'a mut impl Session,
    limits: &'a ConnectionLimits,
) -> impl Future<Output = Ending> + Send + 'a {
    let mut live = Live::new(limits);
    std::future::poll_fn(move |cx| live.poll(cx, socket, inbox, session, limits))
}

/// [`run`] for a session that may suspend the connection ([`Flow::Suspend`]): `live` is what
/// the connection remembers across (its rate, its ping), kept by the caller.
pub fn run_resumable<'a>(
    live: &'a mut Live,
    socket: &'a mut Socket,
    inbox: &'a PeerInbox,
    session: &'a mut impl Session,
    limits: &'a ConnectionLimits,
) -> impl Future<Output = Ending> + Send + 'a {
    std::future::poll_fn(move |cx| live.poll(cx, socket, inbox, session, limits))
}

/// After [`run`]: a connection the server ends is sent what was queued, then the close
/// frame. Boxed, so that its future is not part of every connection's; bounded, as a client
/// that stops reading now would otherwise hold the task at its close.
pub async fn finish(socket: &mut Socket, inbox: &PeerInbox, ending: Ending) {
    if let Ending::Ended(code) = ending {
        let _ = Box::pin(tokio::time::timeout(GOODBYE_WITHIN, say_goodbye(socket, inbox, code))).await;
    }
}

/// What a running connection remembers between wake-ups.
pub struct Live {
    bucket: TokenBucket,
    /// The client answered the last ping (or there was none yet).
    answered: bool,
    /// tungstenite has frames of its own (a pong) not yet flushed to the socket.
    unflushed: bool,
    /// The part of our last write the socket did not take yet; empty (no allocation) when
    /// the connection is idle. A box rather than a vector: it is rarely anything, and every
    /// connection's task keeps the field.
    unwritten: Box<[u8]>,
    /// A ping round came while a write waited for the socket (see [`Live::blocked`]).
    stalled: bool,
}

/// What to do after a message from the client.
enum Step {
    Continue,
    Reply(Utf8Bytes),
    End(Ending),
}

impl Live {
    pub fn new(limits: &ConnectionLimits) -> Self {
        Self { bucket: TokenBucket::new(limits), answered: true, unflushed: false, unwritten: Box::default(), stalled: false }
    }

    /// One wake-up: finish tungstenite's flush and our unwritten bytes, then the hub's side
    /// (the end, a ping, queued messages), then the client's messages. Our frames and
    /// tungstenite's never interleave: each is written only when the other has nothing
    /// pending. While a write waits for the socket nothing else is done, so a client that
    /// stops reading stops being read from, and its queue overflows.
    fn poll(
        &mut self,
        cx: &mut Context<'_>,
        socket: &mut Socket,
        inbox: &PeerInbox,
        session: &mut impl Session,
        limits: &ConnectionLimits,
    ) -> Poll<Ending> {
        loop {
            if self.unflushed {
                match socket.poll_flush_unpin(cx) {
                    Poll::Ready(Ok(())) => (self.unflushed, self.stalled) = (false, false),
                    Poll::Ready(Err(_)) => return Poll::Ready(Ending::Dropped),
                    Poll::Pending => return self.blocked(cx, inbox),
                }
            }
            if !self.unwritten.is_empty() {
                let before = self.unwritten.len();
                match poll_write_unwritten(cx, socket, &mut self.unwritten) {
                    Poll::Ready(Ok(())) => self.stalled = false,
                    Poll::Ready(Err(_)) => return Poll::Ready(Ending::Dropped),
                    Poll::Pending => {
                        self.stalled &= self.unwritten.len() == before;
                        return self.blocked(cx, inbox);
                    }
                }
            }
            match inbox.poll_ready(cx) {
                Poll::Ready(Err(code)) => return Poll::Ready(Ending::Ended(code)),
                Poll::Ready(Ok(())) => {
                    if let Err(ending) = self.write_queued(cx, socket, inbox, session.ping()) {
                        return Poll::Ready(ending);
                    }
                    continue;
                }
                Poll::Pending => {}
            }
            let Poll::Ready(message) = socket.poll_next_unpin(cx) else { return Poll::Pending };
            match self.on_message(message, session, limits) {
                Step::Continue => {}
                Step::Reply(text) => {
                    if self.write_frames(cx, socket, |buf| text_frame(text).format(buf)).is_err() {
                        return Poll::Ready(Ending::Dropped);
                    }
                }
                Step::End(ending) => return Poll::Ready(ending),
            }
        }
    }

    /// A write waits for the socket. Two ping rounds without the client taking a byte (a
    /// ping period at least) mean it stopped reading: it is dropped rather than held, with
    /// what is queued for it, for as long as its TCP connection stays open. The hub's end
    /// waits for the write like everything else (the close frame goes after it).
    fn blocked(&mut self, cx: &mut Context<'_>, inbox: &PeerInbox) -> Poll<Ending> {
        // Only to be woken by the pinger's next round; what is ready waits for the write.
        let _ = inbox.poll_ready(cx);
        if inbox.take_ping() {
            if self.stalled {
                metrics::counter!("veche_signal_stalled_total").increment(1);
                return Poll::Ready(Ending::Dropped);
            }
            self.stalled = true;
        }
        Poll::Pending
    }

    /// A due ping (and the protocol's own beside it), then up to [`WRITE_BATCH`] queued
    /// messages, in one write.
    fn write_queued(
        &mut self,
        cx: &mut Context<'_>,
        socket: &mut Socket,
        inbox: &PeerInbox,
        protocol_ping: Option<Utf8Bytes>,
    ) -> Result<(), Ending> {
        let ping = inbox.take_ping();
        if ping {
            if !self.answered {
                return Err(Ending::Ended(close_code::UNRESPONSIVE));
            }
            self.answered = false;
        }
        let frames = |buf: &mut Vec<u8>| {
            if ping {
                Frame::ping(Bytes::new()).format(buf)?;
                if let Some(text) = protocol_ping {
                    text_frame(text).format(buf)?;
                }
            }
            for _ in 0..WRITE_BATCH {
                if buf.len() >= WRITE_GATHER {
                    break;
                }
                let Some(text) = inbox.pop() else { break };
                text_frame(text).format(buf)?;
            }
            Ok(())
        };
        super::coalesce::wrote();
        self.write_frames(cx, socket, frames).map_err(|_| Ending::Dropped)
    }

    /// Formats frames into the thread's gather buffer and writes them straight to the socket,
    /// keeping what it does not take yet (only called with nothing else pending).
    fn write_frames(
        &mut self,
        cx: &mut Context<'_>,
        socket: &mut Socket,
        frames: impl FnOnce(&mut Vec<u8>) -> Result<(), tokio_tungstenite::tungstenite::Error>,
    ) -> std::io::Result<()> {
        GATHER.with_borrow_mut(|buf| {
            buf.clear();
            frames(buf).map_err(std::io::Error::other)?;
            let written = match poll_write_all(cx, socket, buf) {
                Poll::Ready(written) => written?,
                Poll::Pending => 0,
            };
            if written < buf.len() {
                self.unwritten = buf[written..].into();
            }
            // A burst larger than usual is not kept by every thread for ever.
            if buf.capacity() > 4 * WRITE_GATHER {
                *buf = Vec::with_capacity(WRITE_GATHER);
            }
            Ok(())
        })
    }

    fn on_message(
        &mut self,
        message: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
        session: &mut impl Session,
        limits: &ConnectionLimits,
    ) -> Step {
        match message {
            Some(Ok(Message::Text(text))) => {
                if !self.bucket.take(limits) {
                    metrics::counter!("veche_signal_rate_limited_total").increment(1);
                    return Step::Reply(session.rate_limited());
                }
                match session.on_text(text.as_str()) {
                    Flow::Continue => Step::Continue,
                    Flow::Reply(reply) => Step::Reply(reply),
                    Flow::Leave => Step::End(Ending::Left),
                    Flow::Suspend => Step::End(Ending::Suspended),
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
            // A refused frame ends the connection with the close code the protocol names for
            // it (delivered: see `say_goodbye`); a TCP connection that went is a drop.
            Some(Err(error)) => Step::End(match error {
                WsError::Capacity(_) => Ending::Ended(close_code::TOO_BIG),
                WsError::Protocol(_) => Ending::Ended(close_code::PROTOCOL_ERROR),
                WsError::Utf8(_) => Ending::Ended(close_code::INVALID_DATA),
                _ => Ending::Dropped,
            }),
            None => Step::End(Ending::Dropped),
        }
    }
}

fn text_frame(text: Utf8Bytes) -> Frame {
    Frame::message(text, OpCode::Data(Data::Text), true)
}

/// Writes from `bytes` until the socket would block; how many it took.
fn poll_write_all(cx: &mut Context<'_>, socket: &mut Socket, bytes: &[u8]) -> Poll<std::io::Result<usize>> {
    let mut stream = Pin::new(socket.get_mut());
    let mut written = 0;
    while written < bytes.len() {
        match stream.as_mut().poll_write(cx, &bytes[written..]) {
            Poll::Ready(Ok(0)) => return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into())),
            Poll::Ready(Ok(n)) => written += n,
            Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
            Poll::Pending if written == 0 => return Poll::Pending,
            Poll::Pending => break,
        }
    }
    Poll::Ready(Ok(written))
}

/// Writes what the socket did not take before; frees it once all is written.
fn poll_write_unwritten(cx: &mut Context<'_>, socket: &mut Socket, unwritten: &mut Box<[u8]>) -> Poll<std::io::Result<()>> {
    let written = std::task::ready!(poll_write_all(cx, socket, unwritten))?;
    if written == unwritten.len() {
        *unwritten = Box::default();
        Poll::Ready(Ok(()))
    } else {
        // The socket took some and blocked: it wakes this task when it can take more.
        *unwritten = unwritten[written..].into();
        Poll::Pending
    }
}

/// The server ends the connection: whatever was queued before the end (e.g. "room-closed"),
/// then the close frame with `code`. Nothing of ours is unwritten then: the loop only sees
/// the end once its last write is out. Then the client's answer is awaited (bounded by
/// [`CLOSING_WITHIN`]), reading and dropping what it still sends: closing the socket with
/// unread bytes in it makes the kernel reset the connection, and a client still sending (the
/// rest of a message too big) would lose our close frame to the reset.
async fn say_goodbye(socket: &mut Socket, inbox: &PeerInbox, code: u16) {
    while let Some(text) = inbox.pop() {
        if socket.feed(Message::Text(text)).await.is_err() {
            return;
        }
    }
    if socket.send(Message::Close(Some(close_frame(code)))).await.is_err() {
        return;
    }
    let _ = tokio::time::timeout(CLOSING_WITHIN, await_close(socket)).await;
}

/// How long a closing connection waits for the client's close frame.
const CLOSING_WITHIN: std::time::Duration = std::time::Duration::from_secs(2);

/// Reads until the client's close frame; once the stream cannot be read as frames (after a
/// refused one), reads raw bytes until the client closes its side.
async fn await_close(socket: &mut Socket) {
    loop {
        match socket.next().await {
            Some(Ok(Message::Close(_))) | None => return,
            Some(Ok(_)) => {}
            Some(Err(_)) => break,
        }
    }
    let mut scratch = [0u8; 1024];
    while let Ok(read) = tokio::io::AsyncReadExt::read(socket.get_mut(), &mut scratch).await {
        if read == 0 {
            return;
        }
    }
}
