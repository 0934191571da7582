//! The Socket.io endpoint (Socket.io v4 over Engine.IO 4, WebSocket and HTTP long-polling,
//! by socketioxide), speaking the original plan's events so that a frontend written for it
//! runs unchanged (`io(url)` and `VECHE_SOCKETIO_PATH`, `/socket.io` by default):
//!
//! | the client emits | the others in the room receive |
//! |---|---|
//! | `join-room(roomId, userId)` | `user-connected(userId)` |
//! | `offer(offer, roomId)` | `offer(offer, fromSocketId)` |
//! | `answer(answer, roomId)` | `answer(answer, fromSocketId)` |
//! | `ice-candidate(candidate, roomId)` | `ice-candidate(candidate, fromSocketId)` |
//! | (disconnects) | `user-disconnected(userId)` |
//!
//! A refused message gets `error({code, message})` back (`not-joined`, `already-joined`,
//! `not-in-room`, `malformed-message`, `rate-limited`, `unauthorized`, `room-not-found`, and
//! the refusals of entering: `room-full`, `too-many-seats`, `room-closed`); the hub ending the
//! connection sends `error` with its close code's reason, then disconnects.
//!
//! `VECHE_SOCKETIO=rooms` (default): a room id is a meeting's room id, entered with a token or
//! room pass given in the handshake (`io(url, {auth: {token}})`, or `?token=`), under the
//! rules of veche's own protocol: joins and leaves are Room events, the capacity and seats
//! hold. `open`: additionally, a client without a token names a room of its own (the room id
//! is the secret, as with the plan's server; an unknown id is a new room; nothing recorded).
//!
//! Each connection is a peer of the node's hub like any other: the hub's queue bound, the
//! rate limit of every connection, messages relayed only within the room and to the other
//! nodes through the same NATS relay.

use super::Dialect;
use crate::signaling::hub::Hub;
use crate::signaling::local_room::LocalRoom;
use crate::signaling::mailbox::{PeerHandle, PeerInbox};
use crate::signaling::presence::Entered;
use crate::signaling::protocol::{close_code, reason, Namespace};
use crate::signaling::rate::TokenBucket;
use crate::state::AppState;
use application::room_access::RoomAccess;
use domain::RoomId;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};
use socketioxide::extract::{SocketRef, TryData};
use socketioxide::layer::SocketIoLayer;
use socketioxide::SocketIo;
use std::sync::{Arc, Mutex, PoisonError};
use tokio_tungstenite::tungstenite::Utf8Bytes;

/// The events a Socket.io client may be sent.
const EVENTS: [&str; 5] = ["offer", "answer", "ice-candidate", "user-connected", "user-disconnected"];
/// The longest room id and user id a client may name.
const MAX_NAME: usize = 128;

/// The endpoint, unless `VECHE_SOCKETIO=off`.
pub fn layer(state: &AppState) -> Option<SocketIoLayer> {
    let settings = &state.settings.rooms;
    if settings.socketio == crate::settings::EndpointMode::Off {
        return None;
    }
    let max_bytes = state.signal.max_message_bytes;
    let (layer, io) = SocketIo::builder()
        .req_path(settings.socketio_path.clone())
        .max_payload(max_bytes as u64)
        .ws_max_message_size(max_bytes)
        .ws_max_frame_size(max_bytes)
        .max_buffer_size(settings.signal_queue.max(1))
        // A whole message still comes in one read of the listener's shared buffer; a
        // connection's own read buffer is kept for its whole life (4 KiB by default).
        .ws_read_buffer_size(256)
        .build_layer();
    let state = state.clone();
    io.ns("/", move |socket: SocketRef, TryData(auth): TryData<Handshake>| {
        let session = Arc::new(Session::new(state.clone(), token_of(&socket, auth.ok())));
        on_connect(socket, session);
        async {}
    });
    Some(layer)
}

/// The handshake's `auth` payload.
#[derive(Debug, Default, Deserialize)]
struct Handshake {
    token: Option<String>,
}

