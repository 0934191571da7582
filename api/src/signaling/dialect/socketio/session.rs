//! One Socket.io client's conversation, whatever its transport: entering the default
//! namespace, `join-room`, relaying the plan's events within the room, leaving.

use super::packet::{self, Engine, Socket};
use super::Endpoint;
use crate::signaling::connection::{Flow, Session};
use crate::signaling::dialect::Dialect;
use crate::signaling::hub::Announcement;
use crate::signaling::local_room::LocalRoom;
use crate::signaling::mailbox::PeerHandle;
use crate::signaling::presence::Entered;
use crate::signaling::protocol::{close_code, reason, Namespace};
use application::room_access::RoomAccess;
use domain::RoomId;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::sync::Arc;
use tokio_tungstenite::tungstenite::Utf8Bytes;

/// The longest room id and user id a client may name.
const MAX_NAME: usize = 128;

/// The events a Socket.io client may be sent by another node.
const EVENTS: [&str; 5] = ["offer", "answer", "ice-candidate", "user-connected", "user-disconnected"];

pub struct SocketIoSession {
    endpoint: Arc<Endpoint>,
    /// The socket's id, which the others see as the sender of its messages; its peer id.
    id: Arc<str>,
    /// The hub's end of this connection's queue, put in a room at the join.
    handle: PeerHandle,
    /// A token or room pass from the query; the handshake's `auth` may bring one instead.
    token: Option<Box<str>>,
    /// In the default namespace (after its `40`).
    connected: bool,
    /// A `join-room` the transport is to carry out ([`SocketIoSession::join`]).
    joining: Option<Box<(String, String)>>,
    joined: Option<Box<Joined>>,
}

/// Where a connection is once it has joined.
struct Joined {
    namespace: Namespace,
    /// The room id as the client named it.
    room_key: Box<str>,
    user_id: Box<str>,
    room: Arc<LocalRoom>,
    /// In a meeting's room: who entered, for their `Leave`.
    access: Option<(RoomAccess, Entered)>,
}

/// The handshake's `auth` payload.
#[derive(Debug, Default, Deserialize)]
struct Handshake {
    token: Option<Box<str>>,
}

