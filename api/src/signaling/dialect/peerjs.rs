//! The PeerJS server protocol (the `peer` npm package's), so that a frontend written with
//! the PeerJS client library connects to veche unchanged:
//!
//! - `GET <path><key>/id` → a fresh peer id (text/plain); `GET <path>` → server info.
//! - WebSocket `<path>peerjs?key=&id=&token=`: the server sends `{"type":"OPEN"}`; the
//!   client sends `HEARTBEAT`, and `OFFER` / `ANSWER` / `CANDIDATE` / `LEAVE` / `EXPIRE` with
//!   `dst` and `payload`, which the recipient gets with `src` added. An id held by another
//!   client (another `token`) gets `ID-TAKEN`; bad parameters get `ERROR`; a message to an
//!   unknown peer gets `EXPIRE` back.
//!
//! Two ways in (`VECHE_PEERJS`):
//! - `rooms` (default): the `key` is a room pass (`POST /api/rooms/{id}/pass`). The peer is
//!   a participant of that meeting's room under the same rules as veche's own protocol
//!   (Join / Leave / Expire on the Room aggregate, capacity, closed rooms), and reaches only
//!   peers of that room.
//! - `open`: additionally, the configured `VECHE_PEERJS_KEY` (default `peerjs`) is accepted
//!   as the stock server does: no account, one namespace per key, nothing recorded. For
//!   drop-in use behind a trusted network, and for the benchmark against the stock server.

use crate::settings::EndpointMode;
use crate::signaling::access;
use crate::signaling::connection::{self, Flow, Session};
use crate::signaling::dialect::Dialect;
use crate::signaling::hub::{Delivery, Hub};
use crate::signaling::mailbox::PeerInbox;
use crate::signaling::presence::{self, Entered, PeerInfo, Refusal, RoomConnection, RoomDialect};
use crate::signaling::protocol::{close_code, peerjs_namespace, valid_peer_id, Relayed, SignalKind};
use crate::signaling::upgrade::{Connection, Socket, WebSocketRequest};
use crate::signaling::SignalSettings;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures::SinkExt;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::future::Future;
use std::sync::Arc;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

#[derive(Debug, Deserialize)]
struct ConnectQuery {
    key: Option<String>,
    id: Option<String>,
    token: Option<String>,
}

/// The routes under the configured path (which starts and ends with `/`).
pub fn router(path: &str) -> Router<AppState> {
    Router::new()
        .route(&format!("{path}peerjs"), get(connect))
        .route(&format!("{path}{{key}}/id"), get(new_id))
        .route(&format!("{path}{{key}}/peers"), get(peers))
}

/// Info at the root, as the stock server gives it (only where the path is not `/`, which is
/// the web client's).
pub fn info_route(path: &str) -> Router<AppState> {
    Router::new().route(
        path,
        get(|| async {
            axum::Json(serde_json::json!({
                "name": "veche",
                "description": "veche's PeerJS-compatible signaling endpoint",
                "website": "https://peerjs.com/"
            }))
        }),
    )
}

async fn new_id() -> impl IntoResponse {
    ([(axum::http::header::CONTENT_TYPE, "text/plain")], uuid::Uuid::new_v4().to_string())
}

async fn peers() -> Response {
    // Discovery would list who is connected; the stock server refuses it by default too.
    (axum::http::StatusCode::UNAUTHORIZED, "peer discovery is disabled").into_response()
}

fn server_message(kind: &str, msg: &str) -> Utf8Bytes {
    serde_json::json!({ "type": kind, "payload": { "msg": msg } }).to_string().into()
}

/// Who the connecting client is, once its parameters are checked.
enum Entry {
    /// Open mode: in the stock server's namespace of the key.
    Open(OpenPeer),
    /// A room pass as the key. Boxed: an open-mode connection keeps its `Entry` for its
    /// whole life, and would otherwise carry this variant's size.
    Room(Box<RoomConnection>),
}

async fn connect(State(state): State<AppState>, Query(query): Query<ConnectQuery>, request: WebSocketRequest) -> Response {
    if let Err(error) = crate::signaling::dialect::veche::check_capacity(&state) {
        return error.into_response();
    }
    let signal = state.signal.clone();
    // Boxed: the connection's task keeps them for its whole life, and they are only needed
    // until the client is let in.
    request.accept(PeerJsConnection { arguments: Some(Box::new((state, query))), signal })
}

