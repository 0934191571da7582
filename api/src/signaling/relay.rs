//! The hub's link to the other nodes: what crosses the signal bus (NATS core) and how a
//! node delivers what arrives to the peers it holds.
//!
//! Envelopes are JSON: `{"op":"relay","kind","from","to","payload"}` for a signaling message
//! to one peer, `{"op":"broadcast","except","text","dialect"}` for a presence notice or a
//! Socket.io event to every peer of a dialect, `{"op":"say","text"}` for a chat message and
//! `{"op":"state","from","text"}` for a participant's state (both kept by the room on every
//! node for those who enter later), `{"op":"close"}` when the room closes,
//! `{"op":"remove","to"}` when a participant is taken off the meeting, and
//! `{"op":"hello"|"here"|"absent"|"bye"}` as nodes start and stop holding peers of a
//! namespace and `{"op":"alive"}` on the nodes' own subject ([`super::holders`]: a broadcast
//! is published only while another node may hold peers of it). What arrives is checked like a client's input: peer ids must be valid, notices must
//! be what their dialect sends; anything else is dropped and counted.

use super::dialect::Dialect;
use super::holders::Holders;
use super::hub::{Hub, RemoteRelay};
use super::protocol::{Namespace, Relayed, SignalKind};
use bytes::Bytes;
use infrastructure::signal_bus::SignalBus;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, RwLock, Weak};
use tokio_tungstenite::tungstenite::Utf8Bytes;
use tokio_util::sync::CancellationToken;

/// What crosses between nodes. A flat struct rather than a tagged enum: serde buffers a
/// tagged enum's fields, and a borrowed `RawValue` payload cannot be read from that buffer.
#[derive(Serialize, Deserialize)]
struct Envelope<'a> {
    op: Op,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kind: Option<SignalKind>,
    // Peer ids are checked to need no escaping, so these borrow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    from: Option<&'a str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    to: Option<&'a str>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    payload: Option<&'a RawValue>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    except: Option<Cow<'a, str>>,
    // Cow: the text is JSON inside JSON, full of escapes, so it cannot be borrowed.
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    text: Option<Cow<'a, str>>,
    /// Whose peers a broadcast is for (absent: veche's protocol, as nodes before it wrote).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    dialect: Option<Dialect>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Op {
    /// A signaling message for one peer.
    Relay,
    /// A message for every peer of a dialect: a presence notice, or a Socket.io event.
    Broadcast,
    /// The room closed.
    Close,
    /// A participant was taken off the meeting.
    Remove,
    /// A chat message, which the room keeps for those who enter later.
    Say,
    /// A participant's state (`from`), which the room keeps; empty: the participant left.
    State,
    /// The sending node starts holding peers of the namespace (see [`super::holders`])...
    Hello,
    /// ...and every node alive answers: it holds peers of it...
    Here,
    /// ...or it does not.
    Absent,
    /// The sending node holds no more peers of the namespace.
    Bye,
    /// The sending node is up (on the nodes' own subject, [`NODES_TOKEN`]).
    Alive,
}

/// The subject token of the nodes' `alive` (no namespace's: those are `room-` and `ns-`).
const NODES_TOKEN: &str = "nodes";

impl<'a> Envelope<'a> {
    fn new(op: Op) -> Self {
        Self { op, kind: None, from: None, to: None, payload: None, except: None, text: None, dialect: None }
    }

    fn relay(relayed: &Relayed<'a>) -> Self {
        Self {
            kind: Some(relayed.kind),
            from: Some(relayed.from),
            to: Some(relayed.to),
            payload: Some(relayed.payload),
            ..Self::new(Op::Relay)
        }
    }

    fn broadcast(dialect: Dialect, except: Option<&'a str>, text: &'a str) -> Self {
        let dialect = (dialect != Dialect::Veche).then_some(dialect);
        Self { except: except.map(Cow::Borrowed), text: Some(Cow::Borrowed(text)), dialect, ..Self::new(Op::Broadcast) }
    }
}

/// The subject token of a namespace: `room-<uuid>`, or `ns-<hash of peerjs:<key>>` (a key
/// may hold characters a subject cannot).
fn subject_token(namespace: &Namespace) -> String {
    match namespace {
        Namespace::Room(room_id) => format!("room-{room_id}"),
        Namespace::PeerJs(key) => hashed_token(b"peerjs:", key),
        Namespace::SocketIo(id) => hashed_token(b"socketio:", id),
    }
}

fn hashed_token(kind: &[u8], name: &str) -> String {
    let digest = Sha256::new().chain_update(kind).chain_update(name.as_bytes()).finalize();
    format!("ns-{}", hex::encode(&digest[..12]))
}

