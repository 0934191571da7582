//! Delivering a batch of side effects through the effect ledger, shared by the invitation
//! reactor and the reminder scheduler: claim every key in one statement, perform the
//! claimed effects concurrently (an email through the mailer, a push through the push
//! sender), record each outcome, and say which effects are left for a later attempt.

use super::ledger::EffectLedger;
use super::push::PushSubscriptions;
use application::notifications::{DeliveryError, Mailer, OutgoingMail, PushSender, PushTarget};
use futures::StreamExt;
use std::collections::HashSet;
use std::sync::Arc;
use uuid::Uuid;

/// One side effect.
pub enum Effect {
    Email(OutgoingMail),
    Push {
        target: PushTarget,
        payload: Vec<u8>,
    },
    /// An effect that could not even be built (an address lettre refuses): recorded as
    /// failed under its key, so that it is neither retried nor forgotten.
    Unbuildable(String),
}

impl Effect {
    /// An email, or what kept it from being built.
    pub fn email(built: Result<OutgoingMail, super::compose::ComposeError>) -> Self {
        match built {
            Ok(mail) => Self::Email(mail),
            Err(error) => Self::Unbuildable(error.to_string()),
        }
    }
}

/// One effect to deliver, with the ledger key that makes it happen once and a tag the
/// caller uses to map outcomes back (a reminder row, a notice).
pub struct Job {
    pub tag: usize,
    pub key: String,
    pub effect: Effect,
}

/// What became of a batch.
#[derive(Debug, Default)]
pub struct Delivered {
    /// Tags with an effect left to do: a passing failure, or another worker holding it.
    pub unfinished: HashSet<usize>,
    /// Tags of the emails that went out now.
    pub emailed: Vec<usize>,
    /// Effects done now (not counting those settled earlier).
    pub done: usize,
}

/// What became of one effect.
enum Outcome {
    Done,
    Failed(String),
    Retry,
    Gone(String),
}

/// Email and Web Push, as configured on this node.
#[derive(Clone)]
pub struct Deliverer {
    ledger: EffectLedger,
    mailer: Arc<dyn Mailer>,
    push: Option<(Arc<dyn PushSender>, PushSubscriptions)>,
    concurrency: usize,
}

impl Deliverer {
    pub fn new(ledger: EffectLedger, mailer: Arc<dyn Mailer>) -> Self {
        Self { ledger, mailer, push: None, concurrency: 32 }
    }

    pub fn with_push(mut self, sender: Arc<dyn PushSender>, subscriptions: PushSubscriptions) -> Self {
        self.push = Some((sender, subscriptions));
        self
    }

    /// Deliveries in flight at once.
    pub fn with_concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    pub fn with_ledger(mut self, ledger: EffectLedger) -> Self {
        self.ledger = ledger;
        self
    }

    /// The subscribed browsers of these people, as `(email, subscription)`; none when push
    /// is not configured.
    pub async fn subscriptions_of(&self, emails: &[String]) -> Result<Vec<(String, PushTarget)>, sqlx::Error> {
        match &self.push {
            Some((_, store)) if !emails.is_empty() => store.of_emails(emails).await,
            _ => Ok(vec![]),
        }
    }

