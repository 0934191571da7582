//! The invitation mailer: a reactor that turns meeting events into iMIP emails (see
//! `application::notifications::policy` for who gets what), each email once, through the
//! effect ledger.

use super::compose::{compose, MailContext};
use super::ledger::{Claim, EffectLedger};
use super::{meeting_at, HistoryError, MailSettings};
use crate::reactor::{Reactor, ReactorError};
use application::notifications::{notices_for, DeliveryError, Mailer};
use async_trait::async_trait;
use cqrs_es::persist::EventUpcaster;
use cqrs_es::Aggregate;
use domain::meeting::Meeting;
use projections::global_log::RecordedEvent;
use sqlx::PgPool;
use std::sync::Arc;

/// The durable consumer's name; JetStream keeps the position under it, so never change it.
pub const NAME: &str = "invitation-mailer";

pub struct InvitationMailer {
    pool: PgPool,
    ledger: EffectLedger,
    mailer: Arc<dyn Mailer>,
    settings: MailSettings,
    upcasters: Vec<Box<dyn EventUpcaster>>,
}

impl InvitationMailer {
    pub fn new(pool: PgPool, mailer: Arc<dyn Mailer>, settings: MailSettings) -> Self {
        Self {
            ledger: EffectLedger::new(pool.clone()),
            pool,
            mailer,
            settings,
            upcasters: domain::upcasting::meeting_upcasters(),
        }
    }

    pub fn with_ledger(mut self, ledger: EffectLedger) -> Self {
        self.ledger = ledger;
        self
    }
}

#[async_trait]
impl Reactor for InvitationMailer {
    fn name(&self) -> &'static str {
        NAME
    }

    fn wants(&self, aggregate_type: &str, event_type: &str) -> bool {
        aggregate_type == Meeting::TYPE && event_type != "RemindersChanged"
    }

    #[tracing::instrument(skip_all, fields(meeting = %event.aggregate_id, sequence = event.sequence, event_type = %event.event_type))]
    async fn react(&self, event: &RecordedEvent) -> Result<(), ReactorError> {
        let at = meeting_at(&self.pool, &event.aggregate_id, event.sequence, &self.upcasters)
            .await
            .map_err(|e| match e {
                HistoryError::Database(e) => ReactorError::Retry(e.into()),
                other => ReactorError::Poison(other.into()),
            })?;
        let context = MailContext {
            meeting: &at.after,
            before: at.before.as_ref(),
            language: self.settings.language(at.locale.as_deref()),
            stamp: event.recorded_at,
            links: &self.settings.links,
            from: &self.settings.from,
        };
        let mut unfinished = None;
        for notice in notices_for(&at.event, at.before.as_ref(), &at.after) {
            let key = notice.effect_key(NAME, &event.aggregate_id, event.sequence);
            match self.ledger.claim(&key).await.map_err(|e| ReactorError::Retry(e.into()))? {
                Claim::Settled => continue,
                Claim::Busy => {
                    unfinished = Some(anyhow::anyhow!("{key} is being sent by another worker"));
                    continue;
                }
                Claim::Mine => {}
            }
            let mail = match compose(&notice, &context, &key) {
                Ok(mail) => mail,
                Err(error) => {
                    tracing::error!(%key, error = %error, "an email cannot be built; giving it up");
                    self.ledger.failed(&key, &error.to_string()).await.map_err(|e| ReactorError::Retry(e.into()))?;
                    continue;
                }
            };
            let started = std::time::Instant::now();
            let outcome = self.mailer.send(&mail).await;
            metrics::histogram!("veche_mail_send_seconds").record(started.elapsed().as_secs_f64());
            let recorded = match outcome {
                Ok(()) => {
                    metrics::counter!("veche_mails_sent_total", "kind" => notice.kind.slug()).increment(1);
                    self.ledger.done(&key).await
                }
                Err(DeliveryError::Transient(error)) => {
                    metrics::counter!("veche_mail_failures_total", "kind" => "transient").increment(1);
                    tracing::warn!(%key, error = %error, "sending an email failed; it will be retried");
                    unfinished = Some(anyhow::anyhow!(error).context(key.clone()));
                    self.ledger.release(&key).await
                }
                Err(error) => {
                    metrics::counter!("veche_mail_failures_total", "kind" => "permanent").increment(1);
                    tracing::error!(%key, error = %error, cause = ?error, "an email was refused for good");
                    self.ledger.failed(&key, &error.to_string()).await
                }
            };
            recorded.map_err(|e| ReactorError::Retry(e.into()))?;
        }
        match unfinished {
            Some(error) => Err(ReactorError::Retry(error)),
            None => Ok(()),
        }
    }
}
