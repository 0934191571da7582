//! The long-polling transport, for networks whose proxies refuse WebSockets: a session is
//! opened by a GET, its client's packets come in POSTs, and what the server has for it is
//! answered to a GET that waits for it (at most a ping period, when a ping is due).

use super::packet::{self, Engine};
use super::session::{self, SocketIoSession};
use super::websocket::upgrade_handshake;
use super::Endpoint;
use crate::error::ApiError;
use crate::signaling::connection::Flow;
use crate::signaling::dialect::{veche, Dialect};
use crate::signaling::mailbox::PeerInbox;
use crate::signaling::protocol::close_code;
use crate::signaling::rate::TokenBucket;
use crate::signaling::upgrade::Socket;
use axum::body::Body;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Instant;
use tokio::sync::Notify;

/// The most queued messages one poll answers with.
const BATCH: usize = 64;

/// The node's long-polling sessions by Engine.IO session id.
#[derive(Default)]
pub struct Polls {
    sessions: Mutex<HashMap<Box<str>, Arc<Polling>>>,
    /// The sweeper of abandoned sessions runs (one per endpoint, from the first session).
    sweeping: AtomicBool,
}

impl Polls {
    pub fn get(&self, sid: &str) -> Option<Arc<Polling>> {
        self.lock().get(sid).cloned()
    }

