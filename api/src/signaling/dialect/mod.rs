//! The protocols a client may speak to the hub. Each is a [`crate::signaling::connection::Session`]
//! (what its messages mean) over the same connection loop, room map and presence.

pub mod peerjs;
pub mod socketio;
pub mod veche;

/// The protocol a connection speaks, which decides how messages to it are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    /// veche's own protocol (`/api/rooms/{id}/signal`).
    Veche,
    /// The PeerJS server protocol (the `peer` npm package's).
    PeerJs,
    /// Socket.io v4 with the original plan's events (`join-room`, `offer`, ...).
    SocketIo,
}
