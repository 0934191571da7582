//! Who issues a command.

use crate::values::EmailAddress;
use serde::{Deserialize, Serialize};

/// The authenticated person behind a command. The API builds it from the bearer token;
/// the aggregate uses it for authorization (only the organizer edits, only an attendee
/// answers) and the event store records it in each event's metadata for auditors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// The token's `sub`: stable across email changes, so the organizer is matched by it.
    pub user_id: String,
    /// The token's `email`: attendees are invited by email, so they are matched by it.
    pub email: EmailAddress,
    /// The token's `name`, for display only.
    pub name: String,
}

impl Actor {
    /// The person a token speaks for, from its `sub`, `email` and `name` claims. A token,
    /// even from the organisation's own identity provider, is input: the id and address are
    /// checked (and refused), the name is cleaned ([`crate::values::clean_name`]).
    pub fn from_claims(sub: &str, email: &str, name: &str) -> Result<Self, crate::values::InvalidValue> {
        Ok(Self {
            user_id: crate::values::parse_user_id(sub)?,
            email: EmailAddress::parse(email)?,
            name: crate::values::clean_name(name),
        })
    }
}
