//! One event the projections cannot apply sets its aggregate aside and stops nothing else.

use crate::projections::{command, meeting_id, meetings_over, schedule, Step, SETTLE};
use application::meetings::CommandMeta;
use chrono::{NaiveDate, TimeZone as _, Utc};
use domain::meeting::{MeetingEvent, Organizer};
use domain::values::{Description, Reminders, Schedule, TimeZone, Title};
use domain::RoomId;
use projections::quarantine;
use projections::Projector;
use sqlx::PgPool;
use uuid::Uuid;
use veche_tests::cluster::TestDatabase;

/// A schedule in the year -5000: what the API accepted before dates were bounded, and what
/// stopped the projector for everybody ("timestamp out of range").
fn ancient_schedule() -> Schedule {
    let start = NaiveDate::from_ymd_opt(-5000, 1, 1).unwrap().and_hms_opt(10, 0, 0).unwrap();
    Schedule {
        start,
        end: start + chrono::Duration::hours(1),
        time_zone: TimeZone::parse("UTC").unwrap(),
        starts_at: Utc.from_utc_datetime(&start),
        ends_at: Utc.from_utc_datetime(&(start + chrono::Duration::hours(1))),
    }
}

fn scheduled(id: Uuid, schedule: Schedule) -> MeetingEvent {
    MeetingEvent::MeetingScheduled {
        meeting_id: domain::MeetingId(id),
        room_id: RoomId(Uuid::new_v4()),
        organizer: Organizer {
            user_id: "ann".into(),
            email: domain::values::EmailAddress::parse("ann@example.org").unwrap(),
            name: "Ann".into(),
        },
        title: Title::parse("Old").unwrap(),
        description: Description::default(),
        schedule,
        attendees: vec![],
        reminders: Reminders::default(),
    }
}

/// Appends an event as a writer of an earlier release could have (no rule checked).
async fn append_raw(pool: &PgPool, id: Uuid, sequence: i64, event: &MeetingEvent) {
    let event_type = cqrs_es::DomainEvent::event_type(event);
    sqlx::query(
        "insert into events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
         values ('Meeting', $1, $2, $3, '1.0', $4, '{}')",
    )
    .bind(id.to_string())
    .bind(sequence)
    .bind(event_type)
    .bind(serde_json::to_value(event).unwrap())
    .execute(pool)
    .await
    .unwrap();
}

async fn schedule_good(pool: &PgPool, n: u8) {
    let (_, command) = command(&Step::Schedule { meeting: n, organizer: 0, attendees: vec![1], day: 1 + n as u32 % 27 }).unwrap();
    meetings_over(pool).schedule(command, None, CommandMeta::default()).await.unwrap();
}

async fn projected(pool: &PgPool) -> Vec<(Uuid, i64, bool)> {
    sqlx::query_as("select meeting_id, version, quarantined from meeting_view order by meeting_id").fetch_all(pool).await.unwrap()
}