/// The token in the handshake's `auth`, or in the query (`?token=`, `?access_token=`).
fn token_of(socket: &SocketRef, auth: Option<Handshake>) -> Option<String> {
    auth.and_then(|auth| auth.token).or_else(|| {
        let query = socket.req_parts().uri.query()?;
        query.split('&').find_map(|pair| {
            let (name, value) = pair.split_once('=')?;
            matches!(name, "token" | "access_token").then(|| value.to_string())
        })
    })
}

/// One connection, as its handlers share it.
struct Session {
    state: AppState,
    token: Option<String>,
    joined: Mutex<Option<Joined>>,
    /// While a join is under way: the messages that came after it, relayed once it is done,
    /// in order (a client may send an offer right after its join, as the plan's server allows).
    pending: Mutex<Option<Vec<Held>>>,
    rate: Mutex<TokenBucket>,
}

/// A signaling message held until the join before it is done: its event, payload, room id.
type Held = (&'static str, Box<RawValue>, String);

/// The most messages held behind a join.
const MAX_HELD: usize = 64;

/// Where a connection is once it has joined.
struct Joined {
    namespace: Namespace,
    /// The room id as the client named it.
    room_key: String,
    user_id: String,
    peer_id: Arc<str>,
    room: Arc<LocalRoom>,
    handle: PeerHandle,
    /// In a meeting's room: who entered, for their `Leave`.
    access: Option<(RoomAccess, Entered)>,
}

impl Session {
    fn new(state: AppState, token: Option<String>) -> Self {
        let rate = Mutex::new(TokenBucket::new(&state.signal.limits));
        Self { state, token, joined: Mutex::new(None), pending: Mutex::new(None), rate }
    }

    fn hub(&self) -> &Arc<Hub> {
        &self.state.hub
    }

    fn joined(&self) -> std::sync::MutexGuard<'_, Option<Joined>> {
        self.joined.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, Option<Vec<Held>>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn within_rate(&self) -> bool {
        self.rate.lock().unwrap_or_else(PoisonError::into_inner).take(&self.state.signal.limits)
    }
}

fn on_connect(socket: SocketRef, session: Arc<Session>) {
    let joining = session.clone();
    socket.on("join-room", move |socket: SocketRef, TryData(args): TryData<(String, String)>| {
        let session = joining.clone();
        // Before the join's future runs (socketioxide spawns it): what comes next waits for it.
        let first = session.joined().is_none() && {
            let mut pending = session.pending();
            pending.is_none() && pending.insert(Vec::new()).is_empty()
        };
        async move {
            if first {
                join(&session, &socket, args.ok()).await;
                release_held(&session, &socket);
            } else {
                refuse(&socket, "already-joined", "this connection is in a room, or joining one, already");
            }
        }
    });
    for event in ["offer", "answer", "ice-candidate"] {
        let relaying = session.clone();
        // Relayed in the handler itself, not in the future it returns: socketioxide spawns
        // each message's future as a task of its own, which would reorder a client's messages.
        socket.on(event, move |socket: SocketRef, TryData(args): TryData<(Box<RawValue>, String)>| {
            relay(&relaying, &socket, event, args.ok());
            std::future::ready(())
        });
    }
    socket.on_disconnect(move || {
        let session = session.clone();
        async move { leave(&session).await }
    });
}

/// Tells the client why its message was refused.
fn refuse(socket: &SocketRef, code: &str, message: &str) {
    let _ = socket.emit("error", &json!({ "code": code, "message": message }));
}

/// A room id or user id a client may use: short, printable.
fn valid_name(name: &str) -> bool {
    (1..=MAX_NAME).contains(&name.chars().count()) && !name.chars().any(char::is_control)
}

async fn join(session: &Session, socket: &SocketRef, args: Option<(String, String)>) {
    if !session.within_rate() {
        return refuse(socket, "rate-limited", "too many messages; slow down");
    }
    let Some((room_key, user_id)) = args.filter(|(room, user)| valid_name(room) && valid_name(user)) else {
        return refuse(socket, "malformed-message", "join-room takes a room id and a user id (1–128 characters)");
    };
    let peer_id: Arc<str> = socket.id.to_string().into();
    let hub = session.hub();
    let (handle, inbox) = hub.open_connection(Dialect::SocketIo, None);
    let open = session.state.settings.rooms.socketio == crate::settings::EndpointMode::Open;
    let (namespace, room, access) = match (&session.token, open) {
        (None, true) => {
            let namespace = Namespace::SocketIo(room_key.as_str().into());
            let (room, _) = hub.attach(&namespace, peer_id.clone(), handle.clone());
            hub.remote_ready().await;
            (namespace, room, None)
        }
        (None, false) => {
            hub.connection_closed();
            return refuse(socket, "unauthorized", "give a token or room pass in the handshake's auth");
        }
        (Some(token), _) => match enter(session, &room_key, token, peer_id.clone(), handle.clone()).await {
            Ok((access, entered)) => (Namespace::Room(access.room_id), entered.room.clone(), Some((access, entered))),
            Err((code, message)) => {
                hub.connection_closed();
                return refuse(socket, code, &message);
            }
        },
    };
    hub.broadcast(&namespace, Dialect::SocketIo, Some(&peer_id), frame("user-connected", &[json!(user_id)]));
    tokio::spawn(forward(socket.clone(), inbox));
    *session.joined() = Some(Joined { namespace, room_key, user_id, peer_id, room, handle, access });
}

/// Enters a meeting's room under veche's rules: the token must open it, the join is a Room
/// event.
async fn enter(
    session: &Session,
    room_key: &str,
    token: &str,
    peer_id: Arc<str>,
    handle: PeerHandle,
) -> Result<(RoomAccess, Entered), (&'static str, String)> {
    let room_id: RoomId = room_key.parse().map_err(|_| ("room-not-found", "no such room".to_string()))?;
    let access = crate::signaling::access::authorize(&session.state, room_id, token).await.map_err(|error| {
        let code = if error.status() == axum::http::StatusCode::NOT_FOUND { "room-not-found" } else { "unauthorized" };
        (code, error.to_string())
    })?;
    // The plan's clients are not greeted: its protocol has no such event.
    let entered = session
        .state
        .presence
        .enter(&access, peer_id, handle, |_, _| Utf8Bytes::default())
        .await
        .map_err(|refusal| refusal.describe())?;
    Ok((access, entered))
}

fn relay(session: &Session, socket: &SocketRef, event: &'static str, args: Option<(Box<RawValue>, String)>) {
    if !session.within_rate() {
        return refuse(socket, "rate-limited", "too many messages; slow down");
    }
    let Some((payload, room_key)) = args else {
        return refuse(socket, "malformed-message", &format!("{event} takes a payload and the room id"));
    };
    if let Some(held) = session.pending().as_mut() {
        if held.len() >= MAX_HELD {
            return refuse(socket, "rate-limited", "too many messages before the join is done");
        }
        held.push((event, payload, room_key));
        return;
    }
    relay_now(session, socket, event, &payload, room_key);
}

/// Relays what came while the join was under way, in order, then lets messages through.
fn release_held(session: &Session, socket: &SocketRef) {
    loop {
        let held = {
            let mut pending = session.pending();
            match pending.as_mut().map(std::mem::take) {
                Some(held) if !held.is_empty() => held,
                _ => {
                    *pending = None;
                    return;
                }
            }
        };
        for (event, payload, room_key) in held {
            relay_now(session, socket, event, &payload, room_key);
        }
    }
}

fn relay_now(session: &Session, socket: &SocketRef, event: &'static str, payload: &RawValue, room_key: String) {
    let joined = session.joined();
    let Some(joined) = joined.as_ref() else {
        return refuse(socket, "not-joined", "join a room first (join-room)");
    };
    if joined.room_key != room_key {
        return refuse(socket, "not-in-room", "this connection is not in that room");
    }
    let from = socket.id.to_string();
    // The payload goes on as the client wrote it.
    let text = [event, "\n[", payload.get(), ",\"", &from, "\"]"].concat();
    session.hub().broadcast(&joined.namespace, Dialect::SocketIo, Some(&from), text.into());
}

async fn leave(session: &Session) {
    let Some(joined) = session.joined().take() else { return };
    let hub = session.hub();
    // Ends the forwarding task (its inbox), whatever the hub had queued.
    joined.handle.disconnect(close_code::GOING_AWAY);
    if hub.detach(&joined.room, &joined.peer_id, joined.handle.connection()) {
        hub.broadcast(&joined.namespace, Dialect::SocketIo, None, frame("user-disconnected", &[json!(joined.user_id)]));
        if let Some((access, entered)) = &joined.access {
            session.state.presence.record_leave(&access.actor, entered).await;
        }
    }
    hub.connection_closed();
}

/// Emits what the hub queues for the connection until it ends; the hub ending it (a slow
/// consumer, the room closed, the attendee removed, the token expired) is told and let go.
async fn forward(socket: SocketRef, inbox: PeerInbox) {
    loop {
        match std::future::poll_fn(|cx| inbox.poll_ready(cx)).await {
            Ok(()) => {
                // Engine.IO keeps the connection alive with pings of its own.
                inbox.take_ping();
                while let Some(text) = inbox.pop() {
                    // Socket.io's own queue is full: a client that reads too slowly is let go,
                    // as the hub does, rather than lose a message it would wait for.
                    if !emit(&socket, &text) {
                        let code = close_code::SLOW_CONSUMER;
                        let _ = socket.emit("error", &json!({ "code": code, "message": reason(code) }));
                        let _ = socket.clone().disconnect();
                        return;
                    }
                }
            }
            Err(close_code::GOING_AWAY) => return,
            Err(code) => {
                let _ = socket.emit("error", &json!({ "code": code, "message": reason(code) }));
                let _ = socket.disconnect();
                return;
            }
        }
    }
}

/// An event as the hub carries it: its name, a newline, its arguments as a JSON array
/// (rendered once for every recipient, on every node).
fn frame(event: &str, args: &[Value]) -> Utf8Bytes {
    format!("{event}\n{}", Value::Array(args.to_vec())).into()
}

/// Whether a frame from another node is one of the plan's events with one or two arguments.
pub fn well_formed(text: &str) -> bool {
    text.split_once('\n').is_some_and(|(event, args)| {
        EVENTS.contains(&event) && serde_json::from_str::<Vec<Value>>(args).is_ok_and(|args| (1..=2).contains(&args.len()))
    })
}

/// Emits a frame the hub queued; false when Socket.io's own queue for the client is full.
/// (A greeting, empty, and anything not a frame are passed over.)
fn emit(socket: &SocketRef, text: &str) -> bool {
    let Some((event, args)) = text.split_once('\n') else { return true };
    let Ok(args) = serde_json::from_str::<Vec<Box<RawValue>>>(args) else { return true };
    let event = event.to_string();
    let sent = match args.as_slice() {
        [one] => socket.emit(event, one),
        [one, two] => socket.emit(event, &(one, two)),
        _ => return true,
    };
    !matches!(sent, Err(socketioxide::SendError::Socket(socketioxide::SocketError::InternalChannelFull)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_carries_the_plans_event_and_its_arguments_and_nothing_else_passes() {
        let offer = frame("offer", &[json!({"sdp": "v=0\r\n"}), json!("socket-1")]);
        assert!(well_formed(&offer));
        assert!(well_formed(&frame("user-connected", &[json!("ann")])));
        assert!(!well_formed("offer\n{\"not\":\"an array\"}"));
        assert!(!well_formed(&frame("connect", &[json!("x")])), "only the plan's events");
        assert!(!well_formed(&frame("offer", &[])), "an event has arguments");
        assert!(!well_formed("no newline"));
    }
}
