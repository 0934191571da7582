//! The peers one node holds in one namespace, and delivery to them.

use super::dialect::Dialect;
use super::locks::read;
use super::mailbox::PeerHandle;
use super::protocol::{Namespace, Relayed};
use super::recent::Recent;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use tokio_tungstenite::tungstenite::Utf8Bytes;

/// The peers this node holds in one namespace.
#[derive(Debug)]
pub struct LocalRoom {
    pub namespace: Namespace,
    pub(super) peers: RwLock<PeerMap>,
    /// The chat and the participants' states, once there are any (boxed: most namespaces
    /// never have any). Changed under the peers' read lock and read under their write lock
    /// as a peer enters, so that what is said as someone enters reaches them exactly once.
    recent: Mutex<Option<Box<Recent>>>,
}

/// A namespace's peers by peer id. A meeting's room holds a few (a mesh), kept in a vector
/// of exactly their number: a hash map's smallest table is four entries, ~250 bytes for a
/// room of two, which is most of what a node holding many small rooms keeps per room. A
/// namespace that grows past [`FEW_PEERS`] (PeerJS's open mode holds every peer in one)
/// becomes a hash map.
#[derive(Debug)]
pub(super) enum PeerMap {
    Few(Vec<(Arc<str>, PeerHandle)>),
    // Boxed: the map inline would double the size of every room's record.
    #[allow(clippy::box_collection)]
    Many(Box<HashMap<Arc<str>, PeerHandle>>),
}

/// The most peers a [`PeerMap`] searches one by one.
pub(super) const FEW_PEERS: usize = 16;

impl PeerMap {
    pub(super) fn get(&self, peer_id: &str) -> Option<&PeerHandle> {
        match self {
            Self::Few(peers) => peers.iter().find(|(id, _)| id.as_ref() == peer_id).map(|(_, peer)| peer),
            Self::Many(peers) => peers.get(peer_id),
        }
    }

    /// Adds or replaces a peer; the one replaced, if any.
    pub(super) fn insert(&mut self, peer_id: Arc<str>, peer: PeerHandle) -> Option<PeerHandle> {
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

    pub(super) fn remove(&mut self, peer_id: &str) -> Option<PeerHandle> {
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

    pub(super) fn len(&self) -> usize {
        match self {
            Self::Few(peers) => peers.len(),
            Self::Many(peers) => peers.len(),
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = (&Arc<str>, &PeerHandle)> {
        let (few, many) = match self {
            Self::Few(peers) => (peers.as_slice(), None),
            Self::Many(peers) => (&[][..], Some(peers.iter())),
        };
        few.iter().map(|(id, peer)| (id, peer)).chain(many.into_iter().flatten())
    }

    pub(super) fn values(&self) -> impl Iterator<Item = &PeerHandle> {
        self.iter().map(|(_, peer)| peer)
    }
}

impl LocalRoom {
    pub fn new(namespace: Namespace) -> Self {
        Self { namespace, peers: RwLock::new(PeerMap::Few(Vec::new())), recent: Mutex::default() }
    }

    fn recent(&self) -> MutexGuard<'_, Option<Box<Recent>>> {
        self.recent.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A chat message: kept for those who enter later, and sent to every peer of `dialect`
    /// here, the sender included (its confirmation, in the room's order).
    pub fn say(&self, dialect: Dialect, text: &Utf8Bytes) {
        let peers = read(&self.peers);
        self.recent().get_or_insert_default().said(text.clone());
        for peer in peers.values().filter(|peer| peer.dialect == dialect) {
            peer.push(text.clone());
        }
    }

    /// A participant's state: kept for those who enter later, and sent to the other peers of
    /// `dialect` here.
    pub fn set_state(&self, dialect: Dialect, peer_id: &Arc<str>, text: &Utf8Bytes) {
        let peers = read(&self.peers);
        self.recent().get_or_insert_default().state(peer_id, text.clone());
        for (id, peer) in peers.iter() {
            if peer.dialect == dialect && id != peer_id {
                peer.push(text.clone());
            }
        }
    }

    /// Tells a peer entering (under the peers' write lock) what was said and who is in
    /// which state, in one message: `{"type":"recent","messages":[...]}`.
    pub(super) fn tell_backlog(&self, peer_id: &str, peer: &PeerHandle) {
        let recent = self.recent();
        let Some(recent) = recent.as_ref() else { return };
        let messages: Vec<&str> = recent.backlog(peer_id).map(Utf8Bytes::as_str).collect();
        if !messages.is_empty() {
            peer.push([r#"{"type":"recent","messages":["#, &messages.join(","), "]}"].concat().into());
        }
    }

    /// A peer left: its state goes. Whether it had one.
    pub(super) fn forget(&self, peer_id: &str) -> bool {
        self.recent().as_mut().is_some_and(|recent| recent.gone(peer_id))
    }

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

    pub(super) fn disconnect_all(&self, code: u16) {
        for peer in read(&self.peers).values() {
            peer.disconnect(code);
        }
    }
}
