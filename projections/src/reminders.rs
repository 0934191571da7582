//! The `reminders` read model: the notifications due, one row per (meeting, person,
//! offset), for the organizer and every attendee who has not declined a meeting that is
//! not cancelled. The reminder scheduler of every node takes due rows from it.
//!
//! A batch recomputes the rows of the meetings it touches from their state as the
//! `meeting_details` projection has brought it up to date earlier in the same transaction
//! ([`crate::Projection::ALL`] is the order of application): from the batch's memo, or
//! from `meeting_view` for a meeting `meeting_details` had already seen. Rows are
//! a function of a meeting's latest state, so applying a meeting's rows again is harmless,
//! and a rebuild of this projection alone converges to the same table.
//!
//! A row whose `due_at` is unchanged keeps its `sent_at` (and `missed_at`); a moved one is
//! due again.

use crate::global_log::RecordedEvent;
use crate::ProjectionError;
use chrono::{DateTime, Duration, LocalResult, TimeZone as _, Utc};
use domain::meeting::{Meeting, MeetingEvent, MeetingStatus, Partstat};
use domain::values::Schedule;
use sqlx::PgConnection;

pub const NAME: &str = "reminders";
pub const TABLES: &[&str] = &["reminder_due"];

const MINUTES_PER_DAY: u32 = 24 * 60;

/// When a reminder `minutes` before the meeting is due. Whole days count as calendar days
/// in the meeting's zone (a reminder "1 day before" a 09:00 meeting is at 09:00 the day
/// before, even across a DST change); the rest is elapsed time before that instant.
pub fn due_at(schedule: &Schedule, minutes: u32) -> DateTime<Utc> {
    let days = minutes / MINUTES_PER_DAY;
    let rest = Duration::minutes((minutes % MINUTES_PER_DAY).into());
    if days == 0 {
        return schedule.starts_at - rest;
    }
    let local = schedule.start - Duration::days(days.into());
    let day_before = match schedule.time_zone.tz().from_local_datetime(&local) {
        LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => at.with_timezone(&Utc),
        // The wall-clock time does not exist that day (spring forward): elapsed days.
        LocalResult::None => schedule.starts_at - Duration::days(days.into()),
    };
    day_before - rest
}

/// One row of `reminder_due`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub user_email: String,
    pub minutes_before: i32,
    pub due_at: DateTime<Utc>,
    pub starts_at: DateTime<Utc>,
}

/// The reminders a meeting in this state calls for.
pub fn reminders_of(meeting: &Meeting) -> Vec<Due> {
    let Some(state) = meeting.state() else { return vec![] };
    if state.status == MeetingStatus::Cancelled {
        return vec![];
    }
    let people = std::iter::once(state.organizer.email.as_str())
        .chain(state.attendees.iter().filter(|a| a.response != Partstat::Declined).map(|a| a.email.as_str()));
    people
        .flat_map(|email| {
            state.reminders.minutes().iter().map(move |&minutes| Due {
                user_email: email.to_string(),
                minutes_before: minutes as i32,
                due_at: due_at(&state.schedule, minutes),
                starts_at: state.schedule.starts_at,
            })
        })
        .collect()
}

