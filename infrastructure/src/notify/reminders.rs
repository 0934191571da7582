//! The reminder scheduler. Every node runs one over the `reminder_due` read model:
//!
//! 1. **Take** a batch of due rows in one short statement: the earliest unsent rows whose
//!    meeting has not started, not claimed by anyone, `FOR UPDATE SKIP LOCKED`, stamped
//!    with a claim (`claimed_until = now() + lease`). Two schedulers never take the same
//!    row: the row lock keeps them apart during the statement, the claim afterwards.
//! 2. **Send** outside any transaction, concurrently: an email to the person and a push to
//!    each of their subscribed browsers, each effect through the effect ledger
//!    (`reminder/<meeting>/<email>/<minutes>/<due epoch>/<channel>`), so a row retaken after
//!    a crash, or rebuilt by a projection rebuild, does not send what was sent.
//! 3. **Mark** the rows whose effects are all settled as sent (only if `due_at` did not move
//!    meanwhile); a row with a passing failure is claimed for a short back-off and retried.
//!
//! A row still unsent when its meeting starts (the nodes were down, or it kept failing) is
//! let go before each take: stamped `missed_at` and counted (`veche_reminders_missed_total`;
//! after a rebuild of `reminders`, whose rows start unsent, the count includes the rows of
//! past meetings that were sent before, which the effect ledger remembers).
//!
//! A node that dies in step 2 leaves claims that expire after the lease; another node then
//! retakes the rows, and the ledger lets through only what had not been sent.
//!
//! An idle scheduler sleeps until the next row falls due (or a claim on a due row ends),
//! and is woken earlier by the projections' progress, which is how a new or moved reminder
//! reaches it: so a reminder goes out at its time, and an idle node does not poll.

use super::compose::{compose_reminder, reminder_push_text, MailContext};
use super::delivery::{push_jobs, Deliverer, Effect, Job, PushMessage};
use super::ledger::EffectLedger;
use super::MailSettings;
use application::notifications::Recipient;
use chrono::{DateTime, Utc};
use domain::meeting::{Meeting, MeetingState};
use domain::values::EmailAddress;
use projections::global_log::LogCursor;
use sqlx::PgPool;
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// One reminder row taken by this scheduler.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TakenReminder {
    pub meeting_id: Uuid,
    pub user_email: String,
    pub minutes_before: i32,
    pub due_at: DateTime<Utc>,
    pub starts_at: DateTime<Utc>,
}

impl TakenReminder {
    fn key(&self, channel: &str) -> String {
        format!("reminder/{}/{}/{}/{}/{channel}", self.meeting_id, self.user_email, self.minutes_before, self.due_at.timestamp())
    }
}

/// The tuning of a scheduler.
#[derive(Debug, Clone)]
pub struct SchedulerOptions {
    /// Rows taken per statement.
    pub batch_size: i64,
    /// Deliveries in flight at once.
    pub concurrency: usize,
    /// How long a take protects its rows (longer than a batch takes to send).
    pub lease: Duration,
    /// How long a row with a passing failure waits before it is tried again.
    pub retry_after: Duration,
    /// The longest an idle scheduler sleeps without looking: the fallback for a wake-up
    /// lost (the projections' progress not followed for a while).
    pub idle_poll: Duration,
    /// The shortest time between two looks that found nothing to take: the projections'
    /// progress moves with every batch they commit, which under load is often.
    pub min_look_interval: Duration,
}

impl Default for SchedulerOptions {
    fn default() -> Self {
        Self {
            batch_size: 500,
            concurrency: 32,
            lease: Duration::from_secs(120),
            retry_after: Duration::from_secs(30),
            idle_poll: Duration::from_secs(30),
            // A reminder projected while the scheduler is idle is late by at most this.
            min_look_interval: Duration::from_millis(200),
        }
    }
}

pub struct ReminderScheduler {
    pool: PgPool,
    deliverer: Deliverer,
    settings: MailSettings,
    options: SchedulerOptions,
    /// Where the projections have got to; `None`: only the due times and the idle poll wake it.
    progress: Option<watch::Receiver<LogCursor>>,
}

impl ReminderScheduler {
    pub fn new(pool: PgPool, deliverer: Deliverer, settings: MailSettings) -> Self {
        let options = SchedulerOptions::default();
        Self { deliverer: deliverer.with_concurrency(options.concurrency), pool, settings, options, progress: None }
    }

    /// Woken when the projections move (a reminder may have been added or moved).
    pub fn woken_by(mut self, progress: watch::Receiver<LogCursor>) -> Self {
        self.progress = Some(progress);
        self
    }

    pub fn with_options(mut self, options: SchedulerOptions) -> Self {
        self.deliverer = self
            .deliverer
            .with_ledger(EffectLedger::new(self.pool.clone()).with_lease(options.lease))
            .with_concurrency(options.concurrency);
        self.options = options;
        self
    }

