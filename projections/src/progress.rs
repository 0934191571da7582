//! How far the projections have got, for read-your-writes: a command's response carries
//! the global position of its last event, and a query may wait until every projection has
//! passed that event (its [`LogCursor`]). Each node follows progress through
//! `LISTEN veche_projected`: the projector notifies in the same transaction as its
//! checkpoint (so the notification means the data is visible), and so does a reset for a
//! rebuild. A lost listener connection, and a re-read every [`REFRESH`], are the fallbacks.

use crate::global_log::{self, LogCursor};
use crate::projector::{Projection, PROJECTED_CHANNEL};
use sqlx::postgres::PgListener;
use sqlx::PgPool;
use std::time::Duration;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// How often the checkpoints are read although nothing was notified: only for a
/// notification lost otherwise than with the listener's connection.
const REFRESH: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct ProjectionProgress {
    position: watch::Receiver<LogCursor>,
    /// This node's appends, whose cursors need no lookup.
    appends: Option<crate::wake::LogWake>,
}

/// Where every projection has got to.
async fn lowest_checkpoint(pool: &PgPool) -> Result<LogCursor, sqlx::Error> {
    let names: Vec<&str> = Projection::ALL.iter().map(|p| p.name()).collect();
    crate::projector::lowest_checkpoint(pool, &names).await
}

impl ProjectionProgress {
    /// Starts following progress; the task ends with `shutdown`.
    pub async fn follow(pool: PgPool, shutdown: CancellationToken) -> Result<Self, sqlx::Error> {
        let (sender, position) = watch::channel(lowest_checkpoint(&pool).await?);
        tokio::spawn(async move {
            while !shutdown.is_cancelled() {
                if let Err(error) = Self::track(&pool, &sender, &shutdown).await {
                    tracing::warn!(error = %error, "lost the projection progress listener; reconnecting");
                    tokio::time::sleep(REFRESH).await;
                }
            }
        });
        Ok(Self { position, appends: None })
    }

    /// Knows the cursors of this node's appends (see [`crate::wake::LogWake::landed`]).
    pub fn with_appends(mut self, wake: crate::wake::LogWake) -> Self {
        self.appends = Some(wake);
        self
    }

    async fn track(pool: &PgPool, sender: &watch::Sender<LogCursor>, shutdown: &CancellationToken) -> Result<(), sqlx::Error> {
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(PROJECTED_CHANNEL).await?;
        // Waiters (and the reminder scheduler) are woken only by a change.
        let moved_to = |position: LogCursor| sender.send_if_modified(|current| std::mem::replace(current, position) != position);
        moved_to(lowest_checkpoint(pool).await?);
        loop {
            let position = tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                notification = listener.try_recv() => match notification? {
                    // A batch moves every projection it touched to its last cursor and
                    // leaves none behind it, so that cursor is the lowest checkpoint: no
                    // query (which would queue behind the requests in the pool) is needed.
                    // A reset says nothing parsable: its checkpoint is read.
                    Some(notification) => match notification.payload().parse::<LogCursor>() {
                        Ok(position) => position,
                        Err(_) => lowest_checkpoint(pool).await?,
                    },
                    // The connection was lost (and is back): what it missed is read.
                    None => lowest_checkpoint(pool).await?,
                },
                _ = tokio::time::sleep(REFRESH) => lowest_checkpoint(pool).await?,
            };
            moved_to(position);
        }
    }

    /// Follows where every projection has got to: the receiver sees each change.
    pub fn subscribe(&self) -> watch::Receiver<LogCursor> {
        self.position.clone()
    }

    /// Where every projection has got to.
    pub fn current(&self) -> LogCursor {
        *self.position.borrow()
    }

    /// Waits until every projection has passed `cursor`, at most `timeout`. Returns
    /// whether they did.
    pub async fn wait_for(&self, cursor: LogCursor, timeout: Duration) -> bool {
        let mut receiver = self.position.clone();
        tokio::time::timeout(timeout, receiver.wait_for(|&reached| reached >= cursor)).await.is_ok_and(|r| r.is_ok())
    }

    /// Waits until every projection has passed the event at global `position`, at most
    /// `timeout`. A position not (yet) in the log waits for everything committed now.
    pub async fn wait_for_position(&self, pool: &PgPool, position: i64, timeout: Duration) -> Result<bool, sqlx::Error> {
        if self.current().position == position {
            return Ok(true);
        }
        let remembered = self.appends.as_ref().and_then(|wake| wake.landed_at(position));
        let cursor = match remembered {
            Some(cursor) => cursor,
            None => match global_log::cursor_of(pool, position).await? {
                Some(cursor) => cursor,
                None => global_log::head(pool).await?,
            },
        };
        Ok(self.wait_for(cursor, timeout).await)
    }
}
