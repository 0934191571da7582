//! Readers are total: every meeting the domain accepts, over the whole range of each value
//! type (its extremes included), projects, renders as iCalendar that an independent parser
//! reads, makes its emails (invitations, updates, cancellations, reminders, in each language)
//! that an independent MIME parser reads, and computes its reminders.

use crate::projections::{meetings_over, SETTLE};
use application::meetings::CommandMeta;
use chrono::{Datelike as _, NaiveDate, NaiveDateTime};
use cqrs_es::Aggregate;
use domain::meeting::{Meeting, MeetingCommand, MeetingStatus};
use domain::values::*;
use domain::{Actor, MeetingId, RoomId};
use infrastructure::notify::ical::{self, CalendarMessage, ItipMethod};
use projections::Projector;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use sqlx::PgPool;
use uuid::Uuid;
use veche_tests::cluster::TestDatabase;

/// Text over all of Unicode, weighted towards what breaks formats: iCalendar's and mail's
/// special characters, line breaks, right-to-left and combining characters, controls.
fn text(max: usize) -> impl Strategy<Value = String> {
    let character = prop_oneof![
        4 => prop::char::range(' ', '~'),
        2 => prop::sample::select(vec![';', ',', '\\', '"', ':', '\n', '\r', '\t', '\u{5d0}', '\u{200f}', '\u{301}', '😀', 'я']),
        1 => any::<char>(),
    ];
    prop_oneof![
        prop::collection::vec(character.clone(), 0..=max.min(64)).prop_map(String::from_iter),
        // The longest texts allowed.
        (character, Just(max)).prop_map(|(c, max)| std::iter::repeat_n(c, max).collect()),
    ]
}

/// A wall-clock time anywhere in the supported years, the first and the last included.
fn local_time() -> impl Strategy<Value = NaiveDateTime> {
    let year = prop_oneof![Just(EARLIEST_YEAR), Just(LATEST_YEAR), EARLIEST_YEAR..=LATEST_YEAR];
    (year, 1u32..=12, 1u32..=31, 0u32..24, 0u32..60).prop_map(|(year, month, day, hour, minute)| {
        let date = NaiveDate::from_ymd_opt(year, month, day).unwrap_or_else(|| NaiveDate::from_ymd_opt(year, month, 28).unwrap());
        date.and_hms_opt(hour, minute, 0).unwrap()
    })
}

fn duration_minutes() -> impl Strategy<Value = i64> {
    prop_oneof![Just(1), Just(MAX_DURATION_HOURS * 60), 1..=MAX_DURATION_HOURS * 60]
}

fn zone() -> impl Strategy<Value = TimeZone> {
    // Every IANA zone chrono-tz knows: the +14 and -12 offsets, zones without DST, odd ones.
    prop::sample::select(chrono_tz::TZ_VARIANTS.to_vec()).prop_map(|tz| TimeZone::parse(tz.name()).unwrap())
}

fn reminders() -> impl Strategy<Value = Vec<u32>> {
    let one = prop_oneof![Just(0), Just(MAX_REMINDER_MINUTES), 0..=MAX_REMINDER_MINUTES];
    prop::collection::vec(one, 0..=MAX_REMINDERS).prop_map(|mut minutes| {
        minutes.sort_unstable();
        minutes.dedup();
        minutes
    })
}

/// One meeting's life: its raw inputs, as an API client could send them.
#[derive(Debug, Clone)]
struct Case {
    organizer_sub: String,
    organizer_name: String,
    title: String,
    description: String,
    start: NaiveDateTime,
    minutes: i64,
    zone: TimeZone,
    attendees: Vec<String>,
    reminders: Vec<u32>,
    moved_to: NaiveDateTime,
    moved_zone: TimeZone,
    new_title: String,
    new_reminders: Vec<u32>,
    cancelled: bool,
}

