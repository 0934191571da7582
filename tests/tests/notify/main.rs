//! Notifications against real components: PostgreSQL, an SMTP server (aiosmtpd) that keeps
//! what it receives, and a Web Push service that verifies VAPID and decrypts.
//!
//! The reactors are fed the way the JetStream consumers feed them — `react()` with each
//! event of the global log — so a redelivery is simply a second call.

mod invitations;
mod push_api;
mod reminders;

use infrastructure::reactor::{Reactor, ReactorError};
use projections::global_log;
use sqlx::PgPool;
use std::sync::Arc;

/// Hands every event of the log up to its current head that the reactor wants to it, in
/// order, as a consumer would. Returns how many events it handled; stops at the first
/// error. (The log hides events behind any transaction in flight in the cluster, other
/// tests' included, so it waits until the head is visible.)
pub async fn deliver_all(pool: &PgPool, reactor: &Arc<dyn Reactor>) -> Result<usize, ReactorError> {
    let head = global_log::head(pool).await.unwrap();
    let mut after = global_log::LogCursor::START;
    let mut handled = 0;
    while after < head {
        let batch = global_log::read_after(pool, after, 500).await.unwrap();
        let Some(last) = batch.last() else {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            continue;
        };
        after = last.cursor();
        for event in batch.iter().filter(|e| reactor.wants(&e.aggregate_type, &e.event_type)) {
            reactor.react(event).await?;
            handled += 1;
        }
    }
    Ok(handled)
}
