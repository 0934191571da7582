use application::executor::Executor;
use application::meetings::{CommandMeta, Meetings};
use chrono::NaiveDateTime;
use domain::meeting::{MeetingCommand, Response};
use domain::values::{Description, EmailAddress, Invitee, Reminders, Schedule, TimeZone, Title};
use domain::{Actor, MeetingId, RoomId};
use infrastructure::event_store::{MeetingStore, PgEventLog};
use projections::projector::Projection;
use projections::Projector;
use proptest::prelude::*;
use sqlx::PgPool;
use uuid::Uuid;
use veche_tests::cluster::TestDatabase;

/// Other tests share the cluster, and their transactions hold back the snapshot horizon
/// for a moment; a catch-up waits this long for them at most.
pub(crate) const SETTLE: std::time::Duration = std::time::Duration::from_secs(30);

const PEOPLE: [&str; 4] = ["ann", "bob", "carl", "dora"];

pub(crate) fn person(i: usize) -> Actor {
    let name = PEOPLE[i % PEOPLE.len()];
    Actor { user_id: name.into(), email: EmailAddress::parse(&format!("{name}@example.org")).unwrap(), name: name.into() }
}

/// One step of a random history: a command from someone, or a projector restart.
#[derive(Debug, Clone)]
pub(crate) enum Step {
    Schedule { meeting: u8, organizer: usize, attendees: Vec<usize>, day: u32 },
    Reschedule { meeting: u8, actor: usize, day: u32, hour: u32 },
    Rename { meeting: u8, actor: usize, title: u8 },
    Invite { meeting: u8, actor: usize, who: usize },
    Remove { meeting: u8, actor: usize, who: usize },
    Respond { meeting: u8, actor: usize, answer: u8 },
    Cancel { meeting: u8, actor: usize },
    ProjectNow,
}

pub(crate) fn step() -> impl Strategy<Value = Step> {
    let m = 0u8..3;
    let p = 0usize..4;
    prop_oneof![
        (m.clone(), p.clone(), prop::collection::vec(0usize..4, 0..3), 1u32..28)
            .prop_map(|(meeting, organizer, attendees, day)| Step::Schedule { meeting, organizer, attendees, day }),
        (m.clone(), p.clone(), 1u32..28, 0u32..23).prop_map(|(meeting, actor, day, hour)| Step::Reschedule {
            meeting,
            actor,
            day,
            hour
        }),
        (m.clone(), p.clone(), any::<u8>()).prop_map(|(meeting, actor, title)| Step::Rename { meeting, actor, title }),
        (m.clone(), p.clone(), p.clone()).prop_map(|(meeting, actor, who)| Step::Invite { meeting, actor, who }),
        (m.clone(), p.clone(), p.clone()).prop_map(|(meeting, actor, who)| Step::Remove { meeting, actor, who }),
        (m.clone(), p.clone(), 0u8..3).prop_map(|(meeting, actor, answer)| Step::Respond { meeting, actor, answer }),
        (m, p).prop_map(|(meeting, actor)| Step::Cancel { meeting, actor }),
        Just(Step::ProjectNow),
    ]
}

pub(crate) fn schedule(day: u32, hour: u32) -> Schedule {
    let start = NaiveDateTime::parse_from_str(&format!("2026-12-{day:02}T{hour:02}:00"), "%Y-%m-%dT%H:%M").unwrap();
    Schedule::parse(start, start + chrono::Duration::hours(1), TimeZone::parse("Europe/Berlin").unwrap()).unwrap()
}

pub(crate) fn meeting_id(n: u8) -> MeetingId {
    MeetingId(Uuid::from_u128(1000 + n as u128))
}

pub(crate) fn command(step: &Step) -> Option<(MeetingId, MeetingCommand)> {
    let invitee = |i: usize| Invitee { email: person(i).email, name: None };
    Some(match step.clone() {
        Step::Schedule { meeting, organizer, attendees, day } => {
            let mut unique: Vec<usize> = attendees.into_iter().filter(|&a| a != organizer).collect();
            unique.sort();
            unique.dedup();
            (
                meeting_id(meeting),
                MeetingCommand::Schedule {
                    meeting_id: meeting_id(meeting),
                    room_id: RoomId(Uuid::from_u128(2000 + meeting as u128)),
                    organizer: person(organizer),
                    title: Title::parse("Sync").unwrap(),
                    description: Description::default(),
                    schedule: schedule(day, 9),
                    attendees: unique.into_iter().map(invitee).collect(),
                    reminders: Reminders::default(),
                },
            )
        }
        Step::Reschedule { meeting, actor, day, hour } => {
            (meeting_id(meeting), MeetingCommand::Reschedule { actor: person(actor), schedule: schedule(day, hour) })
        }
        Step::Rename { meeting, actor, title } => (
            meeting_id(meeting),
            MeetingCommand::ChangeDetails {
                actor: person(actor),
                title: Some(Title::parse(&format!("Title {title}")).unwrap()),
                description: None,
                reminders: None,
            },
        ),
        Step::Invite { meeting, actor, who } => {
            (meeting_id(meeting), MeetingCommand::InviteAttendees { actor: person(actor), attendees: vec![invitee(who)] })
        }
        Step::Remove { meeting, actor, who } => {
            (meeting_id(meeting), MeetingCommand::RemoveAttendee { actor: person(actor), email: person(who).email })
        }
        Step::Respond { meeting, actor, answer } => {
            let response = [Response::Accepted, Response::Declined, Response::Tentative][answer as usize];
            (meeting_id(meeting), MeetingCommand::Respond { actor: person(actor), response })
        }
        Step::Cancel { meeting, actor } => (meeting_id(meeting), MeetingCommand::Cancel { actor: person(actor), reason: None }),
        Step::ProjectNow => return None,
    })
}

