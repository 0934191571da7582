//! The Socket.io endpoint (Socket.IO 4 over Engine.IO 4, WebSocket and HTTP long-polling),
//! speaking the original plan's events so that a frontend written for it runs unchanged
//! (`io(url)` and `VECHE_SOCKETIO_PATH`, `/socket.io` by default):
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
//! connection sends `error` with its close code and reason, then closes it.
//!
//! `VECHE_SOCKETIO=rooms` (default): a room id is a meeting's room id, entered with a token or
//! room pass given in the handshake (`io(url, {auth: {token}})`, or `?token=`), under the
//! rules of veche's own protocol: joins and leaves are Room events, the capacity and seats
//! hold. `open`: additionally, a client without a token names a room of its own (the room id
//! is the secret, as with the plan's server; an unknown id is a new room; nothing recorded).
//!
//! Each connection is a peer of the node's hub like any other, over the same connection
//! loop as the other dialects (`connection::run`): the hub's queue bound, the rate limit of
//! every connection, messages relayed only within the room and to the other nodes through
//! the same NATS relay. The protocol is served here rather than by a Socket.io library:
//! see ARCHITECTURE.md (a library's tasks and channels per connection cost several times
//! the CPU per message and memory per connection of the plan's own Node.js server).

mod packet;
mod polling;
mod session;
mod websocket;

pub use session::well_formed;
pub use websocket::WebSocketTransport;

use crate::error::ApiError;
use crate::settings::EndpointMode;
use crate::state::AppState;
use axum::extract::{Query, Request, State};
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use serde::Deserialize;
use std::sync::Arc;

/// What every Socket.io connection of the node shares.
pub struct Endpoint {
    state: AppState,
    /// `VECHE_SOCKETIO=open`: rooms named by their clients, without a token.
    open: bool,
    /// The sessions on long-polling.
    polls: polling::Polls,
}

impl Endpoint {
    fn ping_interval_ms(&self) -> u128 {
        self.state.signal.ping_every.as_millis()
    }

    fn max_payload(&self) -> usize {
        self.state.signal.max_message_bytes
    }
}

/// The endpoint's routes, unless `VECHE_SOCKETIO=off`. Served outside the request timeout
/// and the concurrency limit: a long poll waits up to a ping period.
pub fn router(state: &AppState) -> Option<Router> {
    let settings = &state.settings.rooms;
    if settings.socketio == EndpointMode::Off {
        return None;
    }
    let endpoint = Arc::new(Endpoint {
        state: state.clone(),
        open: settings.socketio == EndpointMode::Open,
        polls: polling::Polls::default(),
    });
    let path = settings.socketio_path.trim_end_matches('/');
    Some(Router::new().route(&format!("{path}/"), any(engine)).route(path, any(engine)).with_state(endpoint))
}

/// The Engine.IO request's query.
#[derive(Debug, Deserialize)]
struct EngineQuery {
    #[serde(rename = "EIO")]
    protocol: Option<String>,
    transport: Option<String>,
    sid: Option<String>,
    token: Option<String>,
    access_token: Option<String>,
}

async fn engine(State(endpoint): State<Arc<Endpoint>>, Query(query): Query<EngineQuery>, request: Request) -> Response {
    if query.protocol.as_deref() != Some("4") {
        return ApiError::Malformed("this endpoint speaks Engine.IO 4 (EIO=4: socket.io-client 3 and 4)".into()).into_response();
    }
    let token = query.token.or(query.access_token).map(Into::into);
    match (query.transport.as_deref(), request.method().clone(), query.sid) {
        (Some("websocket"), _, sid) => websocket::open(endpoint, request, sid, token).await,
        (Some("polling"), Method::GET, None) => polling::handshake(endpoint, token),
        (Some("polling"), Method::GET, Some(sid)) => polling::poll(endpoint, &sid).await,
        (Some("polling"), Method::POST, Some(sid)) => polling::post(endpoint, &sid, request.into_body()).await,
        _ => ApiError::Malformed("transport=polling (GET, or POST with a sid) or transport=websocket".into()).into_response(),
    }
}

/// Engine.IO's answer to a session id it does not hold.
fn unknown_session() -> Response {
    ApiError::Malformed("unknown Engine.IO session id (sid): it ended; connect again".into()).into_response()
}
