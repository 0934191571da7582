//! veche's own signaling protocol: `GET /api/rooms/{room_id}/signal` (WebSocket).
//! The messages are documented in `mod.rs`.

use crate::error::ApiError;
use crate::signaling::access::RoomCaller;
use crate::signaling::connection::{ConnectionLimits, Flow, Session};
use crate::signaling::dialect::Dialect;
use crate::signaling::hub::{Delivery, Hub};
use crate::signaling::presence::{self, Entered, PeerInfo, Refusal, RoomConnection, RoomDialect};
use crate::signaling::protocol::{valid_peer_id, Relayed, SignalKind};
use crate::signaling::rate::TokenBucket;
use crate::signaling::upgrade::{Connection, Socket, WebSocketRequest};
use crate::signaling::SignalSettings;
use crate::state::AppState;
use application::room_access::RoomAccess;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::future::Future;
use std::sync::Arc;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Utf8Bytes;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(Debug, Deserialize, IntoParams)]
pub struct SignalQuery {
    /// The bearer token (user JWT or room pass); browsers cannot set headers on WebSockets.
    #[allow(dead_code)]
    access_token: Option<String>,
    /// The peer id to use: give the one from `welcome` again when reconnecting, to resume
    /// your place. A new one is made up when absent.
    peer_id: Option<String>,
}

/// Open a room's signaling WebSocket
///
/// Upgrades to a WebSocket speaking veche's signaling protocol (see the repository's
/// `api/src/signaling/mod.rs`: welcome, joined, left, signal, meeting, error, room-closed; close
/// codes 4001–4013). Open to the meeting's organizer and attendees, and room-pass holders.
#[utoipa::path(get, path = "/api/rooms/{room_id}/signal", tag = "rooms",
    params(("room_id" = uuid::Uuid, Path, description = "The meeting's room id"), SignalQuery),
    responses(
        (status = 101, description = "Switching to the WebSocket protocol"),
        (status = 400, body = crate::error::Problem), (status = 401, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 426, description = "Not a WebSocket handshake (RFC 6455 §4.2.1)", body = crate::error::Problem),
        (status = 503, body = crate::error::Problem)),
    security(("bearer" = [])))]
async fn signal(
    State(state): State<AppState>,
    RoomCaller(access): RoomCaller,
    Query(query): Query<SignalQuery>,
    request: WebSocketRequest,
) -> Result<Response, ApiError> {
    let peer_id = match query.peer_id {
        Some(id) if valid_peer_id(&id) => id,
        Some(_) => {
            return Err(ApiError::Malformed("peer_id: 1 to 64 letters, digits, '-' or '_'".into()));
        }
        None => uuid::Uuid::new_v4().simple().to_string(),
    };
    check_capacity(&state)?;
    let room = RoomConnection::new(state.presence.clone(), access, peer_id.into());
    Ok(request.accept(VecheConnection(room)))
}

/// A participant's connection in veche's protocol.
pub(crate) struct VecheConnection(RoomConnection);

impl Connection for VecheConnection {
    fn config(&self) -> WebSocketConfig {
        socket_config(&self.0.presence.signal)
    }

    fn serve<'a>(&'a mut self, socket: &'a mut Socket) -> impl Future<Output = ()> + Send + 'a {
        presence::serve::<VecheSession>(&mut self.0, socket)
    }
}

/// tungstenite's read buffer: what it keeps, and the most it asks for per read. Small reads
/// cost copies, not system calls (the listener's per-thread buffer serves them): 128 instead
/// of 256 bytes made no difference to CPU per relayed message and saved 0.13 KiB per idle
/// connection.
const READ_BUFFER: usize = 128;

/// Refuses a connection over the node's cap.
pub fn check_capacity(state: &AppState) -> Result<(), ApiError> {
    if state.hub.connections() >= state.signal.max_connections {
        return Err(ApiError::Unavailable(format!(
            "this node holds its maximum of {} signaling connections; try another node or later",
            state.signal.max_connections
        )));
    }
    Ok(())
}

/// A signaling socket's limits and buffers.
pub fn socket_config(signal: &SignalSettings) -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(signal.max_message_bytes))
        .max_frame_size(Some(signal.max_message_bytes))
        // A small read buffer keeps an idle connection cheap; it grows to a message's size
        // while one arrives, and the listener's per-thread buffer (`crate::listener`) still
        // takes a whole message in one system call.
        .read_buffer_size(READ_BUFFER)
        // Only tungstenite's own frames (pongs, the close) and the messages queued at a
        // server-side close go through its write buffer, written at once; everything else is
        // gathered per thread (`connection::GATHER`).
        .write_buffer_size(0)
        .max_write_buffer_size(signal.max_message_bytes * 4)
}

pub fn error_message(code: &str, message: &str) -> Utf8Bytes {
    serde_json::json!({ "type": "error", "code": code, "message": message }).to_string().into()
}

/// A message from a veche client.
#[derive(Deserialize)]
struct Incoming<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(default, borrow)]
    to: Option<Cow<'a, str>>,
    #[serde(default, rename = "kind")]
    signal: Option<SignalKind>,
    #[serde(default, borrow)]
    data: Option<&'a RawValue>,
    #[serde(default, borrow)]
    text: Option<Cow<'a, str>>,
    muted: Option<bool>,
    camera: Option<bool>,
    sharing: Option<bool>,
    hand: Option<bool>,
}

