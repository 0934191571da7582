//! The hub's link to the other nodes: what crosses the signal bus (NATS core) and how a
//! node delivers what arrives to the peers it holds.
//!
//! Envelopes are JSON: `{"op":"relay","kind","from","to","payload"}` for a signaling message
//! to one peer, `{"op":"broadcast","except","text"}` for a presence notice to every
//! veche-dialect peer, `{"op":"close"}` when the room closes.

use super::hub::{Hub, Namespace, Relayed, RemoteRelay, SignalKind};
use axum::extract::ws::Utf8Bytes;
use bytes::Bytes;
use infrastructure::signal_bus::SignalBus;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, RwLock, Weak};
use tokio_util::sync::CancellationToken;

#[derive(Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
enum Envelope<'a> {
    Relay {
        kind: SignalKind,
        from: &'a str,
        to: &'a str,
        #[serde(borrow)]
        payload: &'a RawValue,
    },
    Broadcast {
        except: Option<&'a str>,
        text: &'a str,
    },
    Close,
}

/// The subject token of a namespace: `room-<uuid>`, or `peerjs-<hash of the key>` (a key
/// may hold characters a subject cannot).
fn subject_token(namespace: &str) -> String {
    match namespace.strip_prefix("room:") {
        Some(room) => format!("room-{room}"),
        None => {
            let digest = Sha256::digest(namespace.as_bytes());
            format!("ns-{}", hex::encode(&digest[..12]))
        }
    }
}

/// How long a join waits for its room's subscription before going on anyway.
const SUBSCRIBE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

pub struct NatsRelay {
    bus: Arc<SignalBus>,
    /// Which namespace a watched subject token stands for.
    namespaces: Arc<RwLock<HashMap<String, Namespace>>>,
}

impl NatsRelay {
    /// Links `hub` to the other nodes through NATS.
    pub fn attach(hub: &Arc<Hub>, client: async_nats::Client, shutdown: CancellationToken) -> Arc<Self> {
        let namespaces: Arc<RwLock<HashMap<String, Namespace>>> = Arc::default();
        let weak: Weak<Hub> = Arc::downgrade(hub);
        let lookup = namespaces.clone();
        let inbound = Arc::new(move |token: &str, payload: Bytes| {
            let (Some(hub), Some(namespace)) = (weak.upgrade(), lookup.read().expect("relay lock").get(token).cloned())
            else {
                return;
            };
            deliver(&hub, &namespace, &payload);
        });
        let bus = SignalBus::start(client, hub.node_id.clone(), inbound, shutdown);
        let relay = Arc::new(Self { bus, namespaces });
        hub.set_remote(relay.clone());
        relay
    }

    fn publish(&self, namespace: &Namespace, envelope: &Envelope<'_>) {
        let bytes = serde_json::to_vec(envelope).expect("an envelope serialises");
        self.bus.publish(&subject_token(namespace), Bytes::from(bytes));
    }
}

/// Hands a message from another node to the peers this node holds.
fn deliver(hub: &Hub, namespace: &str, payload: &[u8]) {
    let Ok(envelope) = serde_json::from_slice::<Envelope<'_>>(payload) else {
        metrics::counter!("veche_signal_bus_dropped_total", "why" => "undecodable").increment(1);
        return;
    };
    match envelope {
        Envelope::Relay { kind, from, to, payload } => {
            if let Some(room) = hub.room(namespace) {
                room.deliver_local(&Relayed { kind, from, to, payload });
            }
        }
        Envelope::Broadcast { except, text } => {
            if let Some(room) = hub.room(namespace) {
                room.broadcast_local(super::hub::Dialect::Veche, except, &Utf8Bytes::from(text));
            }
        }
        Envelope::Close => hub.close_local_room(namespace),
    }
}

impl RemoteRelay for NatsRelay {
    fn watch(&self, namespace: &Namespace) {
        let token = subject_token(namespace);
        self.namespaces.write().expect("relay lock").insert(token.clone(), namespace.clone());
        self.bus.watch(&token);
    }

    fn unwatch(&self, namespace: &Namespace) {
        let token = subject_token(namespace);
        self.bus.unwatch(&token);
        self.namespaces.write().expect("relay lock").remove(&token);
    }

    fn ready<'a>(&'a self, namespace: &'a Namespace) -> futures::future::BoxFuture<'a, ()> {
        Box::pin(async move {
            if !self.bus.subscribed(&subject_token(namespace), SUBSCRIBE_WAIT).await {
                tracing::warn!(%namespace, "the room's signaling subscription is not confirmed; other nodes may be unreachable");
            }
        })
    }

    fn relay(&self, namespace: &Namespace, relayed: &Relayed<'_>) {
        self.publish(
            namespace,
            &Envelope::Relay { kind: relayed.kind, from: relayed.from, to: relayed.to, payload: relayed.payload },
        );
    }

    fn broadcast(&self, namespace: &Namespace, except: Option<&str>, text: &str) {
        self.publish(namespace, &Envelope::Broadcast { except, text });
    }

    fn close_room(&self, namespace: &Namespace) {
        self.publish(namespace, &Envelope::Close);
    }
}
