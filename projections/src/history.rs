//! A meeting's history from the event log itself (not a read model): its events, its
//! room's events, and the meeting as it was at any past instant, rebuilt by replaying.

use crate::{global_log, ProjectionError, RecordedEvent};
use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use domain::meeting::Meeting;
use domain::room::Room;
use domain::MeetingId;
use sqlx::PgPool;

#[derive(Debug)]
pub struct MeetingHistory {
    /// The meeting as it is now, whatever `as_of` says (who may read the history is decided
    /// on it).
    pub now: Meeting,
    /// The meeting's events recorded up to `as_of` (all of them without it), in order.
    pub events: Vec<RecordedEvent>,
    /// The meeting after those events.
    pub then: Meeting,
    /// The events of the meeting's room up to `as_of`: who was in the call and when.
    pub call: Vec<RecordedEvent>,
}

/// The meeting's history up to `as_of`; `None` if it has no events at all.
pub async fn meeting_history(
    pool: &PgPool,
    meeting_id: MeetingId,
    as_of: Option<DateTime<Utc>>,
) -> Result<Option<MeetingHistory>, ProjectionError> {
    let all = global_log::stream_of(pool, Meeting::TYPE, &meeting_id.to_string(), None).await?;
    if all.is_empty() {
        return Ok(None);
    }
    let now = replay(&all)?;
    let events: Vec<RecordedEvent> = match as_of {
        Some(as_of) => all.into_iter().filter(|event| event.recorded_at <= as_of).collect(),
        None => all,
    };
    let then = replay(&events)?;
    let call = match now.state() {
        Some(state) => global_log::stream_of(pool, Room::TYPE, &state.room_id.to_string(), as_of).await?,
        None => vec![],
    };
    Ok(Some(MeetingHistory { now, events, then, call }))
}

/// Replays events into the meeting they describe.
pub fn replay(events: &[RecordedEvent]) -> Result<Meeting, ProjectionError> {
    let upcasters = domain::upcasting::meeting_upcasters();
    let mut meeting = Meeting::default();
    for event in events {
        if let Some(event) = event.meeting_event(&upcasters)? {
            meeting.apply(event);
        }
    }
    Ok(meeting)
}