/// The longest chat message, in characters.
pub const CHAT_MAX_CHARS: usize = 2000;
/// A participant's chat: a message a second on average, five at once.
const CHAT_RATE: ConnectionLimits = ConnectionLimits { messages_per_second: 1, burst: 5 };

struct VecheSession {
    entered: Entered,
    /// Boxed: a connection keeps its session for its whole life, in its task.
    seat: Box<Seat>,
}

/// The participant's hub, name (for the chat) and chat rate.
struct Seat {
    hub: Arc<Hub>,
    name: Box<str>,
    chat: TokenBucket,
}

impl RoomDialect for VecheSession {
    const DIALECT: Dialect = Dialect::Veche;

    fn greeting(peer_id: &str, others: &[PeerInfo], resumed: bool, capacity: usize, access: &RoomAccess) -> Utf8Bytes {
        serde_json::json!({
            "type": "welcome",
            "peer_id": peer_id,
            "room_id": access.room_id,
            "meeting_id": access.meeting_id,
            "starts_at": access.starts_at,
            "ends_at": access.ends_at,
            "resumed": resumed,
            "capacity": capacity,
            "participants": others,
        })
        .to_string()
        .into()
    }

    fn refusal(refusal: &Refusal) -> Utf8Bytes {
        let (code, message) = refusal.describe();
        error_message(code, &message)
    }

    fn session(hub: Arc<Hub>, entered: Entered, access: &RoomAccess) -> Self {
        let seat = Box::new(Seat { hub, name: access.actor.name.as_str().into(), chat: TokenBucket::new(&CHAT_RATE) });
        Self { entered, seat }
    }

    fn entered(&self) -> &Entered {
        &self.entered
    }
}

impl Session for VecheSession {
    fn on_text(&mut self, text: &str) -> Flow {
        let incoming: Incoming<'_> = match serde_json::from_str(text) {
            Ok(incoming) => incoming,
            Err(e) => return Flow::Reply(error_message("malformed-message", &format!("not a veche message: {e}"))),
        };
        match incoming.kind.as_ref() {
            "signal" => {
                let (Some(to), Some(signal), Some(data)) = (incoming.to, incoming.signal, incoming.data) else {
                    return Flow::Reply(error_message("malformed-message", "a signal needs `to`, `kind` and `data`"));
                };
                if !matches!(signal, SignalKind::Offer | SignalKind::Answer | SignalKind::Candidate) {
                    return Flow::Reply(error_message("malformed-message", "`kind` is offer, answer or candidate"));
                }
                let Entered { room, peer_id } = &self.entered;
                if !valid_peer_id(&to) || *to == **peer_id {
                    return Flow::Reply(error_message("no-such-peer", "`to` must be another participant's peer id"));
                }
                let relayed = Relayed { kind: signal, from: peer_id, to: &to, payload: data };
                match self.seat.hub.relay(room, &relayed) {
                    Delivery::Local | Delivery::Remote => Flow::Continue,
                    Delivery::NoSuchPeer => {
                        Flow::Reply(error_message("no-such-peer", &format!("no participant {to} in this room")))
                    }
                }
            }
            "chat" => self.chat(incoming.text.as_deref()),
            "state" => match (incoming.muted, incoming.camera, incoming.sharing, incoming.hand) {
                (Some(muted), Some(camera), Some(sharing), Some(hand)) => {
                    let Entered { room, peer_id } = &self.entered;
                    let state = serde_json::json!({
                        "type": "state", "peer_id": peer_id, "muted": muted, "camera": camera, "sharing": sharing, "hand": hand,
                    });
                    self.seat.hub.set_state(room, peer_id, state.to_string().into());
                    Flow::Continue
                }
                _ => Flow::Reply(error_message(
                    "malformed-message",
                    "a state has `muted`, `camera`, `sharing` and `hand`, each true or false",
                )),
            },
            "leave" => Flow::Leave,
            "ping" => Flow::Reply(Utf8Bytes::from_static(r#"{"type":"pong"}"#)),
            other => Flow::Reply(error_message("unknown-type", &format!("unknown message type `{other}`"))),
        }
    }

    fn rate_limited(&self) -> Utf8Bytes {
        error_message("rate-limited", "too many messages; this one was dropped")
    }

    fn binary_refused(&self) -> Utf8Bytes {
        error_message("malformed-message", "messages are JSON text frames")
    }
}

impl VecheSession {
    /// A chat message to the room: text only (the clients render it as text), bounded.
    fn chat(&mut self, text: Option<&str>) -> Flow {
        let text = text.map(str::trim).unwrap_or_default();
        let printable = !text.chars().any(|c| c.is_control() && c != '\n' && c != '\t');
        if text.is_empty() || text.chars().count() > CHAT_MAX_CHARS || !printable {
            let rule = format!("a chat message is `text` of 1 to {CHAT_MAX_CHARS} characters, without control characters");
            return Flow::Reply(error_message("malformed-message", &rule));
        }
        if !self.seat.chat.take(&CHAT_RATE) {
            return Flow::Reply(error_message("rate-limited", "too many chat messages; wait a moment"));
        }
        let Entered { room, peer_id } = &self.entered;
        let said = serde_json::json!({
            "type": "chat", "from": peer_id, "name": &*self.seat.name, "text": text, "at": chrono::Utc::now(),
        });
        self.seat.hub.say(room, said.to_string().into());
        Flow::Continue
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(signal))
}