/// 1. Meetings 0–4 are scheduled; then a meeting from the year -5000 is in the log; then
///    meetings 5–9, and a later change to the ancient meeting.
/// 2. One catch-up (one batch of 500) projects all ten good meetings and sets the ancient
///    one aside, naming its first event and the error; its later event is passed over.
/// 3. Once the stored event is mended (as an upcaster would), `retry` replays the meeting
///    from its first event: it is projected with both events, and the quarantine is over.
#[tokio::test]
async fn an_event_the_projections_cannot_apply_sets_its_meeting_aside_and_the_rest_of_the_log_goes_on() {
    let database = TestDatabase::create().await;
    let pool = database.pool(4).await;
    for n in 0..5 {
        schedule_good(&pool, n).await;
    }
    let ancient = Uuid::from_u128(0xa11);
    append_raw(&pool, ancient, 1, &scheduled(ancient, ancient_schedule())).await;
    for n in 5..10 {
        schedule_good(&pool, n).await;
    }
    let rename = MeetingEvent::MeetingDetailsChanged {
        title: Some(Title::parse("Renamed").unwrap()),
        description: None,
        ical_sequence: 1,
    };
    append_raw(&pool, ancient, 2, &rename).await;

    Projector::new(pool.clone()).catch_up_to_head(SETTLE).await.unwrap();

    let rows = projected(&pool).await;
    assert_eq!(rows.len(), 10, "every good meeting is projected: {rows:?}");
    assert!((0..10).all(|n| rows.iter().any(|(id, ..)| *id == meeting_id(n).as_uuid())));
    let set_aside = quarantine::list(&pool).await.unwrap();
    assert_eq!(set_aside.len(), 1);
    assert_eq!(set_aside[0].key(), format!("Meeting/{ancient}"));
    assert_eq!(set_aside[0].event_type, "MeetingScheduled");
    assert!(set_aside[0].error.contains("out of range"), "the error is kept for the operator: {}", set_aside[0].error);

    // A later good meeting is still projected: the projector did not stop.
    schedule_good(&pool, 20).await;
    Projector::new(pool.clone()).catch_up_to_head(SETTLE).await.unwrap();
    assert_eq!(projected(&pool).await.len(), 11);

    // The cause is mended; the operator asks for a replay.
    let mended = scheduled(ancient, schedule(3, 10));
    sqlx::query("update events set payload = $1 where aggregate_id = $2 and sequence = 1")
        .bind(serde_json::to_value(&mended).unwrap())
        .bind(ancient.to_string())
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(quarantine::request_retry(&pool, Some(&ancient.to_string())).await.unwrap(), 1);
    Projector::new(pool.clone()).catch_up_to_head(SETTLE).await.unwrap();
    assert!(quarantine::list(&pool).await.unwrap().is_empty(), "the replay ended the quarantine");
    let rows = projected(&pool).await;
    assert!(rows.contains(&(ancient, 2, false)), "replayed with both its events: {rows:?}");
    let calendar: i64 = sqlx::query_scalar("select count(*) from calendar_entry where meeting_id = $1")
        .bind(ancient)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(calendar, 1, "the organizer's calendar has it");
    pool.close().await;
    database.drop_database().await;
}

/// A meeting already in the read models whose next event cannot be applied keeps its rows,
/// marked, until a replay; one that fails again stays set aside with the new error.
#[tokio::test]
async fn a_meeting_set_aside_later_keeps_its_rows_marked_and_a_failed_replay_keeps_it_aside() {
    let database = TestDatabase::create().await;
    let pool = database.pool(4).await;
    schedule_good(&pool, 0).await;
    let id = meeting_id(0).as_uuid();
    Projector::new(pool.clone()).catch_up_to_head(SETTLE).await.unwrap();
    append_raw(&pool, id, 2, &MeetingEvent::MeetingRescheduled { schedule: ancient_schedule(), ical_sequence: 1 }).await;
    schedule_good(&pool, 1).await;
    Projector::new(pool.clone()).catch_up_to_head(SETTLE).await.unwrap();

    let rows = projected(&pool).await;
    assert!(rows.contains(&(id, 1, true)), "the row stays as it was, marked: {rows:?}");
    assert!(rows.contains(&(meeting_id(1).as_uuid(), 1, false)));

    quarantine::request_retry(&pool, None).await.unwrap();
    Projector::new(pool.clone()).catch_up_to_head(SETTLE).await.unwrap();
    let set_aside = quarantine::list(&pool).await.unwrap();
    assert_eq!(set_aside.len(), 1, "the replay failed the same way");
    assert!(!set_aside[0].retry_requested);
    pool.close().await;
    database.drop_database().await;
}

/// An event whose payload no longer decodes (a title that is empty) is set aside the same way.
#[tokio::test]
async fn an_undecodable_event_sets_its_aggregate_aside() {
    let database = TestDatabase::create().await;
    let pool = database.pool(4).await;
    let broken = Uuid::from_u128(0xb0b);
    let mut payload = serde_json::to_value(scheduled(broken, schedule(2, 9))).unwrap();
    payload["MeetingScheduled"]["title"] = serde_json::json!("");
    sqlx::query(
        "insert into events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
         values ('Meeting', $1, 1, 'MeetingScheduled', '1.0', $2, '{}')",
    )
    .bind(broken.to_string())
    .bind(payload)
    .execute(&pool)
    .await
    .unwrap();
    schedule_good(&pool, 0).await;
    Projector::new(pool.clone()).catch_up_to_head(SETTLE).await.unwrap();
    assert_eq!(projected(&pool).await.len(), 1);
    let set_aside = quarantine::list(&pool).await.unwrap();
    assert_eq!(set_aside.iter().map(|a| a.key()).collect::<Vec<_>>(), vec![format!("Meeting/{broken}")]);
    assert!(set_aside[0].error.contains("cannot be decoded"), "{}", set_aside[0].error);
    pool.close().await;
    database.drop_database().await;
}