fn case() -> impl Strategy<Value = Case> {
    let attendees = prop_oneof![
        7 => prop::collection::vec(text(MAX_NAME_CHARS), 0..4),
        // The most attendees a meeting may have.
        1 => Just(vec![String::from("Guest"); domain::meeting::MAX_ATTENDEES]),
    ];
    (
        (text(MAX_USER_ID_CHARS), text(300), text(MAX_TITLE_CHARS), text(MAX_DESCRIPTION_CHARS)),
        (local_time(), duration_minutes(), zone(), attendees, reminders()),
        (local_time(), zone(), text(MAX_TITLE_CHARS), reminders(), any::<bool>()),
    )
        .prop_map(|((sub, name, title, description), (start, minutes, zone, attendees, reminders), moved)| Case {
            organizer_sub: format!("u{sub}"),
            organizer_name: name,
            title: format!("T{title}"),
            description,
            start,
            minutes,
            zone,
            attendees,
            reminders,
            moved_to: moved.0,
            moved_zone: moved.1,
            new_title: format!("N{}", moved.2),
            new_reminders: moved.3,
            cancelled: moved.4,
        })
}

/// The commands of a case as the API would build them; values the domain refuses are
/// replaced by the nearest ones it accepts, so that every case produces events.
fn commands(case: &Case, id: MeetingId) -> (Actor, Vec<MeetingCommand>) {
    // A token's name is taken as it comes (cleaned); its sub is refused when malformed.
    let sub: String = case.organizer_sub.chars().filter(|c| !c.is_control()).take(MAX_USER_ID_CHARS).collect();
    let organizer = Actor::from_claims(&sub, "org@example.org", &case.organizer_name).expect("a bounded sub makes an actor");
    let title = |raw: &str| {
        Title::parse(raw)
            .or_else(|_| Title::parse(&clean_name(raw).chars().take(MAX_TITLE_CHARS).collect::<String>()))
            .unwrap_or_else(|_| Title::parse("T").unwrap())
    };
    let description = Description::parse(&case.description).unwrap_or_default();
    let schedule = |start: NaiveDateTime, zone: TimeZone| {
        let end = start + chrono::Duration::minutes(case.minutes);
        Schedule::parse(start, end, zone)
            .or_else(|_| Schedule::parse(start, start + chrono::Duration::minutes(1), zone))
            .or_else(|_| Schedule::parse(start + chrono::Duration::hours(3), start + chrono::Duration::hours(4), zone))
            .or_else(|_| {
                let year = start.year().clamp(EARLIEST_YEAR + 1, LATEST_YEAR - 1);
                let noon = NaiveDate::from_ymd_opt(year, 6, 15).unwrap().and_hms_opt(12, 0, 0).unwrap();
                Schedule::parse(noon, noon + chrono::Duration::hours(1), zone)
            })
            .expect("noon in mid-June of an inner year exists in every zone")
    };
    let attendees = case
        .attendees
        .iter()
        .enumerate()
        .map(|(i, name)| Invitee {
            email: EmailAddress::parse(&format!("a{i}@example.org")).unwrap(),
            name: DisplayName::parse(name).ok(),
        })
        .collect();
    let mut commands = vec![
        MeetingCommand::Schedule {
            meeting_id: id,
            room_id: RoomId(Uuid::new_v4()),
            organizer: organizer.clone(),
            title: title(&case.title),
            description,
            schedule: schedule(case.start, case.zone),
            attendees,
            reminders: Reminders::parse(&case.reminders).unwrap(),
        },
        MeetingCommand::Reschedule { actor: organizer.clone(), schedule: schedule(case.moved_to, case.moved_zone) },
        MeetingCommand::ChangeDetails {
            actor: organizer.clone(),
            title: Some(title(&case.new_title)),
            description: None,
            reminders: Some(Reminders::parse(&case.new_reminders).unwrap()),
        },
    ];
    if case.cancelled {
        commands.push(MeetingCommand::Cancel { actor: organizer.clone(), reason: Description::parse(&case.description).ok() });
    }
    (organizer, commands)
}

