//! Why a value was refused.

use chrono::NaiveDateTime;
use thiserror::Error;

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

impl InvalidValue {
    /// The rule broken, as a stable code a client can translate (`title-too-long`, ...).
    pub fn code(&self) -> &'static str {
        match self {
            Self::EmptyTitle => "title-empty",
            Self::TitleTooLong { .. } => "title-too-long",
            Self::DescriptionTooLong { .. } => "description-too-long",
            Self::ControlCharacters { .. } => "control-characters",
            Self::DirectionControls { .. } => "direction-controls",
            Self::InvalidEmail(_) => "invalid-email",
            Self::NameTooLong { .. } => "name-too-long",
            Self::UnknownTimeZone(_) => "unknown-time-zone",
            Self::EndNotAfterStart { .. } => "end-not-after-start",
            Self::DateOutOfRange { .. } => "date-out-of-range",
            Self::InvalidUserId { .. } => "invalid-user-id",
            Self::DurationTooLong { .. } => "duration-too-long",
            Self::NonexistentLocalTime { .. } => "nonexistent-local-time",
            Self::TooManyReminders { .. } => "too-many-reminders",
            Self::ReminderTooEarly { .. } => "reminder-too-early",
            Self::DuplicateReminder(_) => "duplicate-reminder",
        }
    }
}