impl SocketIoSession {
    pub fn new(endpoint: Arc<Endpoint>, handle: PeerHandle, token: Option<Box<str>>) -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string().into();
        Self { endpoint, id, handle, token, connected: false, joining: None, joined: None }
    }

    /// The client's packet; a `Suspend` asks the transport to [`SocketIoSession::join`]
    /// before reading on.
    pub fn on_packet(&mut self, text: &str) -> Flow {
        match packet::engine(text) {
            Some(Engine::Message(message)) => self.on_message(message),
            Some(Engine::Close) => Flow::Leave,
            Some(Engine::Pong(_) | Engine::Noop) => Flow::Continue,
            _ => refuse("malformed-message", "not an Engine.IO packet a client sends"),
        }
    }

    fn on_message(&mut self, text: &str) -> Flow {
        match packet::socket(text) {
            Some(Socket::Connect { namespace: "/", auth }) => {
                if let Some(token) = auth.and_then(|auth| serde_json::from_str::<Handshake>(auth).ok()?.token) {
                    self.token = Some(token);
                }
                self.connected = true;
                Flow::Reply(packet::connected(&self.id))
            }
            Some(Socket::Connect { namespace, .. }) => Flow::Reply(packet::invalid_namespace(namespace)),
            Some(Socket::Disconnect { namespace: "/" }) => Flow::Leave,
            Some(Socket::Event { namespace: "/", args }) if self.connected => self.on_event(args),
            // As a Socket.io server does: nothing in a namespace the client is not in.
            Some(Socket::Disconnect { .. } | Socket::Event { .. }) => Flow::Continue,
            Some(Socket::Unsupported) => refuse("malformed-message", "acknowledgements and binary data are not taken"),
            None => refuse("malformed-message", "not a Socket.IO packet"),
        }
    }

    fn on_event(&mut self, args: &str) -> Flow {
        let Some((name, args)) = packet::event(args) else {
            return refuse("malformed-message", "an event is a JSON array with its name first");
        };
        match name.as_str() {
            "join-room" => self.ask_to_join(&args),
            "offer" | "answer" | "ice-candidate" => self.relay(&name, &args),
            _ => refuse("malformed-message", "events: join-room, offer, answer, ice-candidate"),
        }
    }

    fn ask_to_join(&mut self, args: &[&RawValue]) -> Flow {
        if self.joined.is_some() {
            return refuse("already-joined", "this connection is in a room already");
        }
        let name = |arg: Option<&&RawValue>| arg.and_then(|arg| serde_json::from_str::<String>(arg.get()).ok());
        match (name(args.first()), name(args.get(1))) {
            (Some(room), Some(user)) if args.len() == 2 && valid_name(&room) && valid_name(&user) => {
                self.joining = Some(Box::new((room, user)));
                Flow::Suspend
            }
            _ => refuse("malformed-message", "join-room takes a room id and a user id (1–128 characters)"),
        }
    }

    fn relay(&self, event: &str, args: &[&RawValue]) -> Flow {
        let [payload, room] = args else {
            return refuse("malformed-message", &format!("{event} takes a payload and the room id"));
        };
        let Some(joined) = &self.joined else {
            return refuse("not-joined", "join a room first (join-room)");
        };
        if serde_json::from_str::<&str>(room.get()).map_or(true, |room| room != &*joined.room_key) {
            return refuse("not-in-room", "this connection is not in that room");
        }
        // The payload goes on as the client wrote it, with the sender (an id of hex digits).
        let text = packet::event_frame(event, &[payload.get(), ",\"", &self.id, "\""].concat());
        self.endpoint.state.hub.broadcast(&joined.namespace, Dialect::SocketIo, Some(&self.id), text);
        Flow::Continue
    }

    /// Carries out the `join-room` the last packet asked for: the room the client names in
    /// open mode, a meeting's room under veche's rules with a token. What the client is to
    /// be told is queued for it.
    pub async fn join(&mut self) {
        let Some(joining) = self.joining.take() else { return };
        let (room_key, user_id) = *joining;
        let state = &self.endpoint.state;
        let hub = &state.hub;
        // The others already in the room hear of the newcomer as it enters, in the same step.
        let user = serde_json::Value::from(user_id.as_str()).to_string();
        let announcement = Announcement { dialect: Dialect::SocketIo, text: packet::event_frame("user-connected", &user) };
        let (namespace, room, access) = match self.token.as_deref() {
            None if self.endpoint.open => {
                let namespace = Namespace::SocketIo(room_key.as_str().into());
                let (room, _) = hub.attach_announced(&namespace, self.id.clone(), self.handle.clone(), Some(&announcement));
                hub.remote_ready().await;
                hub.broadcast_to_other_nodes(&namespace, Dialect::SocketIo, Some(&self.id), &announcement.text);
                (namespace, room, None)
            }
            None => return self.tell("unauthorized", "give a token or room pass in the handshake's auth"),
            Some(token) => match self.enter(&room_key, token, announcement).await {
                Ok((access, entered)) => (Namespace::Room(access.room_id), entered.room.clone(), Some((access, entered))),
                Err((code, message)) => return self.tell(code, &message),
            },
        };
        self.joined = Some(Box::new(Joined { namespace, room_key: room_key.into(), user_id: user_id.into(), room, access }));
    }

    /// Enters a meeting's room: the token must open it, the join is a Room event.
    async fn enter(
        &self,
        room_key: &str,
        token: &str,
        announcement: Announcement,
    ) -> Result<(RoomAccess, Entered), (&'static str, String)> {
        let state = &self.endpoint.state;
        let room_id: RoomId = room_key.parse().map_err(|_| ("room-not-found", "no such room".to_string()))?;
        let access = crate::signaling::access::authorize(state, room_id, token).await.map_err(|error| {
            let code = if error.status() == axum::http::StatusCode::NOT_FOUND { "room-not-found" } else { "unauthorized" };
            (code, error.to_string())
        })?;
        // The plan's clients are not greeted: its protocol has no such event.
        let entered = state
            .presence
            .enter(&access, self.id.clone(), self.handle.clone(), |_, _| None, Some(announcement))
            .await
            .map_err(|refusal| refusal.describe())?;
        Ok((access, entered))
    }

    fn tell(&self, code: &str, message: &str) {
        self.queue(packet::error_frame(code, message));
    }

    /// Queues a frame for the client, after what is queued already.
    pub fn queue(&self, text: Utf8Bytes) {
        self.handle.push(text);
    }

    /// The connection ended: out of the room, the others told, a meeting's room told who
    /// left. Whatever is still queued for the client is let go.
    pub async fn leave(&mut self) {
        self.handle.disconnect(close_code::GOING_AWAY);
        let Some(joined) = self.joined.take() else { return };
        let state = &self.endpoint.state;
        if state.hub.detach(&joined.room, &self.id, self.handle.connection()) {
            let user = serde_json::Value::from(&*joined.user_id).to_string();
            state.hub.broadcast(&joined.namespace, Dialect::SocketIo, None, packet::event_frame("user-disconnected", &user));
            if let Some((access, entered)) = &joined.access {
                state.presence.record_leave(&access.actor, entered).await;
            }
        }
    }
}