    /// Lets go of the rows that were not sent before their meeting started (and that no
    /// scheduler is sending): they are stamped `missed_at`, which takes them out of the
    /// pending index, so that takes do not scan them ever after. Returns how many.
    pub async fn let_go_missed(&self, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
        let missed = sqlx::query(
            "update reminder_due set missed_at = $1 \
             where sent_at is null and missed_at is null and due_at <= $1 and starts_at <= $1 \
               and (claimed_until is null or claimed_until < $1)",
        )
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if missed > 0 {
            tracing::info!(
                missed,
                "reminders still unsent when their meeting started were let go (after a rebuild: also those sent before it)"
            );
            metrics::counter!("veche_reminders_missed_total").increment(missed);
        }
        Ok(missed)
    }

    /// Takes up to a batch of rows due at `now` (step 1).
    pub async fn take_due(&self, now: DateTime<Utc>) -> Result<Vec<TakenReminder>, sqlx::Error> {
        sqlx::query_as(
            "update reminder_due r set claimed_until = $3 + make_interval(secs => $2) \
             from (select meeting_id, user_email, minutes_before from reminder_due \
                   where sent_at is null and missed_at is null and due_at <= $3 and starts_at > $3 \
                     and (claimed_until is null or claimed_until < $3) \
                   order by due_at limit $1 for update skip locked) due \
             where (r.meeting_id, r.user_email, r.minutes_before) = (due.meeting_id, due.user_email, due.minutes_before) \
             returning r.meeting_id, r.user_email, r.minutes_before, r.due_at, r.starts_at",
        )
        .bind(self.options.batch_size)
        .bind(self.options.lease.as_secs_f64())
        .bind(now)
        .fetch_all(&self.pool)
        .await
    }

    /// When the next row may be taken, as of `now`: the earliest future due time, or the
    /// end of the earliest claim on a row due already; `None` when nothing is pending.
    pub async fn next_due(&self, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
        sqlx::query_scalar(
            "select least( \
               (select min(due_at) from reminder_due where sent_at is null and missed_at is null and due_at > $1), \
               (select min(claimed_until) from reminder_due \
                where sent_at is null and missed_at is null and due_at <= $1 and starts_at > $1 and claimed_until > $1))",
        )
        .bind(now)
        .fetch_one(&self.pool)
        .await
    }

    /// Takes one batch and sends it. Returns how many rows were taken.
    pub async fn run_once(&self) -> anyhow::Result<usize> {
        self.run_once_at(Utc::now()).await
    }

    /// [`Self::run_once`] as if the time were `now` (what the tests of DST days use; the
    /// database's clock is not involved in deciding what is due).
    pub async fn run_once_at(&self, now: DateTime<Utc>) -> anyhow::Result<usize> {
        self.let_go_missed(now).await?;
        let taken = self.take_due(now).await?;
        if taken.is_empty() {
            return Ok(0);
        }
        let meetings = self.meetings(&taken).await?;
        let emails: Vec<String> = taken.iter().map(|t| t.user_email.clone()).collect();
        let subscriptions = self.deliverer.subscriptions_of(&emails).await?;
        let mut jobs = Vec::new();
        for (row, reminder) in taken.iter().enumerate() {
            let Some((meeting, locale)) = meetings.get(&reminder.meeting_id) else { continue };
            let language = self.settings.language(locale.as_deref());
            let Ok(email) = EmailAddress::parse(&reminder.user_email) else { continue };
            let to =
                Recipient { name: meeting.attendee(&email).and_then(|a| a.name.as_ref().map(|n| n.as_str().to_string())), email };
            let context = MailContext {
                meeting,
                before: None,
                language,
                stamp: reminder.due_at,
                links: &self.settings.links,
                from: &self.settings.from,
            };
            let key = reminder.key("email");
            let effect = Effect::email(compose_reminder(&to, reminder.minutes_before as u32, &context, &key));
            jobs.push(Job { tag: row, key, effect });
            let (title, body) = reminder_push_text(meeting, reminder.minutes_before as u32, language);
            let message = PushMessage {
                title,
                body,
                url: self.settings.links.meeting_link(meeting.room_id),
                meeting_id: meeting.id.as_uuid(),
                tag: format!("reminder-{}", meeting.id),
            };
            // Keys `reminder/.../<due>/push/<endpoint id>`, as before the deliverer was shared.
            let prefix = reminder.key("");
            jobs.extend(push_jobs(row, prefix.trim_end_matches('/'), &reminder.user_email, &subscriptions, &message));
        }

        let delivered = self.deliverer.deliver(jobs).await?;
        let delivered_at = Utc::now();
        for &row in &delivered.emailed {
            let lateness = (delivered_at - taken[row].due_at).num_milliseconds().max(0) as f64 / 1000.0;
            metrics::histogram!("veche_reminder_lateness_seconds").record(lateness);
        }
        metrics::counter!("veche_reminder_effects_done_total").increment(delivered.done as u64);

        let (finished, retry): (Vec<_>, Vec<_>) =
            taken.iter().enumerate().partition(|(row, _)| !delivered.unfinished.contains(row));
        self.settle(finished.into_iter().map(|(_, t)| t), None, now).await?;
        self.settle(retry.into_iter().map(|(_, t)| t), Some(self.options.retry_after), now).await?;
        Ok(taken.len())
    }

