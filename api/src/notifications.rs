//! The notification side of a veche node, assembled from the settings: the mailer (SMTP
//! or the local outbox), the guest links, Web Push (VAPID keys, sender, subscriptions),
//! the reactors the JetStream consumers feed, and the reminder scheduler.

use crate::settings::{persistent_file, Settings};
use anyhow::Context;
use application::notifications::{Mailer, PushSender};
use infrastructure::links::GuestLinks;
use infrastructure::notify::compose::Language;
use infrastructure::notify::delivery::Deliverer;
use infrastructure::notify::invitations::InvitationNotifier;
use infrastructure::notify::ledger::EffectLedger;
use infrastructure::notify::mailer::SmtpMailer;
use infrastructure::notify::outbox::OutboxMailer;
use infrastructure::notify::push::{PushSubscriptions, VapidKeys, WebPushSender};
use infrastructure::notify::reminders::ReminderScheduler;
use infrastructure::notify::MailSettings;
use infrastructure::reactor::Reactor;
use lettre::message::Mailbox;
use secrecy::ExposeSecret as _;
use sqlx::PgPool;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Clone)]
pub struct Notifications {
    pub links: GuestLinks,
    pub mail: MailSettings,
    pub mailer: Arc<dyn Mailer>,
    /// Where emails are kept when no SMTP server is configured (`/dev/outbox` serves it).
    pub outbox_dir: Option<PathBuf>,
    pub vapid: VapidKeys,
    pub push: Arc<dyn PushSender>,
    pub subscriptions: PushSubscriptions,
}

impl Notifications {
    /// `jwt_secret` signs the guest links, as it signs bearer tokens.
    pub fn from_settings(settings: &Settings, jwt_secret: &str, pool: &PgPool) -> anyhow::Result<Self> {
        let from: Mailbox =
            settings.mail_from.parse().with_context(|| format!("VECHE_MAIL_FROM `{}` is not a mailbox", settings.mail_from))?;
        let default_language = Language::parse(&settings.mail_language)
            .with_context(|| format!("VECHE_MAIL_LANGUAGE `{}` is not one of en, ru", settings.mail_language))?;
        let links = GuestLinks::new(jwt_secret, &settings.public_url());
        let (mailer, outbox_dir): (Arc<dyn Mailer>, _) = match &settings.smtp_url {
            Some(url) => {
                let smtp =
                    SmtpMailer::new(url.expose_secret(), from.email.clone()).context("VECHE_SMTP_URL is not a valid SMTP URL")?;
                (Arc::new(smtp), None)
            }
            None => {
                let dir = settings.outbox_dir();
                (Arc::new(OutboxMailer::new(dir.clone())), Some(dir))
            }
        };
        let vapid = match &settings.vapid_private_key {
            Some(key) => VapidKeys::parse(key.expose_secret()).context("VECHE_VAPID_PRIVATE_KEY")?,
            None => {
                let stored = persistent_file(&settings.data_dir(), "vapid-private-key", || {
                    VapidKeys::generate().private_key().to_string()
                })
                .context("reading the VAPID key of the data directory")?;
                VapidKeys::parse(&stored).context("the data directory's vapid-private-key")?
            }
        };
        let push = Arc::new(WebPushSender::new(vapid.clone(), settings.vapid_subject.clone(), settings.push_allow_private));
        let mail = MailSettings { links: links.clone(), from, default_language };
        Ok(Self { links, mail, mailer, outbox_dir, vapid, push, subscriptions: PushSubscriptions::new(pool.clone()) })
    }

    /// Email and push through the effect ledger of `pool`.
    pub fn deliverer(&self, pool: &PgPool) -> Deliverer {
        Deliverer::new(EffectLedger::new(pool.clone()), self.mailer.clone())
            .with_push(self.push.clone(), self.subscriptions.clone())
    }

    /// The reactors a JetStream consumer runner feeds (one durable consumer each).
    pub fn reactors(&self, pool: &PgPool) -> Vec<Arc<dyn Reactor>> {
        vec![Arc::new(InvitationNotifier::new(pool.clone(), self.deliverer(pool), self.mail.clone()))]
    }

    /// The reminder scheduler every node runs.
    pub fn reminder_scheduler(&self, pool: &PgPool) -> ReminderScheduler {
        ReminderScheduler::new(pool.clone(), self.deliverer(pool), self.mail.clone())
    }
}
