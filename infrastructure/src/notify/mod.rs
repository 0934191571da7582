//! Notifications: the reactors' side effects (iMIP email, Web Push) and the reminder
//! scheduler.
//!
//! ## Layout
//! - [`invitations`]: the reactor that emails (and pushes) invitations, updates, cancellations and
//!   answer notices for meeting events (policy in `application::notifications`).
//! - [`reminders`]: the scheduler that every node runs over the `reminder_due` read model.
//! - [`ledger`]: the effect ledger, one idempotency record per side effect.
//! - [`delivery`]: claiming, performing and recording a batch of effects (email, push).
//! - [`compose`]: an email from a notice: texts in English and Russian, HTML, iMIP parts.
//! - [`ical`]: the iCalendar objects (VEVENT, VTIMEZONE from chrono-tz).
//! - [`mailer`]: SMTP via lettre; [`outbox`]: the local outbox of `.eml` files without it.
//! - [`push`]: Web Push (RFC 8030/8291/8292) and the subscriptions' store;
//!   [`push_address`]: which push endpoints veche may reach.
//! - [`sign_in_mail`]: the email that carries a single-use sign-in link.

pub mod compose;
pub mod delivery;
pub mod ical;
pub mod invitations;
pub mod ledger;
pub mod mailer;
pub mod outbox;
pub mod push;
pub mod push_address;
pub mod reminders;
pub mod sign_in_mail;

use crate::links::GuestLinks;
use compose::Language;
use cqrs_es::persist::EventUpcaster;
use cqrs_es::Aggregate;
use domain::meeting::{Meeting, MeetingEvent, MeetingState};
use lettre::message::Mailbox;
use projections::global_log::{self, RecordedEvent};
use sqlx::PgPool;

/// What every notification email needs to know about this veche.
#[derive(Clone)]
pub struct MailSettings {
    pub links: GuestLinks,
    /// `VECHE_MAIL_FROM`: the sender's address (shown with the organizer's name).
    pub from: Mailbox,
    /// `VECHE_MAIL_LANGUAGE`: the language when the meeting's request named none we speak.
    pub default_language: Language,
}

/// A meeting around one of its events.
pub struct MeetingAt {
    pub event: MeetingEvent,
    pub before: Option<MeetingState>,
    pub after: MeetingState,
    /// The language recorded with the scheduling request, if any.
    pub locale: Option<String>,
}

/// Why a meeting could not be rebuilt around an event.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("database error")]
    Database(#[from] sqlx::Error),
    #[error("an event cannot be decoded")]
    Decode(#[from] projections::ProjectionError),
    #[error("event {sequence} of meeting {aggregate_id} is not in the store")]
    Missing { aggregate_id: String, sequence: i64 },
}

/// Replays the meeting's events up to `sequence` (through the upcasters), giving its
/// state just before and just after that event: what it was when the event happened,
/// whatever happened since, so a redelivered event renders the same message.
pub async fn meeting_at(
    pool: &PgPool,
    aggregate_id: &str,
    sequence: i64,
    upcasters: &[Box<dyn EventUpcaster>],
) -> Result<MeetingAt, HistoryError> {
    let stream = global_log::stream_of(pool, Meeting::TYPE, aggregate_id, None).await?;
    let missing = || HistoryError::Missing { aggregate_id: aggregate_id.to_string(), sequence };
    let locale = stream.first().and_then(|first| first.metadata_str(application::meetings::metadata::LOCALE)).map(str::to_string);
    let mut meeting = Meeting::default();
    let mut before = None;
    let mut target: Option<(&RecordedEvent, MeetingEvent)> = None;
    for recorded in stream.iter().take_while(|r| r.sequence <= sequence) {
        let event = recorded.meeting_event(upcasters)?.ok_or_else(missing)?;
        if recorded.sequence == sequence {
            before = meeting.state().cloned();
            target = Some((recorded, event.clone()));
        }
        meeting.apply(event);
    }
    let (_, event) = target.ok_or_else(missing)?;
    let after = meeting.state().cloned().ok_or_else(missing)?;
    Ok(MeetingAt { event, before, after, locale })
}

impl MailSettings {
    /// The language of a meeting's emails.
    pub fn language(&self, locale: Option<&str>) -> Language {
        locale.and_then(Language::parse).unwrap_or(self.default_language)
    }
}
