//! What the signaling endpoints say, whichever dialect: namespaces, message kinds, a relayed
//! message rendered for its recipient, close codes and their reasons, peer ids.

use super::dialect::Dialect;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::value::RawValue;
use std::sync::Arc;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Utf8Bytes;

/// Where peers meet and are relayed to one another.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Namespace {
    /// A meeting's room (`room:<uuid>`), kept as its id: a node holds thousands of rooms,
    /// and its 41-byte spelling was an allocation of its own per room.
    Room(domain::RoomId),
    /// A key's namespace in the PeerJS endpoint's open mode (`peerjs:<key>`).
    PeerJs(Arc<str>),
    /// A room of the Socket.io endpoint's open mode, named by its client (`socketio:<id>`).
    SocketIo(Arc<str>),
}

pub fn room_namespace(room_id: domain::RoomId) -> Namespace {
    Namespace::Room(room_id)
}

pub fn peerjs_namespace(key: &str) -> Namespace {
    Namespace::PeerJs(key.into())
}

/// Close codes of the signaling protocols (4000–4999 are the application's).
pub mod close_code {
    /// The meeting was cancelled; its room is closed.
    pub const ROOM_CLOSED: u16 = 4001;
    /// The organizer took this person off the meeting; they may not come back.
    pub const REMOVED: u16 = 4003;
    /// The queue of messages to this connection overflowed: it reads too slowly.
    pub const SLOW_CONSUMER: u16 = 4008;
    /// The room holds as many participants as a mesh allows.
    pub const ROOM_FULL: u16 = 4009;
    /// This person already holds as many places in the room as one may.
    pub const TOO_MANY_SEATS: u16 = 4011;
    /// The peer id is someone else's.
    pub const PEER_ID_TAKEN: u16 = 4010;
    /// The same participant connected again; this older connection gives way.
    pub const REPLACED: u16 = 4012;
    /// No pong came back in time.
    pub const UNRESPONSIVE: u16 = 4013;
    /// The token or pass the connection entered with has expired: enter again with a
    /// fresh one (within the reconnect grace the place is resumed).
    pub const TOKEN_EXPIRED: u16 = 4014;
    /// The node is shutting down; reconnect (to another node) to resume.
    pub const GOING_AWAY: u16 = 1001;
    /// A frame broke the WebSocket protocol (RFC 6455 §7.4.1).
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// A text message that is not UTF-8.
    pub const INVALID_DATA: u16 = 1007;
    /// A message or frame over `VECHE_SIGNAL_MAX_MESSAGE_BYTES`.
    pub const TOO_BIG: u16 = 1009;
    /// The server failed; reconnect.
    pub const INTERNAL: u16 = 1011;
}

/// A signaling message kind, in both dialects' spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignalKind {
    Offer,
    Answer,
    Candidate,
    /// PeerJS: the sender closed its connection to the recipient.
    Leave,
    /// PeerJS: a connection attempt to the recipient failed.
    Expire,
}

impl SignalKind {
    pub fn from_peerjs(kind: &str) -> Option<Self> {
        Some(match kind {
            "OFFER" => Self::Offer,
            "ANSWER" => Self::Answer,
            "CANDIDATE" => Self::Candidate,
            "LEAVE" => Self::Leave,
            "EXPIRE" => Self::Expire,
            _ => return None,
        })
    }

    fn peerjs(self) -> &'static str {
        match self {
            Self::Offer => "OFFER",
            Self::Answer => "ANSWER",
            Self::Candidate => "CANDIDATE",
            Self::Leave => "LEAVE",
            Self::Expire => "EXPIRE",
        }
    }

    /// The plan's Socket.io event of this kind, if it has one.
    fn socketio(self) -> Option<&'static str> {
        match self {
            Self::Offer => Some("offer"),
            Self::Answer => Some("answer"),
            Self::Candidate => Some("ice-candidate"),
            Self::Leave | Self::Expire => None,
        }
    }

    fn veche(self) -> &'static str {
        match self {
            Self::Offer => "offer",
            Self::Answer => "answer",
            Self::Candidate => "candidate",
            Self::Leave => "leave",
            Self::Expire => "expire",
        }
    }
}