/// How long a join waits for the node's signal bus subscription before going on anyway
/// (only in the first moments after the node starts).
const SUBSCRIBE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

pub struct NatsRelay {
    bus: Arc<SignalBus>,
    /// Which namespace the hashed subject token of a (PeerJS) namespace this node holds
    /// peers of stands for. A room's token spells its namespace, so rooms need no entry:
    /// a node holds thousands of them.
    hashed: RwLock<HashMap<String, Namespace>>,
    holders: Holders,
    hub: Weak<Hub>,
}

/// The namespace a subject token stands for, if this node may hold peers of it; messages
/// for namespaces the hub does not hold are dropped there. A room's token spells its id, so
/// rooms need no entry in `hashed`.
fn namespace_of(token: &str, hashed: &RwLock<HashMap<String, Namespace>>) -> Option<Namespace> {
    match token.strip_prefix("room-") {
        Some(room) => room.parse().ok().map(Namespace::Room),
        None => super::locks::read(hashed).get(token).cloned(),
    }
}

impl NatsRelay {
    /// Links `hub` to the other nodes through NATS.
    pub fn attach(hub: &Arc<Hub>, client: async_nats::Client, shutdown: CancellationToken) -> Arc<Self> {
        let relay = Arc::new_cyclic(|relay: &Weak<NatsRelay>| {
            let relay = relay.clone();
            let inbound = Arc::new(move |origin: &str, token: &str, payload: Bytes| {
                if let Some(relay) = relay.upgrade() {
                    relay.receive(origin, token, &payload);
                }
            });
            Self {
                bus: SignalBus::start(client, hub.node_id.clone(), inbound, shutdown),
                hashed: RwLock::default(),
                holders: Holders::new(super::holders::PATIENCE),
                hub: Arc::downgrade(hub),
            }
        });
        hub.set_remote(relay.clone());
        tokio::spawn(say_alive(Arc::downgrade(&relay)));
        relay
    }

    fn say_alive(&self) {
        self.bus.publish(NODES_TOKEN, encode(&Envelope::new(Op::Alive)));
    }

    fn publish(&self, namespace: &Namespace, envelope: &Envelope<'_>) {
        self.bus.publish(&subject_token(namespace), encode(envelope));
    }

    /// Another node's message: who is alive and holds what noted, the rest handed to the hub.
    fn receive(&self, origin: &str, token: &str, payload: &[u8]) {
        if self.holders.alive(origin) {
            self.say_alive();
        }
        let namespace = namespace_of(token, &self.hashed);
        // What is for a namespace of no peer here is dropped unread, but a hello, answered.
        if namespace.is_none() && !payload.starts_with(br#"{"op":"hello""#) {
            return;
        }
        let Ok(envelope) = serde_json::from_slice::<Envelope<'_>>(payload) else {
            metrics::counter!("veche_signal_bus_dropped_total", "why" => "undecodable").increment(1);
            return;
        };
        match (envelope.op, namespace) {
            (Op::Hello, Some(namespace)) if self.holders.here(&namespace, origin) => {
                self.publish(&namespace, &Envelope::new(Op::Here));
            }
            // A namespace of no peer here: its hashed token is unknown to this node, so the
            // answer goes back on the token it came on.
            (Op::Hello, _) => self.bus.publish(token, encode(&Envelope::new(Op::Absent))),
            (Op::Here, Some(namespace)) => {
                self.holders.here(&namespace, origin);
            }
            (Op::Absent | Op::Bye, Some(namespace)) => self.holders.absent(&namespace, origin),
            (_, Some(namespace)) => {
                if let Some(hub) = self.hub.upgrade() {
                    deliver(&hub, &namespace, envelope);
                }
            }
            (_, None) => {}
        }
    }
}

fn encode(envelope: &Envelope<'_>) -> Bytes {
    Bytes::from(serde_json::to_vec(envelope).expect("an envelope serialises"))
}

/// Says the node is alive now (the others answer at once) and every `PATIENCE.alive_every`, for as
/// long as the relay is.
async fn say_alive(relay: Weak<NatsRelay>) {
    loop {
        match relay.upgrade() {
            Some(relay) => relay.say_alive(),
            None => return,
        }
        tokio::time::sleep(super::holders::PATIENCE.alive_every).await;
    }
}

/// What veche's protocol sends: a JSON object.
fn is_json_object(text: &str) -> bool {
    serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text).is_ok()
}

