//! The WebSocket opening handshake (RFC 6455 §4.2) and the task a connection lives in.
//!
//! Ours rather than axum's `WebSocketUpgrade`: a task spawned by axum keeps, for the
//! connection's whole life, the callback's captures, the configuration and axum's own copy
//! of the socket beside the callback's future (~0.4 KiB per idle connection, measured). This
//! task holds the socket and the connection's state once, and refuses a request that is not
//! a WebSocket handshake with problem+json like every other route.

use crate::error::ApiError;
use crate::listener::LeanReads;
use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Version};
use axum::response::Response;
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::WebSocketStream;

/// An open signaling WebSocket.
pub type Socket = WebSocketStream<SocketIo>;

/// What an open WebSocket reads and writes: the listener's own TCP stream, taken back from
/// hyper, whose `Upgraded` keeps it behind a boxed trait object (a heap allocation per
/// connection, and dynamic calls on every read and write).
pub enum SocketIo {
    Lean(LeanReads<TcpStream>),
    /// The router served by some other listener.
    Other(Box<TokioIo<Upgraded>>),
}

impl From<Upgraded> for SocketIo {
    fn from(upgraded: Upgraded) -> Self {
        use hyper_util::server::conn::auto::upgrade::downcast;
        match downcast::<TokioIo<LeanReads<TcpStream>>>(upgraded) {
            Ok(parts) => {
                let mut io = parts.io.into_inner();
                // What hyper read past the request (a client need not wait for the 101).
                io.unread(&parts.read_buf);
                Self::Lean(io)
            }
            Err(upgraded) => Self::Other(Box::new(TokioIo::new(upgraded))),
        }
    }
}

/// Both kinds of `SocketIo`, one call each.
macro_rules! either {
    ($self:ident, $io:ident => $call:expr) => {
        match $self.get_mut() {
            SocketIo::Lean($io) => {
                let $io = Pin::new($io);
                $call
            }
            SocketIo::Other($io) => {
                let $io = Pin::new(&mut **$io);
                $call
            }
        }
    };
}

impl AsyncRead for SocketIo {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        either!(self, io => io.poll_read(cx, buf))
    }
}

impl AsyncWrite for SocketIo {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        either!(self, io => io.poll_write(cx, data))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        either!(self, io => io.poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        either!(self, io => io.poll_shutdown(cx))
    }
}

/// What a connection does once its WebSocket is open. It borrows itself and the socket:
/// whatever a connection's future takes by value it keeps a second copy of.
pub trait Connection: Send + 'static {
    /// The socket's buffers and limits.
    fn config(&self) -> WebSocketConfig;
    fn serve<'a>(&'a mut self, socket: &'a mut Socket) -> impl Future<Output = ()> + Send + 'a;
}

/// A checked WebSocket handshake, ready to be accepted.
pub struct WebSocketRequest {
    accept_key: HeaderValue,
    on_upgrade: OnUpgrade,
}

impl<S: Send + Sync> FromRequestParts<S> for WebSocketRequest {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let headers = &parts.headers;
        if parts.method != Method::GET || parts.version != Version::HTTP_11 {
            return Err(ApiError::NotWebSocket("a WebSocket opens with a GET over HTTP/1.1".into()));
        }
        if !lists_token(headers, header::UPGRADE, "websocket") || !lists_token(headers, header::CONNECTION, "upgrade") {
            return Err(ApiError::NotWebSocket(
                "this route is a WebSocket: send `Connection: Upgrade` and `Upgrade: websocket`".into(),
            ));
        }
        if headers.get(header::SEC_WEBSOCKET_VERSION).is_none_or(|version| version.as_bytes() != b"13") {
            return Err(ApiError::NotWebSocket("`Sec-WebSocket-Version` must be 13".into()));
        }
        // The key is 16 random bytes in base64: 24 characters, the last two `==`.
        let key = headers
            .get(header::SEC_WEBSOCKET_KEY)
            .filter(|key| key.len() == 24 && key.as_bytes().ends_with(b"=="))
            .ok_or_else(|| ApiError::Malformed("`Sec-WebSocket-Key` must be 16 bytes in base64".into()))?;
        let accept_key = HeaderValue::from_str(&derive_accept_key(key.as_bytes())).expect("base64 is a header value");
        let on_upgrade = parts
            .extensions
            .remove::<OnUpgrade>()
            .ok_or_else(|| ApiError::NotWebSocket("this connection cannot be upgraded".into()))?;
        Ok(Self { accept_key, on_upgrade })
    }
}

impl WebSocketRequest {
    /// Answers `101 Switching Protocols` and serves the connection in a task of its own.
    pub fn accept(self, connection: impl Connection) -> Response {
        tokio::spawn(live(self.on_upgrade, connection));
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        let headers = response.headers_mut();
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, self.accept_key);
        response
    }
}

/// The connection's task: everything in it stays for the connection's life, so it holds the
/// upgrade (until done), the socket and the connection, and nothing twice. Not an `async fn`:
/// that would move its arguments into locals and keep them twice.
#[allow(clippy::manual_async_fn)]
fn live(on_upgrade: OnUpgrade, mut connection: impl Connection) -> impl Future<Output = ()> + Send {
    async move {
        // The client went away before the switch: nothing was opened.
        let Ok(upgraded) = on_upgrade.await else { return };
        let config = connection.config();
        // Boxed: it is ready at once, but unboxed its future (368 bytes) would size the task.
        let mut socket = Box::pin(WebSocketStream::from_raw_socket(SocketIo::from(upgraded), Role::Server, Some(config))).await;
        connection.serve(&mut socket).await;
    }
}

/// Whether a comma-separated header lists `token` (case-insensitive).
fn lists_token(headers: &HeaderMap, name: HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|item| item.trim().eq_ignore_ascii_case(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The size of a connection's task future (`live`'s).
    fn task_future_size<C: Connection>() -> usize {
        fn size_of_output<C, F>(_: impl Fn(OnUpgrade, C) -> F) -> usize {
            std::mem::size_of::<F>()
        }
        size_of_output(|on_upgrade, connection: C| live(on_upgrade, connection))
    }

    /// tokio allocates a task in steps of 128 bytes (its header is cache-line aligned): a
    /// future of at most this many bytes keeps every idle connection's task at 640 bytes
    /// instead of 768. Measured in the test build, which lays futures out up to 8 bytes
    /// larger than a release build.
    const TASK_FUTURE_BUDGET: usize = 536;
    /// A Socket.io connection's task also holds its session (which joins after the
    /// connection opens) and what its run keeps across a join: a 896-byte task.
    const SOCKETIO_TASK_FUTURE_BUDGET: usize = 792;

    #[test]
    fn each_dialects_connection_task_stays_within_its_budget() {
        let sizes = [
            ("veche's protocol", task_future_size::<crate::signaling::dialect::veche::VecheConnection>(), TASK_FUTURE_BUDGET),
            ("PeerJS", task_future_size::<crate::signaling::dialect::peerjs::PeerJsConnection>(), TASK_FUTURE_BUDGET),
            (
                "Socket.io",
                task_future_size::<crate::signaling::dialect::socketio::WebSocketTransport>(),
                SOCKETIO_TASK_FUTURE_BUDGET,
            ),
        ];
        for (dialect, size, budget) in sizes {
            assert!(size <= budget, "{dialect}: the task's future is {size} bytes, over {budget}");
        }
    }
}