/// A signaling message on its way from one peer to another.
#[derive(Debug, Clone, Copy)]
pub struct Relayed<'a> {
    pub kind: SignalKind,
    pub from: &'a str,
    pub to: &'a str,
    pub payload: &'a RawValue,
}

impl Relayed<'_> {
    /// The message as the recipient's dialect writes it.
    pub fn render(&self, dialect: Dialect) -> Utf8Bytes {
        // Peer ids are checked to be [A-Za-z0-9_-] when connections open, so they need no
        // escaping; the payload is already JSON. `concat` allocates exactly the text's length
        // once (a message is rendered once per recipient): `format!` grew its buffer, and
        // `Bytes` then needed a second allocation for a vector longer than its text.
        let payload = self.payload.get();
        let text = match dialect {
            Dialect::Veche => {
                [r#"{"type":"signal","kind":""#, self.kind.veche(), r#"","from":""#, self.from, r#"","data":"#, payload, "}"]
                    .concat()
            }
            Dialect::PeerJs => [
                r#"{"type":""#,
                self.kind.peerjs(),
                r#"","src":""#,
                self.from,
                r#"","dst":""#,
                self.to,
                r#"","payload":"#,
                payload,
                "}",
            ]
            .concat(),
            // The plan's events as Socket.IO packets (dialect/socketio): `offer(offer, from)`, ...; a PeerJS
            // client closing its connection to the peer reads as the sender gone.
            Dialect::SocketIo => match self.kind.socketio() {
                Some(event) => [r#"42[""#, event, r#"","#, payload, r#",""#, self.from, r#""]"#].concat(),
                None => [r#"42["user-disconnected",""#, self.from, r#""]"#].concat(),
            },
        };
        text.into()
    }
}

/// Whether a peer id is acceptable: short, and safe in JSON, URLs and NATS subjects.
pub fn valid_peer_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The close frame for one of our codes, with its reason.
pub fn close_frame(code: u16) -> CloseFrame {
    CloseFrame { code: code.into(), reason: Utf8Bytes::from_static(reason(code)) }
}

/// The close frame's reason for each of our codes.
pub fn reason(code: u16) -> &'static str {
    match code {
        close_code::ROOM_CLOSED => "room closed: the meeting was cancelled",
        close_code::SLOW_CONSUMER => "slow consumer: too many messages queued",
        close_code::ROOM_FULL => "room full",
        close_code::PEER_ID_TAKEN => "peer id taken",
        close_code::REPLACED => "replaced by a newer connection of the same participant",
        close_code::UNRESPONSIVE => "no pong in time",
        close_code::GOING_AWAY => "server going away; reconnect to resume",
        close_code::REMOVED => "removed from the meeting",
        close_code::TOO_MANY_SEATS => "too many places held by one person",
        close_code::TOKEN_EXPIRED => "the token expired; enter again with a fresh one",
        close_code::PROTOCOL_ERROR => "protocol error",
        close_code::INVALID_DATA => "a text message that is not UTF-8",
        close_code::TOO_BIG => "message too big",
        _ => "server error",
    }
}

/// A meeting's schedule change or moment, as its participants are told.
pub fn meeting_notice(status: &str, starts_at: DateTime<Utc>, ends_at: DateTime<Utc>) -> Utf8Bytes {
    serde_json::json!({"type": "meeting", "status": status, "starts_at": starts_at, "ends_at": ends_at}).to_string().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relayed_message_is_rendered_in_each_dialect_with_its_payload_untouched() {
        let payload = RawValue::from_string(r#"{"sdp":"v=0\r\n","n":[1,2]}"#.into()).unwrap();
        let relayed = Relayed { kind: SignalKind::Offer, from: "ann-1", to: "bob_2", payload: &payload };
        assert_eq!(
            relayed.render(Dialect::Veche).as_str(),
            r#"{"type":"signal","kind":"offer","from":"ann-1","data":{"sdp":"v=0\r\n","n":[1,2]}}"#
        );
        assert_eq!(
            relayed.render(Dialect::PeerJs).as_str(),
            r#"{"type":"OFFER","src":"ann-1","dst":"bob_2","payload":{"sdp":"v=0\r\n","n":[1,2]}}"#
        );
        assert_eq!(relayed.render(Dialect::SocketIo).as_str(), r#"42["offer",{"sdp":"v=0\r\n","n":[1,2]},"ann-1"]"#);
    }
}