/// Every read model's `apply_batch` has this signature (`Projection::apply` calls them).
pub(crate) async fn apply_batch(
    conn: &mut PgConnection,
    events: &[(&RecordedEvent, MeetingEvent)],
    memo: &mut crate::BatchMemo,
    writes: &mut crate::BatchWrites,
) -> Result<(), ProjectionError> {
    let ids = crate::distinct_ids(events, |_| true);
    // What can take reminders away; every other change is an upsert.
    let shrunk = crate::distinct_ids(events, |event| {
        matches!(
            event,
            MeetingEvent::AttendeeRemoved { .. }
                | MeetingEvent::AttendeeResponded { .. }
                | MeetingEvent::MeetingCancelled { .. }
                | MeetingEvent::RemindersChanged { .. }
        )
    });
    if ids.is_empty() {
        return Ok(());
    }
    let (mut meetings, mut emails, mut minutes, mut dues, mut starts) = (vec![], vec![], vec![], vec![], vec![]);
    for (id, meeting) in memo.meetings_of(conn, &ids).await? {
        for due in reminders_of(meeting) {
            meetings.push(id);
            emails.push(due.user_email);
            minutes.push(due.minutes_before);
            dues.push(due.due_at);
            starts.push(due.starts_at);
        }
    }
    // The rows the changed meetings no longer call for go (their keys are not among those
    // upserted, so the two parts never touch the same row); only those meetings, for the
    // reason `calendar` gives.
    writes
        .add(
            "reminders_gone as (delete from reminder_due r where r.meeting_id = any($6) \
               and (r.meeting_id, r.user_email, r.minutes_before) not in \
                   (select * from unnest($1::uuid[], $2::text[], $3::int[]))), \
             reminders_rows as (insert into reminder_due (meeting_id, user_email, minutes_before, due_at, starts_at) \
               select * from unnest($1::uuid[], $2::text[], $3::int[], $4::timestamptz[], $5::timestamptz[]) \
               on conflict (meeting_id, user_email, minutes_before) do update set \
                 due_at = excluded.due_at, starts_at = excluded.starts_at, \
                 sent_at = case when reminder_due.due_at = excluded.due_at then reminder_due.sent_at end, \
                 claimed_until = case when reminder_due.due_at = excluded.due_at then reminder_due.claimed_until end, \
                 missed_at = case when reminder_due.due_at = excluded.due_at then reminder_due.missed_at end \
               where reminder_due.due_at is distinct from excluded.due_at \
                  or reminder_due.starts_at is distinct from excluded.starts_at)",
        )
        .bind(&meetings)?
        .bind(&emails)?
        .bind(&minutes)?
        .bind(&dues)?
        .bind(&starts)?
        .bind(&shrunk)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDateTime;
    use domain::values::TimeZone;

    fn berlin(start: &str) -> Schedule {
        let start = NaiveDateTime::parse_from_str(start, "%Y-%m-%dT%H:%M").unwrap();
        Schedule::parse(start, start + Duration::hours(1), TimeZone::parse("Europe/Berlin").unwrap()).unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn minutes_before_are_elapsed_time_before_the_start_on_dst_days() {
        // 2026-03-29: Berlin springs forward at 02:00 (CET → CEST).
        assert_eq!(due_at(&berlin("2026-03-29T09:00"), 10), utc("2026-03-29T06:50:00Z"));
        // 03:05 CEST is 01:05 UTC; ten minutes earlier the wall clock said 01:55 CET.
        assert_eq!(due_at(&berlin("2026-03-29T03:05"), 10), utc("2026-03-29T00:55:00Z"));
        // 2026-10-25: Berlin falls back at 03:00 (CEST → CET).
        assert_eq!(due_at(&berlin("2026-10-25T09:00"), 10), utc("2026-10-25T07:50:00Z"));
    }

    #[test]
    fn whole_days_before_keep_the_wall_clock_time_across_a_dst_change() {
        // 09:00 CEST on 29 March; "a day before" is 09:00 CET on 28 March, 23 hours earlier.
        assert_eq!(due_at(&berlin("2026-03-29T09:00"), 1440), utc("2026-03-28T08:00:00Z"));
        // 09:00 CET on 25 October; a day before is 09:00 CEST on 24 October, 25 hours earlier.
        assert_eq!(due_at(&berlin("2026-10-25T09:00"), 1440), utc("2026-10-24T07:00:00Z"));
        // A day and a half hour before.
        assert_eq!(due_at(&berlin("2026-10-25T09:00"), 1440 + 30), utc("2026-10-24T06:30:00Z"));
    }
}
