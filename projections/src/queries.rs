//! What the API reads from the read models.

use chrono::{DateTime, Duration, Utc};
use domain::meeting::Meeting;
use domain::values::{EmailAddress, MAX_DURATION_HOURS};
use domain::MeetingId;
use sqlx::PgPool;

/// A meeting as the read model has it.
#[derive(Debug, Clone)]
pub struct MeetingRecord {
    pub meeting: Meeting,
    /// The global position of the last event applied to this row.
    pub position: i64,
}

fn decode(state: serde_json::Value) -> Result<Meeting, sqlx::Error> {
    serde_json::from_value(state).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

pub async fn meeting(pool: &PgPool, id: MeetingId) -> Result<Option<MeetingRecord>, sqlx::Error> {
    let row: Option<(serde_json::Value, i64)> =
        sqlx::query_as("select state, position from meeting_view where meeting_id = $1")
            .bind(id.as_uuid())
            .fetch_optional(pool)
            .await?;
    row.map(|(state, position)| Ok(MeetingRecord { meeting: decode(state)?, position }))
        .transpose()
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
    let rows: Vec<(serde_json::Value, i64)> = sqlx::query_as(
        "select v.state, v.position from calendar_entry e \
         join meeting_view v on v.meeting_id = e.meeting_id \
         where e.user_email = $1 and e.starts_at >= $2 and e.starts_at < $3 and e.ends_at > $4 \
         order by e.starts_at, e.meeting_id limit $5",
    )
    .bind(email.as_str())
    .bind(earliest_start)
    .bind(to)
    .bind(from)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|(state, position)| Ok(MeetingRecord { meeting: decode(state)?, position }))
        .collect()
}
