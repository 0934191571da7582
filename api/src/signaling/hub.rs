//! The node's hub: which peers this node holds in which room, and how a message reaches a
//! peer, here or (through the remote relay) on another node.
//!
//! A room is a *namespace*: `room:<uuid>` for a meeting's room, `peerjs:<key>` for the
//! PeerJS endpoint's open mode. Outbound messages are rendered once per recipient in the
//! recipient's dialect and put on its bounded queue without waiting: a full queue means
//! a slow consumer, which is disconnected rather than allowed to grow memory.

use super::dialect::Dialect;
use super::local_room::LocalRoom;
use super::locks::{read, write};
use super::mailbox::{self, PeerHandle, PeerInbox};
use super::protocol::{close_code, Namespace, Relayed};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use tokio_tungstenite::tungstenite::Utf8Bytes;

/// Carries messages to peers held by other nodes (over NATS core subjects).
/// A message for the peers of one dialect already in a namespace a peer enters.
pub struct Announcement {
    pub dialect: Dialect,
    pub text: Utf8Bytes,
}

pub trait RemoteRelay: Send + Sync + 'static {
    /// The node starts holding peers of `namespace`: take its messages.
    fn watch(&self, namespace: &Namespace);
    /// The node holds no more peers of `namespace`.
    fn unwatch(&self, namespace: &Namespace);
    /// A chat message for the room's peers on the other nodes (who keep it too).
    fn say(&self, namespace: &Namespace, text: &str);
    /// A participant's state for the room's peers on the other nodes (who keep it too);
    /// empty: the participant left, its state goes.
    fn set_state(&self, namespace: &Namespace, peer_id: &str, text: &str);
    /// Resolves once messages from other nodes are being received.
    fn ready(&self) -> futures::future::BoxFuture<'_, ()>;
    /// A message for a peer not held here.
    fn relay(&self, namespace: &Namespace, relayed: &Relayed<'_>);
    /// A message for every peer of `dialect` of the namespace on other nodes (a presence
    /// notice, or a Socket.io event, which goes to the whole room).
    fn broadcast(&self, namespace: &Namespace, dialect: Dialect, except: Option<&str>, text: &str);
    /// Room closed: disconnect its peers on every node.
    fn close_room(&self, namespace: &Namespace);
    /// A participant was taken off the meeting: disconnect that peer wherever it is held.
    fn remove_peer(&self, namespace: &Namespace, peer_id: &str);
}

/// What became of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Local,
    /// Handed to the remote relay (the recipient may be on another node).
    Remote,
    /// No such peer here, and no other node to ask.
    NoSuchPeer,
}

pub struct Hub {
    pub node_id: String,
    rooms: RwLock<HashMap<Namespace, Arc<LocalRoom>>>,
    next_connection: AtomicU64,
    connections: AtomicUsize,
    queue_capacity: usize,
    remote: OnceLock<Arc<dyn RemoteRelay>>,
    relayed: OnceLock<RelayedCounters>,
}

/// `veche_signal_relayed_total` by way: looked up once, not in the registry per message
/// (taken at the first relay, when the node's recorder is installed).
struct RelayedCounters {
    local: metrics::Counter,
    remote: metrics::Counter,
}

impl Hub {
    pub fn new(node_id: String, queue_capacity: usize) -> Self {
        Self {
            node_id,
            rooms: RwLock::new(HashMap::new()),
            next_connection: AtomicU64::new(1),
            connections: AtomicUsize::new(0),
            queue_capacity: queue_capacity.max(1),
            remote: OnceLock::new(),
            relayed: OnceLock::new(),
        }
    }

    fn relayed(&self) -> &RelayedCounters {
        self.relayed.get_or_init(|| RelayedCounters {
            local: metrics::counter!("veche_signal_relayed_total", "via" => "local"),
            remote: metrics::counter!("veche_signal_relayed_total", "via" => "remote"),
        })
    }

