//! Which other nodes hold peers of the namespaces this node holds peers of, so that a
//! broadcast (every Socket.io message is one) crosses to the other nodes only when one of
//! them has a peer there: published regardless, it would cost each message a trip through
//! NATS, and every node the work of dropping it.
//!
//! Nodes say they are `alive` every few seconds (and at once to a node new to them). A node
//! that starts holding a namespace says `hello` on its subject, and every node alive answers:
//! `here` if it holds peers of it, `absent` if not; a node that lets go says `bye`. Until
//! every node alive has answered (or a while has passed, for one that died meanwhile) the
//! node publishes as if they all held it. A node alone publishes no broadcast (a single node
//! with its embedded NATS); a namespace it does not hold it publishes to while others are
//! alive (it cannot know). A node that vanished without its `bye` only costs publishes.

use super::locks::{read, write};
use super::protocol::Namespace;
use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

/// How long a node waits for what the others tell it before it goes by what it heard.
#[derive(Debug, Clone, Copy)]
pub struct Patience {
    /// For the answers to a `hello` from nodes alive but slow (or dead since).
    pub answers: Duration,
    /// For the other nodes' `alive` after it starts (a round trip through NATS is
    /// milliseconds; a node starting serves no one for longer than this anyway).
    pub alive: Duration,
    /// How often a node says it is alive; one not heard of for three times as long is gone.
    pub alive_every: Duration,
}

pub const PATIENCE: Patience =
    Patience { answers: Duration::from_secs(2), alive: Duration::from_millis(250), alive_every: Duration::from_secs(10) };

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
    holders: Vec<Box<str>>,
    /// The nodes alive at the `hello` that have not answered yet.
    unanswered: Vec<Box<str>>,
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

    fn nodes_alive(&self) -> Vec<Box<str>> {
        let gone = 3 * self.patience.alive_every;
        read(&self.nodes).iter().filter(|(_, heard)| heard.elapsed() <= gone).map(|(node, _)| node.clone()).collect()
    }

    /// This node starts holding `namespace` (and says `hello`).
    pub fn start(&self, namespace: &Namespace) {
        let held = Held { since: Instant::now(), holders: Vec::new(), unanswered: self.nodes_alive() };
        write(&self.namespaces).insert(namespace.clone(), held);
    }

    /// This node holds no more peers of `namespace` (and says `bye`).
    pub fn stop(&self, namespace: &Namespace) {
        write(&self.namespaces).remove(namespace);
    }

    /// `node` holds `namespace` (its `hello` or `here`); whether this node holds it too.
    pub fn here(&self, namespace: &Namespace, node: &str) -> bool {
        let mut namespaces = write(&self.namespaces);
        let Some(held) = namespaces.get_mut(namespace) else { return false };
        held.unanswered.retain(|waited| &**waited != node);
        if !held.holders.iter().any(|known| &**known == node) {
            held.holders.push(node.into());
        }
        true
    }

    /// `node` holds no peers of `namespace` (its `absent` or `bye`).
    pub fn absent(&self, namespace: &Namespace, node: &str) {
        if let Some(held) = write(&self.namespaces).get_mut(namespace) {
            held.unanswered.retain(|waited| &**waited != node);
            held.holders.retain(|known| &**known != node);
        }
    }

    /// Whether this node holds peers of `namespace`.
    pub fn holds(&self, namespace: &Namespace) -> bool {
        read(&self.namespaces).contains_key(namespace)
    }

    /// Whether a message for everyone in `namespace` is to be published to the other nodes.
    pub fn others_may_hold(&self, namespace: &Namespace) -> bool {
        if self.started.elapsed() < self.patience.alive {
            return true;
        }
        if self.nodes_alive().is_empty() {
            return false;
        }
        read(&self.namespaces).get(namespace).is_none_or(|held| {
            !held.holders.is_empty() || (!held.unanswered.is_empty() && held.since.elapsed() < self.patience.answers)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signaling::protocol::peerjs_namespace;

    fn patience(alive_every: Duration) -> Patience {
        Patience { answers: Duration::from_millis(200), alive: Duration::from_millis(200), alive_every }
    }

    #[test]
    fn a_node_alone_publishes_nothing_once_it_has_listened_for_the_others() {
        let holders = Holders::new(patience(Duration::from_millis(100)));
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
    fn a_namespace_crosses_to_other_nodes_until_all_said_they_hold_none_of_it() {
        let holders = Holders::new(patience(Duration::from_secs(60)));
        std::thread::sleep(Duration::from_millis(250));
        holders.alive("node-b");
        holders.alive("node-c");
        let room = peerjs_namespace("room");
        assert!(holders.others_may_hold(&room), "not held here: who holds it is unknown");
        holders.start(&room);
        assert!(holders.others_may_hold(&room), "nobody answered the hello yet");
        holders.absent(&room, "node-b");
        assert!(holders.others_may_hold(&room), "node-c has not answered");
        assert!(holders.here(&room, "node-c"), "node-c holds it: this node holds it too");
        assert!(holders.others_may_hold(&room));
        holders.absent(&room, "node-c");
        assert!(!holders.others_may_hold(&room), "everyone answered, nobody holds it");
        holders.here(&room, "node-b");
        assert!(holders.others_may_hold(&room), "node-b's peer arrived (its hello)");
        holders.stop(&room);
        assert!(!holders.here(&peerjs_namespace("another"), "node-b"), "no answer for a namespace not held");
        assert!(!holders.holds(&room));
    }

    #[test]
    fn a_node_that_never_answers_is_waited_for_a_while_only() {
        let holders = Holders::new(patience(Duration::from_secs(60)));
        holders.alive("node-b");
        std::thread::sleep(Duration::from_millis(250));
        let room = peerjs_namespace("room");
        holders.start(&room);
        assert!(holders.others_may_hold(&room));
        std::thread::sleep(Duration::from_millis(250));
        assert!(!holders.others_may_hold(&room), "node-b died before answering");
    }
}
