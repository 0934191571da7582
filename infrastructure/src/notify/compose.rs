//! Renders a notice as an email: iMIP (RFC 6047) — `multipart/alternative` with plain
//! text, HTML, and the iCalendar object as `text/calendar; method=...` whose method
//! matches the object's `METHOD` (what makes Gmail, Outlook and Apple Mail show
//! Accept / Decline) — in English or Russian, with signed links to answer and to join.
//!
//! Language: a meeting's emails are written in the language of the request that scheduled
//! it (its `Accept-Language`, recorded in the first event's metadata as `locale`); when
//! that named none veche speaks, in `VECHE_MAIL_LANGUAGE` (default English). Veche has no
//! profile of the people it invites, so it writes to them in their organizer's language.

use super::ical::{self, CalendarMessage, ItipMethod};
use crate::links::{GuestLinks, GuestScope};
use application::notifications::{Notice, NoticeKind, OutgoingMail, Recipient};
use chrono::{DateTime, Utc};
use domain::meeting::{MeetingState, MeetingStatus, Partstat, Response};
use domain::values::{clean_name, EmailAddress};
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::Message;
use maud::{html, PreEscaped, DOCTYPE};
use uuid::Uuid;

/// The languages emails are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    En,
    Ru,
}

impl Language {
    /// `Some` for a language veche writes (`en`, `ru`, case-insensitive).
    pub fn parse(code: &str) -> Option<Self> {
        match code.trim().to_ascii_lowercase().as_str() {
            "en" => Some(Self::En),
            "ru" => Some(Self::Ru),
            _ => None,
        }
    }

    fn texts(self) -> &'static Texts {
        match self {
            Self::En => &EN,
            Self::Ru => &RU,
        }
    }
}

/// Every phrase of every email, in one language.
struct Texts {
    invitation: &'static str,
    update: &'static str,
    cancellation: &'static str,
    removed: &'static str,
    reminder: &'static str,
    invites_you: &'static str,
    updated_by: &'static str,
    cancelled_by: &'static str,
    removed_by: &'static str,
    when: &'static str,
    join: &'static str,
    join_as_guest: &'static str,
    answer: &'static str,
    accept: &'static str,
    decline: &'static str,
    tentative: &'static str,
    accepted: &'static str,
    declined: &'static str,
    tentatively: &'static str,
    reminder_body: &'static str,
    minutes: &'static str,
}

const EN: Texts = Texts {
    invitation: "Invitation",
    update: "Updated invitation",
    cancellation: "Cancelled",
    removed: "You were removed from",
    reminder: "Reminder",
    invites_you: "invites you to",
    updated_by: "changed",
    cancelled_by: "cancelled",
    removed_by: "took you off the meeting",
    when: "When",
    join: "Join the meeting",
    join_as_guest: "Join without an account",
    answer: "Will you come?",
    accept: "Yes",
    decline: "No",
    tentative: "Maybe",
    accepted: "accepted",
    declined: "declined",
    tentatively: "might come (tentative)",
    reminder_body: "starts in",
    minutes: "min",
};

const RU: Texts = Texts {
    invitation: "Приглашение",
    update: "Приглашение изменено",
    cancellation: "Отменено",
    removed: "Вас исключили из встречи",
    reminder: "Напоминание",
    invites_you: "приглашает вас на встречу",
    updated_by: "изменил(а) встречу",
    cancelled_by: "отменил(а) встречу",
    removed_by: "исключил(а) вас из встречи",
    when: "Когда",
    join: "Подключиться к встрече",
    join_as_guest: "Подключиться без учётной записи",
    answer: "Вы придёте?",
    accept: "Да",
    decline: "Нет",
    tentative: "Возможно",
    accepted: "принял(а) приглашение",
    declined: "отклонил(а) приглашение",
    tentatively: "возможно придёт",
    reminder_body: "начнётся через",
    minutes: "мин",
};

