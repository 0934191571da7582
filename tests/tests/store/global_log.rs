use projections::global_log::{read_after, LogCursor};
use sqlx::{Connection, PgConnection, PgPool};
use std::collections::BTreeSet;
use std::time::Duration;
use veche_tests::cluster::TestDatabase;

async fn append(conn: &mut PgConnection, aggregate_id: &str) -> i64 {
    sqlx::query_scalar(
        "insert into events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
         values ('Test', $1, 1, 'Happened', '1.0', '{}', '{}') returning global_position",
    )
    .bind(aggregate_id)
    .fetch_one(conn)
    .await
    .unwrap()
}

/// A fresh database, a pool for the reader, and two writers' connections.
async fn two_writers() -> (TestDatabase, PgPool, PgConnection, PgConnection) {
    let database = TestDatabase::create().await;
    let pool = database.pool(4).await;
    let a = PgConnection::connect(&database.url).await.unwrap();
    let b = PgConnection::connect(&database.url).await.unwrap();
    (database, pool, a, b)
}

/// 1. Transaction A appends and takes position 1, but has not committed.
/// 2. Transaction B appends, takes position 2, and commits.
/// 3. A reader must not return position 2 yet: had it advanced past 2, it would never
///    see position 1.
/// 4. A commits; the reader returns 1 then 2.
#[tokio::test]
async fn the_log_does_not_skip_an_event_whose_transaction_commits_later() {
    let (database, pool, mut a, mut b) = two_writers().await;

    let mut tx_a = a.begin().await.unwrap();
    let first = append(&mut tx_a, "a").await;
    let mut tx_b = b.begin().await.unwrap();
    let second = append(&mut tx_b, "b").await;
    tx_b.commit().await.unwrap();
    assert!(first < second);

    assert!(read_after(&pool, LogCursor::START, 100).await.unwrap().is_empty(), "B was read while A, older, was in flight");

    tx_a.commit().await.unwrap();
    // Other tests share the cluster and their transactions may hold the horizon back for
    // a moment, so wait until both are visible; whatever is visible on the way must be a
    // prefix of the log (never B without A).
    let read = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let batch: Vec<i64> = read_after(&pool, LogCursor::START, 100).await.unwrap().iter().map(|e| e.position).collect();
            assert_eq!(batch[..], [first, second][..batch.len()], "the visible log is not a prefix");
            if batch.len() == 2 {
                return batch;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await
    .expect("the events become visible");
    assert_eq!(read, vec![first, second]);
    pool.close().await;
    database.drop_database().await;
}

/// The events after `cursor` as soon as there are any (other tests' transactions in the
/// cluster may hold the horizon back for a moment).
async fn visible_after(pool: &PgPool, cursor: LogCursor) -> Vec<projections::global_log::RecordedEvent> {
    let read = async {
        loop {
            let events = read_after(pool, cursor, 100).await.unwrap();
            if !events.is_empty() {
                return events;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(30), read).await.expect("events become visible after the cursor")
}

/// 1. Transaction A takes its id (it writes something else first).
/// 2. Transaction B, younger, appends and takes position N.
/// 3. A appends and takes position N + 1, so the older transaction holds the higher
///    position, and commits while B is still in flight.
/// 4. A reader takes A's event (A is older than every running transaction) and moves its
///    cursor past it; once B commits, the reader still gets B's event at the lower
///    position. (A reader going by position alone had moved past N and lost it.)
#[tokio::test]
async fn an_event_at_a_lower_position_from_a_younger_transaction_is_not_skipped() {
    let (database, pool, mut a, mut b) = two_writers().await;

    let mut tx_a = a.begin().await.unwrap();
    sqlx::query("select pg_current_xact_id()").execute(&mut *tx_a).await.unwrap();
    let mut tx_b = b.begin().await.unwrap();
    let lower = append(&mut tx_b, "b").await;
    let higher = append(&mut tx_a, "a").await;
    assert!(lower < higher);
    tx_a.commit().await.unwrap();

    let first = visible_after(&pool, LogCursor::START).await.remove(0);
    assert_eq!(first.position, higher, "A's event comes first: its transaction is the older");
    tx_b.commit().await.unwrap();

    let rest = visible_after(&pool, first.cursor()).await;
    assert_eq!(rest.iter().map(|e| e.position).collect::<Vec<_>>(), vec![lower]);
    pool.close().await;
    database.drop_database().await;
}

/// Many writers commit after random delays, so positions become visible out of order,
/// while a reader follows the log from its cursor. The reader sees every event exactly
/// once, in the log's order (writing transaction, then position).
#[tokio::test]
async fn concurrent_writers_committing_out_of_order_are_all_read_once_in_order() {
    let database = TestDatabase::create().await;
    let pool = database.pool(20).await;
    const WRITERS: usize = 12;
    const EACH: usize = 25;

    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let url = database.url.clone();
            tokio::spawn(async move {
                let mut conn = PgConnection::connect(&url).await.unwrap();
                for i in 0..EACH {
                    let mut tx = conn.begin().await.unwrap();
                    append(&mut tx, &format!("w{w}-{i}")).await;
                    tokio::time::sleep(Duration::from_millis(rand::random::<u64>() % 7)).await;
                    tx.commit().await.unwrap();
                }
            })
        })
        .collect();

    let reader_pool: PgPool = pool.clone();
    let reader = tokio::spawn(async move {
        let mut checkpoint = LogCursor::START;
        let mut seen = Vec::new();
        while seen.len() < WRITERS * EACH {
            let batch = read_after(&reader_pool, checkpoint, 7).await.unwrap();
            for event in &batch {
                seen.push(event.position);
                checkpoint = event.cursor();
            }
            if batch.is_empty() {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
        seen
    });
    for writer in writers {
        writer.await.unwrap();
    }
    let seen = tokio::time::timeout(Duration::from_secs(60), reader).await.expect("the reader finishes").unwrap();

    let all: Vec<i64> = sqlx::query_scalar("select global_position from events order by transaction_id, global_position")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(seen, all, "the reader skipped, repeated or reordered events");
    assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), WRITERS * EACH);
    pool.close().await;
    database.drop_database().await;
}

fn serialized(aggregate_id: &str, sequence: usize, event_type: &str) -> cqrs_es::persist::SerializedEvent {
    cqrs_es::persist::SerializedEvent::new(
        aggregate_id.into(),
        sequence,
        "Meeting".into(),
        event_type.into(),
        "1.0".into(),
        serde_json::json!({ "sequence": sequence }),
        serde_json::json!({ "actor": "ann@example.org" }),
    )
}

/// The append of one command is one statement: all its events or none, in order in the
/// log, and a sequence taken meanwhile by another writer is an optimistic lock conflict.
#[tokio::test]
async fn a_commands_events_are_appended_together_in_order_or_not_at_all() {
    use cqrs_es::persist::{PersistedEventRepository, PersistenceError};
    use domain::meeting::Meeting;
    let database = TestDatabase::create().await;
    let pool = database.pool(4).await;
    let repository = infrastructure::event_store::EventRepository::new(pool.clone());

    let first =
        [serialized("m", 1, "MeetingScheduled"), serialized("m", 2, "AttendeeInvited"), serialized("m", 3, "AttendeeInvited")];
    repository.persist::<Meeting>(&first, None).await.unwrap();
    // Another writer decided on version 2 as well: its events 3 and 4 are refused whole.
    let late = [serialized("m", 3, "MeetingRescheduled"), serialized("m", 4, "MeetingRescheduled")];
    let conflict = repository.persist::<Meeting>(&late, None).await;
    assert!(matches!(conflict, Err(PersistenceError::OptimisticLockError)), "{conflict:?}");

    let stored = repository.get_events::<Meeting>("m").await.unwrap();
    let stored: Vec<(usize, &str)> = stored.iter().map(|e| (e.sequence, e.event_type.as_str())).collect();
    assert_eq!(stored, [(1, "MeetingScheduled"), (2, "AttendeeInvited"), (3, "AttendeeInvited")]);
    // Other tests' transactions in the cluster may hide the events for a moment.
    let log = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let log = read_after(&pool, LogCursor::START, 100).await.unwrap();
            if log.len() == 3 {
                return log;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await
    .expect("the events become visible");
    let positions: Vec<i64> = log.iter().map(|e| e.position).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]) && log.iter().map(|e| e.sequence).eq([1, 2, 3]));
    assert_eq!(log[1].metadata["actor"], "ann@example.org");
    pool.close().await;
    database.drop_database().await;
}
