//! The `rooms` read model: one row per room with who is in it now, whether a call is going
//! on, and when it started and ended. It answers the calendar's call status (scheduled / in
//! progress / completed) and tells the lease sweeper which participants a node holds.
//!
//! Like `meeting_details`, the row's state is computed by the `Room` aggregate's own
//! `apply`, so read and write models cannot disagree; a batch costs one read, and adds its
//! upsert to the batch's writes.

use crate::global_log::RecordedEvent;
use crate::ProjectionError;
use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use domain::room::{Room, RoomEvent};
use sqlx::PgConnection;
use std::collections::HashMap;
use uuid::Uuid;

pub const NAME: &str = "rooms";
pub const TABLES: &[&str] = &["room_view"];

/// A `room_view` row as stored: id, state, opened, ended, position.
/// A `room_view` row as stored.
#[derive(sqlx::FromRow)]
struct StoredRow {
    room_id: Uuid,
    state: serde_json::Value,
    opened_at: Option<DateTime<Utc>>,
    ended_at: Option<DateTime<Utc>>,
    position: i64,
}

struct Row {
    room: Room,
    opened_at: Option<DateTime<Utc>>,
    ended_at: Option<DateTime<Utc>>,
    position: i64,
    changed: bool,
}

pub(crate) async fn apply_batch(
    conn: &mut PgConnection,
    events: &[(&RecordedEvent, RoomEvent)],
    writes: &mut crate::BatchWrites,
) -> Result<(), ProjectionError> {
    let (events, ids) = crate::keyed_by_uuid(events);
    if events.is_empty() {
        return Ok(());
    }
    let stored: Vec<StoredRow> =
        sqlx::query_as("select room_id, state, opened_at, ended_at, position from room_view where room_id = any($1)")
            .bind(&ids)
            .fetch_all(&mut *conn)
            .await?;
    let mut rows: HashMap<Uuid, Row> = HashMap::with_capacity(ids.len());
    for StoredRow { room_id: id, state, opened_at, ended_at, position } in stored {
        let room = serde_json::from_value::<Room>(state).map_err(|source| ProjectionError::Decode {
            position,
            event_type: "room_view.state".into(),
            event_version: String::new(),
            source,
        })?;
        rows.insert(id, Row { room, opened_at, ended_at, position, changed: false });
    }
    for (id, recorded, event) in events {
        let row = rows.entry(id).or_insert_with(|| Row {
            room: Room::default(),
            opened_at: None,
            ended_at: None,
            position: 0,
            changed: false,
        });
        // An event at or below the stored version is already in the row.
        if row.room.version() >= recorded.sequence as u64 {
            continue;
        }
        match event {
            RoomEvent::RoomOpened { at, .. } => {
                row.opened_at = Some(*at);
                row.ended_at = None;
            }
            RoomEvent::RoomEnded { at } => row.ended_at = Some(*at),
            _ => {}
        }
        row.room.apply(event.clone());
        row.position = recorded.position;
        row.changed = true;
    }
    upsert(writes, rows.into_iter().filter(|(_, row)| row.changed))
}

fn upsert(writes: &mut crate::BatchWrites, rows: impl Iterator<Item = (Uuid, Row)>) -> Result<(), ProjectionError> {
    let (mut ids, mut meetings, mut open, mut closed, mut participants) = (vec![], vec![], vec![], vec![], vec![]);
    let (mut opened, mut ended, mut versions, mut positions, mut states) = (vec![], vec![], vec![], vec![], vec![]);
    for (id, row) in rows {
        ids.push(id);
        meetings.push(row.room.meeting_id().map(|m| m.as_uuid()));
        open.push(row.room.is_open());
        closed.push(row.room.is_closed());
        participants.push(serde_json::to_value(row.room.participants()).expect("participants always serialise"));
        opened.push(row.opened_at);
        ended.push(row.ended_at);
        versions.push(row.room.version() as i64);
        positions.push(row.position);
        states.push(serde_json::to_value(&row.room).expect("a room always serialises"));
    }
    if ids.is_empty() {
        return Ok(());
    }
    writes
        .add(
            "room_view_rows as (insert into room_view \
               (room_id, meeting_id, open, closed, participants, opened_at, ended_at, version, position, state) \
             select * from unnest($1::uuid[], $2::uuid[], $3::bool[], $4::bool[], $5::jsonb[], \
                                  $6::timestamptz[], $7::timestamptz[], $8::bigint[], $9::bigint[], $10::jsonb[]) \
             on conflict (room_id) do update set \
               meeting_id = coalesce(excluded.meeting_id, room_view.meeting_id), open = excluded.open, \
               closed = excluded.closed, participants = excluded.participants, \
               opened_at = excluded.opened_at, ended_at = excluded.ended_at, \
               version = excluded.version, position = excluded.position, state = excluded.state)",
        )
        .bind(&ids)?
        .bind(&meetings)?
        .bind(&open)?
        .bind(&closed)?
        .bind(&participants)?
        .bind(&opened)?
        .bind(&ended)?
        .bind(&versions)?
        .bind(&positions)?
        .bind(&states)?;
    Ok(())
}
