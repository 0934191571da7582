//! The `calendar_feed` read model: a row per person whose calendar a batch changed, for the
//! web app's live stream. Every person of a touched meeting (its organizer and attendees at
//! the end of the batch, and anyone the batch took off it) gets one row per meeting and
//! batch. Events older than a day are passed over: a rebuild replays history nobody is
//! waiting for.

use crate::global_log::RecordedEvent;
use crate::ProjectionError;
use domain::meeting::MeetingEvent;
use sqlx::{PgConnection, PgPool};
use std::collections::BTreeSet;
use uuid::Uuid;

pub const NAME: &str = "calendar_feed";
pub const TABLES: &[&str] = &["calendar_change"];

/// How long a change is kept, and how old an event may be to be fed.
const KEPT: chrono::TimeDelta = chrono::TimeDelta::days(1);

/// Every read model's `apply_batch` has this signature (`Projection::apply` calls them).
pub(crate) async fn apply_batch(
    conn: &mut PgConnection,
    events: &[(&RecordedEvent, MeetingEvent)],
    memo: &mut crate::BatchMemo,
    writes: &mut crate::BatchWrites,
) -> Result<(), ProjectionError> {
    // Events come in log order, which is the order they were recorded in but for transactions
    // in flight together: near the day's edge an event may be fed or passed over either way.
    let since = chrono::Utc::now() - KEPT;
    let recent = &events[events.partition_point(|(recorded, _)| recorded.recorded_at <= since)..];
    let mut people: BTreeSet<(Uuid, String)> = BTreeSet::new();
    for (recorded, event) in recent {
        if let (MeetingEvent::AttendeeRemoved { email, .. }, Ok(id)) = (event, recorded.aggregate_id.parse::<Uuid>()) {
            people.insert((id, email.to_string()));
        }
    }
    let ids = crate::distinct_ids(recent, |_| true);
    if ids.is_empty() {
        return Ok(());
    }
    for (id, meeting) in memo.meetings_of(conn, &ids).await? {
        let Some(state) = meeting.state() else { continue };
        people.insert((id, state.organizer.email.to_string()));
        people.extend(state.attendees.iter().map(|attendee| (id, attendee.email.to_string())));
    }
    let (meeting_ids, emails): (Vec<Uuid>, Vec<String>) = people.into_iter().unzip();
    writes
        .add(
            "calendar_fed as (insert into calendar_change (meeting_id, user_email) \
               select * from unnest($1::uuid[], $2::text[]))",
        )
        .bind(&meeting_ids)?
        .bind(&emails)?;
    Ok(())
}

/// A change of someone's calendar.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CalendarChange {
    pub id: i64,
    pub user_email: String,
    pub meeting_id: Uuid,
}

/// The changes after `after` (everyone's, or one person's), oldest first, at most `limit`.
pub async fn changes_after(
    pool: &PgPool,
    after: i64,
    email: Option<&str>,
    limit: i64,
) -> Result<Vec<CalendarChange>, sqlx::Error> {
    sqlx::query_as(
        "select id, user_email, meeting_id from calendar_change \
         where id > $1 and ($2::text is null or user_email = $2) order by id limit $3",
    )
    .bind(after)
    .bind(email)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// The newest change's id (0 for none).
pub async fn latest(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select coalesce(max(id), 0) from calendar_change").fetch_one(pool).await
}

/// Deletes the changes older than a day; returns how many.
pub async fn prune(pool: &PgPool) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("delete from calendar_change where recorded_at < now() - interval '1 day'")
        .execute(pool)
        .await?
        .rows_affected())
}
