//! Value types. Each has a `parse` constructor that is the only way to build it from
//! untrusted input, and returns an [`InvalidValue`] that says precisely what is wrong.
//!
//! - [`error`]: why a value was refused.
//! - [`email`]: email addresses.
//! - [`text`]: title, description, and the character rules of every text.
//! - [`person`]: display names, invitees, and what a token says of its holder.
//! - [`schedule`]: time zones and when a meeting takes place.
//! - [`reminders`]: when to remind.

mod email;
mod error;
mod person;
mod reminders;
mod schedule;
mod text;

pub use email::{EmailAddress, MAX_EMAIL_CHARS};
pub use error::InvalidValue;
pub use person::{clean_name, parse_user_id, DisplayName, Invitee, MAX_NAME_CHARS, MAX_USER_ID_CHARS};
pub use reminders::{Reminders, DEFAULT_REMINDER_MINUTES, MAX_REMINDERS, MAX_REMINDER_MINUTES};
pub use schedule::{Schedule, TimeZone, EARLIEST_YEAR, LATEST_YEAR, MAX_DURATION_HOURS};
pub use text::{Description, Title, MAX_DESCRIPTION_CHARS, MAX_TITLE_CHARS};
