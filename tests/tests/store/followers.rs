//! Following the log and the projections' progress: what wakes a follower when the
//! notifications it listens for cannot come.

use projections::follow::{Leadership, LogFollower, Woken, STANDBY_RETRY};
use projections::global_log::LogCursor;
use projections::progress::ProjectionProgress;
use projections::wake::LogWake;
use projections::{Projection, Projector};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use veche_tests::cluster::TestDatabase;

/// Ends the sessions that last ran `LISTEN` (what a restarted PostgreSQL or a proxy's idle
/// timeout does to a listener).
async fn end_listening_sessions(pool: &sqlx::PgPool) -> i64 {
    sqlx::query_scalar(
        "select count(pg_terminate_backend(pid)) from pg_stat_activity \
         where datname = current_database() and query ilike 'listen%'",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_follower_whose_listener_connection_is_lost_looks_at_the_log_at_once() {
    let database = TestDatabase::create().await;
    let pool = database.pool(4).await;
    let mut follower = LogFollower::connect(&pool, &LogWake::new()).await.unwrap();
    let shutdown = CancellationToken::new();
    let waiting = tokio::spawn(async move { follower.wait(Duration::from_secs(600), &shutdown).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(end_listening_sessions(&pool).await, 1);

    // What was notified while the connection was gone is lost: only reading the log finds it.
    let woken = tokio::time::timeout(Duration::from_secs(10), waiting).await.expect("woken long before its poll");
    assert_eq!(woken.unwrap().unwrap(), Woken::Look);
    pool.close().await;
    database.drop_database().await;
}

#[tokio::test]
async fn every_nodes_progress_goes_back_at_once_when_a_projection_is_reset_for_a_rebuild() {
    let database = TestDatabase::create().await;
    let pool = database.pool(4).await;
    let projector = Projector::new(pool.clone());
    projector.ensure_checkpoints().await.unwrap();
    sqlx::query("update projection_checkpoint set transaction_id = 7, position = 3").execute(&pool).await.unwrap();
    let shutdown = CancellationToken::new();
    let progress = ProjectionProgress::follow(pool.clone(), shutdown.clone()).await.unwrap();
    let mut moves = progress.subscribe();
    assert_eq!(progress.current(), LogCursor::new(7, 3));

    projector.reset(Projection::Rooms).await.unwrap();
    let back = tokio::time::timeout(Duration::from_secs(2), moves.wait_for(|cursor| *cursor == LogCursor::default()))
        .await
        .is_ok_and(|seen| seen.is_ok());
    assert!(back, "progress still at {:?}", progress.current());

    // A lost listener re-reads where the projections are; only a change wakes a waiter.
    moves.mark_unchanged();
    assert_eq!(end_listening_sessions(&pool).await, 1);
    let woken = tokio::time::timeout(Duration::from_secs(1), moves.changed()).await;
    assert!(woken.is_err(), "woken although nothing moved");
    shutdown.cancel();
    pool.close().await;
    database.drop_database().await;
}

/// The sessions whose last statement tried for an advisory lock.
async fn lock_trying_sessions(pool: &sqlx::PgPool) -> Vec<i32> {
    sqlx::query_scalar(
        "select pid from pg_stat_activity where datname = current_database() \
         and pid <> pg_backend_pid() and query like '%pg_try_advisory_lock%' order by pid",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_stand_by_tries_for_the_lock_in_one_session_and_takes_it_when_the_leader_goes() {
    const KEY: i64 = 0x7465_7374;
    let database = TestDatabase::create().await;
    let pool = database.pool(4).await;
    let leader = Leadership::try_acquire(&pool, KEY).await.unwrap().expect("the lock is free");
    let shutdown = CancellationToken::new();
    let (standing_by, token) = (pool.clone(), shutdown.clone());
    let stand_by = tokio::spawn(async move { Leadership::acquire(&standing_by, KEY, &token).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let first = lock_trying_sessions(&pool).await;
    assert_eq!(first.len(), 2, "the leader's session and the stand-by's");

    // Two retries later the stand-by still uses the session it began with.
    tokio::time::sleep(STANDBY_RETRY * 2).await;
    assert_eq!(lock_trying_sessions(&pool).await, first);
    assert!(!stand_by.is_finished());

    leader.release().await;
    let taken = tokio::time::timeout(STANDBY_RETRY * 2, stand_by).await.expect("the stand-by takes over");
    assert!(taken.unwrap().unwrap().is_some());
    pool.close().await;
    database.drop_database().await;
}
