//! Which other nodes hold peers of the namespaces this node holds peers of, so that a
//! broadcast (every Socket.io message is one) crosses to the other nodes only when one of
//! them has a peer there: published regardless, it would cost each message a trip through
//! NATS, and every node the work of dropping it.
//!
//! A node that starts holding a namespace says `hello` on its subject, the nodes holding it
//! answer `here`, and a node that lets go says `bye`. Until answers have had time to come
//! back the node publishes as if others held it; a namespace it does not hold it always
//! publishes to (it cannot know). A node that vanished without its `bye` only costs
//! publishes nobody reads.

use super::locks::{read, write};
use super::protocol::Namespace;
use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

/// How long after its `hello` a node waits for the others' `here` before it trusts its list.
pub const ANSWERS_WITHIN: Duration = Duration::from_secs(2);

pub struct Holders {
    namespaces: RwLock<HashMap<Namespace, Held>>,
    answers_within: Duration,
}

struct Held {
    /// When this node said `hello`.
    since: Instant,
    /// The other nodes holding peers here, by node id.
    nodes: Vec<Box<str>>,
}

impl Holders {
    pub fn new(answers_within: Duration) -> Self {
        Self { namespaces: RwLock::default(), answers_within }
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
        read(&self.namespaces)
            .get(namespace)
            .is_none_or(|held| !held.nodes.is_empty() || held.since.elapsed() < self.answers_within)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signaling::protocol::peerjs_namespace;

    #[test]
    fn a_namespace_crosses_to_other_nodes_only_while_one_may_hold_it() {
        let holders = Holders::new(Duration::from_millis(30));
        let room = peerjs_namespace("room");
        assert!(holders.others_may_hold(&room), "not held here: who holds it is unknown");
        holders.start(&room);
        assert!(holders.others_may_hold(&room), "the others' answers may still be on their way");
        std::thread::sleep(Duration::from_millis(40));
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
