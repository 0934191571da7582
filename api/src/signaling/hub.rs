//! The node's hub: which peers this node holds in which room, and how a message reaches a
//! peer, here or (through the remote relay) on another node.
//!
//! A room is a *namespace*: `room:<uuid>` for a meeting's room, `peerjs:<key>` for the
//! PeerJS endpoint's open mode. Outbound messages are rendered once per recipient in the
//! recipient's dialect and put on its bounded queue without waiting: a full queue means
//! a slow consumer, which is disconnected rather than allowed to grow memory.

use futures::task::AtomicWaker;
use serde::Serialize;
use serde_json::value::RawValue;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::task::Poll;
use tokio_tungstenite::tungstenite::Utf8Bytes;

/// Where peers meet and are relayed to one another.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Namespace {
    /// A meeting's room (`room:<uuid>`), kept as its id: a node holds thousands of rooms,
    /// and its 41-byte spelling was an allocation of its own per room.
    Room(domain::RoomId),
    /// A key's namespace in the PeerJS endpoint's open mode (`peerjs:<key>`).
    PeerJs(Arc<str>),
}

pub fn room_namespace(room_id: domain::RoomId) -> Namespace {
    Namespace::Room(room_id)
}

pub fn peerjs_namespace(key: &str) -> Namespace {
    Namespace::PeerJs(key.into())
}

/// The protocol a connection speaks, which decides how messages to it are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// veche's own protocol (`/api/rooms/{id}/signal`).
    Veche,
    /// The PeerJS server protocol (the `peer` npm package's).
    PeerJs,
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
        };
        text.into()
    }
}

/// Whether a peer id is acceptable: short, and safe in JSON, URLs and NATS subjects.
pub fn valid_peer_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The signaling locks guard maps and vectors that no code path leaves half-changed: a panic
/// elsewhere while one was held must not make every later call on it panic too, which would
/// take the node's whole hub down with one connection.
pub(super) fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

pub(super) fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

/// One connection as the hub sees it.
#[derive(Debug, Clone)]
pub struct PeerHandle {
    pub dialect: Dialect,
    /// PeerJS's open mode: the client's token, which tells a reconnect from an impostor
    /// taking its id. In a meeting's room the Room aggregate knows who holds which peer id.
    pub owner: Option<Arc<str>>,
    mailbox: Arc<Mailbox>,
}

impl PeerHandle {
    /// The connection's number on this node: a newer connection of the same peer id has a
    /// higher one.
    pub fn connection(&self) -> u64 {
        self.mailbox.connection
    }

    /// Queues a message without waiting; a full queue disconnects the slow consumer.
    pub fn push(&self, text: Utf8Bytes) -> bool {
        let mut state = self.mailbox.lock();
        if state.end.is_some() {
            return false;
        }
        if state.queue.len() >= self.mailbox.capacity as usize {
            drop(state);
            metrics::counter!("veche_signal_slow_consumers_total").increment(1);
            self.disconnect(close_code::SLOW_CONSUMER);
            return false;
        }
        state.queue.push_back(text);
        drop(state);
        self.mailbox.waker.wake();
        true
    }

    /// Asks the connection task to ping its client (see [`Hub::ping_slice`]). Also once
    /// the connection is to end: if its close waits behind a write the client does not take,
    /// the ping rounds are how it gives up (`connection::Live::blocked`).
    fn ping(&self) {
        self.mailbox.lock().ping_due = true;
        self.mailbox.waker.wake();
    }

    /// Ends the connection once `at` (seconds since the Unix epoch) has passed: the expiry
    /// of the token it entered with. The hub's ping rounds look ([`Hub::ping_slice`]).
    pub fn expire_at(&self, at: u32) {
        self.mailbox.expires_at.store(at, Ordering::Relaxed);
    }

    fn expired(&self, now: u32) -> bool {
        let at = self.mailbox.expires_at.load(Ordering::Relaxed);
        at != 0 && at <= now
    }

    /// Ends the connection with `code` (the connection task sends the close frame); the
    /// first code given is the one sent.
    pub fn disconnect(&self, code: u16) {
        self.mailbox.lock().end.get_or_insert(code);
        self.mailbox.waker.wake();
    }
}

/// A connection's bounded queue of outgoing messages and its end, shared by the hub's
/// handle and the connection task: one small allocation, as a node holds tens of thousands
/// of connections.
#[derive(Debug)]
struct Mailbox {
    state: Mutex<MailboxState>,
    waker: AtomicWaker,
    capacity: u32,
    /// When the connection's token expires (seconds since the Unix epoch; 0: never). In the
    /// mailbox, beside `capacity`, it costs a connection no memory of its own.
    expires_at: AtomicU32,
    /// Kept here rather than in the handle and the connection's task: a room's record holds
    /// a handle per peer, and the mailbox has room to spare in its allocation.
    connection: u64,
}