/// What the renderer needs besides the notice.
pub struct MailContext<'a> {
    pub meeting: &'a MeetingState,
    /// The meeting as it was before the event (the removed attendee is found there).
    pub before: Option<&'a MeetingState>,
    pub language: Language,
    /// When the event was recorded: the iCalendar `DTSTAMP`.
    pub stamp: DateTime<Utc>,
    pub links: &'a GuestLinks,
    pub from: &'a Mailbox,
}

/// The `Message-ID` of a side effect: derived from its ledger key, so the same effect
/// always carries the same id.
pub fn message_id(effect_key: &str) -> String {
    const NAMESPACE: Uuid = Uuid::from_u128(0x0c3e_44a1_96d3_4b5e_a0f8_31d5_7a22_c9e4);
    format!("<{}@veche>", Uuid::new_v5(&NAMESPACE, effect_key.as_bytes()).simple())
}

/// Why a notice could not be rendered. Neither heals by retrying.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("lettre refuses the address {0}")]
    Address(String),
    #[error("the email cannot be built")]
    Build(#[source] lettre::error::Error),
}

/// Renders `notice` as an email, and the push notification that says the same,
/// `(title, body)`: the email's subject and its first sentence. One rendering serves both.
pub fn compose(
    notice: &Notice,
    context: &MailContext<'_>,
    effect_key: &str,
) -> (Result<OutgoingMail, ComposeError>, (String, String)) {
    let (subject, body, calendar) = render(notice, context);
    let push = (subject.clone(), body.text.lines().next().unwrap_or_default().to_string());
    (build(notice.to.clone(), subject, body, calendar, context, effect_key), push)
}

/// A notice's subject, body and iCalendar part (with its method).
fn render(notice: &Notice, context: &MailContext<'_>) -> (String, Body, Option<(ItipMethod, String)>) {
    let texts = context.language.texts();
    let meeting = context.meeting;
    let title = meeting.title.as_str();
    let organizer = clean_name(&meeting.organizer.name);
    let link = context.links.meeting_link(meeting.room_id);
    let when = when(meeting);
    let mut body = Body::default();
    let (subject, calendar) = match &notice.kind {
        NoticeKind::Invitation | NoticeKind::Update => {
            let (label, verb) = match notice.kind {
                NoticeKind::Invitation => (texts.invitation, texts.invites_you),
                _ => (texts.update, texts.updated_by),
            };
            body.line(format!("{organizer} {verb} «{title}»."));
            body.details(texts, &when, meeting, &link);
            answer_links(&mut body, texts, context, &notice.to);
            let listed = &meeting.attendees;
            (format!("{label}: {title} — {when}"), Some((ItipMethod::Request, listed.as_slice(), false)))
        }
        NoticeKind::Cancellation => {
            // A cancellation of a meeting still on is for an attendee taken off it.
            let removed = match meeting.status {
                MeetingStatus::Cancelled => None,
                MeetingStatus::Scheduled => context.before.and_then(|b| b.attendee(&notice.to.email)),
            };
            match removed {
                Some(attendee) => {
                    body.line(format!("{organizer} {} «{title}».", texts.removed_by));
                    body.line(format!("{}: {when}", texts.when));
                    let subject = format!("{} «{title}» — {when}", texts.removed);
                    (subject, Some((ItipMethod::Cancel, std::slice::from_ref(attendee), false)))
                }
                None => {
                    body.line(format!("{organizer} {} «{title}».", texts.cancelled_by));
                    body.line(format!("{}: {when}", texts.when));
                    if let Some(reason) = &meeting.cancellation_reason {
                        body.paragraph(reason.as_str());
                    }
                    let subject = format!("{}: {title} — {when}", texts.cancellation);
                    (subject, Some((ItipMethod::Cancel, meeting.attendees.as_slice(), true)))
                }
            }
        }
        NoticeKind::Answered { attendee, response } => {
            let who = meeting
                .attendee(attendee)
                .and_then(|a| a.name.as_ref().map(|n| format!("{} <{}>", n.as_str(), attendee)))
                .unwrap_or_else(|| attendee.to_string());
            let answer = match response {
                Response::Accepted => texts.accepted,
                Response::Declined => texts.declined,
                Response::Tentative => texts.tentatively,
            };
            body.line(format!("{who} {answer}: «{title}»."));
            body.line(format!("{}: {when}", texts.when));
            // A REPLY lets the organizer's calendar program record the answer itself.
            let replied = meeting.attendees.iter().find(|a| &a.email == attendee);
            let calendar = replied.map(|a| (ItipMethod::Reply, std::slice::from_ref(a), false));
            (format!("{who} {answer}: {title}"), calendar)
        }
    };
    let calendar = calendar.map(|(method, attendees, meeting_cancelled)| {
        let text = ical::render(&CalendarMessage {
            method,
            meeting,
            attendees,
            meeting_cancelled,
            sequence: meeting.ical_sequence,
            stamp: context.stamp,
            meeting_link: &link,
            join_label: texts.join,
        });
        (method, text)
    });
    (subject, body, calendar)
}

