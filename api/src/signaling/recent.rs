//! What a room remembers, on each node holding it, for whoever enters later: the recent chat
//! and each participant's state (muted, camera off, sharing, hand raised). In memory for the
//! call's duration only: never an event, never written anywhere.

use std::collections::VecDeque;
use std::sync::Arc;
use tokio_tungstenite::tungstenite::Utf8Bytes;

/// How many chat messages a room keeps for those who enter later.
pub const CHAT_KEPT: usize = 300;

#[derive(Debug, Default)]
pub struct Recent {
    /// The room's chat messages as sent, oldest first.
    chat: VecDeque<Utf8Bytes>,
    /// Each participant's last state message, by peer id.
    states: Vec<(Arc<str>, Utf8Bytes)>,
}

impl Recent {
    pub fn said(&mut self, text: Utf8Bytes) {
        if self.chat.len() == CHAT_KEPT {
            self.chat.pop_front();
        }
        self.chat.push_back(text);
    }

    pub fn state(&mut self, peer_id: &Arc<str>, text: Utf8Bytes) {
        match self.states.iter_mut().find(|(id, _)| id == peer_id) {
            Some((_, held)) => *held = text,
            None => self.states.push((peer_id.clone(), text)),
        }
    }

    /// The participant left the room; whether it had a state.
    pub fn gone(&mut self, peer_id: &str) -> bool {
        let before = self.states.len();
        self.states.retain(|(id, _)| &**id != peer_id);
        self.states.len() < before
    }

    /// What a participant entering is told after its welcome: the chat, then the others'
    /// states.
    pub fn backlog<'a>(&'a self, entering: &'a str) -> impl Iterator<Item = &'a Utf8Bytes> + 'a {
        let others = self.states.iter().filter(move |(id, _)| &**id != entering).map(|(_, text)| text);
        self.chat.iter().chain(others)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newcomer_is_told_the_recent_chat_then_the_others_last_states() {
        let mut recent = Recent::default();
        let (ann, bob): (Arc<str>, Arc<str>) = ("ann".into(), "bob".into());
        for n in 0..CHAT_KEPT + 2 {
            recent.said(Utf8Bytes::from(format!("chat {n}")));
        }
        recent.state(&ann, "ann muted".into());
        recent.state(&ann, "ann unmuted".into());
        recent.state(&bob, "bob sharing".into());
        let told: Vec<&str> = recent.backlog("bob").map(Utf8Bytes::as_str).collect();
        assert_eq!(told.len(), CHAT_KEPT + 1);
        assert_eq!(told[0], "chat 2", "the oldest beyond the bound are let go");
        assert_eq!(told[CHAT_KEPT - 1], format!("chat {}", CHAT_KEPT + 1));
        assert_eq!(told[CHAT_KEPT], "ann unmuted", "a state is the last one said, and not one's own");
        assert!(recent.gone("ann"));
        assert!(!recent.gone("ann"));
        assert_eq!(recent.backlog("carl").filter(|text| text.as_str().starts_with("ann")).count(), 0);
    }
}
