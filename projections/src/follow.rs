//! What every follower of the global log shares: one leader at a time across nodes, and
//! waiting for the next reason to read the log again. The projector and the NATS
//! publisher both follow the log this way, each under its own lock.
//!
//! - **Leadership** is a PostgreSQL session advisory lock held on a dedicated connection:
//!   when the leader's process dies, PostgreSQL ends its session and frees the lock, and a
//!   stand-by (retrying every [`STANDBY_RETRY`]) takes over.
//! - **Wake-ups** come from this node's appends in memory ([`LogWake`]), from other nodes'
//!   `NOTIFY veche_events`, and from a poll every [`FALLBACK_POLL`], for a notification lost
//!   otherwise than with the listener's connection (a reconnect wakes the follower itself).

use crate::global_log::EVENTS_CHANNEL;
use crate::wake::{LogWake, WakeReceiver};
use sqlx::postgres::PgListener;
use sqlx::{Connection, PgConnection, PgPool};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often a stand-by tries to take the lock.
pub const STANDBY_RETRY: Duration = Duration::from_secs(2);

/// How often an idle follower reads the log although nothing woke it. Only a notification
/// that another node's announcer failed to send is caught this way, so this bounds the
/// delay of that rare case; every poll is a few statements that an idle node would
/// otherwise not send (at 500 ms the pollers were most of an idle node's CPU).
pub const FALLBACK_POLL: Duration = Duration::from_secs(5);

/// A held advisory lock. Dropping it (or [`Leadership::release`]) frees the lock by ending
/// the session that holds it.
pub struct Leadership {
    connection: PgConnection,
}

impl Leadership {
    /// Takes the lock if it is free.
    pub async fn try_acquire(pool: &PgPool, key: i64) -> Result<Option<Self>, sqlx::Error> {
        let mut connection = Self::session(pool).await?;
        if Self::try_lock(&mut connection, key).await? {
            Ok(Some(Self { connection }))
        } else {
            let _ = connection.close().await;
            Ok(None)
        }
    }

    /// Waits until the lock is taken, or `None` once `shutdown` is cancelled. The stand-by
    /// keeps one session for its tries: a new one per try cost PostgreSQL a backend start
    /// every [`STANDBY_RETRY`] for as long as another node led.
    pub async fn acquire(pool: &PgPool, key: i64, shutdown: &CancellationToken) -> Result<Option<Self>, sqlx::Error> {
        let mut connection = Self::session(pool).await?;
        loop {
            if Self::try_lock(&mut connection, key).await? {
                return Ok(Some(Self { connection }));
            }
            tokio::select! {
                _ = shutdown.cancelled() => {
                    let _ = connection.close().await;
                    return Ok(None);
                }
                _ = tokio::time::sleep(STANDBY_RETRY) => {}
            }
        }
    }

    /// A session for the lock. Detached: the lock belongs to the session, which must not go
    /// back to the pool.
    async fn session(pool: &PgPool) -> Result<PgConnection, sqlx::Error> {
        Ok(pool.acquire().await?.detach())
    }

    async fn try_lock(connection: &mut PgConnection, key: i64) -> Result<bool, sqlx::Error> {
        sqlx::query_scalar("select pg_try_advisory_lock($1)").bind(key).fetch_one(connection).await
    }

    /// Fails when the session holding the lock is gone (then so is the lock, and another
    /// node may lead already): the caller must stop working as leader. A session lock
    /// lives as long as its session, so a live connection means a held lock.
    pub async fn confirm(&mut self) -> Result<(), sqlx::Error> {
        sqlx::query("select 1").execute(&mut self.connection).await.map(|_| ())
    }

    /// Frees the lock now.
    pub async fn release(self) {
        let _ = self.connection.close().await;
    }

    /// The connection holding the lock, for one-off jobs that run under it.
    pub fn into_connection(self) -> PgConnection {
        self.connection
    }
}

/// Runs `lead` again and again until `shutdown`: each call works as leader (or waits as
/// stand-by) until it returns; an error is logged, counted in `errors_metric`, and followed
/// by a pause of `backoff` before the next try.
pub async fn keep_leading<F, Fut, E>(
    what: &'static str,
    errors_metric: &'static str,
    backoff: Duration,
    shutdown: &CancellationToken,
    mut lead: F,
) where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), E>>,
    E: std::error::Error,
{
    while !shutdown.is_cancelled() {
        if let Err(error) = lead().await {
            tracing::warn!(error = %error, cause = ?error, "{what} failed; retrying");
            metrics::counter!(errors_metric).increment(1);
            tokio::select! {
                _ = shutdown.cancelled() => {}
                _ = tokio::time::sleep(backoff) => {}
            }
        }
    }
}

/// Why a follower woke up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Woken {
    /// Events may have been appended (a wake-up, a notification or the poll).
    Look,
    /// `shutdown` was cancelled.
    Shutdown,
}

/// Waits for the next reason to read the log.
pub struct LogFollower {
    listener: PgListener,
    wake: WakeReceiver,
}

impl LogFollower {
    pub async fn connect(pool: &PgPool, wake: &LogWake) -> Result<Self, sqlx::Error> {
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(EVENTS_CHANNEL).await?;
        Ok(Self { listener, wake: wake.subscribe() })
    }

    /// Resolves on this node's next append, another node's notification, after `poll`, or
    /// on shutdown. A lost listener connection resolves too: what was notified while it was
    /// gone is lost, so the log must be read again (the next wait reconnects).
    pub async fn wait(&mut self, poll: Duration, shutdown: &CancellationToken) -> Result<Woken, sqlx::Error> {
        tokio::select! {
            _ = shutdown.cancelled() => Ok(Woken::Shutdown),
            notification = self.listener.try_recv() => notification.map(|_| Woken::Look),
            _ = self.wake.wait() => Ok(Woken::Look),
            _ = tokio::time::sleep(poll) => Ok(Woken::Look),
        }
    }
}