/// A PeerJS client's connection, before and after its parameters are checked.
pub(crate) struct PeerJsConnection {
    arguments: Option<Box<(AppState, ConnectQuery)>>,
    signal: Arc<SignalSettings>,
}

impl Connection for PeerJsConnection {
    fn config(&self) -> WebSocketConfig {
        crate::signaling::dialect::veche::socket_config(&self.signal)
    }

    /// Not an `async fn`, which would keep a second copy of its arguments.
    #[allow(clippy::manual_async_fn)]
    fn serve<'a>(&'a mut self, socket: &'a mut Socket) -> impl Future<Output = ()> + Send + 'a {
        async move {
            let Some(arguments) = self.arguments.take() else { return };
            // Checking the client may take large futures (a database lookup): boxed, so that
            // they are gone while the connection runs. The entry is used where the match keeps
            // it (`ref`): moved out of it, it would be kept twice.
            match Box::pin(admit(socket, arguments)).await {
                Some(Entry::Open(ref mut peer)) => {
                    let ending = connection::run(socket, &peer.inbox, &mut peer.session, &self.signal.limits).await;
                    // Boxed, so that `ending` is not kept in every connection's task while it runs.
                    Box::pin(peer.end(socket, ending)).await;
                }
                // Boxed, so that open-mode connections do not carry its future's size.
                Some(Entry::Room(ref mut room)) => Box::pin(presence::serve::<PeerJsSession>(room, socket)).await,
                None => {}
            }
        }
    }
}

/// Checks the client's parameters (key, id, token) and tells a refused client why.
async fn admit(socket: &mut Socket, arguments: Box<(AppState, ConnectQuery)>) -> Option<Entry> {
    let (state, query) = *arguments;
    let (Some(key), Some(id), Some(token)) = (query.key, query.id, query.token) else {
        reject(socket, "ERROR", "No id, token, or key supplied to websocket server").await;
        return None;
    };
    if !valid_peer_id(&id) || token.is_empty() || token.len() > 128 {
        reject(socket, "ERROR", "Invalid id or token: 1 to 64 letters, digits, '-' or '_'").await;
        return None;
    }
    if state.signal.peerjs == EndpointMode::Open && key == state.signal.peerjs_key {
        let namespace = peerjs_namespace(&key);
        let token: Arc<str> = token.into();
        if state
            .hub
            .room(&namespace)
            .and_then(|room| room.get(&id))
            .is_some_and(|existing| existing.owner.as_ref() != Some(&token))
        {
            reject(socket, "ID-TAKEN", "ID is taken").await;
            return None;
        }
        let peer = OpenPeer::enter(&state.hub, &namespace, id.into(), token);
        state.hub.remote_ready().await;
        return Some(Entry::Open(peer));
    }
    match room_of_pass(&state, &key).await {
        Some(access) => Some(Entry::Room(Box::new(RoomConnection::new(state.presence.clone(), access, id.into())))),
        None => {
            reject(socket, "ERROR", "Invalid key provided").await;
            None
        }
    }
}

/// A key that is a room pass (or a user token with a `room` claim) → the room's access.
async fn room_of_pass(state: &AppState, key: &str) -> Option<application::room_access::RoomAccess> {
    let claims = state.jwt.verify(key).ok()?;
    let room = domain::RoomId(claims.room?);
    access::authorize(state, room, key).await.ok()
}

async fn reject(socket: &mut Socket, kind: &str, msg: &str) {
    let _ = socket.send(Message::Text(server_message(kind, msg))).await;
    let refused = CloseFrame { code: 1008.into(), reason: Utf8Bytes::from_static("refused") };
    let _ = socket.send(Message::Close(Some(refused))).await;
}

/// A client in open mode's namespace (the stock server's behaviour: one namespace per key;
/// the `token` tells a reconnect of the same client, which takes the id over, from another
/// client, which gets `ID-TAKEN`: see [`admit`]).
struct OpenPeer {
    session: PeerJsSession,
    inbox: PeerInbox,
}

