//! Reactors as durable pull consumers: each wanted event arrives, in per-aggregate order;
//! Retry delivers again; Poison and exhausted retries go to the dead letters; a consumer
//! stopped mid-event loses nothing.

use super::*;
use async_trait::async_trait;
use infrastructure::nats::DEAD_LETTERS_STREAM;
use infrastructure::nats_consumer::{ConsumerOptions, ReactorRunner, DEAD_LETTER_REACTOR, DEAD_LETTER_REASON};
use infrastructure::reactor::{Reactor, ReactorError};
use projections::global_log::RecordedEvent;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// What a test reactor does with an event.
type Decide = dyn Fn(&RecordedEvent, usize) -> Result<(), ReactorError> + Send + Sync;

/// A reactor that records every event it is handed (with how many times it has seen it)
/// and answers as `decide` says.
struct RecordingReactor {
    seen: Mutex<Vec<RecordedEvent>>,
    decide: Box<Decide>,
    /// Events of this type are not wanted.
    unwanted: &'static str,
    /// When set, reacting to the event at this index of `seen` never finishes (a node that
    /// hangs, then dies).
    hang_at: Option<usize>,
    /// How long each event takes to handle.
    pause: Duration,
    /// Events in hand now, and the most ever at once.
    in_hand: AtomicUsize,
    peak: AtomicUsize,
}

impl RecordingReactor {
    fn new(decide: impl Fn(&RecordedEvent, usize) -> Result<(), ReactorError> + Send + Sync + 'static) -> Arc<Self> {
        Arc::new(Self {
            seen: Mutex::new(Vec::new()),
            decide: Box::new(decide),
            unwanted: "RemindersChanged",
            hang_at: None,
            pause: Duration::ZERO,
            in_hand: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        })
    }

    fn accepting() -> Arc<Self> {
        Self::new(|_, _| Ok(()))
    }

    fn seen(&self) -> Vec<RecordedEvent> {
        self.seen.lock().unwrap().clone()
    }

    /// The event ids it acknowledged (the last time it saw each, it answered Ok).
    fn deliveries_of(&self, event: &RecordedEvent) -> usize {
        self.seen().iter().filter(|e| e.position == event.position).count()
    }
}

#[async_trait]
impl Reactor for RecordingReactor {
    fn name(&self) -> &'static str {
        "recorder"
    }

    fn wants(&self, aggregate_type: &str, event_type: &str) -> bool {
        aggregate_type == "Meeting" && event_type != self.unwanted
    }

    async fn react(&self, event: &RecordedEvent) -> Result<(), ReactorError> {
        let (index, times) = {
            let mut seen = self.seen.lock().unwrap();
            seen.push(event.clone());
            (seen.len() - 1, seen.iter().filter(|e| e.position == event.position).count())
        };
        if self.hang_at == Some(index) {
            std::future::pending::<()>().await;
        }
        let now = self.in_hand.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(self.pause).await;
        self.in_hand.fetch_sub(1, Ordering::SeqCst);
        (self.decide)(event, times)
    }
}

fn quick_options() -> ConsumerOptions {
    ConsumerOptions {
        ack_wait: Duration::from_secs(2),
        max_deliver: 3,
        // Past its horizon at once: the attempts alone decide.
        retry_horizon: Duration::ZERO,
        retry_delay: Duration::from_millis(50),
        max_retry_delay: Duration::from_millis(200),
        max_ack_pending: 1,
        lanes: 1,
    }
}

struct RunningReactor {
    shutdown: CancellationToken,
    task: JoinHandle<()>,
}

impl Fixture {
    async fn spawn_reactor(&self, reactor: Arc<dyn Reactor>, options: ConsumerOptions) -> RunningReactor {
        let runner = ReactorRunner::new(self.nats_server.connect().await, reactor, options);
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(runner.run(shutdown.clone()));
        RunningReactor { shutdown, task }
    }
}

impl RunningReactor {
    async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(PATIENCE, self.task).await.expect("the reactor stops").unwrap();
    }
}

