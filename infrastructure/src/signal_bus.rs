//! The signal bus: how the signaling hubs of several nodes reach each other, over NATS core
//! subjects (at-most-once, no storage: signaling messages are ephemeral by design).
//!
//! Each room the node holds peers of is a subject, `veche.signal.<room token>`; a node
//! subscribes while it holds at least one peer of that room and publishes there whatever is
//! for a peer it does not hold. Every message carries its origin node so that a node ignores
//! its own. What the bytes mean is the hub's business.

use bytes::Bytes;
use futures::StreamExt;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// The subject prefix of the signal bus.
pub const SUBJECT_PREFIX: &str = "veche.signal";
/// The header naming the node a message comes from.
const ORIGIN_HEADER: &str = "Veche-Node";
/// Messages waiting to be published; beyond it they are dropped (and counted), as a
/// congested network would drop them, instead of growing memory.
const OUTGOING_QUEUE: usize = 8192;

struct Watching {
    stop: CancellationToken,
    /// Becomes true once the server has the subscription.
    subscribed: tokio::sync::watch::Receiver<bool>,
}

/// Called with (room token, message) for every message of another node on a watched room.
pub type Inbound = Arc<dyn Fn(&str, Bytes) + Send + Sync>;

pub struct SignalBus {
    client: async_nats::Client,
    node_id: String,
    outgoing: mpsc::Sender<(String, Bytes)>,
    watching: Mutex<HashMap<String, Watching>>,
    inbound: Inbound,
    shutdown: CancellationToken,
}

/// Whether a token can be one level of a subject (no dots, wildcards or spaces).
pub fn valid_token(token: &str) -> bool {
    !token.is_empty()
        && token.len() <= 128
        && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl SignalBus {
    /// Starts the publishing task; `inbound` receives other nodes' messages.
    pub fn start(client: async_nats::Client, node_id: String, inbound: Inbound, shutdown: CancellationToken) -> Arc<Self> {
        let (outgoing, mut queue) = mpsc::channel::<(String, Bytes)>(OUTGOING_QUEUE);
        let bus = Arc::new(Self {
            client: client.clone(),
            node_id: node_id.clone(),
            outgoing,
            watching: Mutex::new(HashMap::new()),
            inbound,
            shutdown: shutdown.clone(),
        });
        tokio::spawn(async move {
            loop {
                let next = tokio::select! {
                    _ = shutdown.cancelled() => break,
                    next = queue.recv() => next,
                };
                let Some((token, payload)) = next else { break };
                let mut headers = async_nats::HeaderMap::new();
                headers.insert(ORIGIN_HEADER, node_id.as_str());
                let subject = format!("{SUBJECT_PREFIX}.{token}");
                if let Err(error) = client.publish_with_headers(subject, headers, payload).await {
                    metrics::counter!("veche_signal_bus_dropped_total", "why" => "publish").increment(1);
                    tracing::warn!(%error, "could not publish a signaling message to the other nodes");
                }
            }
        });
        bus
    }

    /// Listens to a room's subject (idempotent).
    pub fn watch(self: &Arc<Self>, token: &str) {
        if !valid_token(token) {
            return;
        }
        let (subscribed_tx, subscribed) = tokio::sync::watch::channel(false);
        let stop = {
            let mut watching = self.watching.lock().expect("bus lock");
            if watching.contains_key(token) {
                return;
            }
            let stop = self.shutdown.child_token();
            watching.insert(token.to_string(), Watching { stop: stop.clone(), subscribed });
            stop
        };
        let bus = self.clone();
        let token = token.to_string();
        tokio::spawn(async move {
            let subject = format!("{SUBJECT_PREFIX}.{token}");
            let mut subscription = match bus.client.subscribe(subject).await {
                Ok(subscription) => subscription,
                Err(error) => {
                    tracing::warn!(%error, token, "could not subscribe to a room's signaling subject");
                    bus.watching.lock().expect("bus lock").remove(&token);
                    return;
                }
            };
            // A round trip to the server proves it has the subscription.
            if bus.client.flush().await.is_ok() {
                let _ = subscribed_tx.send(true);
            }
            loop {
                let message = tokio::select! {
                    _ = stop.cancelled() => break,
                    message = subscription.next() => message,
                };
                let Some(message) = message else { break };
                let origin = message.headers.as_ref().and_then(|h| h.get(ORIGIN_HEADER)).map(|v| v.as_str());
                if origin == Some(bus.node_id.as_str()) {
                    continue;
                }
                (bus.inbound)(&token, message.payload);
            }
            let _ = subscription.unsubscribe().await;
        });
    }

    /// Stops listening to a room's subject.
    pub fn unwatch(&self, token: &str) {
        if let Some(watching) = self.watching.lock().expect("bus lock").remove(token) {
            watching.stop.cancel();
        }
    }

    /// Waits (at most `limit`) until the server has the room's subscription, so that what
    /// other nodes send in answer to this node's next message is not missed.
    pub async fn subscribed(&self, token: &str, limit: std::time::Duration) -> bool {
        let receiver = self.watching.lock().expect("bus lock").get(token).map(|w| w.subscribed.clone());
        let Some(mut receiver) = receiver else { return false };
        tokio::time::timeout(limit, receiver.wait_for(|ready| *ready)).await.is_ok_and(|r| r.is_ok())
    }

    /// Publishes to a room's subject without waiting; a full queue drops the message.
    pub fn publish(&self, token: &str, payload: Bytes) {
        if !valid_token(token) {
            return;
        }
        if self.outgoing.try_send((token.to_string(), payload)).is_err() {
            metrics::counter!("veche_signal_bus_dropped_total", "why" => "queue-full").increment(1);
        }
    }

    /// The rooms watched now (for tests and reconciliation).
    pub fn watched(&self) -> Vec<String> {
        self.watching.lock().expect("bus lock").keys().cloned().collect()
    }
}
