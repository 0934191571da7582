//! The executor's aggregate cache: two nodes (two executors, each with its own cache) over
//! one store decide every command as one executor without a cache would.

use crate::projections::{command, meeting_id, person, schedule, step, Step};
use application::executor::{CommandError, Executor};
use application::meetings::{CommandMeta, Meetings};
use domain::meeting::{Meeting, MeetingCommand, MeetingError};
use domain::MeetingId;
use infrastructure::event_store::{MeetingStore, PgEventLog};
use proptest::prelude::*;
use sqlx::PgPool;
use veche_tests::cluster::TestDatabase;

type Node = Meetings<MeetingStore, PgEventLog>;

fn node(pool: &PgPool, cached: usize) -> Node {
    let log = PgEventLog::new(pool.clone(), projections::wake::LogWake::new());
    Meetings::new(Executor::with_cache(log.meeting_store(), log, cached))
}

/// What a step came to, as text: the version reached and the events recorded, or the error.
async fn run(node: &Node, step: &Step, expected_version: Option<u64>) -> Option<String> {
    let (id, command) = command(step)?;
    let meta = CommandMeta { expected_version, ..CommandMeta::default() };
    Some(match command {
        command @ MeetingCommand::Schedule { .. } => match node.schedule(command, None, meta).await {
            Ok(s) => format!("ok v{} {:?}", s.outcome.aggregate.version(), s.outcome.event_types),
            Err(e) => format!("error {e:?}"),
        },
        command => match node.execute(id, command, meta).await {
            Ok(o) => format!("ok v{} {:?}", o.aggregate.version(), o.event_types),
            Err(e) => format!("error {e:?}"),
        },
    })
}

/// The meeting as the store holds it, replayed from its events.
async fn stored(node: &Node, id: MeetingId) -> Meeting {
    let mut context = cqrs_es::EventStore::<Meeting>::load_aggregate(node.executor().store(), &id.to_string()).await.unwrap();
    cqrs_es::AggregateContext::aggregate(&mut context).clone()
}

/// Every event in the store, without the columns the clock and the database fill in.
async fn events(pool: &PgPool) -> Vec<(String, i64, String, serde_json::Value)> {
    sqlx::query_as("select aggregate_id, sequence, event_type, payload from events order by aggregate_id, sequence")
        .fetch_all(pool)
        .await
        .unwrap()
}

struct TwoNodes {
    database: TestDatabase,
    pool: PgPool,
    a: Node,
    b: Node,
}

impl TwoNodes {
    async fn start() -> Self {
        let database = TestDatabase::create().await;
        let pool = database.pool(4).await;
        let (a, b) = (node(&pool, 100), node(&pool, 100));
        Self { database, pool, a, b }
    }

    /// Given: Ann schedules on node a (version 1), renames it on node b (version 2).
    async fn renamed_on_b_after_a_scheduled() -> Self {
        let nodes = Self::start().await;
        run(&nodes.a, &scheduled_by_ann(), None).await;
        run(&nodes.b, &Step::Rename { meeting: 0, actor: ANN, title: 1 }, Some(1)).await;
        nodes
    }

    async fn stop(self) {
        self.pool.close().await;
        self.database.drop_database().await;
    }
}

const ANN: usize = 0;
const BOB: usize = 1;
const DORA: usize = 3;

fn scheduled_by_ann() -> Step {
    Step::Schedule { meeting: 0, organizer: ANN, attendees: vec![BOB], day: 7 }
}

#[tokio::test]
async fn a_change_back_to_what_this_node_last_saw_is_recorded_after_another_node_changed_it() {
    let nodes = TwoNodes::start().await;
    run(&nodes.a, &scheduled_by_ann(), None).await;
    run(&nodes.b, &Step::Reschedule { meeting: 0, actor: ANN, day: 8, hour: 11 }, None).await;

    // Node a's copy still says the 7th at 9:00, where this moves the meeting back to.
    let outcome = run(&nodes.a, &Step::Reschedule { meeting: 0, actor: ANN, day: 7, hour: 9 }, None).await;

    assert_eq!(outcome.as_deref(), Some("ok v3 [\"MeetingRescheduled\"]"));
    assert_eq!(stored(&nodes.a, meeting_id(0)).await.state().unwrap().schedule, schedule(7, 9));
    nodes.stop().await;
}

