//! The `calendar` read model: one row per person and meeting, with the meeting's time, so
//! that "my week" is one index range scan.
//!
//! A batch is applied set-wise: the rows of the meetings it touches are read, the events
//! are applied to them in memory, and those meetings' rows are replaced, in three
//! statements whatever the batch size (a projector that does a round trip per event falls
//! behind the writers on a loaded machine).

use crate::global_log::RecordedEvent;
use crate::ProjectionError;
use chrono::{DateTime, Utc};
use domain::meeting::MeetingEvent;
use sqlx::PgConnection;
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

pub const NAME: &str = "calendar";
pub const TABLES: &[&str] = &["calendar_entry"];

/// One meeting's calendar rows while a batch is applied.
#[derive(Default)]
struct Entries {
    starts_at: Option<DateTime<Utc>>,
    ends_at: Option<DateTime<Utc>>,
    /// email → role
    people: BTreeMap<String, &'static str>,
}

impl Entries {
    fn apply(&mut self, event: MeetingEvent) {
        match event {
            MeetingEvent::MeetingScheduled { organizer, schedule, attendees, .. } => {
                self.starts_at = Some(schedule.starts_at);
                self.ends_at = Some(schedule.ends_at);
                self.people.insert(organizer.email.to_string(), "organizer");
                for attendee in attendees {
                    self.people.entry(attendee.email.to_string()).or_insert("attendee");
                }
            }
            MeetingEvent::MeetingRescheduled { schedule, .. } => {
                self.starts_at = Some(schedule.starts_at);
                self.ends_at = Some(schedule.ends_at);
            }
            MeetingEvent::AttendeesInvited { attendees, .. } => {
                for attendee in attendees {
                    self.people.entry(attendee.email.to_string()).or_insert("attendee");
                }
            }
            MeetingEvent::AttendeeRemoved { email, .. } => {
                self.people.remove(email.as_str());
            }
            // Answers, details and cancellation live in meeting_details; the calendar keeps
            // cancelled meetings so that a person sees what was called off.
            MeetingEvent::MeetingDetailsChanged { .. }
            | MeetingEvent::RemindersChanged { .. }
            | MeetingEvent::AttendeeResponded { .. }
            | MeetingEvent::MeetingCancelled { .. } => {}
        }
    }
}

/// A `calendar_entry` row: meeting, email, role, start, end.
type StoredEntry = (Uuid, String, String, DateTime<Utc>, DateTime<Utc>);

pub(crate) async fn apply_batch(
    conn: &mut PgConnection,
    events: Vec<(&RecordedEvent, MeetingEvent)>,
) -> Result<(), ProjectionError> {
    let events: Vec<(Uuid, MeetingEvent)> = events
        .into_iter()
        .filter_map(|(recorded, event)| recorded.aggregate_id.parse().ok().map(|id| (id, event)))
        .collect();
    if events.is_empty() {
        return Ok(());
    }
    let mut ids: Vec<Uuid> = events.iter().map(|(id, _)| *id).collect();
    ids.sort_unstable();
    ids.dedup();
    let stored: Vec<StoredEntry> = sqlx::query_as(
        "select meeting_id, user_email, role, starts_at, ends_at from calendar_entry \
         where meeting_id = any($1)",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    let mut meetings: HashMap<Uuid, Entries> = HashMap::with_capacity(ids.len());
    for (id, email, role, starts_at, ends_at) in stored {
        let entries = meetings.entry(id).or_default();
        entries.starts_at = Some(starts_at);
        entries.ends_at = Some(ends_at);
        entries.people.insert(email, if role == "organizer" { "organizer" } else { "attendee" });
    }
    for (id, event) in events {
        meetings.entry(id).or_default().apply(event);
    }
    let (mut emails, mut meeting_ids, mut roles, mut starts, mut ends) = (vec![], vec![], vec![], vec![], vec![]);
    for (id, entries) in &meetings {
        let (Some(starts_at), Some(ends_at)) = (entries.starts_at, entries.ends_at) else { continue };
        for (email, role) in &entries.people {
            emails.push(email.clone());
            meeting_ids.push(*id);
            roles.push(*role);
            starts.push(starts_at);
            ends.push(ends_at);
        }
    }
    sqlx::query("delete from calendar_entry where meeting_id = any($1)")
        .bind(&ids)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "insert into calendar_entry (user_email, meeting_id, role, starts_at, ends_at) \
         select * from unnest($1::text[], $2::uuid[], $3::text[], $4::timestamptz[], $5::timestamptz[])",
    )
    .bind(&emails)
    .bind(&meeting_ids)
    .bind(&roles)
    .bind(&starts)
    .bind(&ends)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
