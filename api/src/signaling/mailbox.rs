//! A connection's mailbox: the bounded queue of what is to be written to it, its end, and
//! the hub's requests (ping, expiry), shared by the hub's handle and the connection's task.

use super::dialect::Dialect;
use super::protocol::close_code;
use futures::task::AtomicWaker;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use tokio_tungstenite::tungstenite::Utf8Bytes;

/// One connection as the hub sees it.
#[derive(Debug, Clone)]
pub struct PeerHandle {
    pub dialect: Dialect,
    /// PeerJS's open mode: the client's token, which tells a reconnect from an impostor
    /// taking its id. In a meeting's room the Room aggregate knows who holds which peer id.
    pub owner: Option<Arc<str>>,
    mailbox: Arc<Mailbox>,
}

/// A new connection's two ends: the handle the hub keeps, the inbox its task reads.
/// `connection` is its number on this node; `capacity` bounds its queue.
pub fn open(dialect: Dialect, owner: Option<Arc<str>>, capacity: u32, connection: u64) -> (PeerHandle, PeerInbox) {
    let mailbox = Arc::new(Mailbox {
        state: Mutex::new(MailboxState::default()),
        waker: AtomicWaker::new(),
        capacity,
        expires_at: AtomicU32::new(0),
        connection,
    });
    (PeerHandle { dialect, owner, mailbox: mailbox.clone() }, PeerInbox { mailbox })
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

    /// Asks the connection task to ping its client (see [`super::hub::Hub::ping_slice`]). Also once
    /// the connection is to end: if its close waits behind a write the client does not take,
    /// the ping rounds are how it gives up (`connection::Live::blocked`).
    pub(super) fn ping(&self) {
        self.mailbox.lock().ping_due = true;
        self.mailbox.waker.wake();
    }

    /// Ends the connection once `at` (seconds since the Unix epoch) has passed: the expiry
    /// of the token it entered with. The hub's ping rounds look ([`super::hub::Hub::ping_slice`]).
    pub fn expire_at(&self, at: u32) {
        self.mailbox.expires_at.store(at, Ordering::Relaxed);
    }

    pub(super) fn expired(&self, now: u32) -> bool {
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