/// Renders a reminder `minutes` before the meeting.
pub fn compose_reminder(
    to: &Recipient,
    minutes: u32,
    context: &MailContext<'_>,
    effect_key: &str,
) -> Result<OutgoingMail, ComposeError> {
    let texts = context.language.texts();
    let meeting = context.meeting;
    let title = meeting.title.as_str();
    let link = context.links.meeting_link(meeting.room_id);
    let when = when(meeting);
    let mut body = Body::default();
    body.line(format!("«{title}» {} {minutes} {}.", texts.reminder_body, texts.minutes));
    body.details(texts, &when, meeting, &link);
    if meeting.attendee(&to.email).is_some() {
        guest_join(&mut body, texts, context, to);
    }
    let subject = format!("{}: {title} — {when}", texts.reminder);
    build(to.clone(), subject, body, None, context, effect_key)
}

/// The text of a push reminder: (title, body).
pub fn reminder_push_text(meeting: &MeetingState, minutes: u32, language: Language) -> (String, String) {
    let texts = language.texts();
    (
        format!("{}: {}", texts.reminder, meeting.title.as_str()),
        format!("{} {minutes} {} — {}", texts.reminder_body, texts.minutes, when(meeting)),
    )
}

fn when(meeting: &MeetingState) -> String {
    let schedule = &meeting.schedule;
    let end = if schedule.end.date() == schedule.start.date() {
        schedule.end.format("%H:%M").to_string()
    } else {
        schedule.end.format("%Y-%m-%d %H:%M").to_string()
    };
    format!("{}–{end} ({})", schedule.start.format("%Y-%m-%d %H:%M"), schedule.time_zone.name())
}

fn answer_links(body: &mut Body, texts: &Texts, context: &MailContext<'_>, to: &Recipient) {
    let meeting = context.meeting;
    let name = to.name.as_deref().unwrap_or("");
    let token = context.links.mint(meeting.id, &to.email, name, GuestScope::Respond, meeting.schedule.ends_at);
    let current = meeting.attendee(&to.email).map(|a| a.response);
    body.line(texts.answer.to_string());
    for (answer, label, partstat) in [
        ("accepted", texts.accept, Partstat::Accepted),
        ("declined", texts.decline, Partstat::Declined),
        ("tentative", texts.tentative, Partstat::Tentative),
    ] {
        let marker = if current == Some(partstat) { " ✓" } else { "" };
        body.link(&format!("{label}{marker}"), &context.links.respond_url(&token, answer));
    }
    guest_join(body, texts, context, to);
}

fn guest_join(body: &mut Body, texts: &Texts, context: &MailContext<'_>, to: &Recipient) {
    let meeting = context.meeting;
    let name = to.name.as_deref().unwrap_or("");
    let token = context.links.mint(meeting.id, &to.email, name, GuestScope::Join, meeting.schedule.ends_at);
    body.link(texts.join_as_guest, &context.links.join_url(meeting.room_id, &token));
}

