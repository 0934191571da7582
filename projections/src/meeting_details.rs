//! The `meeting_details` read model: one row per meeting with its whole current state.
//!
//! The state is computed by the `Meeting` aggregate's own `apply`, from the stored state
//! and the next events, so the read model and the write model can never disagree on what
//! an event means. A batch costs one read of the rows it touches whatever its size, and
//! adds the upsert of the rows it changed to the batch's writes.

use crate::global_log::RecordedEvent;
use crate::ProjectionError;
use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use domain::meeting::{Meeting, MeetingEvent, MeetingStatus};
use sqlx::PgConnection;
use std::collections::HashMap;
use uuid::Uuid;

pub const NAME: &str = "meeting_details";
pub const TABLES: &[&str] = &["meeting_view"];

/// A meeting being brought up to date within one batch.
struct Row {
    meeting: Meeting,
    position: i64,
    recorded_at: DateTime<Utc>,
    changed: bool,
}

/// Brings the touched meetings' rows to the end of the batch, and leaves them in `memo`
/// (every read model's `apply_batch` has this signature: `Projection::apply` calls them).
pub(crate) async fn apply_batch(
    conn: &mut PgConnection,
    events: &[(&RecordedEvent, MeetingEvent)],
    memo: &mut crate::BatchMemo,
    writes: &mut crate::BatchWrites,
) -> Result<(), ProjectionError> {
    let (events, ids) = crate::keyed_by_uuid(events);
    if events.is_empty() {
        return Ok(());
    }
    let mut rows: HashMap<Uuid, Row> = HashMap::with_capacity(ids.len());
    for (id, meeting, position) in stored(conn, &ids).await? {
        rows.insert(id, Row { meeting, position, recorded_at: Utc::now(), changed: false });
    }
    for (id, recorded, event) in events {
        let row = rows.entry(id).or_insert_with(|| Row {
            meeting: Meeting::default(),
            position: 0,
            recorded_at: recorded.recorded_at,
            changed: false,
        });
        // An event at or below the stored version is already in the row.
        if row.meeting.version() >= recorded.sequence as u64 {
            continue;
        }
        row.meeting.apply(event.clone());
        row.position = recorded.position;
        row.recorded_at = recorded.recorded_at;
        row.changed = true;
    }
    upsert(writes, rows.iter().filter(|(_, row)| row.changed))?;
    memo.meetings.extend(rows.into_iter().map(|(id, row)| (id, row.meeting)));
    Ok(())
}

/// The meetings `ids` as `meeting_view` stores them, with the position each was brought to
/// (meetings with no row are left out).
pub(crate) async fn stored(conn: &mut PgConnection, ids: &[Uuid]) -> Result<Vec<(Uuid, Meeting, i64)>, ProjectionError> {
    let rows: Vec<StoredMeeting> =
        sqlx::query_as("select meeting_id, state, position from meeting_view where meeting_id = any($1)")
            .bind(ids)
            .fetch_all(&mut *conn)
            .await?;
    rows.into_iter().map(|row| Ok((row.meeting_id, decode_state(row.state, row.position)?, row.position))).collect()
}

/// A `meeting_view` row as stored.
#[derive(sqlx::FromRow)]
struct StoredMeeting {
    meeting_id: Uuid,
    /// Kept as JSON until decoded, so that a row that does not decode is named by position.
    state: serde_json::Value,
    position: i64,
}

/// A meeting as `meeting_view.state` stores it.
pub(crate) fn decode_state(state: serde_json::Value, position: i64) -> Result<Meeting, ProjectionError> {
    serde_json::from_value::<Meeting>(state).map_err(|source| ProjectionError::Decode {
        position,
        event_type: "meeting_view.state".into(),
        event_version: String::new(),
        source,
    })
}

fn upsert<'r>(writes: &mut crate::BatchWrites, rows: impl Iterator<Item = (&'r Uuid, &'r Row)>) -> Result<(), ProjectionError> {
    let (mut ids, mut rooms, mut organizers, mut statuses, mut starts, mut ends) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    let (mut versions, mut positions, mut states, mut updated) = (vec![], vec![], vec![], vec![]);
    for (id, row) in rows {
        let Some(state) = row.meeting.state() else { continue };
        ids.push(*id);
        rooms.push(state.room_id.as_uuid());
        organizers.push(state.organizer.user_id.clone());
        statuses.push(match state.status {
            MeetingStatus::Scheduled => "scheduled",
            MeetingStatus::Cancelled => "cancelled",
        });
        starts.push(state.schedule.starts_at);
        ends.push(state.schedule.ends_at);
        versions.push(row.meeting.version() as i64);
        positions.push(row.position);
        states.push(serde_json::to_value(&row.meeting).expect("a meeting always serialises"));
        updated.push(row.recorded_at);
    }
    if ids.is_empty() {
        return Ok(());
    }
    writes
        .add(
            "meeting_view_rows as (insert into meeting_view \
               (meeting_id, organizer_id, status, starts_at, ends_at, version, position, state, updated_at, room_id) \
             select * from unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], \
                                  $6::bigint[], $7::bigint[], $8::jsonb[], $9::timestamptz[], $10::uuid[]) \
             on conflict (meeting_id) do update set \
               organizer_id = excluded.organizer_id, status = excluded.status, \
               starts_at = excluded.starts_at, ends_at = excluded.ends_at, \
               version = excluded.version, position = excluded.position, \
               state = excluded.state, updated_at = excluded.updated_at)",
        )
        .bind(&ids)?
        .bind(&organizers)?
        .bind(&statuses)?
        .bind(&starts)?
        .bind(&ends)?
        .bind(&versions)?
        .bind(&positions)?
        .bind(&states)?
        .bind(&updated)?
        .bind(&rooms)?;
    Ok(())
}
