//! Which other nodes hold peers of the namespaces this node holds peers of, so that a
//! broadcast (every Socket.io message is one) crosses to the other nodes only when one of
//! them has a peer there: published regardless, it would cost each message a trip through
//! NATS, and every node the work of dropping it.
//!
//! Nodes say they are `alive` every few seconds (and at once to a node they have not
//! heard of): a node that has heard of no other lately publishes no broadcast at all, the
//! case of a single node with its embedded NATS. A node that starts holding a namespace says
//! `hello` on its subject, the nodes holding it answer `here`, and a node that lets go says
//! `bye`. Until answers have had time to come back the node publishes as if others held it;
//! a namespace it does not hold it always publishes to while other nodes are alive (it
//! cannot know). A node that vanished without its `bye` only costs publishes nobody reads.

use super::locks::{read, write};
use super::protocol::Namespace;
use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

/// How long a node waits for the others' answers before it trusts what it heard: the
/// `here`s after its `hello`, the `alive`s after it starts (a round trip through NATS is
/// milliseconds; a node that starts does not serve anyone for longer than this anyway).
#[derive(Debug, Clone, Copy)]
pub struct Patience {
    pub here: Duration,
    pub alive: Duration,
    /// How often a node says it is alive; one not heard of for three times as long is gone.
    pub alive_every: Duration,
}

pub const PATIENCE: Patience =
    Patience { here: Duration::from_secs(2), alive: Duration::from_millis(250), alive_every: Duration::from_secs(10) };

pub struct Holders {
    namespaces: RwLock<HashMap<Namespace, Held>>,
    /// When each other node was last heard of.
    nodes: RwLock<HashMap<Box<str>, Instant>>,
    started: Instant,
    patience: Patience,
}

struct Held {
    /// When this node said `hello`.
    since: Instant,
    /// The other nodes holding peers here, by node id.
    nodes: Vec<Box<str>>,
}

impl Holders {
    pub fn new(patience: Patience) -> Self {
        Self { namespaces: RwLock::default(), nodes: RwLock::default(), started: Instant::now(), patience }
    }

    /// `node` is alive (any message of its says so); whether it is new to this node, which
    /// then tells it at once that it is alive too.
    pub fn alive(&self, node: &str) -> bool {
        if let Some(heard) = write(&self.nodes).get_mut(node) {
            let new = heard.elapsed() > 3 * self.patience.alive_every;
            *heard = Instant::now();
            return new;
        }
        write(&self.nodes).insert(node.into(), Instant::now());
        true
    }

    /// Whether another node may be alive: one was heard of lately, or this node has only
    /// just started.
    fn others_alive(&self) -> bool {
        self.started.elapsed() < self.patience.alive
            || read(&self.nodes).values().any(|heard| heard.elapsed() <= 3 * self.patience.alive_every)
    }

    /// This node starts holding `namespace` (and says `hello`).
    pub fn start(&self, namespace: &Namespace) {
        write(&self.namespaces).insert(namespace.clone(), Held { since: Instant::now(), nodes: Vec::new() });
    }

    /// This node holds no more peers of `namespace` (and says `bye`).
    pub fn stop(&self, namespace: &Namespace) {
        write(&self.namespaces).remove(namespace);
    }

    /// `node` said it holds `namespace`; whether this node holds it too (and is to answer a
    /// `hello` with `here`).
    pub fn heard(&self, namespace: &Namespace, node: &str) -> bool {
        let mut namespaces = write(&self.namespaces);
        let Some(held) = namespaces.get_mut(namespace) else { return false };
        if !held.nodes.iter().any(|known| &**known == node) {
            held.nodes.push(node.into());
        }
        true
    }

    /// `node` let go of `namespace`.
    pub fn left(&self, namespace: &Namespace, node: &str) {
        if let Some(held) = write(&self.namespaces).get_mut(namespace) {
            held.nodes.retain(|known| &**known != node);
        }
    }

    /// Whether a message for everyone in `namespace` is to be published to the other nodes.
    pub fn others_may_hold(&self, namespace: &Namespace) -> bool {
        self.others_alive()
            && read(&self.namespaces)
                .get(namespace)
                .is_none_or(|held| !held.nodes.is_empty() || held.since.elapsed() < self.patience.here)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signaling::protocol::peerjs_namespace;

    #[test]
    fn a_node_alone_publishes_nothing_once_it_has_listened_for_the_others() {
        let millis = Duration::from_millis;
        let holders = Holders::new(Patience { here: millis(200), alive: millis(200), alive_every: millis(100) });
        let room = peerjs_namespace("room");
        assert!(holders.others_may_hold(&room), "just started: the others may not have answered yet");
        std::thread::sleep(Duration::from_millis(250));
        assert!(!holders.others_may_hold(&room), "nobody said it is alive");
        assert!(holders.alive("node-b"), "a node not heard of before is told at once");
        assert!(!holders.alive("node-b"), "...once");
        assert!(holders.others_may_hold(&room), "who holds a namespace not held here is unknown");
        std::thread::sleep(Duration::from_millis(350));
        assert!(!holders.others_may_hold(&room), "node-b has not been heard of for three periods");
        assert!(holders.alive("node-b"), "back after a silence: told again");
    }

    #[test]
    fn a_namespace_crosses_to_other_nodes_only_while_one_may_hold_it() {
        let millis = Duration::from_millis;
        let holders = Holders::new(Patience { here: millis(200), alive: millis(200), alive_every: Duration::from_secs(60) });
        holders.alive("node-c");
        let room = peerjs_namespace("room");
        assert!(holders.others_may_hold(&room), "not held here: who holds it is unknown");
        holders.start(&room);
        assert!(holders.others_may_hold(&room), "the others' answers may still be on their way");
        std::thread::sleep(Duration::from_millis(250));
        assert!(!holders.others_may_hold(&room), "nobody answered: nobody else holds it");
        assert!(holders.heard(&room, "node-b"), "a hello is answered");
        assert!(holders.others_may_hold(&room));
        holders.heard(&room, "node-b");
        holders.left(&room, "node-b");
        assert!(!holders.others_may_hold(&room), "node-b counted once, and gone");
        holders.stop(&room);
        assert!(!holders.heard(&peerjs_namespace("another"), "node-b"), "no answer for a namespace not held");
        assert!(holders.others_may_hold(&room));
    }
}