    /// Claims, performs and records `jobs`.
    pub async fn deliver(&self, jobs: Vec<Job>) -> Result<Delivered, sqlx::Error> {
        let mut delivered = Delivered::default();
        if jobs.is_empty() {
            return Ok(delivered);
        }
        let keys: Vec<String> = jobs.iter().map(|job| job.key.clone()).collect();
        let mine: HashSet<String> = self.ledger.claim_many(&keys).await?.into_iter().collect();
        let (mine, others): (Vec<Job>, Vec<Job>) = jobs.into_iter().partition(|job| mine.contains(&job.key));
        if !others.is_empty() {
            let other_keys: Vec<String> = others.iter().map(|job| job.key.clone()).collect();
            let busy: HashSet<String> = self.ledger.busy_among(&other_keys).await?.into_iter().collect();
            delivered.unfinished.extend(others.iter().filter(|job| busy.contains(&job.key)).map(|job| job.tag));
        }

        let outcomes: Vec<(Job, Outcome)> = futures::stream::iter(mine)
            .map(|job| async move {
                let outcome = self.perform(&job.effect).await;
                (job, outcome)
            })
            .buffer_unordered(self.concurrency)
            .collect()
            .await;

        let mut done = Vec::new();
        for (job, outcome) in outcomes {
            match outcome {
                Outcome::Done => {
                    if let Effect::Email(_) = job.effect {
                        delivered.emailed.push(job.tag);
                    }
                    done.push(job.key);
                }
                Outcome::Failed(error) => self.ledger.failed(&job.key, &error).await?,
                Outcome::Gone(endpoint) => {
                    if let Some((_, store)) = &self.push {
                        store.forget(&endpoint).await?;
                    }
                    self.ledger.failed(&job.key, "the push subscription is gone").await?;
                }
                Outcome::Retry => {
                    self.ledger.release(&job.key).await?;
                    delivered.unfinished.insert(job.tag);
                }
            }
        }
        self.ledger.done_many(&done).await?;
        delivered.done = done.len();
        Ok(delivered)
    }

    async fn perform(&self, effect: &Effect) -> Outcome {
        let (channel, result) = match effect {
            Effect::Email(mail) => {
                let started = std::time::Instant::now();
                let result = self.mailer.send(mail).await;
                metrics::histogram!("veche_mail_send_seconds").record(started.elapsed().as_secs_f64());
                ("email", result)
            }
            Effect::Push { target, payload } => match &self.push {
                Some((sender, _)) => {
                    let started = std::time::Instant::now();
                    let result = sender.push(target, payload).await;
                    metrics::histogram!("veche_push_send_seconds").record(started.elapsed().as_secs_f64());
                    ("push", result)
                }
                None => ("push", Ok(())),
            },
            Effect::Unbuildable(error) => {
                tracing::error!(error = %error, "a notification cannot be built; giving it up");
                return Outcome::Failed(error.clone());
            }
        };
        match result {
            Ok(()) => {
                metrics::counter!("veche_notifications_sent_total", "channel" => channel).increment(1);
                Outcome::Done
            }
            Err(DeliveryError::Transient(error)) => {
                metrics::counter!("veche_notification_failures_total", "channel" => channel, "kind" => "transient").increment(1);
                tracing::warn!(channel, error = %error, "a notification could not be delivered now; it will be retried");
                Outcome::Retry
            }
            Err(DeliveryError::Permanent(error)) => {
                metrics::counter!("veche_notification_failures_total", "channel" => channel, "kind" => "permanent").increment(1);
                tracing::error!(channel, error = %error, cause = ?error, "a notification was refused for good");
                Outcome::Failed(error.to_string())
            }
            Err(DeliveryError::Gone) => match effect {
                Effect::Push { target, .. } => Outcome::Gone(target.endpoint.clone()),
                _ => Outcome::Failed("gone".into()),
            },
        }
    }
}

/// What a push notification shows, and where a click leads.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PushMessage {
    pub title: String,
    pub body: String,
    pub url: String,
    pub meeting_id: Uuid,
    /// Notifications with the same tag replace each other in the browser.
    pub tag: String,
}

/// One push job per subscribed browser of `email` among `subscriptions`, keyed
/// `<key_prefix>/push/<endpoint id>`.
pub fn push_jobs(
    tag: usize,
    key_prefix: &str,
    email: &str,
    subscriptions: &[(String, PushTarget)],
    message: &PushMessage,
) -> Vec<Job> {
    let payload = serde_json::to_vec(message).expect("a push message serialises");
    subscriptions
        .iter()
        .filter(|(subscriber, _)| subscriber == email)
        .map(|(_, target)| {
            let endpoint_id = Uuid::new_v5(&Uuid::NAMESPACE_URL, target.endpoint.as_bytes());
            Job {
                tag,
                key: format!("{key_prefix}/push/{endpoint_id}"),
                effect: Effect::Push { target: target.clone(), payload: payload.clone() },
            }
        })
        .collect()
}