/// Hands a message from another node to the peers this node holds.
fn deliver(hub: &Hub, namespace: &Namespace, envelope: Envelope<'_>) {
    let valid = |peer: Option<&str>| peer.is_none_or(super::protocol::valid_peer_id);
    if !valid(envelope.from) || !valid(envelope.to) || !valid(envelope.except.as_deref()) {
        metrics::counter!("veche_signal_bus_dropped_total", "why" => "invalid peer id").increment(1);
        return;
    }
    match envelope.op {
        Op::Relay => {
            let (Some(kind), Some(from), Some(to), Some(payload)) = (envelope.kind, envelope.from, envelope.to, envelope.payload)
            else {
                return;
            };
            if let Some(room) = hub.room(namespace) {
                room.deliver_local(&Relayed { kind, from, to, payload });
            }
        }
        Op::Broadcast => {
            // What reaches clients must be what their dialect sends: a veche notice a JSON
            // object, a Socket.io event one of the plan's with JSON arguments.
            let dialect = envelope.dialect.unwrap_or(Dialect::Veche);
            let well_formed = |text: &str| match dialect {
                Dialect::Veche => is_json_object(text),
                Dialect::SocketIo => super::dialect::socketio::well_formed(text),
                Dialect::PeerJs => false,
            };
            let notice = envelope.text.filter(|text| well_formed(text));
            if notice.is_none() {
                metrics::counter!("veche_signal_bus_dropped_total", "why" => "invalid notice").increment(1);
            }
            if let (Some(room), Some(text)) = (hub.room(namespace), notice) {
                room.broadcast_local(dialect, envelope.except.as_deref(), &Utf8Bytes::from(text.into_owned()));
            }
        }
        Op::Say => {
            let said = envelope.text.filter(|text| is_json_object(text));
            if let (Some(room), Some(text)) = (hub.room(namespace), said) {
                room.say(Dialect::Veche, &Utf8Bytes::from(text.into_owned()));
            }
        }
        Op::State => {
            let (Some(room), Some(from), Some(text)) = (hub.room(namespace), envelope.from, envelope.text) else { return };
            if text.is_empty() {
                room.forget(from);
            } else if is_json_object(&text) {
                room.set_state(Dialect::Veche, &Arc::from(from), &Utf8Bytes::from(text.into_owned()));
            }
        }
        Op::Close => hub.close_local_room(namespace),
        Op::Remove => {
            if let Some(peer_id) = envelope.to {
                hub.remove_local_peer(namespace, peer_id);
            }
        }
        // Taken by `NatsRelay::receive`.
        Op::Hello | Op::Here | Op::Absent | Op::Bye | Op::Alive => {}
    }
}

impl RemoteRelay for NatsRelay {
    fn watch(&self, namespace: &Namespace) {
        if !matches!(namespace, Namespace::Room(_)) {
            super::locks::write(&self.hashed).insert(subject_token(namespace), namespace.clone());
        }
        self.holders.start(namespace);
        self.publish(namespace, &Envelope::new(Op::Hello));
    }

    fn unwatch(&self, namespace: &Namespace) {
        if !matches!(namespace, Namespace::Room(_)) {
            super::locks::write(&self.hashed).remove(&subject_token(namespace));
        }
        self.holders.stop(namespace);
        self.publish(namespace, &Envelope::new(Op::Bye));
    }

