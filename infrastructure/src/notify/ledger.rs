//! The effect ledger: one row per side effect (one email to one person, one push to one
//! browser), so that redelivered events and retaken reminders do not send twice.
//!
//! ## The guarantee
//! A worker claims a key (`claimed`), performs the effect, and marks it `done`:
//! - an effect marked `done` (or given up as `failed`) is never performed again, whatever
//!   is redelivered, retaken or rebuilt;
//! - while a claim is younger than the lease, nobody else performs the effect (a
//!   redelivery racing the first delivery is told to retry later, by when it is done);
//! - a transient failure (SMTP down, a 5xx from a push service) releases the claim, so the
//!   next delivery performs the effect: nothing is lost;
//! - a worker that dies between claiming and marking leaves a claim that expires after the
//!   lease, and the effect is performed again. If it died after the SMTP server said 250
//!   and before the mark committed, that one email goes out twice: SMTP has no way to ask
//!   "did you already take this?". The copy carries the same `Message-ID` (derived from the
//!   key), which lets mail stores that deduplicate by it fold the two. So: exactly once,
//!   except at-least-once for a crash inside that window of one round trip.

use sqlx::PgPool;
use std::time::Duration;

/// How long a claim protects an effect in progress; longer than any single delivery
/// (lettre's SMTP timeout is 60 s), so a slow delivery is never duplicated by a retry.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(120);

/// What a claim found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// This worker performs the effect now.
    Mine,
    /// It was performed (or given up) before.
    Settled,
    /// Another worker is performing it right now.
    Busy,
}

#[derive(Clone)]
pub struct EffectLedger {
    pool: PgPool,
    lease: Duration,
}

impl EffectLedger {
    pub fn new(pool: PgPool) -> Self {
        Self { pool, lease: DEFAULT_LEASE }
    }

    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// Claims one key.
    pub async fn claim(&self, key: &str) -> Result<Claim, sqlx::Error> {
        let mine = self.claim_many(&[key.to_string()]).await?;
        if !mine.is_empty() {
            return Ok(Claim::Mine);
        }
        let status: Option<String> =
            sqlx::query_scalar("select status from effect_ledger where key = $1").bind(key).fetch_optional(&self.pool).await?;
        Ok(match status.as_deref() {
            Some("claimed") => Claim::Busy,
            // Released between the two statements: the caller retries and claims it.
            None => Claim::Busy,
            Some(_) => Claim::Settled,
        })
    }

    /// Claims many keys in one statement; returns those this worker now holds (new keys,
    /// and claims whose lease has run out). Keys done, failed or held by another are left.
    pub async fn claim_many(&self, keys: &[String]) -> Result<Vec<String>, sqlx::Error> {
        sqlx::query_scalar(
            "insert into effect_ledger (key, status) select unnest($1::text[]), 'claimed' \
             on conflict (key) do update set claimed_at = now(), attempts = effect_ledger.attempts + 1 \
             where effect_ledger.status = 'claimed' \
               and effect_ledger.claimed_at < now() - make_interval(secs => $2) \
             returning key",
        )
        .bind(keys)
        .bind(self.lease.as_secs_f64())
        .fetch_all(&self.pool)
        .await
    }

    /// Those of `keys` another worker holds right now.
    pub async fn busy_among(&self, keys: &[String]) -> Result<Vec<String>, sqlx::Error> {
        sqlx::query_scalar("select key from effect_ledger where key = any($1) and status = 'claimed'")
            .bind(keys)
            .fetch_all(&self.pool)
            .await
    }

    /// The effects happened.
    pub async fn done_many(&self, keys: &[String]) -> Result<(), sqlx::Error> {
        sqlx::query("update effect_ledger set status = 'done', done_at = now() where key = any($1)")
            .bind(keys)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn done(&self, key: &str) -> Result<(), sqlx::Error> {
        self.done_many(&[key.to_string()]).await
    }

    /// The effect will never happen (a permanent refusal): remember that and why.
    pub async fn failed(&self, key: &str, error: &str) -> Result<(), sqlx::Error> {
        sqlx::query("update effect_ledger set status = 'failed', done_at = now(), error = $2 where key = $1")
            .bind(key)
            .bind(error.chars().take(1000).collect::<String>())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The effect did not happen and may be tried again at once.
    pub async fn release(&self, key: &str) -> Result<(), sqlx::Error> {
        sqlx::query("delete from effect_ledger where key = $1 and status = 'claimed'").bind(key).execute(&self.pool).await?;
        Ok(())
    }
}
