//! The `calendar` read model: one row per person and meeting, with the meeting's time, so
//! that "my week" is one index range scan.

use crate::global_log::RecordedEvent;
use crate::ProjectionError;
use domain::meeting::MeetingEvent;
use sqlx::PgConnection;

pub const NAME: &str = "calendar";
pub const TABLES: &[&str] = &["calendar_entry"];

pub(crate) async fn apply(
    conn: &mut PgConnection,
    recorded: &RecordedEvent,
    event: MeetingEvent,
) -> Result<(), ProjectionError> {
    let Ok(meeting_id) = recorded.aggregate_id.parse::<uuid::Uuid>() else { return Ok(()) };
    match event {
        MeetingEvent::MeetingScheduled { organizer, schedule, attendees, .. } => {
            let mut emails = vec![organizer.email.to_string()];
            let mut roles = vec!["organizer".to_string()];
            for attendee in attendees {
                emails.push(attendee.email.to_string());
                roles.push("attendee".to_string());
            }
            sqlx::query(
                "insert into calendar_entry (user_email, meeting_id, role, starts_at, ends_at) \
                 select email, $2, role, $3, $4 from unnest($1::text[], $5::text[]) as t(email, role) \
                 on conflict (user_email, meeting_id) do nothing",
            )
            .bind(&emails)
            .bind(meeting_id)
            .bind(schedule.starts_at)
            .bind(schedule.ends_at)
            .bind(&roles)
            .execute(&mut *conn)
            .await?;
        }
        MeetingEvent::MeetingRescheduled { schedule, .. } => {
            sqlx::query("update calendar_entry set starts_at = $2, ends_at = $3 where meeting_id = $1")
                .bind(meeting_id)
                .bind(schedule.starts_at)
                .bind(schedule.ends_at)
                .execute(&mut *conn)
                .await?;
        }
        MeetingEvent::AttendeesInvited { attendees, .. } => {
            let emails: Vec<String> = attendees.iter().map(|a| a.email.to_string()).collect();
            // The organizer's row always exists and carries the meeting's current time.
            sqlx::query(
                "insert into calendar_entry (user_email, meeting_id, role, starts_at, ends_at) \
                 select email, o.meeting_id, 'attendee', o.starts_at, o.ends_at \
                 from unnest($1::text[]) as t(email) \
                 cross join (select meeting_id, starts_at, ends_at from calendar_entry \
                             where meeting_id = $2 and role = 'organizer') o \
                 on conflict (user_email, meeting_id) do nothing",
            )
            .bind(&emails)
            .bind(meeting_id)
            .execute(&mut *conn)
            .await?;
        }
        MeetingEvent::AttendeeRemoved { email, .. } => {
            sqlx::query("delete from calendar_entry where meeting_id = $1 and user_email = $2")
                .bind(meeting_id)
                .bind(email.as_str())
                .execute(&mut *conn)
                .await?;
        }
        // Answers, details and cancellation live in meeting_details; the calendar keeps
        // cancelled meetings so that a person sees what was called off.
        MeetingEvent::MeetingDetailsChanged { .. }
        | MeetingEvent::RemindersChanged { .. }
        | MeetingEvent::AttendeeResponded { .. }
        | MeetingEvent::MeetingCancelled { .. } => {}
    }
    Ok(())
}
