//! What the API reads from the read models.

use chrono::{DateTime, Duration, Utc};
use domain::meeting::Meeting;
use domain::values::{EmailAddress, MAX_DURATION_HOURS};
use domain::{MeetingId, RoomId};
use sqlx::PgPool;

/// A meeting as the read model has it.
#[derive(Debug, Clone)]
pub struct MeetingRecord {
    pub meeting: Meeting,
    /// The global position of the last event applied to this row.
    pub position: i64,
    /// What the room's events say about the call.
    pub call: CallRecord,
}

/// The meeting's call, from the `rooms` read model.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct CallRecord {
    /// Someone is in the room.
    pub in_progress: bool,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub participants: i32,
}

/// The columns of a meeting with its call; the query joins `room_view r` to `meeting_view v`.
const MEETING_COLUMNS: &str = "v.state, v.position, coalesce(r.open, false) as in_progress, \
     r.opened_at as started_at, r.ended_at, coalesce(jsonb_array_length(r.participants), 0) as participants";

#[derive(sqlx::FromRow)]
struct MeetingRow {
    /// Decoded from the jsonb bytes straight into a `Meeting` (no `Value` tree in between:
    /// the week query decodes a few of them per request).
    state: sqlx::types::Json<Meeting>,
    position: i64,
    #[sqlx(flatten)]
    call: CallRecord,
}

fn decode(row: MeetingRow) -> MeetingRecord {
    MeetingRecord { meeting: row.state.0, position: row.position, call: row.call }
}

pub async fn meeting(pool: &PgPool, id: MeetingId) -> Result<Option<MeetingRecord>, sqlx::Error> {
    let row: Option<MeetingRow> = sqlx::query_as(&format!(
        "select {MEETING_COLUMNS} from meeting_view v left join room_view r on r.room_id = v.room_id \
         where v.meeting_id = $1"
    ))
    .bind(id.as_uuid())
    .fetch_optional(pool)
    .await?;
    Ok(row.map(decode))
}

/// Every meeting the person organises or attends that overlaps `[from, to)`, by start.
pub async fn calendar(
    pool: &PgPool,
    email: &EmailAddress,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<MeetingRecord>, sqlx::Error> {
    // No meeting is longer than MAX_DURATION_HOURS, so one that overlaps `from` started
    // at most that long before it: this bound keeps the scan on the index range.
    let earliest_start = from - Duration::hours(MAX_DURATION_HOURS);
    let rows: Vec<MeetingRow> = sqlx::query_as(&format!(
        "select {MEETING_COLUMNS} from calendar_entry e \
         join meeting_view v on v.meeting_id = e.meeting_id \
         left join room_view r on r.room_id = v.room_id \
         where e.user_email = $1 and e.starts_at >= $2 and e.starts_at < $3 and e.ends_at > $4 \
         order by e.starts_at, e.meeting_id limit $5"
    ))
    .bind(email.as_str())
    .bind(earliest_start)
    .bind(to)
    .bind(from)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(decode).collect())
}

/// The meeting whose room this is.
pub async fn meeting_of_room(pool: &PgPool, room_id: RoomId) -> Result<Option<Meeting>, sqlx::Error> {
    let state: Option<sqlx::types::Json<Meeting>> = sqlx::query_scalar("select state from meeting_view where room_id = $1")
        .bind(room_id.as_uuid())
        .fetch_optional(pool)
        .await?;
    Ok(state.map(|state| state.0))
}

/// A scheduled meeting's room and times.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RoomSchedule {
    pub room_id: uuid::Uuid,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// The scheduled meetings of these rooms that start or end in `(since, until]`.
pub async fn schedules_due(
    pool: &PgPool,
    rooms: &[uuid::Uuid],
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<RoomSchedule>, sqlx::Error> {
    sqlx::query_as(
        "select room_id, starts_at, ends_at from meeting_view \
         where room_id = any($1) and status = 'scheduled' \
           and ((starts_at > $2 and starts_at <= $3) or (ends_at > $2 and ends_at <= $3))",
    )
    .bind(rooms)
    .bind(since)
    .bind(until)
    .fetch_all(pool)
    .await
}

/// Whether the person organises or is invited to any meeting.
pub async fn has_meetings(pool: &PgPool, email: &EmailAddress) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("select exists (select 1 from calendar_entry where user_email = $1)")
        .bind(email.as_str())
        .fetch_one(pool)
        .await
}

/// Someone the person has met in a meeting.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Acquaintance {
    pub email: String,
    pub name: Option<String>,
}

/// The people of the person's meetings (organizers and attendees, the person left out) whose
/// address or name starts with `prefix` (any case), most often met first.
pub async fn acquaintances(
    pool: &PgPool,
    email: &EmailAddress,
    prefix: &str,
    limit: i64,
) -> Result<Vec<Acquaintance>, sqlx::Error> {
    let pattern = format!("{}%", prefix.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    sqlx::query_as(
        "with people as ( \
           select a ->> 'email' as email, nullif(a ->> 'name', '') as name \
           from calendar_entry e join meeting_view v on v.meeting_id = e.meeting_id \
           cross join lateral jsonb_array_elements(v.state -> 'state' -> 'attendees') a \
           where e.user_email = $1 \
           union all \
           select v.state -> 'state' -> 'organizer' ->> 'email', v.state -> 'state' -> 'organizer' ->> 'name' \
           from calendar_entry e join meeting_view v on v.meeting_id = e.meeting_id where e.user_email = $1) \
         select email, max(name) as name from people \
         where email <> $1 and (email ilike $2 or name ilike $2 or name ilike '% ' || $2) \
         group by email order by count(*) desc, email limit $3",
    )
    .bind(email.as_str())
    .bind(pattern)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// The name a person goes by in the meetings they are part of, if any gives one.
pub async fn known_name(pool: &PgPool, email: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select coalesce( \
           (select nullif(a ->> 'name', '') from calendar_entry e join meeting_view v on v.meeting_id = e.meeting_id \
              cross join lateral jsonb_array_elements(v.state -> 'state' -> 'attendees') a \
            where e.user_email = $1 and a ->> 'email' = $1 and nullif(a ->> 'name', '') is not null limit 1), \
           (select v.state -> 'state' -> 'organizer' ->> 'name' from meeting_view v \
            where v.state -> 'state' -> 'organizer' ->> 'email' = $1 limit 1))",
    )
    .bind(email)
    .fetch_one(pool)
    .await
}
