//! Waking readers of the global log when events are appended.
//!
//! A trigger that `NOTIFY`s inside the appending transaction would be the obvious way, but
//! PostgreSQL holds its global notification lock from the pre-commit step through the
//! commit's WAL flush, so every appending transaction would commit one fsync at a time
//! (measured: raw appends got slower from 8 to 64 clients). Instead:
//! - the writer tells its own node in memory ([`LogWake::appended`]), which wakes the local
//!   projector at once;
//! - an announcer task turns those wake-ups into at most one `NOTIFY veche_events` per
//!   [`ANNOUNCE_EVERY`], in a transaction of its own, for the other nodes;
//! - readers still poll, so a lost wake-up delays, never loses.

use crate::global_log::EVENTS_CHANNEL;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// The shortest interval between two announcements to other nodes.
pub const ANNOUNCE_EVERY: Duration = Duration::from_millis(5);

/// A node's in-memory signal that events were appended. Cloning shares the signal.
#[derive(Clone, Default)]
pub struct LogWake {
    local: Arc<Notify>,
    announce: Arc<Notify>,
}

impl LogWake {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that this node appended events (and committed them).
    pub fn appended(&self) {
        self.local.notify_one();
        self.announce.notify_one();
    }

    /// Resolves after the next [`LogWake::appended`] (or at once if one is pending).
    pub async fn wait(&self) {
        self.local.notified().await;
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
