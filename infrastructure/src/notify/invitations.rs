//! The invitation notifier: a reactor that turns meeting events into iMIP emails (see
//! `application::notifications::policy` for who gets what) and, for each recipient's
//! subscribed browsers, a Web Push notification saying the same; each effect once, through
//! the effect ledger. The effects of one event go out concurrently.

use super::compose::{compose, MailContext};
use super::delivery::{push_jobs, Deliverer, Effect, Job, PushMessage};
use super::{meeting_at, HistoryError, MailSettings};
use crate::reactor::{Reactor, ReactorError};
use application::notifications::notices_for;
use async_trait::async_trait;
use cqrs_es::persist::EventUpcaster;
use cqrs_es::Aggregate;
use domain::meeting::Meeting;
use projections::global_log::RecordedEvent;
use sqlx::PgPool;

/// The durable consumer's name; JetStream keeps the position under it, so never change it
/// (it predates the pushes).
pub const NAME: &str = "invitation-mailer";

pub struct InvitationNotifier {
    pool: PgPool,
    deliverer: Deliverer,
    settings: MailSettings,
    upcasters: Vec<Box<dyn EventUpcaster>>,
}

impl InvitationNotifier {
    pub fn new(pool: PgPool, deliverer: Deliverer, settings: MailSettings) -> Self {
        Self { pool, deliverer, settings, upcasters: domain::upcasting::meeting_upcasters() }
    }
}

#[async_trait]
impl Reactor for InvitationNotifier {
    fn name(&self) -> &'static str {
        NAME
    }

    fn wants(&self, aggregate_type: &str, event_type: &str) -> bool {
        aggregate_type == Meeting::TYPE && event_type != "RemindersChanged"
    }

    #[tracing::instrument(skip_all, fields(meeting = %event.aggregate_id, sequence = event.sequence, event_type = %event.event_type))]
    async fn react(&self, event: &RecordedEvent) -> Result<(), ReactorError> {
        let retry = |e: sqlx::Error| ReactorError::Retry(e.into());
        let at = meeting_at(&self.pool, &event.aggregate_id, event.sequence, &self.upcasters).await.map_err(|e| match e {
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
        let notices = notices_for(&at.event, at.before.as_ref(), &at.after);
        let emails: Vec<String> = notices.iter().map(|n| n.to.email.to_string()).collect();
        let subscriptions = self.deliverer.subscriptions_of(&emails).await.map_err(retry)?;
        let mut jobs = Vec::with_capacity(notices.len());
        for (tag, notice) in notices.iter().enumerate() {
            let key = notice.effect_key(NAME, &event.aggregate_id, event.sequence);
            let (mail, (title, body)) = compose(notice, &context, &key);
            let effect = Effect::email(mail);
            let message = PushMessage {
                title,
                body,
                url: self.settings.links.meeting_link(at.after.room_id),
                meeting_id: at.after.id.as_uuid(),
                tag: format!("meeting-{}", at.after.id),
            };
            jobs.extend(push_jobs(tag, &key, notice.to.email.as_str(), &subscriptions, &message));
            jobs.push(Job { tag, key, effect });
        }
        let delivered = self.deliverer.deliver(jobs).await.map_err(retry)?;
        if delivered.unfinished.is_empty() {
            return Ok(());
        }
        let waiting: Vec<String> = delivered.unfinished.iter().map(|&tag| notices[tag].to.email.to_string()).collect();
        Err(ReactorError::Retry(anyhow::anyhow!("notifications to {} are not delivered yet", waiting.join(", "))))
    }
}