#[derive(Debug, Default)]
struct MailboxState {
    queue: VecDeque<Utf8Bytes>,
    /// Set once: the close code the connection is to end with.
    end: Option<u16>,
    /// The hub's ping round reached this connection: a timer per connection would cost
    /// every idle connection a timer entry of its own.
    ping_due: bool,
}

impl Mailbox {
    fn lock(&self) -> std::sync::MutexGuard<'_, MailboxState> {
        // The lock guards plain data that no code path leaves half-changed.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The receiving end a connection task owns.
pub struct PeerInbox {
    mailbox: Arc<Mailbox>,
}

impl PeerInbox {
    /// The connection's number, as its handle in the hub has it ([`PeerHandle::connection`]).
    pub fn connection(&self) -> u64 {
        self.mailbox.connection
    }

    /// Ready when there is something to do: `Err(code)` once the connection is to end
    /// (before any message still queued), `Ok(())` when messages are queued or a ping is
    /// due ([`PeerInbox::take_ping`]); otherwise the task is woken when there is.
    pub fn poll_ready(&self, cx: &mut std::task::Context<'_>) -> Poll<Result<(), u16>> {
        self.mailbox.waker.register(cx.waker());
        let state = self.mailbox.lock();
        match state.end {
            Some(code) => Poll::Ready(Err(code)),
            None if state.ping_due || !state.queue.is_empty() => Poll::Ready(Ok(())),
            None => Poll::Pending,
        }
    }

    /// Whether the hub asked for a ping since the last call.
    pub fn take_ping(&self) -> bool {
        std::mem::take(&mut self.mailbox.lock().ping_due)
    }

    /// The oldest queued message.
    pub fn pop(&self) -> Option<Utf8Bytes> {
        let mut state = self.mailbox.lock();
        let next = state.queue.pop_front();
        // An idle connection keeps no queue memory: tens of thousands of them would keep
        // the slots of their last message (a reallocation per burst is cheap beside the
        // system calls that write it).
        if state.queue.is_empty() && state.queue.capacity() > 0 {
            state.queue = VecDeque::new();
        }
        next
    }
}

impl Drop for PeerInbox {
    /// Messages to a connection that is gone are refused from now on.
    fn drop(&mut self) {
        let mut state = self.mailbox.lock();
        state.end.get_or_insert(close_code::GOING_AWAY);
        state.queue = VecDeque::new();
    }
}

/// The peers this node holds in one namespace.
#[derive(Debug)]
pub struct LocalRoom {
    pub namespace: Namespace,
    peers: RwLock<PeerMap>,
}

/// A namespace's peers by peer id. A meeting's room holds a few (a mesh), kept in a vector
/// of exactly their number: a hash map's smallest table is four entries, ~250 bytes for a
/// room of two, which is most of what a node holding many small rooms keeps per room. A
/// namespace that grows past [`FEW_PEERS`] (PeerJS's open mode holds every peer in one)
/// becomes a hash map.
#[derive(Debug)]
enum PeerMap {
    Few(Vec<(Arc<str>, PeerHandle)>),
    // Boxed: the map inline would double the size of every room's record.
    #[allow(clippy::box_collection)]
    Many(Box<HashMap<Arc<str>, PeerHandle>>),
}

/// The most peers a [`PeerMap`] searches one by one.
const FEW_PEERS: usize = 16;

impl PeerMap {
    fn get(&self, peer_id: &str) -> Option<&PeerHandle> {
        match self {
            Self::Few(peers) => peers.iter().find(|(id, _)| id.as_ref() == peer_id).map(|(_, peer)| peer),
            Self::Many(peers) => peers.get(peer_id),
        }
    }

    /// Adds or replaces a peer; the one replaced, if any.
    fn insert(&mut self, peer_id: Arc<str>, peer: PeerHandle) -> Option<PeerHandle> {
        match self {
            Self::Few(peers) => {
                if let Some((_, held)) = peers.iter_mut().find(|(id, _)| *id == peer_id) {
                    return Some(std::mem::replace(held, peer));
                }
                if peers.len() < FEW_PEERS {
                    peers.reserve_exact(1);
                    peers.push((peer_id, peer));
                } else {
                    let mut many: HashMap<_, _> = std::mem::take(peers).into_iter().collect();
                    many.insert(peer_id, peer);
                    *self = Self::Many(Box::new(many));
                }
                None
            }
            Self::Many(peers) => peers.insert(peer_id, peer),
        }
    }

    fn remove(&mut self, peer_id: &str) -> Option<PeerHandle> {
        match self {
            Self::Few(peers) => {
                let at = peers.iter().position(|(id, _)| id.as_ref() == peer_id)?;
                let (_, peer) = peers.swap_remove(at);
                peers.shrink_to_fit();
                Some(peer)
            }
            Self::Many(peers) => peers.remove(peer_id),
        }
    }

