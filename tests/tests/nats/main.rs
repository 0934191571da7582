//! The NATS side, against a real PostgreSQL and a real nats-server per test: the publisher
//! (outbox relay to JetStream), the reactor consumers, the AsyncAPI document.

mod asyncapi;
mod consumers;
mod publisher;
mod room_status;
mod serve;

use application::executor::Executor;
use application::meetings::{CommandMeta, Meetings};
use chrono::NaiveDateTime;
use domain::meeting::MeetingCommand;
use domain::values::{Description, EmailAddress, Invitee, Reminders, Schedule, TimeZone, Title};
use domain::{Actor, MeetingId, RoomId};
use infrastructure::cloudevents::CloudEvent;
use infrastructure::event_store::{MeetingStore, PgEventLog};
use infrastructure::nats::{Nats, EVENTS_STREAM};
use infrastructure::publisher::{Publisher, POSITION_HEADER, TRANSACTION_HEADER};
use projections::wake::LogWake;
use serde_json::Value;
use sqlx::PgPool;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use veche_tests::cluster::TestDatabase;
use veche_tests::nats::TestNats;

/// How long a test waits for something that should happen within a second or two.
const PATIENCE: Duration = Duration::from_secs(30);

/// Events each meeting of [`Fixture::schedule_meetings`] records: scheduled, rescheduled,
/// renamed.
const EVENTS_PER_MEETING: usize = 3;

/// A database, a nats-server, and the use cases that write events.
struct Fixture {
    nats_server: TestNats,
    database: TestDatabase,
    pool: PgPool,
    meetings: Meetings<MeetingStore, PgEventLog>,
    wake: LogWake,
}

/// A publisher running in a task of its own, with its own NATS connection.
struct RunningPublisher {
    shutdown: CancellationToken,
    task: JoinHandle<()>,
    leading: Arc<AtomicBool>,
}

impl RunningPublisher {
    fn is_leading(&self) -> bool {
        self.leading.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Stops it as `veche` does on shutdown.
    async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(PATIENCE, self.task).await.expect("the publisher stops").unwrap();
    }