impl Session for SocketIoSession {
    fn on_text(&mut self, text: &str) -> Flow {
        self.on_packet(text)
    }

    fn rate_limited(&self) -> Utf8Bytes {
        packet::error_frame("rate-limited", "too many messages; slow down")
    }

    fn binary_refused(&self) -> Utf8Bytes {
        packet::error_frame("malformed-message", "binary data is not taken")
    }

    fn ping(&self) -> Option<Utf8Bytes> {
        Some(Utf8Bytes::from_static(packet::PING))
    }
}

fn refuse(code: &str, message: &str) -> Flow {
    Flow::Reply(packet::error_frame(code, message))
}

/// The `error` event telling a client why the server ends its connection.
pub fn ending_frame(code: u16) -> Utf8Bytes {
    packet::error_frame(&code.to_string(), reason(code))
}

/// A room id or user id a client may use: short, printable.
fn valid_name(name: &str) -> bool {
    (1..=MAX_NAME).contains(&name.chars().count()) && !name.chars().any(char::is_control)
}

/// Whether a frame from another node is one of the plan's events with one or two arguments.
pub fn well_formed(text: &str) -> bool {
    text.strip_prefix("42")
        .and_then(packet::event)
        .is_some_and(|(name, args)| EVENTS.contains(&name.as_str()) && (1..=2).contains(&args.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_plans_events_with_their_arguments_pass_between_nodes() {
        assert!(well_formed(&packet::event_frame("offer", r#"{"sdp":"v=0\r\n"},"socket-1""#)));
        assert!(well_formed(&packet::event_frame("user-connected", r#""ann""#)));
        assert!(!well_formed(r#"42{"not":"an array"}"#));
        assert!(!well_formed(&packet::event_frame("connect", r#""x""#)), "only the plan's events");
        assert!(!well_formed(r#"42["offer"]"#), "an event has arguments");
        assert!(!well_formed(r#"2["offer",1]"#), "an event packet");
    }

    #[test]
    fn names_are_short_and_printable() {
        assert!(valid_name("room-1"));
        assert!(valid_name("комната"));
        assert!(!valid_name(""));
        assert!(!valid_name("a\nb"));
        assert!(!valid_name(&"x".repeat(MAX_NAME + 1)));
    }
}
