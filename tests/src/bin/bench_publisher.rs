//! Publisher throughput: how many events per second the outbox relay moves from the
//! PostgreSQL log to JetStream (file storage), acknowledged and checkpointed.
//!
//! `cargo run --release -p veche-tests --bin bench_publisher -- [--events N] [--batch B]`
//!
//! It starts a durable PostgreSQL cluster and a nats-server of its own, fills the log with
//! N events (copies of a real `MeetingScheduled`, each for its own meeting), starts a
//! publisher and measures the time until JetStream holds all N and the checkpoint has
//! reached the head. Then it appends live through the use cases while the publisher runs
//! and reports how far behind it stays.

use anyhow::bail;
use application::executor::Executor;
use application::meetings::{CommandMeta, Meetings};
use domain::meeting::MeetingCommand;
use domain::values::{Description, EmailAddress, Invitee, Reminders, Schedule, TimeZone, Title};
use domain::{Actor, RoomId};
use infrastructure::embedded_nats::{EmbeddedNats, EmbeddedNatsOptions};
use infrastructure::embedded_postgres::{EmbeddedPostgres, EmbeddedPostgresOptions};
use infrastructure::event_store::PgEventLog;
use infrastructure::nats::{Nats, EVENTS_STREAM};
use infrastructure::publisher::Publisher;
use projections::wake::LogWake;
use sqlx::PgPool;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// The NATS publisher's benchmark: figures, no assertions.
#[derive(clap::Parser)]
#[command(name = "bench_publisher")]
struct Args {
    /// Events in the log to publish.
    #[arg(long, default_value_t = 200_000, value_parser = clap::value_parser!(i64).range(1..=10_000_000))]
    events: i64,
    /// Events published per batch.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(i64).range(1..=10_000_000))]
    batch: i64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = <Args as clap::Parser>::parse();
    let dir = tempfile::Builder::new().prefix("veche-bench-publisher-").tempdir()?;
    let cluster =
        EmbeddedPostgres::start(EmbeddedPostgresOptions { data_dir: dir.path().join("pg"), port: None, durable: true }).await?;
    let nats_server = EmbeddedNats::start(EmbeddedNatsOptions { data_dir: dir.path().join("nats"), port: None }).await?;
    let result = run(&cluster, &nats_server, &args).await;
    nats_server.stop().await?;
    cluster.stop().await?;
    result
}

async fn run(cluster: &EmbeddedPostgres, nats_server: &EmbeddedNats, args: &Args) -> anyhow::Result<()> {
    let pool = infrastructure::database::connect(&cluster.database_url(), 16).await?;
    infrastructure::database::migrate(&pool).await?;
    let wake = LogWake::new();
    let log = PgEventLog::new(pool.clone(), wake.clone());
    let meetings = Meetings::new(Executor::new(log.meeting_store(), log));
    schedule_one(&meetings).await?;
    eprintln!("» filling the log with {} events", args.events);
    fill(&pool, args.events).await?;
    let head = projections::global_log::head(&pool).await?;

    let nats = Nats::connect(&nats_server.url()).await?;
    let shutdown = CancellationToken::new();
    let publisher =
        Publisher::new(pool.clone(), nats.clone(), "http://127.0.0.1:8080").with_wake(wake.clone()).with_batch_size(args.batch);
    eprintln!("» publishing");
    let started = Instant::now();
    let task = tokio::spawn(publisher.run(shutdown.clone()));
    wait_for_checkpoint(&pool, head).await?;
    let elapsed = started.elapsed();
    let stream = nats.jetstream().get_stream(EVENTS_STREAM).await?;
    let messages = stream.get_info().await?.state.messages;
    if messages as i64 != args.events + 1 {
        bail!("the stream holds {messages} messages, expected {}", args.events + 1);
    }
    let rate = messages as f64 / elapsed.as_secs_f64();

    eprintln!("» live: appending through the use cases for 5 s while publishing");
    let (appended, lag) = live(&pool, &meetings, Duration::from_secs(5)).await?;
    shutdown.cancel();
    task.await?;

    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    println!("| figure | measured |");
    println!("|---|---:|");
    println!(
        "| publisher catch-up, {} events, batch {}: events/s to JetStream (acked + checkpointed) | {:.0} |",
        messages, args.batch, rate
    );
    println!("| catch-up time | {:.2} s |", elapsed.as_secs_f64());
    println!("| live: events appended in 5 s through the use cases | {appended} |");
    println!("| live: publisher behind the head after the writers stop, then caught up in | {} ms |", lag.as_millis());
    println!("\n{cores} cores; PostgreSQL durable (fsync on); nats-server {} (file storage)", nats_version());
    Ok(())
}