    fn len(&self) -> usize {
        match self {
            Self::Few(peers) => peers.len(),
            Self::Many(peers) => peers.len(),
        }
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn iter(&self) -> impl Iterator<Item = (&Arc<str>, &PeerHandle)> {
        let (few, many) = match self {
            Self::Few(peers) => (peers.as_slice(), None),
            Self::Many(peers) => (&[][..], Some(peers.iter())),
        };
        few.iter().map(|(id, peer)| (id, peer)).chain(many.into_iter().flatten())
    }

    fn values(&self) -> impl Iterator<Item = &PeerHandle> {
        self.iter().map(|(_, peer)| peer)
    }
}

impl LocalRoom {
    pub fn get(&self, peer_id: &str) -> Option<PeerHandle> {
        read(&self.peers).get(peer_id).cloned()
    }

    /// Delivers to a peer held here; `false` if there is none.
    pub fn deliver_local(&self, relayed: &Relayed<'_>) -> bool {
        let peers = read(&self.peers);
        match peers.get(relayed.to) {
            Some(peer) => {
                peer.push(relayed.render(peer.dialect));
                true
            }
            None => false,
        }
    }

    /// Sends `text` to every local peer of `dialect` except `except`.
    pub fn broadcast_local(&self, dialect: Dialect, except: Option<&str>, text: &Utf8Bytes) {
        for (id, peer) in read(&self.peers).iter() {
            if peer.dialect == dialect && Some(id.as_ref()) != except {
                peer.push(text.clone());
            }
        }
    }

    pub fn len(&self) -> usize {
        read(&self.peers).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn disconnect_all(&self, code: u16) {
        for peer in read(&self.peers).values() {
            peer.disconnect(code);
        }
    }
}

/// Carries messages to peers held by other nodes (over NATS core subjects).
pub trait RemoteRelay: Send + Sync + 'static {
    /// The node starts holding peers of `namespace`: take its messages.
    fn watch(&self, namespace: &Namespace);
    /// The node holds no more peers of `namespace`.
    fn unwatch(&self, namespace: &Namespace);
    /// Resolves once messages from other nodes are being received.
    fn ready(&self) -> futures::future::BoxFuture<'_, ()>;
    /// A message for a peer not held here.
    fn relay(&self, namespace: &Namespace, relayed: &Relayed<'_>);
    /// A presence notice (joined / left) for the veche-dialect peers of other nodes.
    fn broadcast(&self, namespace: &Namespace, except: Option<&str>, text: &str);
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
        let mailbox = Arc::new(Mailbox {
            state: Mutex::new(MailboxState::default()),
            waker: AtomicWaker::new(),
            capacity: self.queue_capacity.min(u32::MAX as usize) as u32,
            expires_at: AtomicU32::new(0),
            connection: self.next_connection.fetch_add(1, Ordering::Relaxed),
        });
        self.connections.fetch_add(1, Ordering::Relaxed);
        metrics::gauge!("veche_signal_connections").increment(1.0);
        (PeerHandle { dialect, owner, mailbox: mailbox.clone() }, PeerInbox { mailbox })
    }

    /// Called once when a connection ends, whatever happened to it.
    pub fn connection_closed(&self) {
        self.connections.fetch_sub(1, Ordering::Relaxed);
        metrics::gauge!("veche_signal_connections").decrement(1.0);
    }

    /// Puts a peer in a namespace. A connection already holding that peer id is returned
    /// (the caller decides: resume replaces it, an impostor is refused before this).
    pub fn attach(&self, namespace: &Namespace, peer_id: Arc<str>, handle: PeerHandle) -> (Arc<LocalRoom>, Option<PeerHandle>) {
        let mut rooms = write(&self.rooms);
        let room = rooms
            .entry(namespace.clone())
            .or_insert_with(|| {
                // Under the lock, so that watching and unwatching a namespace keep the
                // order of the first attach and the last detach.
                if let Some(remote) = self.remote.get() {
                    remote.watch(namespace);
                }
                Arc::new(LocalRoom { namespace: namespace.clone(), peers: RwLock::new(PeerMap::Few(Vec::new())) })
            })
            .clone();
        let replaced = write(&room.peers).insert(peer_id, handle);
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
                Namespace::PeerJs(_) => None,
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

    /// Tells every veche-dialect peer of the namespace, on every node, except `except`.
    pub fn broadcast(&self, namespace: &Namespace, except: Option<&str>, text: Utf8Bytes) {
        if let Some(room) = self.room(namespace) {
            room.broadcast_local(Dialect::Veche, except, &text);
        }
        if let Some(remote) = self.remote.get() {
            remote.broadcast(namespace, except, text.as_str());
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

    fn connect(hub: &Hub, namespace: &Namespace, peer_id: &str) -> (u64, Option<PeerHandle>) {
        let (handle, _inbox) = hub.open_connection(Dialect::Veche, None);
        let connection = handle.connection();
        let (_, replaced) = hub.attach(namespace, peer_id.into(), handle);
        (connection, replaced)
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
