//! Why a meeting refused a command.

use crate::values::EmailAddress;
use thiserror::Error;

/// Most attendees a meeting may have: a room is a mesh of peers and an invitation is one
/// email per attendee, so this stays well below a mailing list.
pub const MAX_ATTENDEES: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MeetingError {
    /// The meeting does not exist, or the actor is neither its organizer nor an attendee.
    /// Both read the same so that nobody learns which meetings exist.
    #[error("no such meeting")]
    NotFound,
    #[error("a meeting with this id is already scheduled")]
    AlreadyScheduled,
    #[error("only the organizer may change the meeting")]
    OrganizerOnly,
    #[error("only an attendee may answer an invitation; the organizer attends their own meeting")]
    AttendeesOnly,
    #[error("the meeting is cancelled and can no longer change")]
    Cancelled,
    #[error("{0} is already invited")]
    AlreadyInvited(EmailAddress),
    #[error("{0} is not invited")]
    NotInvited(EmailAddress),
    #[error("{0} is listed twice")]
    DuplicateAttendee(EmailAddress),
    #[error("the organizer ({0}) takes part without being invited")]
    OrganizerInvited(EmailAddress),
    #[error("a meeting may have at most {max} attendees")]
    TooManyAttendees { max: usize },
    #[error("the invitation lists nobody")]
    NobodyToInvite,
}
