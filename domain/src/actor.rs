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