/// A fixture with a running publisher and `reactor` running on one node.
async fn start_with(reactor: Arc<RecordingReactor>) -> (Fixture, RunningPublisher, Arc<RecordingReactor>, RunningReactor) {
    let fixture = Fixture::start().await;
    let publisher = fixture.spawn_publisher().await;
    let running = fixture.spawn_reactor(reactor.clone(), quick_options()).await;
    (fixture, publisher, reactor, running)
}

async fn finish(fixture: Fixture, publisher: RunningPublisher, running: RunningReactor) {
    running.stop().await;
    publisher.stop().await;
    fixture.stop().await;
}

/// The log's meeting events, in global order.
async fn logged_events(fixture: &Fixture) -> Vec<RecordedEvent> {
    projections::global_log::read_after(&fixture.pool, projections::global_log::LogCursor::START, 10_000).await.unwrap()
}

/// Each aggregate's events in `events` come in sequence order.
fn assert_per_aggregate_order(events: &[RecordedEvent]) {
    let mut last = std::collections::HashMap::<&str, i64>::new();
    for event in events {
        let previous = last.insert(&event.aggregate_id, event.sequence).unwrap_or(0);
        assert!(event.sequence > previous, "{} came after sequence {previous}", event.sequence);
    }
}

/// Every message in `VECHE_DEAD_LETTERS`: (headers reactor, reason, decoded event).
async fn dead_letters(nats: &Nats) -> Vec<(String, String, RecordedEvent)> {
    let Ok(stream) = nats.jetstream().get_stream(DEAD_LETTERS_STREAM).await else { return Vec::new() };
    let last = stream.get_info().await.unwrap().state.last_sequence;
    let mut letters = Vec::new();
    for sequence in 1..=last {
        let message = stream.get_raw_message(sequence).await.unwrap();
        let header = |name: &str| message.headers.get(name).unwrap().as_str().to_string();
        let event = CloudEvent::decode(&message.payload).expect("the dead letter carries the original CloudEvent");
        letters.push((header(DEAD_LETTER_REACTOR), header(DEAD_LETTER_REASON), event));
    }
    letters
}

/// Waits until `reactor` has seen `count` events.
async fn wait_until_seen(reactor: &RecordingReactor, count: usize) {
    eventually(&format!("the reactor sees {count} events"), || reactor.seen().len() >= count).await;
}

#[tokio::test]
async fn a_reactor_gets_each_event_it_wants_once_in_per_aggregate_order() {
    // Given a publisher and a reactor that wants meeting events but RemindersChanged
    let (fixture, publisher, reactor, running) = start_with(RecordingReactor::accepting()).await;
    // When meetings are scheduled, moved and renamed, and one changes its reminders
    let ids = fixture.schedule_meetings(8).await;
    let change_reminders = MeetingCommand::ChangeDetails {
        actor: ann(),
        title: None,
        description: None,
        reminders: Some(Reminders::parse(&[5]).unwrap()),
    };
    fixture.meetings.execute(ids[0], change_reminders, CommandMeta::default()).await.unwrap();
    // Then it gets the 24 wanted events once each, and never the unwanted one
    wait_until_seen(&reactor, 24).await;
    let nats = fixture.nats_server.connect().await;
    wait_for_stream(&nats, 25).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let seen = reactor.seen();
    let wanted: Vec<i64> =
        logged_events(&fixture).await.into_iter().filter(|e| e.event_type != "RemindersChanged").map(|e| e.position).collect();
    assert_eq!(seen.iter().map(|e| e.position).collect::<Vec<_>>(), wanted, "each wanted event once, in log order");
    assert_per_aggregate_order(&seen);
    // decoded back to what the log holds
    let first = logged_events(&fixture).await.remove(0);
    assert_eq!((seen[0].payload.clone(), seen[0].event_type.clone()), (first.payload, first.event_type));
    finish(fixture, publisher, running).await;
}

