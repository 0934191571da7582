//! The WebSocket transport: a client that opens with it (`transport=websocket`), or moves to
//! it from long-polling (`&sid=`, then `2probe` / `3probe` and `5`, as Engine.IO upgrades).

use super::packet;
use super::polling::Polling;
use super::session::{self, SocketIoSession};
use super::Endpoint;
use crate::signaling::connection::{self, ConnectionLimits, Ending, Live};
use crate::signaling::dialect::{veche, Dialect};
use crate::signaling::mailbox::PeerInbox;
use crate::signaling::upgrade::{Connection, Socket, WebSocketRequest};
use axum::extract::{FromRequestParts, Request};
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

/// How long moving a session from long-polling may take.
const UPGRADE_WITHIN: Duration = Duration::from_secs(10);

/// Opens the WebSocket of a new session, or of one moving from long-polling.
pub async fn open(endpoint: Arc<Endpoint>, request: Request, sid: Option<String>, token: Option<Box<str>>) -> Response {
    let (mut parts, _) = request.into_parts();
    let request = match WebSocketRequest::from_request_parts(&mut parts, &()).await {
        Ok(request) => request,
        Err(error) => return error.into_response(),
    };
    let start = match sid {
        None => {
            if let Err(error) = veche::check_capacity(&endpoint.state) {
                return error.into_response();
            }
            Start::Fresh(token)
        }
        Some(sid) => match endpoint.polls.get(&sid) {
            Some(polling) => Start::Moving(polling),
            None => return super::unknown_session(),
        },
    };
    request.accept(WebSocketTransport { endpoint, start: Some(Box::new(start)) })
}

/// A Socket.io client's WebSocket, before and after it starts.
pub struct WebSocketTransport {
    endpoint: Arc<Endpoint>,
    /// Boxed, and let go of once the connection runs.
    start: Option<Box<Start>>,
}

enum Start {
    /// A new session, with a token from the query if any.
    Fresh(Option<Box<str>>),
    /// A long-polling session moving here.
    Moving(Arc<Polling>),
}

impl Connection for WebSocketTransport {
    fn config(&self) -> WebSocketConfig {
        veche::socket_config(&self.endpoint.state.signal)
    }

    /// Not an `async fn`, which would keep a second copy of its arguments.
    #[allow(clippy::manual_async_fn)]
    fn serve<'a>(&'a mut self, socket: &'a mut Socket) -> impl Future<Output = ()> + Send + 'a {
        async move {
            let Some(start) = self.start.take() else { return };
            let endpoint = &self.endpoint;
            let hub = &endpoint.state.hub;
            match *start {
                Start::Fresh(token) => {
                    let (handle, inbox) = hub.open_connection(Dialect::SocketIo, None);
                    let mut session = SocketIoSession::new(endpoint.clone(), handle, token);
                    let sid = uuid::Uuid::new_v4().simple().to_string();
                    let open = packet::open(&sid, &[], endpoint.ping_interval_ms(), endpoint.max_payload());
                    if socket.send(Message::Text(open)).await.is_ok() {
                        converse(socket, &inbox, &mut session, &endpoint.state.signal.limits).await;
                    } else {
                        Box::pin(session.leave()).await;
                    }
                    hub.connection_closed();
                }
                Start::Moving(polling) => {
                    // Boxed: its future is only needed until the session has moved.
                    if Box::pin(polling.move_to_websocket(socket, &endpoint.polls)).await {
                        let mut session = polling.session.lock().await;
                        converse(socket, &polling.inbox, &mut session, &endpoint.state.signal.limits).await;
                        hub.connection_closed();
                    }
                }
            }
        }
    }
}

/// Runs the session over the socket until it ends, carrying out each join it asks for
/// while its client's next messages wait, in order, in the socket.
async fn converse(socket: &mut Socket, inbox: &PeerInbox, session: &mut SocketIoSession, limits: &ConnectionLimits) {
    let mut live = Live::new(limits);
    let ending = loop {
        match connection::run_resumable(&mut live, socket, inbox, session, limits).await {
            Ending::Suspended => Box::pin(session.join()).await,
            ending => break ending,
        }
    };
    Box::pin(end(socket, inbox, session, ending)).await;
}

/// A connection the server ends is told why (an `error` event) before the close frame.
async fn end(socket: &mut Socket, inbox: &PeerInbox, session: &mut SocketIoSession, ending: Ending) {
    if let Ending::Ended(code) = ending {
        let told = socket.send(Message::Text(session::ending_frame(code)));
        let _ = tokio::time::timeout(UPGRADE_WITHIN, told).await;
    }
    connection::finish(socket, inbox, ending).await;
    session.leave().await;
}

/// Engine.IO's upgrade on the new socket: the client's `2probe` is answered `3probe`, the
/// waiting long poll is let go, and the client's `5` completes the move.
pub async fn upgrade_handshake(socket: &mut Socket, release_poll: impl FnOnce()) -> bool {
    let exchange = async {
        if !matches!(socket.next().await, Some(Ok(Message::Text(text))) if text.as_str() == "2probe") {
            return false;
        }
        if socket.send(Message::Text("3probe".into())).await.is_err() {
            return false;
        }
        release_poll();
        matches!(socket.next().await, Some(Ok(Message::Text(text))) if text.as_str() == "5")
    };
    tokio::time::timeout(UPGRADE_WITHIN, exchange).await.unwrap_or(false)
}