    fn ready(&self) -> futures::future::BoxFuture<'_, ()> {
        Box::pin(async move {
            if !self.bus.subscribed(SUBSCRIBE_WAIT).await {
                tracing::warn!("the signal bus subscription is not confirmed; other nodes may be unreachable");
            }
        })
    }

    fn relay(&self, namespace: &Namespace, relayed: &Relayed<'_>) {
        self.publish(namespace, &Envelope::relay(relayed));
    }

    fn broadcast(&self, namespace: &Namespace, dialect: Dialect, except: Option<&str>, text: &str) {
        if self.holders.others_may_hold(namespace) {
            self.publish(namespace, &Envelope::broadcast(dialect, except, text));
        }
    }

    fn say(&self, namespace: &Namespace, text: &str) {
        if self.holders.others_may_hold(namespace) {
            self.publish(namespace, &Envelope { text: Some(Cow::Borrowed(text)), ..Envelope::new(Op::Say) });
        }
    }

    fn set_state(&self, namespace: &Namespace, peer_id: &str, text: &str) {
        if self.holders.others_may_hold(namespace) {
            let envelope = Envelope { from: Some(peer_id), text: Some(Cow::Borrowed(text)), ..Envelope::new(Op::State) };
            self.publish(namespace, &envelope);
        }
    }

    fn close_room(&self, namespace: &Namespace) {
        self.publish(namespace, &Envelope::new(Op::Close));
    }

    fn remove_peer(&self, namespace: &Namespace, peer_id: &str) {
        self.publish(namespace, &Envelope { to: Some(peer_id), ..Envelope::new(Op::Remove) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signaling::protocol::peerjs_namespace;

    #[test]
    fn a_presence_notice_survives_the_trip_through_an_envelope() {
        let text = r#"{"type":"joined","peer":{"peer_id":"bob-1","name":"Bob \"B\""}}"#;
        let bytes = serde_json::to_vec(&Envelope::broadcast(Dialect::Veche, Some("bob-1"), text)).unwrap();
        let decoded: Envelope<'_> = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(decoded.op, Op::Broadcast);
        assert_eq!(decoded.except.as_deref(), Some("bob-1"));
        assert_eq!(decoded.text.as_deref(), Some(text));
    }

    #[test]
    fn a_hello_reads_as_one_before_it_is_parsed() {
        // `NatsRelay::receive` answers a hello for a namespace it does not know by its prefix.
        assert_eq!(encode(&Envelope::new(Op::Hello)).as_ref(), br#"{"op":"hello"}"#);
    }

    #[test]
    fn a_signal_keeps_its_payload_byte_for_byte() {
        let payload = RawValue::from_string(r#"{"sdp":"v=0\r\n","seq":1}"#.into()).unwrap();
        let relayed = Relayed { kind: SignalKind::Offer, from: "a", to: "b", payload: &payload };
        let bytes = serde_json::to_vec(&Envelope::relay(&relayed)).unwrap();
        let decoded: Envelope<'_> = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(decoded.op, Op::Relay);
        assert_eq!((decoded.kind, decoded.from, decoded.to), (Some(SignalKind::Offer), Some("a"), Some("b")));
        assert_eq!(decoded.payload.map(RawValue::get), Some(payload.get()));
    }

    #[test]
    fn rooms_map_to_readable_subject_tokens_and_other_namespaces_to_hashes() {
        let room = domain::RoomId(uuid::Uuid::from_u128(0x0b6f));
        assert_eq!(subject_token(&Namespace::Room(room)), format!("room-{room}"));
        let token = subject_token(&peerjs_namespace("a key.with*dots"));
        assert!(infrastructure::signal_bus::valid_token(&token), "{token}");
        // Nodes of the release before spelled the namespace, then hashed it: the same token.
        let digest = Sha256::digest(b"peerjs:a key.with*dots");
        assert_eq!(token, format!("ns-{}", hex::encode(&digest[..12])));
    }

    #[test]
    fn a_token_leads_back_to_its_room_and_to_a_watched_hashed_namespace_only() {
        let hashed = RwLock::new(HashMap::new());
        let room = Namespace::Room(domain::RoomId(uuid::Uuid::from_u128(0x0b6f)));
        assert_eq!(namespace_of(&subject_token(&room), &hashed), Some(room));
        assert_eq!(namespace_of("room-not-a-uuid", &hashed), None);
        let peerjs = peerjs_namespace("a key");
        let token = subject_token(&peerjs);
        assert_eq!(namespace_of(&token, &hashed), None, "not watched");
        hashed.write().unwrap().insert(token.clone(), peerjs.clone());
        assert_eq!(namespace_of(&token, &hashed), Some(peerjs));
    }

    /// As `NatsRelay::receive` hands them on: what does not decode is dropped there.
    fn deliver_bytes(hub: &Hub, namespace: &Namespace, bytes: &[u8]) {
        if let Ok(envelope) = serde_json::from_slice(bytes) {
            deliver(hub, namespace, envelope);
        }
    }

    #[test]
    fn what_another_node_sends_is_checked_like_a_clients_input() {
        let hub = Hub::new("node-a".into(), 16);
        let room = Namespace::Room(domain::RoomId(uuid::Uuid::from_u128(0x0b6f)));
        let (handle, inbox) = hub.open_connection(super::super::dialect::Dialect::Veche, None);
        hub.attach(&room, "bob-1".into(), handle);
        for bad in [
            r#"{"op":"relay","kind":"offer","from":"a b\n","to":"bob-1","payload":{}}"#,
            r#"{"op":"broadcast","text":"not json at all"}"#,
            r#"{"op":"broadcast","except":"<script>","text":"{}"}"#,
            r#"{"op":"remove","to":"../../bob-1"}"#,
        ] {
            deliver_bytes(&hub, &room, bad.as_bytes());
            assert_eq!(inbox.pop(), None, "{bad}");
        }
        deliver_bytes(&hub, &room, br#"{"op":"relay","kind":"offer","from":"ann-1","to":"bob-1","payload":{"sdp":"v=0"}}"#);
        assert!(inbox.pop().is_some(), "a valid message still goes through");
        deliver_bytes(&hub, &room, br#"{"op":"remove","to":"bob-1"}"#);
        assert_eq!(inbox.pop().as_deref(), Some(r#"{"type":"removed"}"#));
    }
}