#[tokio::test]
async fn a_reactor_that_asks_to_retry_gets_the_event_again_and_order_holds() {
    // Given a reactor that fails every event with Retry the first time it sees it
    let (fixture, publisher, reactor, running) = start_with(RecordingReactor::new(|_, times| {
        if times == 1 {
            Err(ReactorError::Retry(anyhow::anyhow!("SMTP is down")))
        } else {
            Ok(())
        }
    }))
    .await;
    // When three meetings record their events
    fixture.schedule_meetings(3).await;
    // Then it sees each of the 9 events twice, the second time right after the first
    wait_until_seen(&reactor, 18).await;
    let seen = reactor.seen();
    for event in logged_events(&fixture).await {
        assert_eq!(reactor.deliveries_of(&event), 2, "event {} is delivered again once", event.position);
    }
    let positions: Vec<i64> = seen.iter().map(|e| e.position).collect();
    assert!(positions.chunks(2).all(|pair| pair[0] == pair[1]), "a retried event holds back the next: {positions:?}");
    assert_per_aggregate_order(&seen.iter().step_by(2).cloned().collect::<Vec<_>>());
    assert!(dead_letters(&fixture.nats_server.connect().await).await.is_empty());
    finish(fixture, publisher, running).await;
}

#[tokio::test]
async fn with_lanes_a_node_handles_meetings_at_once_and_each_meetings_events_in_order_through_retries() {
    // Given a slow reactor that fails each event once, run with 8 lanes
    let fixture = Fixture::start().await;
    let publisher = fixture.spawn_publisher().await;
    let mut slow =
        RecordingReactor::new(
            |_, times| {
                if times == 1 {
                    Err(ReactorError::Retry(anyhow::anyhow!("SMTP is busy")))
                } else {
                    Ok(())
                }
            },
        );
    Arc::get_mut(&mut slow).unwrap().pause = Duration::from_millis(50);
    let running = fixture.spawn_reactor(slow.clone(), ConsumerOptions { lanes: 8, max_ack_pending: 32, ..quick_options() }).await;
    // When eight meetings record three events each
    fixture.schedule_meetings(8).await;
    // Then every event is handled, several at once, each meeting's in order
    wait_until_seen(&slow, 48).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let seen = slow.seen();
    for event in logged_events(&fixture).await {
        assert_eq!(slow.deliveries_of(&event), 2, "event {} is tried twice", event.position);
    }
    // (an event's retry comes before the next event of its meeting: sequences never go back)
    let mut last = std::collections::HashMap::<&str, i64>::new();
    for event in &seen {
        let previous = last.insert(&event.aggregate_id, event.sequence).unwrap_or(0);
        assert!(event.sequence >= previous, "{} came after sequence {previous}", event.sequence);
    }
    assert!(slow.peak.load(Ordering::SeqCst) > 1, "lanes run at once");
    running.stop().await;
    publisher.stop().await;
    fixture.stop().await;
}