#[tokio::test]
async fn an_if_match_of_the_current_version_is_accepted_by_a_node_that_saw_an_older_one() {
    let nodes = TwoNodes::renamed_on_b_after_a_scheduled().await;

    let outcome = run(&nodes.a, &Step::Rename { meeting: 0, actor: ANN, title: 2 }, Some(2)).await;

    assert_eq!(outcome.as_deref(), Some("ok v3 [\"MeetingDetailsChanged\"]"));
    nodes.stop().await;
}

#[tokio::test]
async fn an_if_match_of_the_version_this_node_last_saw_is_refused_once_another_node_moved_on() {
    let nodes = TwoNodes::renamed_on_b_after_a_scheduled().await;

    let (id, rename) = command(&Step::Rename { meeting: 0, actor: ANN, title: 2 }).unwrap();
    let meta = CommandMeta { expected_version: Some(1), ..CommandMeta::default() };
    let refused = nodes.a.execute(id, rename, meta).await.unwrap_err();

    assert!(matches!(refused, CommandError::VersionMismatch { expected: 1, actual: 2 }), "{refused:?}");
    nodes.stop().await;
}

#[tokio::test]
async fn a_command_this_node_would_refuse_on_its_old_copy_is_decided_on_the_stored_state() {
    let nodes = TwoNodes::start().await;
    run(&nodes.a, &scheduled_by_ann(), None).await;
    let (id, invite) = command(&Step::Invite { meeting: 0, actor: ANN, who: DORA }).unwrap();
    nodes.b.execute(id, invite, CommandMeta::default()).await.unwrap();

    // Dora is not on node a's copy: there, removing her would be refused as not invited.
    let remove = MeetingCommand::RemoveAttendee { actor: person(ANN), email: person(DORA).email };
    let outcome = nodes.a.execute(id, remove, CommandMeta::default()).await.unwrap();

    assert_eq!(outcome.aggregate.version(), 3);
    assert!(!outcome.aggregate.state().unwrap().attendees.iter().any(|a| a.email == person(DORA).email));
    nodes.stop().await;
}

#[tokio::test]
async fn scheduling_a_new_id_that_exists_after_all_is_refused_as_already_scheduled() {
    let nodes = TwoNodes::start().await;
    run(&nodes.a, &scheduled_by_ann(), None).await;

    // `schedule` without a key takes the id as new and decides without loading.
    let (_, again) = command(&Step::Schedule { meeting: 0, organizer: BOB, attendees: vec![], day: 9 }).unwrap();
    let refused = nodes.b.schedule(again, None, CommandMeta::default()).await.unwrap_err();

    assert!(
        matches!(refused, application::meetings::ScheduleError::Command(CommandError::Rejected(MeetingError::AlreadyScheduled))),
        "{refused:?}"
    );
    nodes.stop().await;
}

async fn two_cached_nodes_decide_as_one_without_a_cache(steps: Vec<(Step, bool, bool)>) {
    let (reference_db, nodes) = (TestDatabase::create().await, TwoNodes::start().await);
    let reference_pool = reference_db.pool(4).await;
    let reference = node(&reference_pool, 0);
    for (step, on_b, with_if_match) in &steps {
        let node = if *on_b { &nodes.b } else { &nodes.a };
        // The If-Match a client would send: the version the store holds now.
        let version = match (with_if_match, command(step)) {
            (true, Some((id, _))) => Some(stored(&reference, id).await.version()),
            _ => None,
        };
        let expected = run(&reference, step, version).await;
        let actual = run(node, step, version).await;
        assert_eq!(actual, expected, "{step:?} on node {}", if *on_b { "b" } else { "a" });
    }
    assert_eq!(events(&nodes.pool).await, events(&reference_pool).await);
    reference_pool.close().await;
    reference_db.drop_database().await;
    nodes.stop().await;
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    /// Random commands on two nodes, each keeping the meetings it last changed, decide
    /// and record exactly what one node that loads every meeting from the store does.
    #[test]
    fn two_nodes_with_caches_decide_every_command_as_one_node_without_a_cache(
        steps in prop::collection::vec((step(), any::<bool>(), any::<bool>()), 1..40)
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(two_cached_nodes_decide_as_one_without_a_cache(steps));
    }
}