    /// Connects this hub to the other nodes' hubs (once).
    pub fn set_remote(&self, remote: Arc<dyn RemoteRelay>) {
        let _ = self.remote.set(remote);
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::Relaxed)
    }

    /// A fresh handle and inbox for a new connection (not yet in any room).
    pub fn open_connection(&self, dialect: Dialect, owner: Option<Arc<str>>) -> (PeerHandle, PeerInbox) {
        let capacity = self.queue_capacity.min(u32::MAX as usize) as u32;
        let connection = self.next_connection.fetch_add(1, Ordering::Relaxed);
        self.connections.fetch_add(1, Ordering::Relaxed);
        metrics::gauge!("veche_signal_connections").increment(1.0);
        mailbox::open(dialect, owner, capacity, connection)
    }

    /// Called once when a connection ends, whatever happened to it.
    pub fn connection_closed(&self) {
        self.connections.fetch_sub(1, Ordering::Relaxed);
        metrics::gauge!("veche_signal_connections").decrement(1.0);
    }

    /// Puts a peer in a namespace. A connection already holding that peer id is returned
    /// (the caller decides: resume replaces it, an impostor is refused before this).
    pub fn attach(&self, namespace: &Namespace, peer_id: Arc<str>, handle: PeerHandle) -> (Arc<LocalRoom>, Option<PeerHandle>) {
        self.attach_announced(namespace, peer_id, handle, None)
    }

    /// [`Hub::attach`], telling the peers of the announcement's dialect already there in the
    /// same step: of two peers entering at once, exactly one hears of the other (the other
    /// nodes' peers are told by [`Hub::broadcast_to_other_nodes`]).
    pub fn attach_announced(
        &self,
        namespace: &Namespace,
        peer_id: Arc<str>,
        handle: PeerHandle,
        announcement: Option<&Announcement>,
    ) -> (Arc<LocalRoom>, Option<PeerHandle>) {
        let mut rooms = write(&self.rooms);
        let room = rooms
            .entry(namespace.clone())
            .or_insert_with(|| {
                // Under the lock, so that watching and unwatching a namespace keep the
                // order of the first attach and the last detach.
                if let Some(remote) = self.remote.get() {
                    remote.watch(namespace);
                }
                Arc::new(LocalRoom::new(namespace.clone()))
            })
            .clone();
        let mut peers = write(&room.peers);
        if let Some(Announcement { dialect, text }) = announcement {
            for (id, peer) in peers.iter() {
                if peer.dialect == *dialect && *id != peer_id {
                    peer.push(text.clone());
                }
            }
        }
        if handle.dialect == Dialect::Veche {
            room.tell_backlog(&peer_id, &handle);
        }
        let replaced = peers.insert(peer_id, handle);
        drop(peers);
        (room, replaced)
    }

    /// Waits (briefly, bounded) until the other nodes' messages reach this node; immediate
    /// without other nodes, and once the node has been up for a moment.
    pub async fn remote_ready(&self) {
        if let Some(remote) = self.remote.get() {
            remote.ready().await;
        }
    }

    /// Takes a connection out of its namespace, unless a newer connection has taken its
    /// peer id since. Returns whether it was removed.
    pub fn detach(&self, room: &LocalRoom, peer_id: &str, connection: u64) -> bool {
        let mut rooms = write(&self.rooms);
        let mut peers = write(&room.peers);
        let removed = match peers.get(peer_id) {
            Some(current) if current.connection() == connection => {
                peers.remove(peer_id);
                if room.forget(peer_id) {
                    if let Some(remote) = self.remote.get() {
                        remote.set_state(&room.namespace, peer_id, "");
                    }
                }
                true
            }
            _ => false,
        };
        if peers.is_empty() && rooms.remove(&room.namespace).is_some() {
            if let Some(remote) = self.remote.get() {
                remote.unwatch(&room.namespace);
            }
        }
        removed
    }

    /// The meetings' rooms this node holds peers of.
    pub fn room_ids(&self) -> Vec<uuid::Uuid> {
        let rooms = read(&self.rooms);
        rooms
            .keys()
            .filter_map(|namespace| match namespace {
                Namespace::Room(room_id) => Some(room_id.as_uuid()),
                Namespace::PeerJs(_) | Namespace::SocketIo(_) => None,
            })
            .collect()
    }

    pub fn room(&self, namespace: &Namespace) -> Option<Arc<LocalRoom>> {
        read(&self.rooms).get(namespace).cloned()
    }

    /// Whether this node holds `peer_id` in `namespace`.
    pub fn holds(&self, namespace: &Namespace, peer_id: &str) -> bool {
        self.room(namespace).is_some_and(|room| room.get(peer_id).is_some())
    }

    /// Sends a signaling message to its recipient, here or through the other nodes.
    pub fn relay(&self, room: &LocalRoom, relayed: &Relayed<'_>) -> Delivery {
        if room.deliver_local(relayed) {
            self.relayed().local.increment(1);
            return Delivery::Local;
        }
        match self.remote.get() {
            Some(remote) => {
                remote.relay(&room.namespace, relayed);
                self.relayed().remote.increment(1);
                Delivery::Remote
            }
            None => Delivery::NoSuchPeer,
        }
    }

    /// Tells every peer of `dialect` in the namespace, on every node, except `except`.
    pub fn broadcast(&self, namespace: &Namespace, dialect: Dialect, except: Option<&str>, text: Utf8Bytes) {
        if let Some(room) = self.room(namespace) {
            room.broadcast_local(dialect, except, &text);
        }
        self.broadcast_to_other_nodes(namespace, dialect, except, &text);
    }

    /// A chat message to everyone in the room (veche's protocol), on every node.
    pub fn say(&self, room: &LocalRoom, text: Utf8Bytes) {
        room.say(Dialect::Veche, &text);
        if let Some(remote) = self.remote.get() {
            remote.say(&room.namespace, text.as_str());
        }
    }

    /// A participant's state to the others in the room (veche's protocol), on every node.
    pub fn set_state(&self, room: &LocalRoom, peer_id: &Arc<str>, text: Utf8Bytes) {
        room.set_state(Dialect::Veche, peer_id, &text);
        if let Some(remote) = self.remote.get() {
            remote.set_state(&room.namespace, peer_id, text.as_str());
        }
    }

    /// Tells every peer of `dialect` in the namespace on the other nodes, except `except`.
    pub fn broadcast_to_other_nodes(&self, namespace: &Namespace, dialect: Dialect, except: Option<&str>, text: &str) {
        if let Some(remote) = self.remote.get() {
            remote.broadcast(namespace, dialect, except, text);
        }
    }

    /// Disconnects every peer of a closed room, on every node.
    pub fn close_room(&self, namespace: &Namespace) {
        self.close_local_room(namespace);
        if let Some(remote) = self.remote.get() {
            remote.close_room(namespace);
        }
    }

    /// Disconnects a peer taken off the meeting (4003), on every node.
    pub fn remove_peer(&self, namespace: &Namespace, peer_id: &str) {
        self.remove_local_peer(namespace, peer_id);
        if let Some(remote) = self.remote.get() {
            remote.remove_peer(namespace, peer_id);
        }
    }

    /// Disconnects a peer taken off the meeting, if this node holds it (the remote relay
    /// calls this).
    pub fn remove_local_peer(&self, namespace: &Namespace, peer_id: &str) {
        if let Some(peer) = self.room(namespace).and_then(|room| room.get(peer_id)) {
            peer.push(Utf8Bytes::from_static(r#"{"type":"removed"}"#));
            peer.disconnect(close_code::REMOVED);
        }
    }

    /// Disconnects this node's peers of a closed room (the remote relay calls this).
    pub fn close_local_room(&self, namespace: &Namespace) {
        if let Some(room) = self.room(namespace) {
            room.broadcast_local(Dialect::Veche, None, &Utf8Bytes::from_static(r#"{"type":"room-closed"}"#));
            room.disconnect_all(close_code::ROOM_CLOSED);
        }
    }

    /// Asks every connection whose id falls in `slice` (of `slices`) to ping its client.
    /// The pinger ([`super::run_pinger`]) goes round the slices, so that each connection is
    /// pinged once a period and the node's pings are spread over it.
    /// A connection whose token has expired is closed instead (4014), so a pass or token
    /// stops working within a ping period of its expiry.
    pub fn ping_slice(&self, slice: u64, slices: u64) {
        let now = chrono::Utc::now().timestamp().clamp(0, u32::MAX as i64) as u32;
        let rooms: Vec<Arc<LocalRoom>> = read(&self.rooms).values().cloned().collect();
        for room in rooms {
            for peer in read(&room.peers).values() {
                if peer.connection() % slices == slice {
                    if peer.expired(now) {
                        metrics::counter!("veche_signal_tokens_expired_total").increment(1);
                        peer.disconnect(close_code::TOKEN_EXPIRED);
                    } else {
                        peer.ping();
                    }
                }
            }
        }
    }

    /// Disconnects everyone (shutdown): they reconnect elsewhere and resume.
    pub fn disconnect_all(&self, code: u16) {
        for room in read(&self.rooms).values() {
            room.disconnect_all(code);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signaling::local_room::FEW_PEERS;
    use crate::signaling::protocol::room_namespace;

    fn connect(hub: &Hub, namespace: &Namespace, peer_id: &str) -> (u64, Option<PeerHandle>) {
        let (handle, _inbox) = hub.open_connection(Dialect::Veche, None);
        let connection = handle.connection();
        let (_, replaced) = hub.attach(namespace, peer_id.into(), handle);
        (connection, replaced)
    }

    #[test]
    fn a_peer_entering_is_announced_to_those_of_its_dialect_already_there_and_to_no_one_else() {
        let hub = Hub::new("node-1".into(), 8);
        let namespace = room_namespace(domain::RoomId(uuid::Uuid::from_u128(7)));
        let enter = |peer_id: &str, dialect: Dialect| {
            let (handle, inbox) = hub.open_connection(dialect, None);
            let text = Utf8Bytes::from(format!("{peer_id} is here"));
            hub.attach_announced(&namespace, peer_id.into(), handle, Some(&Announcement { dialect, text }));
            inbox
        };
        let first = enter("first", Dialect::SocketIo);
        let veche = enter("veche", Dialect::Veche);
        let second = enter("second", Dialect::SocketIo);
        assert_eq!(first.pop().as_deref(), Some("second is here"));
        assert_eq!(first.pop(), None, "nothing of a peer of another dialect");
        assert_eq!(veche.pop(), None, "a peer of another dialect hears nothing");
        assert_eq!(second.pop(), None, "the newcomer is not told of itself, nor of who came before");
    }

    #[test]
    fn a_panic_while_a_rooms_lock_was_held_does_not_take_the_hub_down() {
        let hub = Hub::new("node-1".into(), 8);
        let namespace = room_namespace(domain::RoomId(uuid::Uuid::from_u128(9)));
        let (first, _) = connect(&hub, &namespace, "peer-a");
        let room = hub.room(&namespace).expect("the room is held");
        let poisoner = room.clone();
        let _ = std::thread::spawn(move || {
            let _held = write(&poisoner.peers);
            panic!("a bug while the room's lock is held");
        })
        .join();
        assert!(room.peers.is_poisoned());

        let (second, _) = connect(&hub, &namespace, "peer-b");
        assert_eq!(room.len(), 2);
        assert!(hub.detach(&room, "peer-a", first));
        assert!(hub.detach(&room, "peer-b", second));
        assert!(hub.room(&namespace).is_none(), "the emptied room is let go as usual");
    }

    #[test]
    fn a_namespace_finds_every_peer_as_it_grows_past_a_few_and_shrinks_again() {
        let hub = Hub::new("node".into(), 4);
        let namespace = room_namespace(domain::RoomId(uuid::Uuid::from_u128(7)));
        let peers: Vec<(String, u64)> =
            (0..3 * FEW_PEERS).map(|i| format!("peer-{i}")).map(|id| (id.clone(), connect(&hub, &namespace, &id).0)).collect();
        let room = hub.room(&namespace).expect("the room is held");
        assert_eq!(room.len(), peers.len());
        assert!(peers.iter().all(|(id, connection)| room.get(id).map(|peer| peer.connection()) == Some(*connection)));

        let (last, rest) = peers.split_last().unwrap();
        assert!(rest.iter().all(|(id, connection)| hub.detach(&room, id, *connection)));
        assert_eq!(room.len(), 1);
        assert!(hub.holds(&namespace, &last.0));
        assert!(hub.detach(&room, &last.0, last.1));
        assert!(hub.room(&namespace).is_none(), "an empty namespace is let go");
    }

    #[test]
    fn a_peer_id_taken_again_replaces_the_connection_that_held_it_in_small_and_large_rooms() {
        for size in [2, 2 * FEW_PEERS] {
            let hub = Hub::new("node".into(), 4);
            let namespace = room_namespace(domain::RoomId(uuid::Uuid::from_u128(7)));
            let first: Vec<u64> = (0..size).map(|i| connect(&hub, &namespace, &format!("peer-{i}")).0).collect();
            let (again, replaced) = connect(&hub, &namespace, "peer-1");
            assert_eq!(replaced.map(|peer| peer.connection()), Some(first[1]));
            let room = hub.room(&namespace).unwrap();
            assert_eq!(room.len(), size);
            assert!(!hub.detach(&room, "peer-1", first[1]), "the replaced connection no longer holds the id");
            assert_eq!(room.get("peer-1").map(|peer| peer.connection()), Some(again));
        }
    }
}