    fn remove(&self, sid: &str) {
        self.lock().remove(sid);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Box<str>, Arc<Polling>>> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Where a long-polling session is.
const POLLING: u8 = 0;
const MOVING: u8 = 1;
const MOVED: u8 = 2;
const CLOSED: u8 = 3;

pub struct Polling {
    sid: Box<str>,
    pub inbox: PeerInbox,
    /// Locked by a POST for its packets, in order, and by the WebSocket the session moves to.
    pub session: tokio::sync::Mutex<SocketIoSession>,
    stage: AtomicU8,
    /// A GET is waiting.
    waiting: AtomicBool,
    /// The client moves to WebSocket: the waiting GET is answered at once.
    moving: Notify,
    /// The client answered the last ping (or none was sent yet).
    answered: AtomicBool,
    /// When the last GET ended (or the session began).
    last_poll: Mutex<Instant>,
    bucket: Mutex<TokenBucket>,
}

/// Opens a session: the Engine.IO handshake, offering the move to WebSocket.
pub fn handshake(endpoint: Arc<Endpoint>, token: Option<Box<str>>) -> Response {
    if let Err(error) = veche::check_capacity(&endpoint.state) {
        return error.into_response();
    }
    let (handle, inbox) = endpoint.state.hub.open_connection(Dialect::SocketIo, None);
    let sid: Box<str> = uuid::Uuid::new_v4().simple().to_string().into();
    let polling = Arc::new(Polling {
        sid: sid.clone(),
        inbox,
        session: tokio::sync::Mutex::new(SocketIoSession::new(endpoint.clone(), handle, token)),
        stage: AtomicU8::new(POLLING),
        waiting: AtomicBool::new(false),
        moving: Notify::new(),
        answered: AtomicBool::new(true),
        last_poll: Mutex::new(Instant::now()),
        bucket: Mutex::new(TokenBucket::new(&endpoint.state.signal.limits)),
    });
    endpoint.polls.lock().insert(sid.clone(), polling);
    if !endpoint.polls.sweeping.swap(true, Ordering::Relaxed) {
        tokio::spawn(sweep(Arc::downgrade(&endpoint)));
    }
    text(packet::open(&sid, &["websocket"], endpoint.ping_interval_ms(), endpoint.max_payload()).as_str())
}

/// A GET: what is queued for the client, once there is something (a ping at the latest).
pub async fn poll(endpoint: Arc<Endpoint>, sid: &str) -> Response {
    let Some(polling) = endpoint.polls.get(sid) else { return super::unknown_session() };
    if polling.waiting.swap(true, Ordering::AcqRel) {
        close(&endpoint, &polling).await;
        return ApiError::Malformed("a second GET while one waits: the session is closed".into()).into_response();
    }
    let answer = polling.answer().await;
    *polling.last_poll.lock().unwrap_or_else(PoisonError::into_inner) = Instant::now();
    polling.waiting.store(false, Ordering::Release);
    match answer {
        Ok(body) => text(&body),
        Err(code) => {
            close(&endpoint, &polling).await;
            text(&[session::ending_frame(code).as_str(), packet::CLOSE].join(&packet::SEPARATOR.to_string()))
        }
    }
}

/// A POST: the client's packets, taken in order.
pub async fn post(endpoint: Arc<Endpoint>, sid: &str, body: Body) -> Response {
    let Some(polling) = endpoint.polls.get(sid) else { return super::unknown_session() };
    let max = endpoint.max_payload();
    let Ok(body) = axum::body::to_bytes(body, max).await else {
        close(&endpoint, &polling).await;
        return ApiError::PayloadTooLarge(max).into_response();
    };
    let Ok(body) = std::str::from_utf8(&body) else {
        close(&endpoint, &polling).await;
        return ApiError::Malformed("a long-polling body is text".into()).into_response();
    };
    let limits = &endpoint.state.signal.limits;
    let mut session = polling.session.lock().await;
    for text in body.split(packet::SEPARATOR) {
        if let Some(Engine::Pong(_)) = packet::engine(text) {
            polling.answered.store(true, Ordering::Relaxed);
            continue;
        }
        if !polling.bucket.lock().unwrap_or_else(PoisonError::into_inner).take(limits) {
            metrics::counter!("veche_signal_rate_limited_total").increment(1);
            session.queue(crate::signaling::connection::Session::rate_limited(&*session));
            continue;
        }
        match session.on_packet(text) {
            Flow::Continue => {}
            Flow::Reply(reply) => session.queue(reply),
            Flow::Suspend => session.join().await,
            Flow::Leave => {
                drop(session);
                close(&endpoint, &polling).await;
                return text_ok();
            }
        }
    }
    text_ok()
}

impl Polling {
    /// Waits until something is queued for the client, a ping is due, the session is to end
    /// (`Err` with the code) or to move to WebSocket (a `6`).
    async fn answer(&self) -> Result<String, u16> {
        loop {
            if self.stage.load(Ordering::Acquire) != POLLING {
                return Ok(packet::NOOP.into());
            }
            tokio::select! {
                _ = self.moving.notified() => return Ok(packet::NOOP.into()),
                ready = std::future::poll_fn(|cx| self.inbox.poll_ready(cx)) => ready?,
            }
            let mut packets: Vec<&str> = Vec::new();
            let ping = self.inbox.take_ping();
            if ping {
                if !self.answered.swap(false, Ordering::Relaxed) {
                    return Err(close_code::UNRESPONSIVE);
                }
                packets.push(packet::PING);
            }
            let queued: Vec<_> = std::iter::from_fn(|| self.inbox.pop()).take(BATCH).collect();
            packets.extend(queued.iter().map(|text| text.as_str()));
            if !packets.is_empty() {
                return Ok(packets.join(&packet::SEPARATOR.to_string()));
            }
        }
    }

    /// Moves the session to the WebSocket `socket`; false if the client did not complete the
    /// move (it goes on polling) or the session is moving or gone already.
    pub async fn move_to_websocket(&self, socket: &mut Socket, polls: &Polls) -> bool {
        if self.stage.compare_exchange(POLLING, MOVING, Ordering::AcqRel, Ordering::Acquire).is_err() {
            return false;
        }
        let moved = upgrade_handshake(socket, || self.moving.notify_one()).await;
        let stage = if moved { MOVED } else { POLLING };
        // A session closed meanwhile stays closed.
        let _ = self.stage.compare_exchange(MOVING, stage, Ordering::AcqRel, Ordering::Acquire);
        let moved = moved && self.stage.load(Ordering::Acquire) == MOVED;
        if moved {
            polls.remove(&self.sid);
        }
        moved
    }
}

/// Ends a long-polling session: out of the node's sessions, out of its room.
async fn close(endpoint: &Endpoint, polling: &Polling) {
    if polling.stage.swap(CLOSED, Ordering::AcqRel) == CLOSED {
        return;
    }
    endpoint.polls.remove(&polling.sid);
    polling.session.lock().await.leave().await;
    endpoint.state.hub.connection_closed();
}

/// Closes the sessions whose client stopped polling (two ping periods without a GET). Ends
/// with the endpoint.
async fn sweep(endpoint: Weak<Endpoint>) {
    loop {
        let Some(period) = endpoint.upgrade().map(|endpoint| endpoint.state.signal.ping_every) else { return };
        tokio::time::sleep(period).await;
        let Some(endpoint) = endpoint.upgrade() else { return };
        let sessions: Vec<Arc<Polling>> = endpoint.polls.lock().values().cloned().collect();
        for polling in sessions {
            let idle = polling.last_poll.lock().unwrap_or_else(PoisonError::into_inner).elapsed();
            let abandoned = polling.stage.load(Ordering::Acquire) == POLLING && !polling.waiting.load(Ordering::Acquire);
            if abandoned && idle > 2 * period {
                close(&endpoint, &polling).await;
            }
        }
    }
}

fn text(body: &str) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=UTF-8")], body.to_string()).into_response()
}

fn text_ok() -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/html")], "ok").into_response()
}
