//! The `meeting_details` read model: one row per meeting with its whole current state.
//!
//! The state is computed by the `Meeting` aggregate's own `apply`, from the stored state
//! and the next event, so the read model and the write model can never disagree on what
//! an event means.

use crate::global_log::RecordedEvent;
use crate::ProjectionError;
use cqrs_es::Aggregate;
use domain::meeting::{Meeting, MeetingEvent, MeetingStatus};
use sqlx::PgConnection;

pub const NAME: &str = "meeting_details";
pub const TABLES: &[&str] = &["meeting_view"];

pub(crate) async fn apply(
    conn: &mut PgConnection,
    recorded: &RecordedEvent,
    event: MeetingEvent,
) -> Result<(), ProjectionError> {
    let meeting_id: uuid::Uuid = match recorded.aggregate_id.parse() {
        Ok(id) => id,
        // Meeting ids are UUIDs by construction; anything else was never written by veche.
        Err(_) => return Ok(()),
    };
    let stored: Option<(serde_json::Value, i64)> =
        sqlx::query_as("select state, version from meeting_view where meeting_id = $1 for update")
            .bind(meeting_id)
            .fetch_optional(&mut *conn)
            .await?;
    let mut meeting = match stored {
        // An event at or below the stored version was already applied (idempotence on
        // rebuild races); the checkpoint normally prevents this.
        Some((_, version)) if version >= recorded.sequence => return Ok(()),
        Some((state, _)) => serde_json::from_value::<Meeting>(state).map_err(|source| {
            ProjectionError::Decode {
                position: recorded.position,
                event_type: recorded.event_type.clone(),
                event_version: recorded.event_version.clone(),
                source,
            }
        })?,
        None => Meeting::default(),
    };
    meeting.apply(event);
    let Some(state) = meeting.state() else { return Ok(()) };
    let status = match state.status {
        MeetingStatus::Scheduled => "scheduled",
        MeetingStatus::Cancelled => "cancelled",
    };
    let json = serde_json::to_value(&meeting).expect("a meeting always serialises");
    sqlx::query(
        "insert into meeting_view \
           (meeting_id, organizer_id, status, starts_at, ends_at, version, position, state, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         on conflict (meeting_id) do update set \
           organizer_id = excluded.organizer_id, status = excluded.status, \
           starts_at = excluded.starts_at, ends_at = excluded.ends_at, \
           version = excluded.version, position = excluded.position, \
           state = excluded.state, updated_at = excluded.updated_at",
    )
    .bind(meeting_id)
    .bind(&state.organizer.user_id)
    .bind(status)
    .bind(state.schedule.starts_at)
    .bind(state.schedule.ends_at)
    .bind(meeting.version() as i64)
    .bind(recorded.position)
    .bind(json)
    .bind(recorded.recorded_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
