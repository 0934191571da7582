//! Value types. Each has a `parse` constructor that is the only way to build it from
//! untrusted input, and returns an [`InvalidValue`] that says precisely what is wrong.

use chrono::{DateTime, Datelike as _, Duration, LocalResult, NaiveDateTime, TimeZone as _, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

/// Longest title, in characters (Google Calendar cuts at about the same length).
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest description, in characters: enough for an agenda, small enough for an email.
pub const MAX_DESCRIPTION_CHARS: usize = 8_000;
/// Longest display name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest email address (RFC 5321's path limit).
pub const MAX_EMAIL_CHARS: usize = 254;
/// Longest meeting: anything longer is an all-week event, not a meeting with a room.
pub const MAX_DURATION_HOURS: i64 = 7 * 24;
/// Most reminders per meeting.
pub const MAX_REMINDERS: usize = 5;
/// Earliest reminder, in minutes before the start (four weeks).
pub const MAX_REMINDER_MINUTES: u32 = 4 * 7 * 24 * 60;
/// The reminder a meeting gets when none are given.
pub const DEFAULT_REMINDER_MINUTES: u32 = 10;
/// The first year a meeting may start or end in (wall-clock, in its zone). Far-off dates are
/// typing mistakes, and every reader (PostgreSQL's timestamps, iCalendar, the reminders
/// computed weeks before a start) handles this range.
pub const EARLIEST_YEAR: i32 = 1970;
/// The last year a meeting may start or end in.
pub const LATEST_YEAR: i32 = 2199;
/// Longest user id (`sub`) taken from a token: OpenID Connect allows 255 ASCII characters.
pub const MAX_USER_ID_CHARS: usize = 255;

/// Why a value was refused. Each variant names the rule, so the API can say exactly which
/// field broke which limit.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InvalidValue {
    #[error("the title is empty")]
    EmptyTitle,
    #[error("the title is longer than {max} characters")]
    TitleTooLong { max: usize },
    #[error("the description is longer than {max} characters")]
    DescriptionTooLong { max: usize },
    #[error("{field} contains control characters")]
    ControlCharacters { field: &'static str },
    #[error("{field} contains bidirectional override or isolate characters, which can make text read otherwise than it is")]
    DirectionControls { field: &'static str },
    #[error("`{0}` is not a valid email address")]
    InvalidEmail(String),
    #[error("the display name is longer than {max} characters")]
    NameTooLong { max: usize },
    #[error("`{0}` is not a known IANA time zone")]
    UnknownTimeZone(String),
    #[error("the end ({end}) is not after the start ({start})")]
    EndNotAfterStart { start: NaiveDateTime, end: NaiveDateTime },
    #[error("{local} is outside the years {earliest}–{latest}")]
    DateOutOfRange { local: NaiveDateTime, earliest: i32, latest: i32 },
    #[error("the user id is empty, longer than {max} characters or holds control characters")]
    InvalidUserId { max: usize },
    #[error("the meeting lasts longer than {max_hours} hours")]
    DurationTooLong { max_hours: i64 },
    #[error("{local} does not exist in {time_zone} (the clocks skip it)")]
    NonexistentLocalTime { local: NaiveDateTime, time_zone: String },
    #[error("more than {max} reminders")]
    TooManyReminders { max: usize },
    #[error("a reminder of {minutes} minutes is more than {max} minutes before the start")]
    ReminderTooEarly { minutes: u32, max: u32 },
    #[error("the reminder of {0} minutes is given twice")]
    DuplicateReminder(u32),
}

/// An email address, normalised to lower case so that one person is one address.
///
/// The check is deliberately the practical subset of RFC 5322 that mail servers accept:
/// one `@`, a non-empty local part without spaces, a domain of dot-separated labels.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(input: &str) -> Result<Self, InvalidValue> {
        // Checked as stored: lower-casing can lengthen an address or leave a character that
        // is not a letter, and a stored address must parse again when its events are replayed.
        let candidate = input.trim().to_lowercase();
        let invalid = || InvalidValue::InvalidEmail(input.to_string());
        if candidate.len() > MAX_EMAIL_CHARS {
            return Err(invalid());
        }
        let (local, domain) = candidate.split_once('@').ok_or_else(invalid)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local.chars().all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        let domain_ok = domain.contains('.')
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if local_ok && domain_ok {
            Ok(Self(candidate))
        } else {
            Err(invalid())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = InvalidValue;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<EmailAddress> for String {
    fn from(value: EmailAddress) -> Self {
        value.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which rules a text is held to. Input meets today's rules; a value read back from the
/// event log met the rules of the day it was stored, so rules added since (the direction
/// controls) do not apply to it: an event in the log must always be readable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rules {
    Input,
    Stored,
}

/// Rejects characters that would break a mail header, an iCalendar line or a terminal
/// (newlines in a title, escape sequences), and in input the bidirectional overrides and
/// isolates (U+202A–U+202E, U+2066–U+2069) that make text display otherwise than it reads.
/// Tabs and newlines are allowed where `multiline` says so; one-line text also refuses the
/// Unicode line and paragraph separators.
fn reject_unsafe_characters(value: &str, field: &'static str, multiline: bool, rules: Rules) -> Result<(), InvalidValue> {
    let allowed = |c: char| multiline && (c == '\n' || c == '\r' || c == '\t');
    if value.chars().any(|c| (c.is_control() || (!multiline && is_line_separator(c))) && !allowed(c)) {
        return Err(InvalidValue::ControlCharacters { field });
    }
    if rules == Rules::Input && value.chars().any(is_direction_control) {
        return Err(InvalidValue::DirectionControls { field });
    }
    Ok(())
}

fn is_line_separator(c: char) -> bool {
    matches!(c, '\u{2028}' | '\u{2029}')
}

/// The explicit direction overrides, embeddings and isolates. The marks (U+200E, U+200F)
/// stay allowed: right-to-left text needs them and they cannot reorder other characters.
fn is_direction_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A name taken from a token (an external issuer's `name` claim is input like any other):
/// never refused, since the person did not choose what their identity provider sends, but
/// made safe: control characters, line separators and direction controls dropped, runs of
/// white space made one space, cut to [`MAX_NAME_CHARS`]. It can break no mail header and
/// no iCalendar line, and the same text is what readers make of a stored name.
pub fn clean_name(raw: &str) -> String {
    let mut name = String::with_capacity(raw.len().min(MAX_NAME_CHARS * 4));
    let (mut kept, mut gap) = (0, false);
    for c in raw.chars() {
        if is_direction_control(c) {
            continue;
        }
        if c.is_whitespace() || c.is_control() {
            gap = true;
            continue;
        }
        let needed = if gap && kept > 0 { 2 } else { 1 };
        if kept + needed > MAX_NAME_CHARS {
            break;
        }
        if needed == 2 {
            name.push(' ');
        }
        name.push(c);
        kept += needed;
        gap = false;
    }
    name
}

/// A user id (`sub`) taken from a token: it is the organizer's identity in the log, so it is
/// refused, not changed, when it is empty, too long or holds control characters.
pub fn parse_user_id(raw: &str) -> Result<String, InvalidValue> {
    if raw.is_empty() || raw.chars().count() > MAX_USER_ID_CHARS || raw.chars().any(|c| c.is_control()) {
        return Err(InvalidValue::InvalidUserId { max: MAX_USER_ID_CHARS });
    }
    Ok(raw.to_string())
}

/// A person's display name (optional wherever it appears).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(input: &str) -> Result<Self, InvalidValue> {
        Self::checked(input, Rules::Input)
    }

    fn checked(input: &str, rules: Rules) -> Result<Self, InvalidValue> {
        let name = input.trim();
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(InvalidValue::NameTooLong { max: MAX_NAME_CHARS });
        }
        reject_unsafe_characters(name, "the display name", false, rules)?;
        Ok(Self(name.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for DisplayName {
    type Error = InvalidValue;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::checked(&value, Rules::Stored)
    }
}

impl From<DisplayName> for String {
    fn from(value: DisplayName) -> Self {
        value.0
    }
}

/// Someone invited by email, with the name to show if the organizer gave one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitee {
    pub email: EmailAddress,
    pub name: Option<DisplayName>,
}

/// A meeting's title: trimmed, non-empty, one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Title(String);

impl Title {
    pub fn parse(input: &str) -> Result<Self, InvalidValue> {
        Self::checked(input, Rules::Input)
    }

    fn checked(input: &str, rules: Rules) -> Result<Self, InvalidValue> {
        let title = input.trim();
        if title.is_empty() {
            return Err(InvalidValue::EmptyTitle);
        }
        if title.chars().count() > MAX_TITLE_CHARS {
            return Err(InvalidValue::TitleTooLong { max: MAX_TITLE_CHARS });
        }
        reject_unsafe_characters(title, "the title", false, rules)?;
        Ok(Self(title.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Title {
    type Error = InvalidValue;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::checked(&value, Rules::Stored)
    }
}

impl From<Title> for String {
    fn from(value: Title) -> Self {
        value.0
    }
}

/// A meeting's description: free text, possibly empty, several lines.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Description(String);

impl Description {
    pub fn parse(input: &str) -> Result<Self, InvalidValue> {
        Self::checked(input, Rules::Input)
    }

    fn checked(input: &str, rules: Rules) -> Result<Self, InvalidValue> {
        if input.chars().count() > MAX_DESCRIPTION_CHARS {
            return Err(InvalidValue::DescriptionTooLong { max: MAX_DESCRIPTION_CHARS });
        }
        reject_unsafe_characters(input, "the description", true, rules)?;
        Ok(Self(input.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Description {
    type Error = InvalidValue;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::checked(&value, Rules::Stored)
    }
}

impl From<Description> for String {
    fn from(value: Description) -> Self {
        value.0
    }
}

/// An IANA time zone (`Europe/Berlin`). Meetings keep their zone, and every instant is
/// computed in it, so a weekly 09:00 stays at 09:00 across a DST change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TimeZone(chrono_tz::Tz);

impl TimeZone {
    pub fn parse(input: &str) -> Result<Self, InvalidValue> {
        input.trim().parse::<chrono_tz::Tz>().map(Self).map_err(|_| InvalidValue::UnknownTimeZone(input.to_string()))
    }
    pub fn tz(&self) -> chrono_tz::Tz {
        self.0
    }
    pub fn name(&self) -> &'static str {
        self.0.name()
    }
}

impl TryFrom<String> for TimeZone {
    type Error = InvalidValue;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<TimeZone> for String {
    fn from(value: TimeZone) -> Self {
        value.name().to_string()
    }
}

/// When a meeting takes place: wall-clock start and end in an IANA zone, plus the UTC
/// instants they denote (computed once, when the schedule is parsed, and stored with it so
/// that readers never depend on the tz database of the day they read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
    pub time_zone: TimeZone,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

impl Schedule {
    /// Builds a schedule from local wall-clock times. A time the clocks skip (spring
    /// forward) is refused; a time that happens twice (fall back) means its first occurrence,
    /// as calendar applications do. Both times lie within [`EARLIEST_YEAR`]–[`LATEST_YEAR`].
    pub fn parse(start: NaiveDateTime, end: NaiveDateTime, time_zone: TimeZone) -> Result<Self, InvalidValue> {
        for local in [start, end] {
            if !(EARLIEST_YEAR..=LATEST_YEAR).contains(&local.year()) {
                return Err(InvalidValue::DateOutOfRange { local, earliest: EARLIEST_YEAR, latest: LATEST_YEAR });
            }
        }
        let starts_at = Self::to_utc(start, time_zone)?;
        let ends_at = Self::to_utc(end, time_zone)?;
        if ends_at <= starts_at {
            return Err(InvalidValue::EndNotAfterStart { start, end });
        }
        if ends_at - starts_at > Duration::hours(MAX_DURATION_HOURS) {
            return Err(InvalidValue::DurationTooLong { max_hours: MAX_DURATION_HOURS });
        }
        Ok(Self { start, end, time_zone, starts_at, ends_at })
    }

    fn to_utc(local: NaiveDateTime, time_zone: TimeZone) -> Result<DateTime<Utc>, InvalidValue> {
        match time_zone.tz().from_local_datetime(&local) {
            LocalResult::Single(at) => Ok(at.with_timezone(&Utc)),
            LocalResult::Ambiguous(first, _) => Ok(first.with_timezone(&Utc)),
            LocalResult::None => Err(InvalidValue::NonexistentLocalTime { local, time_zone: time_zone.name().to_string() }),
        }
    }

    /// True when both schedules denote the same wall-clock times in the same zone.
    pub fn same_as(&self, other: &Schedule) -> bool {
        self.start == other.start && self.end == other.end && self.time_zone == other.time_zone
    }
}

/// When to remind attendees, in minutes before the start, sorted and unique.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Reminders(Vec<u32>);

impl Reminders {
    pub fn parse(minutes: &[u32]) -> Result<Self, InvalidValue> {
        if minutes.len() > MAX_REMINDERS {
            return Err(InvalidValue::TooManyReminders { max: MAX_REMINDERS });
        }
        let mut sorted = minutes.to_vec();
        sorted.sort_unstable();
        for pair in sorted.windows(2) {
            if pair[0] == pair[1] {
                return Err(InvalidValue::DuplicateReminder(pair[0]));
            }
        }
        if let Some(&minutes) = sorted.iter().find(|&&m| m > MAX_REMINDER_MINUTES) {
            return Err(InvalidValue::ReminderTooEarly { minutes, max: MAX_REMINDER_MINUTES });
        }
        Ok(Self(sorted))
    }

    pub fn minutes(&self) -> &[u32] {
        &self.0
    }
}

impl Default for Reminders {
    fn default() -> Self {
        Self(vec![DEFAULT_REMINDER_MINUTES])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").unwrap()
    }

    #[test]
    fn email_addresses_are_lower_cased_and_trimmed() {
        let email = EmailAddress::parse("  Ann.Lee@Example.ORG ").unwrap();
        assert_eq!(email.as_str(), "ann.lee@example.org");
    }

    #[test]
    fn an_accepted_address_is_stored_in_a_form_that_is_accepted_again() {
        // Lower-casing can lengthen an address or make a character that is no longer a
        // letter ('İ' becomes 'i' and a combining dot): what is stored must parse again,
        // or the events holding it could not be replayed.
        let near_limit = format!("{}@example.org", "İ".repeat(30));
        for input in ["Ann.Lee@Example.ORG", "İ@example.org", "ZOË@EXÄMPLE.ORG", "STRAẞE@example.org", near_limit.as_str()] {
            if let Ok(email) = EmailAddress::parse(input) {
                assert_eq!(EmailAddress::parse(email.as_str()), Ok(email.clone()), "{input:?} was stored as {email}");
            }
        }
        assert_eq!(EmailAddress::parse("ZOË@EXÄMPLE.ORG").unwrap().as_str(), "zoë@exämple.org");
        // Its lower-case form has a combining dot, which an address may not hold.
        assert!(EmailAddress::parse("İ@example.org").is_err());
    }

    #[test]
    fn malformed_email_addresses_are_refused() {
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.org",
            "ann@example",
            "a b@example.org",
            "ann@exa mple.org",
            "ann..lee@example.org",
            "ann@-example.org",
            "ann@example.org\r\nBcc: x@y.z",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn a_title_must_be_one_non_empty_line_within_the_limit() {
        assert_eq!(Title::parse("   "), Err(InvalidValue::EmptyTitle));
        assert!(matches!(Title::parse("a\nb"), Err(InvalidValue::ControlCharacters { .. })));
        let long = "x".repeat(MAX_TITLE_CHARS + 1);
        assert_eq!(Title::parse(&long), Err(InvalidValue::TitleTooLong { max: MAX_TITLE_CHARS }));
        assert_eq!(Title::parse(" Weekly sync ").unwrap().as_str(), "Weekly sync");
    }

    #[test]
    fn unknown_time_zones_are_refused() {
        assert_eq!(TimeZone::parse("Mars/Olympus"), Err(InvalidValue::UnknownTimeZone("Mars/Olympus".into())));
        assert_eq!(TimeZone::parse("Europe/Moscow").unwrap().name(), "Europe/Moscow");
    }

    #[test]
    fn a_schedule_is_computed_in_its_zone_across_dst() {
        let berlin = TimeZone::parse("Europe/Berlin").unwrap();
        // Summer time ends on 2026-10-25: 09:00 is UTC+2 on the 24th, UTC+1 on the 26th.
        let before = Schedule::parse(local("2026-10-24T09:00"), local("2026-10-24T10:00"), berlin).unwrap();
        let after = Schedule::parse(local("2026-10-26T09:00"), local("2026-10-26T10:00"), berlin).unwrap();
        assert_eq!(before.starts_at.to_rfc3339(), "2026-10-24T07:00:00+00:00");
        assert_eq!(after.starts_at.to_rfc3339(), "2026-10-26T08:00:00+00:00");
    }

    #[test]
    fn a_skipped_local_time_is_refused_and_a_repeated_one_means_the_first() {
        let berlin = TimeZone::parse("Europe/Berlin").unwrap();
        // 2026-03-29 02:30 does not exist in Berlin; 2026-10-25 02:30 happens twice.
        assert!(matches!(
            Schedule::parse(local("2026-03-29T02:30"), local("2026-03-29T04:00"), berlin),
            Err(InvalidValue::NonexistentLocalTime { .. })
        ));
        let twice = Schedule::parse(local("2026-10-25T02:30"), local("2026-10-25T04:00"), berlin).unwrap();
        assert_eq!(twice.starts_at.to_rfc3339(), "2026-10-25T00:30:00+00:00");
    }

    #[test]
    fn a_schedule_must_end_after_it_starts_and_not_last_too_long() {
        let utc = TimeZone::parse("UTC").unwrap();
        assert!(matches!(
            Schedule::parse(local("2026-12-01T10:00"), local("2026-12-01T10:00"), utc),
            Err(InvalidValue::EndNotAfterStart { .. })
        ));
        assert_eq!(
            Schedule::parse(local("2026-12-01T10:00"), local("2026-12-09T10:00"), utc),
            Err(InvalidValue::DurationTooLong { max_hours: MAX_DURATION_HOURS })
        );
    }

    #[test]
    fn reminders_are_sorted_unique_and_bounded() {
        assert_eq!(Reminders::parse(&[30, 10]).unwrap().minutes(), &[10, 30]);
        assert_eq!(Reminders::parse(&[10, 10]), Err(InvalidValue::DuplicateReminder(10)));
        assert_eq!(Reminders::parse(&[1, 2, 3, 4, 5, 6]), Err(InvalidValue::TooManyReminders { max: MAX_REMINDERS }));
        assert!(matches!(Reminders::parse(&[MAX_REMINDER_MINUTES + 1]), Err(InvalidValue::ReminderTooEarly { .. })));
    }

    #[test]
    fn a_schedule_outside_the_supported_years_is_refused() {
        let utc = TimeZone::parse("UTC").unwrap();
        let far = NaiveDateTime::parse_from_str("-5000-01-01T10:00", "%Y-%m-%dT%H:%M").unwrap();
        assert_eq!(
            Schedule::parse(far, far + Duration::hours(1), utc),
            Err(InvalidValue::DateOutOfRange { local: far, earliest: EARLIEST_YEAR, latest: LATEST_YEAR })
        );
        assert!(matches!(
            Schedule::parse(local("2199-12-31T23:00"), local("2200-01-01T00:30"), utc),
            Err(InvalidValue::DateOutOfRange { .. })
        ));
        assert!(Schedule::parse(local("1970-01-01T00:00"), local("1970-01-01T01:00"), utc).is_ok());
        assert!(Schedule::parse(local("2199-12-31T22:00"), local("2199-12-31T23:59"), utc).is_ok());
    }

    #[test]
    fn direction_overrides_are_refused_in_input_but_read_back_from_the_log() {
        // "Pay \u{202E}gnp.exe" displays as "Pay exe.png".
        let tricky = "Pay \u{202E}gnp.exe";
        assert_eq!(Title::parse(tricky), Err(InvalidValue::DirectionControls { field: "the title" }));
        assert!(matches!(Description::parse("a\u{2066}b"), Err(InvalidValue::DirectionControls { .. })));
        assert!(matches!(DisplayName::parse("Ann\u{202D}"), Err(InvalidValue::DirectionControls { .. })));
        // Right-to-left text and its marks stay welcome.
        assert!(Title::parse("\u{5e9}\u{5dc}\u{5d5}\u{5dd} \u{200F}sync").is_ok());
        // A value stored before the rule must still be read back.
        let stored: Title = serde_json::from_value(serde_json::json!(tricky)).unwrap();
        assert_eq!(stored.as_str(), tricky);
    }

    #[test]
    fn a_one_line_text_refuses_unicode_line_separators() {
        assert!(matches!(Title::parse("a\u{2028}b"), Err(InvalidValue::ControlCharacters { .. })));
        assert!(Description::parse("a\u{2028}b\nc").is_ok());
    }

    #[test]
    fn a_name_from_a_token_is_cleaned_never_refused() {
        assert_eq!(clean_name("  Ann\r\nBcc: x@y.z  "), "Ann Bcc: x@y.z");
        assert_eq!(clean_name("Ann\u{202E}eeL"), "AnneeL");
        assert_eq!(clean_name("\u{1b}[31mRed\tTeam"), "[31mRed Team");
        assert_eq!(clean_name(&"я".repeat(500)).chars().count(), MAX_NAME_CHARS);
        assert_eq!(clean_name(&format!("{} b", "a".repeat(MAX_NAME_CHARS - 1))), "a".repeat(MAX_NAME_CHARS - 1));
        assert_eq!(clean_name(" \n "), "");
    }

    #[test]
    fn a_user_id_from_a_token_is_bounded() {
        assert_eq!(parse_user_id("user-1"), Ok("user-1".to_string()));
        for bad in ["", "a\nb", &"x".repeat(MAX_USER_ID_CHARS + 1)] {
            assert_eq!(parse_user_id(bad), Err(InvalidValue::InvalidUserId { max: MAX_USER_ID_CHARS }), "{bad:?}");
        }
    }
}