impl OpenPeer {
    /// Puts the peer into its namespace (taking the id over from an older connection of the
    /// same client) with `OPEN` queued.
    fn enter(hub: &Arc<Hub>, namespace: &crate::signaling::protocol::Namespace, id: Arc<str>, token: Arc<str>) -> Self {
        let (handle, inbox) = hub.open_connection(Dialect::PeerJs, Some(token));
        handle.push(Utf8Bytes::from_static(OPEN));
        let (room, replaced) = hub.attach(namespace, id.clone(), handle);
        if let Some(older) = replaced {
            older.disconnect(close_code::REPLACED);
        }
        Self { session: PeerJsSession { hub: hub.clone(), entered: Entered { room, peer_id: id } }, inbox }
    }

    /// After the connection ran: the server's goodbye if it ended the connection, then out
    /// of the namespace.
    async fn end(&mut self, socket: &mut Socket, ending: connection::Ending) {
        connection::finish(socket, &self.inbox, ending).await;
        let (hub, entered) = (&self.session.hub, &self.session.entered);
        hub.detach(&entered.room, &entered.peer_id, self.inbox.connection());
        hub.connection_closed();
    }
}

const OPEN: &str = r#"{"type":"OPEN"}"#;

/// A room pass as the key: a participant of the meeting's room like any other.
impl RoomDialect for PeerJsSession {
    const DIALECT: Dialect = Dialect::PeerJs;

    fn greeting(_: &str, _: &[PeerInfo], _: bool, _: usize, _: &application::room_access::RoomAccess) -> Utf8Bytes {
        Utf8Bytes::from_static(OPEN)
    }

    fn refusal(refusal: &Refusal) -> Utf8Bytes {
        match refusal {
            Refusal::PeerIdTaken => server_message("ID-TAKEN", "ID is taken"),
            other => server_message("ERROR", &other.describe().1),
        }
    }

    fn session(hub: Arc<Hub>, entered: Entered, _: &application::room_access::RoomAccess) -> Self {
        Self { hub, entered }
    }

    fn entered(&self) -> &Entered {
        &self.entered
    }
}

#[derive(Deserialize)]
struct Incoming<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(default, borrow)]
    dst: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    payload: Option<&'a RawValue>,
}

struct PeerJsSession {
    hub: Arc<Hub>,
    entered: Entered,
}

/// The payload relayed for a message without one: borrowed from a constant, as building an
/// owned one allocated on every relayed message.
fn no_payload() -> &'static RawValue {
    serde_json::from_str("null").expect("null is JSON")
}

impl Session for PeerJsSession {
    fn on_text(&mut self, text: &str) -> Flow {
        let Ok(incoming) = serde_json::from_str::<Incoming<'_>>(text) else {
            return Flow::Reply(server_message("ERROR", "Invalid message"));
        };
        if incoming.kind == "HEARTBEAT" {
            return Flow::Continue;
        }
        let Some(kind) = SignalKind::from_peerjs(&incoming.kind) else {
            return Flow::Reply(server_message("ERROR", &format!("Message unrecognized: {}", incoming.kind)));
        };
        let Some(dst) = incoming.dst.filter(|dst| valid_peer_id(dst)) else {
            return Flow::Reply(server_message("ERROR", "Message has no valid dst"));
        };
        let payload = incoming.payload.unwrap_or_else(|| no_payload());
        let Entered { room, peer_id } = &self.entered;
        let relayed = Relayed { kind, from: peer_id, to: &dst, payload };
        match self.hub.relay(room, &relayed) {
            Delivery::Local | Delivery::Remote => Flow::Continue,
            // The stock server answers an unreachable peer with EXPIRE from that peer, which
            // the client library reports as "peer-unavailable"; LEAVE and EXPIRE are not
            // answered.
            Delivery::NoSuchPeer if matches!(kind, SignalKind::Leave | SignalKind::Expire) => Flow::Continue,
            Delivery::NoSuchPeer => {
                Flow::Reply(serde_json::json!({ "type": "EXPIRE", "src": dst, "dst": peer_id }).to_string().into())
            }
        }
    }

    fn rate_limited(&self) -> Utf8Bytes {
        server_message("ERROR", "Rate limit exceeded; message dropped")
    }

    fn binary_refused(&self) -> Utf8Bytes {
        server_message("ERROR", "Invalid message")
    }
}