    /// Ends it abruptly, as when its process dies: its database session and NATS
    /// connection are dropped mid-work.
    async fn kill(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

/// One message of the stream.
#[derive(Debug, Clone)]
struct Published {
    msg_id: String,
    position_header: i64,
    transaction_header: i64,
    json: Value,
    event: CloudEvent,
}

impl Fixture {
    async fn start() -> Self {
        let nats_server = TestNats::start().await;
        let database = TestDatabase::create().await;
        let pool = database.pool(10).await;
        let wake = LogWake::new();
        let log = PgEventLog::new(pool.clone(), wake.clone());
        let meetings = Meetings::new(Executor::new(log.meeting_store(), log));
        Self { nats_server, database, pool, meetings, wake }
    }

    async fn spawn_publisher(&self) -> RunningPublisher {
        let nats = self.nats_server.connect().await;
        let publisher = Publisher::new(self.pool.clone(), nats, "https://meet.example.org").with_wake(self.wake.clone());
        let leading = publisher.leading();
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(publisher.run(shutdown.clone()));
        RunningPublisher { shutdown, task, leading }
    }

    /// Schedules `count` meetings, each then moved and renamed, concurrently so that the
    /// meetings' events interleave in the log. Returns the meetings' ids.
    async fn schedule_meetings(&self, count: usize) -> Vec<MeetingId> {
        let ids: Vec<MeetingId> = (0..count).map(|_| application::meetings::new_meeting_id()).collect();
        futures::future::join_all(ids.iter().map(|id| self.meeting_story(*id))).await;
        ids
    }

    async fn meeting_story(&self, id: MeetingId) {
        let ann = ann();
        self.meetings
            .schedule(
                MeetingCommand::Schedule {
                    meeting_id: id,
                    room_id: RoomId(uuid::Uuid::new_v4()),
                    organizer: ann.clone(),
                    title: Title::parse("Planning").unwrap(),
                    description: Description::default(),
                    schedule: schedule(10),
                    attendees: vec![Invitee { email: EmailAddress::parse("bob@example.org").unwrap(), name: None }],
                    reminders: Reminders::default(),
                },
                None,
                CommandMeta::default(),
            )
            .await
            .expect("scheduled");
        self.meetings
            .execute(id, MeetingCommand::Reschedule { actor: ann.clone(), schedule: schedule(14) }, CommandMeta::default())
            .await
            .expect("rescheduled");
        let rename = MeetingCommand::ChangeDetails {
            actor: ann,
            title: Some(Title::parse("Planning, moved").unwrap()),
            description: None,
            reminders: None,
        };
        self.meetings.execute(id, rename, CommandMeta::default()).await.expect("renamed");
    }

    async fn event_count(&self) -> usize {
        let count: i64 = sqlx::query_scalar("select count(*) from events").fetch_one(&self.pool).await.unwrap();
        count as usize
    }

    async fn stop(self) {
        self.pool.close().await;
        self.database.drop_database().await;
    }
}

fn ann() -> Actor {
    Actor { user_id: "user-ann".into(), email: EmailAddress::parse("ann@example.org").unwrap(), name: "Ann".into() }
}

fn schedule(hour: u32) -> Schedule {
    let start = NaiveDateTime::parse_from_str(&format!("2026-12-01T{hour:02}:00"), "%Y-%m-%dT%H:%M").unwrap();
    Schedule::parse(start, start + chrono::Duration::hours(1), TimeZone::parse("Europe/Berlin").unwrap()).unwrap()
}

/// Every message in `VECHE_EVENTS`, in stream order.
async fn stream_messages(nats: &Nats) -> Vec<Published> {
    let stream = nats.jetstream().get_stream(EVENTS_STREAM).await.expect("the stream exists");
    let state = stream.get_info().await.unwrap().state;
    let mut messages = Vec::new();
    for sequence in state.first_sequence.max(1)..=state.last_sequence {
        let Ok(message) = stream.get_raw_message(sequence).await else { continue };
        let header = |name: &str| message.headers.get(name).map(|v| v.as_str().to_string()).expect("header present");
        let json: Value = serde_json::from_slice(&message.payload).expect("the payload is JSON");
        messages.push(Published {
            msg_id: header("Nats-Msg-Id"),
            position_header: header(POSITION_HEADER).parse().unwrap(),
            transaction_header: header(TRANSACTION_HEADER).parse().unwrap(),
            event: serde_json::from_value(json.clone()).expect("the payload is a CloudEvent"),
            json,
        });
    }
    messages
}

/// Waits until the stream holds `count` messages (or more), then returns them all.
async fn wait_for_stream(nats: &Nats, count: usize) -> Vec<Published> {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let held = match nats.jetstream().get_stream(EVENTS_STREAM).await {
            Ok(stream) => stream.get_info().await.map(|info| info.state.messages as usize).unwrap_or(0),
            Err(_) => 0,
        };
        if held >= count {
            return stream_messages(nats).await;
        }
        assert!(tokio::time::Instant::now() < deadline, "the stream holds {held} of {count} messages after {PATIENCE:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every event once (no Msg-Id twice, as many messages as events), in the log's order
/// (writing transaction, then position), each aggregate's events in sequence order from 1.
fn assert_complete_and_ordered(messages: &[Published], events_in_log: usize) {
    let ids: std::collections::HashSet<&str> = messages.iter().map(|m| m.msg_id.as_str()).collect();
    assert_eq!(ids.len(), messages.len(), "no event is in the stream twice");
    assert_eq!(messages.len(), events_in_log, "every event of the log is in the stream");
    let places: Vec<(i64, i64)> = messages.iter().map(|m| (m.transaction_header, m.position_header)).collect();
    assert!(places.windows(2).all(|w| w[0] < w[1]), "the stream is in the log's order: {places:?}");
    let mut next_sequence = std::collections::HashMap::<&str, i64>::new();
    for message in messages {
        let expected = next_sequence.entry(message.event.subject.as_str()).or_insert(1);
        assert_eq!(message.event.sequence, *expected, "each aggregate's events come in sequence order");
        *expected += 1;
    }
}

/// Waits until `condition` holds.
async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !condition() {
        assert!(tokio::time::Instant::now() < deadline, "{what} did not happen within {PATIENCE:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
