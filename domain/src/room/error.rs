//! Why a room refused a command.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RoomError {
    #[error("the room is full: a mesh of at most {capacity} participants")]
    Full { capacity: usize },
    #[error("{email} already holds {max} places in the room")]
    TooManySeats { email: crate::values::EmailAddress, max: usize },
    #[error("the meeting was cancelled; its room is closed")]
    Closed,
    #[error("peer id {0} is taken by someone else")]
    PeerIdTaken(String),
    #[error("no participant {0} in the room")]
    NotInRoom(String),
}
