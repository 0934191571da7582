//! The hub's link to the other nodes: what crosses the signal bus (NATS core) and how a
//! node delivers what arrives to the peers it holds.
//!
//! Envelopes are JSON: `{"op":"relay","kind","from","to","payload"}` for a signaling message
//! to one peer, `{"op":"broadcast","except","text"}` for a presence notice to every
//! veche-dialect peer, `{"op":"close"}` when the room closes.

use super::hub::{Hub, Namespace, Relayed, RemoteRelay, SignalKind};
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Op {
    /// A signaling message for one peer.
    Relay,
    /// A presence notice for every veche-dialect peer.
    Broadcast,
    /// The room closed.
    Close,
}

impl<'a> Envelope<'a> {
    fn new(op: Op) -> Self {
        Self { op, kind: None, from: None, to: None, payload: None, except: None, text: None }
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

    fn broadcast(except: Option<&'a str>, text: &'a str) -> Self {
        Self { except: except.map(Cow::Borrowed), text: Some(Cow::Borrowed(text)), ..Self::new(Op::Broadcast) }
    }
}

/// The subject token of a namespace: `room-<uuid>`, or `ns-<hash of peerjs:<key>>` (a key
/// may hold characters a subject cannot).
fn subject_token(namespace: &Namespace) -> String {
    match namespace {
        Namespace::Room(room_id) => format!("room-{room_id}"),
        Namespace::PeerJs(key) => {
            let digest = Sha256::new().chain_update(b"peerjs:").chain_update(key.as_bytes()).finalize();
            format!("ns-{}", hex::encode(&digest[..12]))
        }
    }
}

/// How long a join waits for the node's signal bus subscription before going on anyway
/// (only in the first moments after the node starts).
const SUBSCRIBE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

pub struct NatsRelay {
    bus: Arc<SignalBus>,
    /// Which namespace the hashed subject token of a (PeerJS) namespace this node holds
    /// peers of stands for. A room's token spells its namespace, so rooms need no entry:
    /// a node holds thousands of them.
    hashed: Arc<RwLock<HashMap<String, Namespace>>>,
}

/// The namespace a subject token stands for, if this node may hold peers of it; messages
/// for namespaces the hub does not hold are dropped there. A room's token spells its id, so
/// rooms need no entry in `hashed`.
fn namespace_of(token: &str, hashed: &RwLock<HashMap<String, Namespace>>) -> Option<Namespace> {
    match token.strip_prefix("room-") {
        Some(room) => room.parse().ok().map(Namespace::Room),
        None => super::hub::read(hashed).get(token).cloned(),
    }
}

impl NatsRelay {
    /// Links `hub` to the other nodes through NATS.
    pub fn attach(hub: &Arc<Hub>, client: async_nats::Client, shutdown: CancellationToken) -> Arc<Self> {
        let hashed: Arc<RwLock<HashMap<String, Namespace>>> = Arc::default();
        let weak: Weak<Hub> = Arc::downgrade(hub);
        let lookup = hashed.clone();
        let inbound = Arc::new(move |token: &str, payload: Bytes| {
            let (Some(hub), Some(namespace)) = (weak.upgrade(), namespace_of(token, &lookup)) else {
                return;
            };
            deliver(&hub, &namespace, &payload);
        });
        let bus = SignalBus::start(client, hub.node_id.clone(), inbound, shutdown);
        let relay = Arc::new(Self { bus, hashed });
        hub.set_remote(relay.clone());
        relay
    }

    fn publish(&self, namespace: &Namespace, envelope: &Envelope<'_>) {
        let bytes = serde_json::to_vec(envelope).expect("an envelope serialises");
        self.bus.publish(&subject_token(namespace), Bytes::from(bytes));
    }
}

/// Hands a message from another node to the peers this node holds.
fn deliver(hub: &Hub, namespace: &Namespace, payload: &[u8]) {
    let Ok(envelope) = serde_json::from_slice::<Envelope<'_>>(payload) else {
        metrics::counter!("veche_signal_bus_dropped_total", "why" => "undecodable").increment(1);
        return;
    };
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
            if let (Some(room), Some(text)) = (hub.room(namespace), envelope.text) {
                room.broadcast_local(super::hub::Dialect::Veche, envelope.except.as_deref(), &Utf8Bytes::from(text.into_owned()));
            }
        }
        Op::Close => hub.close_local_room(namespace),
    }
}

impl RemoteRelay for NatsRelay {
    fn watch(&self, namespace: &Namespace) {
        if let Namespace::PeerJs(_) = namespace {
            super::hub::write(&self.hashed).insert(subject_token(namespace), namespace.clone());
        }
    }

    fn unwatch(&self, namespace: &Namespace) {
        if let Namespace::PeerJs(_) = namespace {
            super::hub::write(&self.hashed).remove(&subject_token(namespace));
        }
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

    fn broadcast(&self, namespace: &Namespace, except: Option<&str>, text: &str) {
        self.publish(namespace, &Envelope::broadcast(except, text));
    }

    fn close_room(&self, namespace: &Namespace) {
        self.publish(namespace, &Envelope::new(Op::Close));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signaling::hub::peerjs_namespace;

    #[test]
    fn a_presence_notice_survives_the_trip_through_an_envelope() {
        let text = r#"{"type":"joined","peer":{"peer_id":"bob-1","name":"Bob \"B\""}}"#;
        let bytes = serde_json::to_vec(&Envelope::broadcast(Some("bob-1"), text)).unwrap();
        let decoded: Envelope<'_> = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(decoded.op, Op::Broadcast);
        assert_eq!(decoded.except.as_deref(), Some("bob-1"));
        assert_eq!(decoded.text.as_deref(), Some(text));
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
}