/// Runs a case's commands, then checks every state its events pass through and the read
/// models they project to.
async fn check(pool: &PgPool, case: Case) {
    let id = MeetingId(Uuid::new_v4());
    let meetings = meetings_over(pool);
    let (_, commands) = commands(&case, id);
    for command in commands {
        match command {
            command @ MeetingCommand::Schedule { .. } => {
                meetings.schedule(command, None, CommandMeta::default()).await.unwrap();
            }
            command => {
                meetings.execute(id, command, CommandMeta::default()).await.unwrap();
            }
        }
    }
    let events = projections::global_log::stream_of(pool, Meeting::TYPE, &id.to_string(), None).await.unwrap();
    let upcasters = domain::upcasting::meeting_upcasters();
    let mut meeting = Meeting::default();
    for recorded in &events {
        let before = meeting.state().cloned();
        let event = recorded.meeting_event(&upcasters).unwrap().expect("a meeting event");
        meeting.apply(event.clone());
        let state = meeting.state().expect("scheduled first");
        assert_emails_are_made(&event, before.as_ref(), state, recorded.recorded_at);
        // iCalendar: an independent parser reads one event with the meeting's UID.
        let method = if state.status == MeetingStatus::Cancelled { ItipMethod::Cancel } else { ItipMethod::Request };
        let text = ical::render(&CalendarMessage {
            method,
            meeting: state,
            attendees: &state.attendees,
            meeting_cancelled: state.status == MeetingStatus::Cancelled,
            sequence: state.ical_sequence,
            stamp: recorded.recorded_at,
            meeting_link: "https://veche.example/rooms/x",
            join_label: "Join",
        });
        let long = text.lines().find(|line| line.len() > 75);
        assert!(long.is_none(), "lines are folded at 75 octets: {long:?}");
        assert_eq!(uids_in(&text), vec![ical::uid(id)], "{text}");
        // Reminders: one per person and offset, none after the start.
        for due in projections::reminders::reminders_of(&meeting) {
            assert!(due.due_at <= due.starts_at, "{due:?}");
        }
    }
    Projector::new(pool.clone()).catch_up_to_head(SETTLE).await.unwrap();
    let version: Option<i64> = sqlx::query_scalar("select version from meeting_view where meeting_id = $1")
        .bind(id.as_uuid())
        .fetch_optional(pool)
        .await
        .unwrap();
    assert_eq!(version, Some(events.len() as i64), "projected with every event");
    assert!(projections::quarantine::list(pool).await.unwrap().is_empty(), "nothing set aside");
}

/// Every email an event calls for, and the reminders of the meeting, are made in each
/// language and read back by `mailparse`.
fn assert_emails_are_made(
    event: &domain::meeting::MeetingEvent,
    before: Option<&domain::meeting::MeetingState>,
    after: &domain::meeting::MeetingState,
    stamp: chrono::DateTime<chrono::Utc>,
) {
    use infrastructure::notify::compose::{compose, compose_reminder, Language, MailContext};
    let links = infrastructure::links::GuestLinks::new("a-secret-long-enough-for-tests", "https://veche.example");
    let from: lettre::message::Mailbox = "veche <veche@example.org>".parse().unwrap();
    for language in [Language::En, Language::Ru] {
        let context = MailContext { meeting: after, before, language, stamp, links: &links, from: &from };
        // Each recipient's email is made the same way: a few of them stand for all.
        for notice in application::notifications::notices_for(event, before, after).into_iter().take(3) {
            let (mail, _push) = compose(&notice, &context, "totality");
            let mail = mail.unwrap_or_else(|e| panic!("{:?} for {}: {e}", notice.kind, notice.to.email));
            mailparse::parse_mail(&mail.rfc822).expect("the email parses");
        }
        for minutes in after.reminders.minutes() {
            let to = application::notifications::Recipient {
                email: after.organizer.email.clone(),
                name: Some(after.organizer.name.clone()),
            };
            let mail = compose_reminder(&to, *minutes, &context, "totality-reminder").expect("a reminder is made");
            mailparse::parse_mail(&mail.rfc822).expect("the reminder parses");
        }
    }
}

/// The UIDs of the events in an iCalendar text, as the `ical` crate (not veche's writer) reads them.
fn uids_in(text: &str) -> Vec<String> {
    let calendar = ::ical::IcalParser::new(text.as_bytes()).next().expect("one calendar").expect("the calendar parses");
    calendar.events.iter().filter_map(|event| event.properties.iter().find(|p| p.name == "UID")?.value.clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_meeting_the_domain_accepts_projects_renders_as_icalendar_and_computes_its_reminders() {
    let database = TestDatabase::create().await;
    let pool = database.pool(4).await;
    let handle = tokio::runtime::Handle::current();
    let mut runner = TestRunner::new(Config { cases: 64, failure_persistence: None, ..Config::default() });
    let outcome = tokio::task::block_in_place(|| {
        runner
            .run(&case(), |case| {
                handle.block_on(check(&pool, case));
                Ok(())
            })
            .map_err(|failure| failure.to_string())
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
    pool.close().await;
    database.drop_database().await;
}