async fn wait_for_checkpoint(pool: &PgPool, head: projections::global_log::LogCursor) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let checkpoint: Option<(i64, i64)> =
            sqlx::query_as("select transaction_id, position from publisher_checkpoint where stream = $1")
                .bind(EVENTS_STREAM)
                .fetch_optional(pool)
                .await?;
        let (transaction, position) = checkpoint.unwrap_or((0, 0));
        if projections::global_log::LogCursor::new(transaction, position) >= head {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("the publisher did not reach {head} in time");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn ann() -> anyhow::Result<Actor> {
    Ok(Actor { user_id: "user-ann".into(), email: EmailAddress::parse("ann@example.org")?, name: "Ann".into() })
}

async fn schedule_one<ES, L>(meetings: &Meetings<ES, L>) -> anyhow::Result<()>
where
    ES: application::cache::ResumableStore<domain::meeting::Meeting>,
    L: application::ports::EventLog,
{
    let start = chrono::NaiveDateTime::parse_from_str("2026-12-01T10:00", "%Y-%m-%dT%H:%M")?;
    let command = MeetingCommand::Schedule {
        meeting_id: application::meetings::new_meeting_id(),
        room_id: RoomId(uuid::Uuid::new_v4()),
        organizer: ann()?,
        title: Title::parse("Quarterly planning")?,
        description: Description::parse("Agenda: budget, hiring, the roadmap for next quarter")?,
        schedule: Schedule::parse(start, start + chrono::Duration::hours(1), TimeZone::parse("Europe/Berlin")?)?,
        attendees: ["bob", "carl", "dora"]
            .iter()
            .map(|name| Ok(Invitee { email: EmailAddress::parse(&format!("{name}@example.org"))?, name: None }))
            .collect::<anyhow::Result<_>>()?,
        reminders: Reminders::parse(&[10, 60])?,
    };
    meetings.schedule(command, None, CommandMeta::default()).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    Ok(())
}

/// Copies the first event `count` times, each for a meeting of its own, in chunks.
async fn fill(pool: &PgPool, count: i64) -> anyhow::Result<()> {
    const CHUNK: i64 = 50_000;
    let mut done = 0;
    while done < count {
        let chunk = CHUNK.min(count - done);
        sqlx::query(
            "insert into events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
             select e.aggregate_type, gen_random_uuid()::text, 1, e.event_type, e.event_version, e.payload, e.metadata \
             from events e cross join generate_series(1, $1) \
             where e.global_position = (select min(global_position) from events)",
        )
        .bind(chunk)
        .execute(pool)
        .await?;
        done += chunk;
    }
    Ok(())
}

/// Appends meetings through the use cases from 16 writers for `duration`; returns how
/// many events were appended and how long the publisher took to reach the head after.
async fn live<ES, L>(pool: &PgPool, meetings: &Meetings<ES, L>, duration: Duration) -> anyhow::Result<(usize, Duration)>
where
    ES: application::cache::ResumableStore<domain::meeting::Meeting>,
    L: application::ports::EventLog,
{
    let until = Instant::now() + duration;
    let writers = (0..16).map(|_| async {
        let mut appended = 0;
        while Instant::now() < until {
            schedule_one(meetings).await?;
            appended += 1;
        }
        anyhow::Ok(appended)
    });
    let appended: usize = futures::future::try_join_all(writers).await?.into_iter().sum();
    let stopped = Instant::now();
    wait_for_checkpoint(pool, projections::global_log::head(pool).await?).await?;
    Ok((appended, stopped.elapsed()))
}

fn nats_version() -> String {
    std::process::Command::new(infrastructure::embedded_nats::NATS_SERVER)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}
