//! The node's fan-out of calendar changes to the browsers connected to it: one task reads
//! the `calendar_feed` read model as the projections move and hands each change to the
//! streams of that person (`GET /api/calendar/stream`), so a node does one query per batch
//! however many browsers it holds.

use projections::calendar_feed::{self, CalendarChange};
use projections::progress::ProjectionProgress;
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

/// Changes a slow stream may fall behind before it is told to reload (`resync`).
const BACKLOG: usize = 64;
/// Changes read per query.
const PAGE: i64 = 500;

#[derive(Default)]
pub struct LiveFeed {
    streams: Mutex<HashMap<String, broadcast::Sender<CalendarChange>>>,
    /// The newest change handed out.
    cursor: std::sync::atomic::AtomicI64,
}

/// A browser's subscription; dropping it lets the person's channel go when it was the last.
pub struct Subscription {
    pub changes: broadcast::Receiver<CalendarChange>,
    /// The newest change handed out when the subscription began: older ones are read from
    /// the table (a resume with `Last-Event-ID`).
    pub from: i64,
}

impl LiveFeed {
    pub fn subscribe(&self, email: &str) -> Subscription {
        let mut streams = self.streams.lock().unwrap_or_else(PoisonError::into_inner);
        let changes = streams.entry(email.to_string()).or_insert_with(|| broadcast::channel(BACKLOG).0).subscribe();
        Subscription { changes, from: self.cursor.load(std::sync::atomic::Ordering::Acquire) }
    }

    /// How many streams `email` holds open on this node.
    pub fn streams_of(&self, email: &str) -> usize {
        let streams = self.streams.lock().unwrap_or_else(PoisonError::into_inner);
        streams.get(email).map_or(0, broadcast::Sender::receiver_count)
    }

    fn hand_out(&self, changes: Vec<CalendarChange>) {
        let mut streams = self.streams.lock().unwrap_or_else(PoisonError::into_inner);
        // People whose browsers are all gone are let go.
        streams.retain(|_, sender| sender.receiver_count() > 0);
        for change in changes {
            self.cursor.fetch_max(change.id, std::sync::atomic::Ordering::AcqRel);
            if let Some(sender) = streams.get(&change.user_email) {
                let _ = sender.send(change);
            }
        }
    }

    /// Runs until `shutdown`: after every move of the projections, hands out what is new.
    pub async fn run(self: Arc<Self>, pool: PgPool, progress: ProjectionProgress, shutdown: CancellationToken) {
        let mut moved = progress.subscribe();
        match calendar_feed::latest(&pool).await {
            Ok(latest) => self.cursor.store(latest, std::sync::atomic::Ordering::Release),
            Err(error) => tracing::warn!(%error, "could not read where the calendar feed is"),
        }
        loop {
            let after = self.cursor.load(std::sync::atomic::Ordering::Acquire);
            match calendar_feed::changes_after(&pool, after, None, PAGE).await {
                Ok(changes) if changes.len() as i64 == PAGE => {
                    self.hand_out(changes);
                    continue;
                }
                Ok(changes) => self.hand_out(changes),
                Err(error) => tracing::warn!(%error, "could not read the calendar feed"),
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                changed = moved.changed() => if changed.is_err() { return },
                // A change the progress listener missed is still found.
                _ = tokio::time::sleep(std::time::Duration::from_secs(5)) => {}
            }
        }
    }
}