/// The plain-text and HTML bodies, written together so that they say the same.
#[derive(Default)]
pub(crate) struct Body {
    text: String,
    html: String,
}

impl Body {
    pub(crate) fn line(&mut self, line: String) {
        self.text.push_str(&line);
        self.text.push('\n');
        self.html.push_str(&html! { p { (line) } "\n" }.into_string());
    }

    pub(crate) fn paragraph(&mut self, text: &str) {
        self.text.push('\n');
        self.text.push_str(text);
        self.text.push_str("\n\n");
        self.html.push_str(&html! { p style="white-space:pre-wrap" { (text) } "\n" }.into_string());
    }

    pub(crate) fn link(&mut self, label: &str, url: &str) {
        self.text.push_str(&format!("  {label}: {url}\n"));
        const BUTTON: &str = "display:inline-block;padding:6px 14px;border:1px solid #3b6;border-radius:4px;text-decoration:none";
        self.html.push_str(&html! { p { a href=(url) style=(BUTTON) { (label) } } "\n" }.into_string());
    }

    /// The plain-text and HTML alternatives of a message.
    pub(crate) fn into_parts(self) -> MultiPart {
        let html = html! {
            (DOCTYPE) "\n"
            html { head { meta charset="utf-8"; } body style="font-family:sans-serif" { "\n" (PreEscaped(&self.html)) } } "\n"
        }
        .into_string();
        MultiPart::alternative().singlepart(SinglePart::plain(self.text)).singlepart(SinglePart::html(html))
    }

    fn details(&mut self, texts: &Texts, when: &str, meeting: &MeetingState, link: &str) {
        self.line(format!("{}: {when}", texts.when));
        if !meeting.description.as_str().is_empty() {
            self.paragraph(meeting.description.as_str());
        }
        self.link(texts.join, link);
    }
}

fn build(
    to: Recipient,
    subject: String,
    body: Body,
    calendar: Option<(ItipMethod, String)>,
    context: &MailContext<'_>,
    effect_key: &str,
) -> Result<OutgoingMail, ComposeError> {
    let meeting = context.meeting;
    let organizer = &meeting.organizer;
    let id = message_id(effect_key);
    // Names are cleaned again as they go into headers: an event stored before the rules
    // came in may hold a name that would break a header.
    let organizer_name = clean_name(&organizer.name);
    let recipient = Mailbox::new(to.name.as_deref().map(clean_name), address(&to.email)?);
    // The organizer's name on the sender's address: people see who invites them, while the
    // envelope stays veche's (a server must not forge the organizer's domain).
    let from = Mailbox::new(Some(format!("{organizer_name} (veche)")), context.from.email.clone());
    let reply_to = Mailbox::new(Some(organizer_name), address(&organizer.email)?);
    let mut parts = body.into_parts();
    if let Some((method, ics)) = calendar {
        let content_type = ContentType::parse(&format!("text/calendar; method={}; charset=UTF-8", method.as_str()))
            .expect("a constant content type parses");
        parts = parts.singlepart(SinglePart::builder().header(content_type).body(ics));
    }
    let message = Message::builder()
        .from(from)
        .reply_to(reply_to)
        .to(recipient)
        .subject(subject)
        .message_id(Some(id.clone()))
        .multipart(parts)
        .map_err(ComposeError::Build)?;
    Ok(OutgoingMail { message_id: id, to: to.email, rfc822: message.formatted() })
}

/// veche's addresses are parsed by its own rules; lettre has its own, so a difference is
/// an error rather than a panic.
pub(crate) fn address(email: &EmailAddress) -> Result<lettre::Address, ComposeError> {
    email.as_str().parse().map_err(|_| ComposeError::Address(email.to_string()))
}
