//! The signal bus: how the signaling hubs of several nodes reach each other, over NATS core
//! subjects (at-most-once, no storage: signaling messages are ephemeral by design).
//!
//! Each room is a subject, `veche.signal.<room token>`. A node publishes there whatever is
//! for a peer it does not hold, and listens to every room's subject through one wildcard
//! subscription, dropping what is for rooms it holds no peer of. One subscription rather
//! than one per room: a node holding tens of thousands of rooms keeps no per-room
//! subscription state, and a join never waits for a subscription round trip. The price is
//! that every node receives the other nodes' cross-node signaling, which is small (call
//! set-up messages) for the handful of nodes a deployment runs. Every message carries its
//! origin node so that a node ignores its own. What the bytes mean is the hub's business.

use bytes::Bytes;
use futures::StreamExt;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// The subject prefix of the signal bus.
pub const SUBJECT_PREFIX: &str = "veche.signal";
/// The header naming the node a message comes from.
const ORIGIN_HEADER: &str = "Veche-Node";
/// Messages waiting to be published; beyond it they are dropped (and counted), as a
/// congested network would drop them, instead of growing memory.
const OUTGOING_QUEUE: usize = 8192;

/// Called with (origin node, room token, message) for every message of another node.
pub type Inbound = Arc<dyn Fn(&str, &str, Bytes) + Send + Sync>;

pub struct SignalBus {
    outgoing: mpsc::Sender<(String, Bytes)>,
    /// Becomes true once the server has the node's subscription.
    subscribed: tokio::sync::watch::Receiver<bool>,
}

/// Whether a token can be one level of a subject (no dots, wildcards or spaces).
pub fn valid_token(token: &str) -> bool {
    !token.is_empty() && token.len() <= 128 && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl SignalBus {
    /// Starts listening and publishing; `inbound` receives other nodes' messages.
    pub fn start(client: async_nats::Client, node_id: String, inbound: Inbound, shutdown: CancellationToken) -> Arc<Self> {
        let (outgoing, queue) = mpsc::channel::<(String, Bytes)>(OUTGOING_QUEUE);
        let (subscribed_tx, subscribed) = tokio::sync::watch::channel(false);
        tokio::spawn(listen(client.clone(), node_id.clone(), inbound, subscribed_tx, shutdown.clone()));
        tokio::spawn(publish_queued(client, node_id, queue, shutdown));
        Arc::new(Self { outgoing, subscribed })
    }

    /// Waits (at most `limit`) until the server has the node's subscription, so that what
    /// other nodes send in answer to this node's next message is not missed.
    pub async fn subscribed(&self, limit: std::time::Duration) -> bool {
        let mut receiver = self.subscribed.clone();
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
}

/// Hands every other node's message on any room's subject to `inbound`, until shutdown.
/// The client subscribes again by itself after a reconnection.
async fn listen(
    client: async_nats::Client,
    node_id: String,
    inbound: Inbound,
    subscribed: tokio::sync::watch::Sender<bool>,
    shutdown: CancellationToken,
) {
    let prefix = format!("{SUBJECT_PREFIX}.");
    let mut subscription = loop {
        match client.subscribe(format!("{prefix}*")).await {
            Ok(subscription) => break subscription,
            Err(error) => {
                tracing::warn!(%error, "could not subscribe to the signal bus; retrying");
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
                }
            }
        }
    };
    // A round trip to the server proves it has the subscription.
    if client.flush().await.is_ok() {
        let _ = subscribed.send(true);
    }
    loop {
        let message = tokio::select! {
            _ = shutdown.cancelled() => break,
            message = subscription.next() => message,
        };
        let Some(message) = message else { break };
        let origin = message.headers.as_ref().and_then(|h| h.get(ORIGIN_HEADER)).map(|v| v.as_str());
        let Some(origin) = origin.filter(|origin| *origin != node_id) else { continue };
        if let Some(token) = message.subject.strip_prefix(prefix.as_str()) {
            inbound(origin, token, message.payload);
        }
    }
    let _ = subscription.unsubscribe().await;
}

/// Publishes what the hub queued, in order, until shutdown.
async fn publish_queued(
    client: async_nats::Client,
    node_id: String,
    mut queue: mpsc::Receiver<(String, Bytes)>,
    shutdown: CancellationToken,
) {
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
}
