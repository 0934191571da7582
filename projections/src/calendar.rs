//! The `calendar` read model: one row per person and meeting, with the meeting's time, so
//! that "my week" is one index range scan.
//!
//! A batch recomputes the rows of the meetings it touches from their state at the end of
//! the batch, which `meeting_details` has just computed (see [`crate::BatchMemo`]), and
//! adds their writes to the batch's one statement whatever the batch size (a projector that
//! does a round trip per event falls behind the writers on a loaded machine). Rows are a function of a
//! meeting's latest state: the organizer and every current attendee, declined or not, with
//! the meeting's interval; cancelled meetings keep theirs, so that a person sees what was
//! called off.

use crate::global_log::RecordedEvent;
use crate::ProjectionError;
use domain::meeting::{Meeting, MeetingEvent};
use sqlx::PgConnection;

pub const NAME: &str = "calendar";
pub const TABLES: &[&str] = &["calendar_entry"];

/// A meeting's calendar rows: (email, role) for the organizer and each attendee.
fn people(meeting: &Meeting) -> Vec<(&str, &'static str)> {
    let Some(state) = meeting.state() else { return vec![] };
    let mut people = vec![(state.organizer.email.as_str(), "organizer")];
    for attendee in &state.attendees {
        if attendee.email.as_str() != state.organizer.email.as_str() {
            people.push((attendee.email.as_str(), "attendee"));
        }
    }
    people
}

/// Every read model's `apply_batch` has this signature (`Projection::apply` calls them).
pub(crate) async fn apply_batch(
    conn: &mut PgConnection,
    events: &[(&RecordedEvent, MeetingEvent)],
    memo: &mut crate::BatchMemo,
    writes: &mut crate::BatchWrites,
) -> Result<(), ProjectionError> {
    let ids = crate::distinct_ids(events, |_| true);
    // Only a removal takes a person's row away; every other change is an upsert.
    let shrunk = crate::distinct_ids(events, |event| matches!(event, MeetingEvent::AttendeeRemoved { .. }));
    if ids.is_empty() {
        return Ok(());
    }
    let (mut emails, mut meeting_ids, mut roles, mut starts, mut ends) = (vec![], vec![], vec![], vec![], vec![]);
    for (id, meeting) in memo.meetings_of(conn, &ids).await? {
        let Some(state) = meeting.state() else { continue };
        for (email, role) in people(meeting) {
            emails.push(email.to_string());
            meeting_ids.push(id);
            roles.push(role);
            starts.push(state.schedule.starts_at);
            ends.push(state.schedule.ends_at);
        }
    }
    // In the meetings someone was removed from, the rows of people no longer in them go
    // (their keys are not among those upserted, so the two parts never touch the same row).
    // Only those meetings: before a table's first ANALYZE the planner takes `= any(…)` of a
    // few hundred ids for the whole table and scans it, batch after batch.
    writes
        .add(
            "calendar_gone as (delete from calendar_entry c where c.meeting_id = any($6) \
               and (c.user_email, c.meeting_id) not in (select * from unnest($1::text[], $2::uuid[]))), \
             calendar_rows as (insert into calendar_entry (user_email, meeting_id, role, starts_at, ends_at) \
               select * from unnest($1::text[], $2::uuid[], $3::text[], $4::timestamptz[], $5::timestamptz[]) \
               on conflict (user_email, meeting_id) do update set \
                 role = excluded.role, starts_at = excluded.starts_at, ends_at = excluded.ends_at \
               where (calendar_entry.role, calendar_entry.starts_at, calendar_entry.ends_at) \
                     is distinct from (excluded.role, excluded.starts_at, excluded.ends_at))",
        )
        .bind(&emails)?
        .bind(&meeting_ids)?
        .bind(&roles)?
        .bind(&starts)?
        .bind(&ends)?
        .bind(&shrunk)?;
    Ok(())
}