/// The meetings' read models (details, calendar, reminders due), in a canonical order, as text.
async fn read_models(pool: &PgPool) -> (Vec<String>, Vec<String>, Vec<String>) {
    let details: Vec<(Uuid, serde_json::Value, i64, String)> =
        sqlx::query_as("select meeting_id, state, version, status from meeting_view order by meeting_id")
            .fetch_all(pool)
            .await
            .unwrap();
    let calendar: Vec<(String, Uuid, String, chrono::DateTime<chrono::Utc>)> =
        sqlx::query_as("select user_email, meeting_id, role, starts_at from calendar_entry order by user_email, meeting_id")
            .fetch_all(pool)
            .await
            .unwrap();
    let reminders: Vec<(Uuid, String, i32, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
        "select meeting_id, user_email, minutes_before, due_at from reminder_due order by meeting_id, user_email, minutes_before",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    (
        details.iter().map(|d| format!("{d:?}")).collect(),
        calendar.iter().map(|c| format!("{c:?}")).collect(),
        reminders.iter().map(|r| format!("{r:?}")).collect(),
    )
}

/// The meeting commands as veche runs them, over `pool`.
pub(crate) fn meetings_over(pool: &sqlx::PgPool) -> Meetings<MeetingStore, PgEventLog> {
    let log = PgEventLog::new(pool.clone(), projections::wake::LogWake::new());
    Meetings::new(Executor::new(log.meeting_store(), log))
}

async fn incremental_equals_rebuild(steps: Vec<Step>) {
    let database = TestDatabase::create().await;
    let pool = database.pool(4).await;
    let meetings = meetings_over(&pool);
    for step in &steps {
        match command(step) {
            // Refused commands are part of a realistic history; they record nothing.
            Some((id, command @ MeetingCommand::Schedule { .. })) => {
                let _ = meetings.schedule(command, None, CommandMeta::default()).await;
                let _ = id;
            }
            Some((id, command)) => {
                let _ = meetings.execute(id, command, CommandMeta::default()).await;
            }
            // A fresh projector each time: a restart between batches.
            None => {
                Projector::new(pool.clone()).with_batch_size(3).catch_up().await.unwrap();
            }
        }
    }
    Projector::new(pool.clone()).with_batch_size(3).catch_up_to_head(SETTLE).await.unwrap();
    let incremental = read_models(&pool).await;

    let rebuild = Projector::new(pool.clone());
    for projection in Projection::ALL {
        rebuild.reset(projection).await.unwrap();
    }
    rebuild.catch_up_to_head(SETTLE).await.unwrap();
    let rebuilt = read_models(&pool).await;
    assert_eq!(incremental, rebuilt);

    // Rebuilt alone, `calendar` and `reminders` read the meetings from `meeting_view`
    // instead of taking them from `meeting_details` in the same batch: the same rows.
    for alone in [Projection::Calendar, Projection::Reminders] {
        rebuild.reset(alone).await.unwrap();
        rebuild.catch_up_to_head(SETTLE).await.unwrap();
        assert_eq!(incremental, read_models(&pool).await, "{alone:?} rebuilt alone");
    }
    pool.close().await;
    database.drop_database().await;
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    /// Random command histories, projected in small batches with restarts in between,
    /// give the same read models as a rebuild from zero.
    #[test]
    fn incremental_projection_with_restarts_equals_a_rebuild_from_zero(
        steps in prop::collection::vec(step(), 1..40)
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(incremental_equals_rebuild(steps));
    }
}

#[tokio::test]
async fn a_rebuild_racing_a_batch_never_leaves_a_half_reset_read_model() {
    let database = TestDatabase::create().await;
    let pool = database.pool(8).await;
    let meetings = meetings_over(&pool);
    for n in 0..30u8 {
        let (_, command) =
            command(&Step::Schedule { meeting: n, organizer: 0, attendees: vec![1], day: 1 + (n as u32 % 27) }).unwrap();
        meetings.schedule(command, None, CommandMeta::default()).await.unwrap();
    }
    let projector = Projector::new(pool.clone()).with_batch_size(2);
    let racing = async {
        for _ in 0..5 {
            projector.catch_up().await.unwrap();
        }
    };
    let resetting = async {
        for _ in 0..5 {
            projector.reset(Projection::Calendar).await.unwrap();
        }
    };
    tokio::join!(racing, resetting);
    projector.catch_up_to_head(SETTLE).await.unwrap();
    let entries: i64 = sqlx::query_scalar("select count(*) from calendar_entry").fetch_one(&pool).await.unwrap();
    assert_eq!(entries, 60, "every meeting has its organizer and attendee rows exactly once");
    pool.close().await;
    database.drop_database().await;
}