#[tokio::test]
async fn a_poison_event_goes_to_the_dead_letters_and_the_others_are_handled() {
    // Given a reactor that cannot ever handle renames
    let (fixture, publisher, reactor, running) = start_with(RecordingReactor::new(|event, _| {
        if event.event_type == "MeetingDetailsChanged" {
            Err(ReactorError::Poison(anyhow::anyhow!("refers to nothing")))
        } else {
            Ok(())
        }
    }))
    .await;
    // When two meetings are scheduled, moved and renamed
    fixture.schedule_meetings(2).await;
    // Then both renames are dead-lettered at their first delivery, with the reason
    let nats = fixture.nats_server.connect().await;
    wait_until_seen(&reactor, 6).await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let letters = loop {
        let letters = dead_letters(&nats).await;
        if letters.len() >= 2 || tokio::time::Instant::now() > deadline {
            break letters;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(letters.len(), 2);
    for (reactor_name, reason, event) in &letters {
        assert_eq!(reactor_name, "recorder");
        assert!(reason.contains("poison: refers to nothing"), "{reason}");
        assert_eq!(event.event_type, "MeetingDetailsChanged");
    }
    // and every event was handed over once: poison is not retried
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(reactor.seen().len(), 6);
    finish(fixture, publisher, running).await;
}

#[tokio::test]
async fn an_event_that_keeps_failing_past_its_horizon_is_dead_lettered_after_the_last_delivery() {
    // Given a reactor for which moving a meeting always fails for now, at most 3 deliveries
    let (fixture, publisher, reactor, running) = start_with(RecordingReactor::new(|event, _| {
        if event.event_type == "MeetingRescheduled" {
            Err(ReactorError::Retry(anyhow::anyhow!("push service unavailable")))
        } else {
            Ok(())
        }
    }))
    .await;
    // When a meeting is scheduled, moved and renamed
    fixture.schedule_meetings(1).await;
    // Then the move is tried 3 times, dead-lettered, and the rename after it is handled
    wait_until_seen(&reactor, 5).await;
    let seen: Vec<String> = reactor.seen().iter().map(|e| e.event_type.clone()).collect();
    assert_eq!(
        seen,
        ["MeetingScheduled", "MeetingRescheduled", "MeetingRescheduled", "MeetingRescheduled", "MeetingDetailsChanged"]
    );
    let letters = dead_letters(&fixture.nats_server.connect().await).await;
    assert_eq!(letters.len(), 1);
    assert!(letters[0].1.contains("gave up after 3 deliveries: push service unavailable"), "{}", letters[0].1);
    finish(fixture, publisher, running).await;
}

#[tokio::test]
async fn a_consumer_that_dies_mid_event_loses_nothing() {
    // Given a node whose reactor hangs on the fourth event and then dies, unacknowledged
    let fixture = Fixture::start().await;
    let publisher = fixture.spawn_publisher().await;
    let hanging = Arc::new(RecordingReactor {
        seen: Mutex::new(Vec::new()),
        decide: Box::new(|_, _| Ok(())),
        unwanted: "RemindersChanged",
        hang_at: Some(3),
        pause: Duration::ZERO,
        in_hand: AtomicUsize::new(0),
        peak: AtomicUsize::new(0),
    });
    let dying = fixture.spawn_reactor(hanging.clone(), quick_options()).await;
    fixture.schedule_meetings(4).await;
    wait_until_seen(&hanging, 4).await;
    dying.task.abort();
    let _ = dying.task.await;
    // When another node runs the same reactor
    let survivor = RecordingReactor::accepting();
    let running = fixture.spawn_reactor(survivor.clone(), quick_options()).await;
    // Then it gets the event that was being handled (after the ack wait) and all the rest
    wait_until_seen(&survivor, 12 - 3).await;
    let handled: Vec<i64> = hanging.seen()[..3].iter().chain(survivor.seen().iter()).map(|e| e.position).collect();
    let logged: Vec<i64> = logged_events(&fixture).await.iter().map(|e| e.position).collect();
    assert_eq!(handled, logged, "every event handled once, in order, across the two nodes");
    finish(fixture, publisher, running).await;
}

#[tokio::test]
async fn two_nodes_running_the_same_reactor_share_its_events() {
    // Given the same reactor on two nodes
    let fixture = Fixture::start().await;
    let publisher = fixture.spawn_publisher().await;
    let (first, second) = (RecordingReactor::accepting(), RecordingReactor::accepting());
    let running_first = fixture.spawn_reactor(first.clone(), quick_options()).await;
    let running_second = fixture.spawn_reactor(second.clone(), quick_options()).await;
    // When events are recorded
    fixture.schedule_meetings(10).await;
    // Then each event is handled by one node only, and all of them are
    eventually("both nodes together handle 30 events", || first.seen().len() + second.seen().len() >= 30).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut handled: Vec<i64> = first.seen().iter().chain(second.seen().iter()).map(|e| e.position).collect();
    handled.sort();
    let logged: Vec<i64> = logged_events(&fixture).await.iter().map(|e| e.position).collect();
    assert_eq!(handled, logged);
    running_first.stop().await;
    running_second.stop().await;
    publisher.stop().await;
    fixture.stop().await;
}

#[tokio::test]
async fn a_reactor_keeps_getting_events_after_nats_restarts() {
    // Given a reactor that has handled the first meeting's events
    let (mut fixture, publisher, reactor, running) = start_with(RecordingReactor::accepting()).await;
    fixture.schedule_meetings(1).await;
    wait_until_seen(&reactor, 3).await;
    // When NATS restarts and more meetings are scheduled meanwhile and after
    fixture.nats_server.stop().await;
    fixture.schedule_meetings(1).await;
    fixture.nats_server.restart().await;
    fixture.schedule_meetings(1).await;
    // Then the reactor gets every event, in order
    wait_until_seen(&reactor, 9).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let seen: Vec<i64> = reactor.seen().iter().map(|e| e.position).collect();
    let logged: Vec<i64> = logged_events(&fixture).await.iter().map(|e| e.position).collect();
    assert_eq!(seen, logged);
    finish(fixture, publisher, running).await;
}

#[tokio::test]
async fn a_reactor_that_panics_has_the_event_dead_lettered_goes_on_and_gets_it_back_when_the_operator_replays_it() {
    // Given a reactor that panics on the first delivery of each rename (a bug, since fixed)
    let (fixture, publisher, reactor, running) = start_with(RecordingReactor::new(|event, times| {
        if event.event_type == "MeetingDetailsChanged" && times == 1 {
            panic!("a bug in the reactor");
        }
        Ok(())
    }))
    .await;
    // When two meetings are scheduled, moved and renamed
    fixture.schedule_meetings(2).await;
    wait_until_seen(&reactor, 6).await;
    // Then the renames are parked with the panic as the reason, and the runner went on
    // (the second meeting's events came after the first one's rename)
    let nats = fixture.nats_server.connect().await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let parked = loop {
        let parked = infrastructure::dead_letters::list(&nats, Some("recorder")).await.unwrap();
        if parked.len() >= 2 || tokio::time::Instant::now() > deadline {
            break parked;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(parked.len(), 2);
    for letter in &parked {
        assert!(letter.reason.contains("panicked: a bug in the reactor"), "{}", letter.reason);
        assert!(letter.original_subject.ends_with(".MeetingDetailsChanged"), "{}", letter.original_subject);
    }
    // When the operator replays them
    let replayed = infrastructure::dead_letters::replay(&nats, Some("recorder"), None).await.unwrap();
    assert_eq!(replayed.len(), 2);
    // Then each rename is handed to the reactor once more, and the dead letters are gone
    wait_until_seen(&reactor, 8).await;
    let renames: Vec<RecordedEvent> = reactor.seen().into_iter().filter(|e| e.event_type == "MeetingDetailsChanged").collect();
    assert_eq!(renames.len(), 4);
    for rename in &renames {
        assert_eq!(reactor.deliveries_of(rename), 2);
    }
    assert!(infrastructure::dead_letters::list(&nats, None).await.unwrap().is_empty());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(reactor.seen().len(), 8, "nothing more");
    finish(fixture, publisher, running).await;
}

#[tokio::test]
async fn an_outage_longer_than_the_attempts_loses_nothing_while_the_event_is_young_and_sends_it_once() {
    // Given a reactor whose push service is down for 2 s (3 attempts take ~0.3 s), and
    // events retried for an hour after they were recorded
    let outage_ends = std::time::Instant::now() + Duration::from_secs(2);
    let reactor = RecordingReactor::new(move |event, _| {
        if event.event_type == "MeetingRescheduled" && std::time::Instant::now() < outage_ends {
            Err(ReactorError::Retry(anyhow::anyhow!("push service unavailable")))
        } else {
            Ok(())
        }
    });
    let fixture = Fixture::start().await;
    let publisher = fixture.spawn_publisher().await;
    let options = ConsumerOptions { retry_horizon: Duration::from_secs(3600), ..quick_options() };
    let running = fixture.spawn_reactor(reactor.clone(), options).await;
    // When a meeting is scheduled, moved and renamed
    fixture.schedule_meetings(1).await;
    // Then the move is retried through the outage, done once after it, never parked, and
    // the rename waits for it (per-aggregate order)
    eventually("the rename is handled", || reactor.seen().iter().any(|e| e.event_type == "MeetingDetailsChanged")).await;
    let seen: Vec<String> = reactor.seen().iter().map(|e| e.event_type.clone()).collect();
    let moves = seen.iter().filter(|t| *t == "MeetingRescheduled").count();
    assert!(moves > 3, "retried beyond max_deliver: {seen:?}");
    assert_eq!(seen.last().map(String::as_str), Some("MeetingDetailsChanged"));
    assert!(dead_letters(&fixture.nats_server.connect().await).await.is_empty());
    finish(fixture, publisher, running).await;
}