    /// Marks rows sent (`retry_after` `None`) or claims them again for a back-off. Only rows
    /// whose `due_at` is still the one taken: a reminder moved meanwhile is due anew.
    async fn settle<'a>(
        &self,
        rows: impl Iterator<Item = &'a TakenReminder>,
        retry_after: Option<Duration>,
        now: DateTime<Utc>,
    ) -> Result<(), sqlx::Error> {
        let (mut ids, mut emails, mut minutes, mut dues) = (vec![], vec![], vec![], vec![]);
        for row in rows {
            ids.push(row.meeting_id);
            emails.push(row.user_email.clone());
            minutes.push(row.minutes_before);
            dues.push(row.due_at);
        }
        if ids.is_empty() {
            return Ok(());
        }
        let set = match retry_after {
            None => "sent_at = $5, claimed_until = null".to_string(),
            Some(wait) => format!("claimed_until = $5 + interval '{} milliseconds'", wait.as_millis()),
        };
        sqlx::query(&format!(
            "update reminder_due r set {set} \
             from unnest($1::uuid[], $2::text[], $3::int[], $4::timestamptz[]) as t(meeting_id, user_email, minutes_before, due_at) \
             where (r.meeting_id, r.user_email, r.minutes_before, r.due_at) = (t.meeting_id, t.user_email, t.minutes_before, t.due_at)"
        ))
        .bind(&ids)
        .bind(&emails)
        .bind(&minutes)
        .bind(&dues)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The meetings of the taken rows, with the language of their scheduling request.
    async fn meetings(&self, taken: &[TakenReminder]) -> anyhow::Result<HashMap<Uuid, (MeetingState, Option<String>)>> {
        let ids: Vec<Uuid> = taken.iter().map(|t| t.meeting_id).collect::<HashSet<_>>().into_iter().collect();
        #[derive(sqlx::FromRow)]
        struct MeetingWithLocale {
            meeting_id: Uuid,
            state: sqlx::types::Json<Meeting>,
            locale: Option<String>,
        }
        let rows: Vec<MeetingWithLocale> = sqlx::query_as(
            "select v.meeting_id, v.state, e.metadata ->> $2 as locale from meeting_view v \
             left join events e on e.aggregate_type = 'Meeting' and e.aggregate_id = v.meeting_id::text and e.sequence = 1 \
             where v.meeting_id = any($1)",
        )
        .bind(&ids)
        .bind(application::meetings::metadata::LOCALE)
        .fetch_all(&self.pool)
        .await?;
        let mut meetings = HashMap::with_capacity(rows.len());
        for row in rows {
            if let Some(state) = row.state.0.state().cloned() {
                meetings.insert(row.meeting_id, (state, row.locale));
            }
        }
        Ok(meetings)
    }

    /// Runs until `shutdown`: a full batch is followed at once by the next; otherwise the
    /// scheduler sleeps until the next row is due, the projections move, or `idle_poll`.
    pub async fn run(mut self, shutdown: CancellationToken) {
        let mut progress = self.progress.take();
        while !shutdown.is_cancelled() {
            let looked = tokio::time::Instant::now();
            let pause = match self.run_once().await {
                Ok(taken) if taken as i64 >= self.options.batch_size => continue,
                Ok(_) => self.pause_until_due().await,
                Err(error) => Err(error),
            };
            let pause = pause.unwrap_or_else(|error| {
                tracing::error!(error = %error, cause = ?error, "the reminder scheduler failed; retrying");
                metrics::counter!("veche_reminder_scheduler_errors_total").increment(1);
                Duration::from_secs(1)
            });
            let moved = async {
                let Some(progress) = progress.as_mut() else { return std::future::pending().await };
                if progress.changed().await.is_err() {
                    // The progress is not followed any more (shutdown): only time wakes it.
                    std::future::pending::<()>().await;
                }
            };
            tokio::select! {
                _ = shutdown.cancelled() => {}
                _ = tokio::time::sleep(pause) => {}
                _ = moved => tokio::time::sleep_until(looked + self.options.min_look_interval).await,
            }
        }
    }

    /// How long to sleep after a look that left nothing to take now.
    async fn pause_until_due(&self) -> anyhow::Result<Duration> {
        let now = Utc::now();
        Ok(match self.next_due(now).await? {
            Some(due) => (due - now).to_std().unwrap_or_default().min(self.options.idle_poll),
            None => self.options.idle_poll,
        })
    }
}
