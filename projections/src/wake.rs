//! Waking readers of the global log when events are appended.
//!
//! A trigger that `NOTIFY`s inside the appending transaction would be the obvious way, but
//! PostgreSQL holds its global notification lock from the pre-commit step through the
//! commit's WAL flush, so every appending transaction would commit one fsync at a time
//! (measured: raw appends got slower from 8 to 64 clients). Instead:
//! - the writer tells its own node in memory ([`LogWake::appended`]), which wakes every
//!   local reader (the projector, the NATS publisher) at once;
//! - an announcer task turns those wake-ups into at most one `NOTIFY veche_events` per
//!   [`ANNOUNCE_EVERY`], in a transaction of its own, for the other nodes;
//! - readers still poll, so a lost wake-up delays, never loses.

use crate::global_log::LogCursor;
use crate::global_log::EVENTS_CHANNEL;
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{watch, Notify};
use tokio_util::sync::CancellationToken;

/// The shortest interval between two announcements to other nodes.
pub const ANNOUNCE_EVERY: Duration = Duration::from_millis(5);

/// A node's in-memory signal that events were appended. Cloning shares the signal.
#[derive(Clone)]
pub struct LogWake {
    /// A counter of appends: each reader keeps its own receiver, so every reader is woken
    /// (a `Notify` would wake only one of them).
    local: Arc<watch::Sender<u64>>,
    announce: Arc<Notify>,
    /// Where this node's latest appends landed (position → writing transaction), so that a
    /// read after one of them waits for its cursor without looking it up.
    recent: Arc<Mutex<HashMap<i64, i64>>>,
}

/// Appends remembered; reads after a write come within moments of it.
const RECENT_APPENDS: usize = 4096;

impl Default for LogWake {
    fn default() -> Self {
        Self { local: Arc::new(watch::channel(0).0), announce: Arc::default(), recent: Arc::default() }
    }
}

/// One reader's view of [`LogWake`]: remembers which appends it has seen.
pub struct WakeReceiver {
    appends: watch::Receiver<u64>,
}

impl WakeReceiver {
    /// Resolves after the next append this receiver has not seen (at once if one is pending).
    pub async fn wait(&mut self) {
        if self.appends.changed().await.is_err() {
            // Every sender is gone, so no append will ever come; only polling remains.
            std::future::pending::<()>().await;
        }
    }
}

impl LogWake {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that this node appended events (and committed them).
    pub fn appended(&self) {
        self.local.send_modify(|appends| *appends = appends.wrapping_add(1));
        self.announce.notify_one();
    }

    /// A receiver that is woken by the appends made after this call.
    /// Remembers where an append of this node's landed (its last event).
    pub fn landed(&self, cursor: LogCursor) {
        let mut recent = self.recent.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if recent.len() >= RECENT_APPENDS {
            recent.clear();
        }
        recent.insert(cursor.position, cursor.transaction);
    }

    /// The cursor of a recent append of this node's at `position`, if remembered.
    pub fn landed_at(&self, position: i64) -> Option<LogCursor> {
        let recent = self.recent.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        recent.get(&position).map(|&transaction| LogCursor::new(transaction, position))
    }

    pub fn subscribe(&self) -> WakeReceiver {
        WakeReceiver { appends: self.local.subscribe() }
    }

    /// Announces this node's appends to the other nodes until `shutdown`.
    pub fn spawn_announcer(&self, pool: PgPool, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
        let announce = self.announce.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = announce.notified() => {}
                }
                if let Err(error) = sqlx::query("select pg_notify($1, '')").bind(EVENTS_CHANNEL).execute(&pool).await {
                    tracing::warn!(error = %error, "could not announce appended events; other nodes will poll");
                }
                tokio::time::sleep(ANNOUNCE_EVERY).await;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_reader_is_woken_by_one_append() {
        let wake = LogWake::new();
        let (mut projector, mut publisher) = (wake.subscribe(), wake.subscribe());
        wake.appended();
        let both = async { tokio::join!(projector.wait(), publisher.wait()) };
        tokio::time::timeout(Duration::from_secs(1), both).await.expect("both readers wake");
    }

    #[test]
    fn where_an_append_landed_is_known_by_its_position_and_the_memory_stays_bounded() {
        let wake = LogWake::new();
        wake.landed(LogCursor::new(7, 42));
        assert_eq!(wake.landed_at(42), Some(LogCursor::new(7, 42)));
        assert_eq!(wake.landed_at(41), None);
        for position in 0..2 * RECENT_APPENDS as i64 {
            wake.landed(LogCursor::new(8, 100 + position));
        }
        assert!(wake.recent.lock().unwrap().len() <= RECENT_APPENDS);
    }
}
