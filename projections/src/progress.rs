//! How far the projections have got, for read-your-writes: a command's response carries
//! the global position it reached, and a query may wait until every projection has
//! passed it. Each node follows progress through `LISTEN veche_projected` (the projector
//! notifies in the same transaction as its checkpoint, so the notification means the
//! data is visible), with a periodic re-read as the fallback.

use crate::projector::PROJECTED_CHANNEL;
use sqlx::postgres::PgListener;
use sqlx::PgPool;
use std::time::Duration;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

const REFRESH: Duration = Duration::from_secs(1);

#[derive(Clone)]
pub struct ProjectionProgress {
    position: watch::Receiver<i64>,
}

async fn lowest_checkpoint(pool: &PgPool) -> Result<i64, sqlx::Error> {
    let lowest: Option<i64> = sqlx::query_scalar("select min(position) from projection_checkpoint")
        .fetch_one(pool)
        .await?;
    Ok(lowest.unwrap_or(0))
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
        Ok(Self { position })
    }

    async fn track(
        pool: &PgPool,
        sender: &watch::Sender<i64>,
        shutdown: &CancellationToken,
    ) -> Result<(), sqlx::Error> {
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(PROJECTED_CHANNEL).await?;
        sender.send_replace(lowest_checkpoint(pool).await?);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                notification = listener.recv() => {
                    // A batch moves every projection it touched to its last position and
                    // leaves none behind it, so that position is the lowest checkpoint: no
                    // query (which would queue behind the requests in the pool) is needed.
                    let notification = notification?;
                    match notification.payload().parse::<i64>() {
                        Ok(position) => sender.send_replace(position),
                        Err(_) => sender.send_replace(lowest_checkpoint(pool).await?),
                    };
                }
                // Catches what no notification says (a projection reset for a rebuild).
                _ = tokio::time::sleep(REFRESH) => { sender.send_replace(lowest_checkpoint(pool).await?); }
            }
        }
    }

    /// The position every projection has reached.
    pub fn current(&self) -> i64 {
        *self.position.borrow()
    }

    /// Waits until every projection has reached `position`, at most `timeout`.
    /// Returns whether it did.
    pub async fn wait_for(&self, position: i64, timeout: Duration) -> bool {
        let mut receiver = self.position.clone();
        tokio::time::timeout(timeout, receiver.wait_for(|&reached| reached >= position))
            .await
            .is_ok_and(|r| r.is_ok())
    }
}
