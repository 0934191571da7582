//! The veche benchmark: figures, no assertions.
//!
//! ```text
//! cargo run --release -p veche-tests --bin bench -- [--events 1000000] [--seconds 10] [--users 10000]
//! ```
//!
//! It starts one durable PostgreSQL cluster (fsync and synchronous_commit on) in a
//! temporary directory, with one database per phase, and stops it at the end (also on an
//! error or Ctrl-C):
//!
//! 1. **Raw append**: postgres-es directly (load, commit `MeetingScheduled`, load, commit
//!    `MeetingRescheduled`) at 1, 8 and 64 clients: the ceiling of the write path.
//! 2. **HTTP API**: `POST /api/meetings` then `PUT /api/meetings/{id}/schedule` at 1, 8
//!    and 64 clients, with the projector running; at 64 clients also the projection lag
//!    (command acknowledged → every projection has passed its position).
//! 3. **Week query at scale**: `--events` `MeetingScheduled` events bulk-inserted with
//!    SQL, projected from zero, then `GET /api/calendar` for one week of a random person,
//!    and the same query straight through SQL.
//!
//! Progress goes to stderr, the Markdown report to stdout.

use anyhow::{anyhow, bail, Context};
use api::server::RunningServer;
use application::meetings::metadata;
use chrono::{DateTime, Duration as ChronoDuration, NaiveDate, NaiveDateTime, Utc};
use cqrs_es::EventStore;
use domain::meeting::{MeetingEvent, Organizer};
use domain::values::{Description, EmailAddress, Invitee, Reminders, Schedule, TimeZone, Title};
use domain::{MeetingId, RoomId};
use infrastructure::embedded_postgres::{EmbeddedPostgres, EmbeddedPostgresOptions};
use projections::progress::ProjectionProgress;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use sqlx::{Connection, PgConnection, PgPool};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use uuid::Uuid;
use veche_tests::cpu::{CpuMeter, CpuSpent, Party};
use veche_tests::stats::Percentiles;

const CLIENT_LEVELS: [usize; 3] = [1, 8, 64];
const TIME_ZONE: &str = "Europe/Berlin";
/// Monday of the first ISO week of 2027; the bulk data covers 52 weeks from it.
const FIRST_MONDAY: (i32, u32, u32) = (2027, 1, 4);
const WEEKS: i64 = 52;
const TEAM_SIZE: u32 = 20;
const INSERT_CHUNK: usize = 50_000;
const WEEK_QUERIES: usize = 2_000;
const WEEK_QUERY_CLIENTS: usize = 8;
const LAG_TIMEOUT: Duration = Duration::from_secs(5);

// Targets, for comparison only.
const TARGET_SCHEDULED_PER_S: f64 = 1_500.0;
const TARGET_API_SHARE_OF_RAW: f64 = 50.0;
const TARGET_LAG_P99_MS: f64 = 100.0;
const TARGET_WEEK_P99_MS: f64 = 10.0;

// ---------------------------------------------------------------------------------------
// Arguments

/// The calendar benchmark: figures, no assertions.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "bench")]
struct Args {
    /// Events in the store for the week query.
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    events: usize,
    /// Seconds of each load level.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    seconds: u64,
    /// People in the store (an organizer and three attendees at least).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(4..))]
    users: u32,
}

// ---------------------------------------------------------------------------------------
// Results

struct Machine {
    cpus: usize,
    kernel: String,
    postgres: String,
}

struct RawLevel {
    clients: usize,
    elapsed: Duration,
    meetings: u64,
    events: u64,
    errors: u64,
}

impl RawLevel {
    fn events_per_s(&self) -> f64 {
        self.events as f64 / self.elapsed.as_secs_f64()
    }
    fn meetings_per_s(&self) -> f64 {
        self.meetings as f64 / self.elapsed.as_secs_f64()
    }
}

struct HttpLevel {
    clients: usize,
    elapsed: Duration,
    commands: u64,
    scheduled: u64,
    errors: u64,
    latency: Option<Percentiles>,
    cpu: Option<CpuSpent>,
}

impl HttpLevel {
    fn commands_per_s(&self) -> f64 {
        self.commands as f64 / self.elapsed.as_secs_f64()
    }
    fn scheduled_per_s(&self) -> f64 {
        self.scheduled as f64 / self.elapsed.as_secs_f64()
    }
}

struct LagStats {
    measured: usize,
    timeouts: usize,
    latency: Option<Percentiles>,
}

struct WeekResult {
    events: usize,
    users: u32,
    insert: Duration,
    projector: Duration,
    calendar_rows: i64,
    http: Option<Percentiles>,
    http_errors: usize,
    http_mean_meetings: f64,
    sql: Option<Percentiles>,
    sql_errors: usize,
    sql_mean_meetings: f64,
}

#[derive(Default)]
struct Report {
    machine: Option<Machine>,
    raw: Vec<RawLevel>,
    http: Vec<HttpLevel>,
    lag: Option<LagStats>,
    week: Option<WeekResult>,
    errors: Vec<String>,
}

// ---------------------------------------------------------------------------------------
// Main

#[tokio::main]
async fn main() -> ExitCode {
    let args = <Args as clap::Parser>::parse();
    match bench(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bench failed: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn bench(args: Args) -> anyhow::Result<()> {
    let dir = tempfile::Builder::new().prefix("veche-bench-").tempdir().context("creating a temp dir")?;
    {
        use std::os::unix::fs::PermissionsExt;
        // The server runs as `postgres` when we are root, and must be able to enter it.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))?;
    }
    eprintln!("» starting a durable PostgreSQL cluster under {}", dir.path().display());
    let cluster =
        EmbeddedPostgres::start(EmbeddedPostgresOptions { data_dir: dir.path().to_path_buf(), port: None, durable: true })
            .await
            .context("starting PostgreSQL")?;
    eprintln!("» PostgreSQL listens on 127.0.0.1:{}", cluster.port());

    let mut report = Report::default();
    let outcome = tokio::select! {
        result = run(&cluster, &args, &mut report) => result,
        _ = tokio::signal::ctrl_c() => Err(anyhow!("interrupted")),
    };
    if let Err(error) = &outcome {
        report.errors.push(format!("{error:#}"));
    }
    eprintln!("» stopping PostgreSQL");
    let stopped = cluster.stop().await;
    if let Err(error) = dir.close() {
        eprintln!("could not remove the temp dir: {error}");
    }
    print!("{}", render(&report, &args));
    outcome?;
    stopped.context("stopping PostgreSQL")
}

async fn run(cluster: &EmbeddedPostgres, args: &Args, report: &mut Report) -> anyhow::Result<()> {
    report.machine = Some(machine(cluster).await?);
    raw_phase(cluster, args, report).await.context("phase 1 (raw append)")?;
    http_phase(cluster, args, report).await.context("phase 2 (HTTP API)")?;
    week_phase(cluster, args, report).await.context("phase 3 (week query)")?;
    Ok(())
}

async fn machine(cluster: &EmbeddedPostgres) -> anyhow::Result<Machine> {
    let mut conn = PgConnection::connect(&cluster.database_url()).await?;
    let postgres: String = sqlx::query_scalar("select version()").fetch_one(&mut conn).await?;
    let _ = conn.close().await;
    Ok(Machine {
        cpus: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim().to_string(),
        postgres,
    })
}

/// Creates database `name` on the cluster and returns its URL.
async fn create_database(cluster: &EmbeddedPostgres, name: &str) -> anyhow::Result<String> {
    let mut admin = PgConnection::connect(&cluster.database_url()).await?;
    sqlx::query(&format!("create database {name}")).execute(&mut admin).await?;
    let _ = admin.close().await;
    Ok(cluster.url_for_database(name))
}

/// A new database with the migrations applied, and a pool on it.
async fn fresh_database(cluster: &EmbeddedPostgres, name: &str, connections: u32) -> anyhow::Result<(String, PgPool)> {
    let url = create_database(cluster, name).await?;
    let pool = infrastructure::database::connect(&url, connections).await?;
    infrastructure::database::migrate(&pool).await?;
    Ok((url, pool))
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

// ---------------------------------------------------------------------------------------
// Shared generators

fn local_fmt(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// A random working-hours slot on a random day of 2027 (08:00 to 18:00, 30 or 60 minutes),
/// which never falls into a DST gap.
fn random_slot(rng: &mut StdRng) -> (NaiveDateTime, NaiveDateTime) {
    let day = NaiveDate::from_yo_opt(2027, rng.gen_range(1..=365)).expect("a day of 2027");
    let start = day.and_hms_opt(rng.gen_range(8..17), if rng.gen_bool(0.5) { 0 } else { 30 }, 0).unwrap();
    let minutes = if rng.gen_bool(0.5) { 30 } else { 60 };
    (start, start + ChronoDuration::minutes(minutes))
}

fn email(address: &str) -> EmailAddress {
    EmailAddress::parse(address).expect("a valid email address")
}

// ---------------------------------------------------------------------------------------
// Phase 1: raw append with postgres-es

async fn raw_phase(cluster: &EmbeddedPostgres, args: &Args, report: &mut Report) -> anyhow::Result<()> {
    eprintln!("» phase 1: raw append through postgres-es");
    let (_, pool) = fresh_database(cluster, "bench_raw", 70).await?;
    let store = Arc::new(infrastructure::event_store::meeting_store(pool.clone()));
    let zone = TimeZone::parse(TIME_ZONE).unwrap();
    let title = Title::parse("Planning").unwrap();
    let description = Description::parse("Agenda: next quarter").unwrap();
    for clients in CLIENT_LEVELS {
        let started = Instant::now();
        let deadline = started + Duration::from_secs(args.seconds);
        let mut workers = Vec::new();
        for i in 0..clients {
            let store = store.clone();
            let (title, description) = (title.clone(), description.clone());
            workers.push(tokio::spawn(async move {
                let mut rng = StdRng::from_entropy();
                let organizer = Organizer {
                    user_id: format!("user-r{i}"),
                    email: email(&format!("r{i}@example.org")),
                    name: format!("r{i}"),
                };
                let attendees = vec![
                    Invitee { email: email(&format!("r{}@example.org", i + 1)), name: None },
                    Invitee { email: email(&format!("r{}@example.org", i + 2)), name: None },
                ];
                let actor_metadata = |command: &str| {
                    HashMap::from([
                        (metadata::ACTOR_ID.to_string(), organizer.user_id.clone()),
                        (metadata::ACTOR_EMAIL.to_string(), organizer.email.to_string()),
                        (metadata::ACTOR_NAME.to_string(), organizer.name.clone()),
                        (metadata::COMMAND.to_string(), command.to_string()),
                        (metadata::REQUEST_ID.to_string(), Uuid::new_v4().to_string()),
                    ])
                };
                let (mut meetings, mut events, mut errors) = (0u64, 0u64, 0u64);
                let mut first_error: Option<String> = None;
                while Instant::now() < deadline {
                    let (start, end) = random_slot(&mut rng);
                    let schedule = Schedule::parse(start, end, zone).expect("a valid schedule");
                    let moved = Schedule::parse(start + ChronoDuration::hours(1), end + ChronoDuration::hours(1), zone)
                        .expect("a valid schedule");
                    let id = Uuid::now_v7();
                    let aggregate_id = id.to_string();
                    let scheduled = MeetingEvent::MeetingScheduled {
                        meeting_id: MeetingId(id),
                        room_id: RoomId(Uuid::now_v7()),
                        organizer: organizer.clone(),
                        title: title.clone(),
                        description: description.clone(),
                        schedule,
                        attendees: attendees.clone(),
                        reminders: Reminders::default(),
                    };
                    let rescheduled = MeetingEvent::MeetingRescheduled { schedule: moved, ical_sequence: 1 };
                    let result: Result<(), String> = async {
                        let context = store.load_aggregate(&aggregate_id).await.map_err(|e| e.to_string())?;
                        store.commit(vec![scheduled], context, actor_metadata("schedule")).await.map_err(|e| e.to_string())?;
                        events += 1;
                        meetings += 1;
                        let context = store.load_aggregate(&aggregate_id).await.map_err(|e| e.to_string())?;
                        store
                            .commit(vec![rescheduled], context, actor_metadata("reschedule"))
                            .await
                            .map_err(|e| e.to_string())?;
                        events += 1;
                        Ok(())
                    }
                    .await;
                    if let Err(error) = result {
                        errors += 1;
                        first_error.get_or_insert(error);
                    }
                }
                (meetings, events, errors, first_error)
            }));
        }
        let (mut meetings, mut events, mut errors) = (0, 0, 0);
        let mut first_error = None;
        for worker in workers {
            let (m, e, x, f) = worker.await?;
            meetings += m;
            events += e;
            errors += x;
            if first_error.is_none() {
                first_error = f;
            }
        }
        let level = RawLevel { clients, elapsed: started.elapsed(), meetings, events, errors };
        eprintln!(
            "  {clients:>2} clients: {:.0} events/s, {:.0} meetings/s, {errors} errors",
            level.events_per_s(),
            level.meetings_per_s()
        );
        if let Some(error) = first_error {
            eprintln!("  first error: {error}");
            report.errors.push(format!("raw append, {clients} clients: {error}"));
        }
        report.raw.push(level);
    }
    pool.close().await;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Phase 2: the HTTP API

/// The name of veche's runtime threads, by which the CPU meter tells them from the clients'.
const VECHE_THREAD_NAME: &str = "veche";

/// veche on a runtime of its own, as `veche serve` runs it (its pool size is the default's,
/// `VECHE_DB_MAX_CONNECTIONS`): the load clients' tasks do not queue on veche's workers,
/// nor veche's on theirs, as with clients in other processes. Both share the cores.
struct IsolatedServer {
    runtime: tokio::runtime::Runtime,
    server: RunningServer,
}

impl IsolatedServer {
    async fn start(mut settings: api::settings::Settings) -> anyhow::Result<Self> {
        settings.db_max_connections = api::settings::default_db_max_connections();
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().thread_name(VECHE_THREAD_NAME).build()?;
        let server = runtime.spawn(api::server::start(settings)).await?.context("starting veche")?;
        Ok(Self { runtime, server })
    }

    async fn stop(self) -> anyhow::Result<()> {
        self.runtime.spawn(self.server.stop()).await?.context("stopping veche")?;
        self.runtime.shutdown_background();
        Ok(())
    }
}

async fn http_phase(cluster: &EmbeddedPostgres, args: &Args, report: &mut Report) -> anyhow::Result<()> {
    eprintln!("» phase 2: HTTP API (schedule + reschedule)");
    let url = create_database(cluster, "bench_http").await?;
    let mut settings = veche_tests::app::test_settings(&url);
    settings.max_concurrent_requests = 4096;
    let server = IsolatedServer::start(settings).await?;
    let meter = cpu_meter(cluster);
    let result = http_levels(&server.server, &meter, args, report).await;
    server.stop().await?;
    result
}

struct HttpWorkerStats {
    commands: u64,
    scheduled: u64,
    errors: u64,
    latencies_ms: Vec<f64>,
    max_position: i64,
    first_error: Option<String>,
}

/// Where the cores go during the HTTP phase: veche's runtime, the load clients (every other
/// thread of this process) and PostgreSQL.
fn cpu_meter(cluster: &EmbeddedPostgres) -> CpuMeter {
    let mut parties = vec![("veche", Party::ThreadsNamed(VECHE_THREAD_NAME)), ("load clients", Party::OtherThreads)];
    if let Some(postmaster) = cluster.pid() {
        parties.push(("PostgreSQL", Party::ProcessTree(postmaster)));
    }
    CpuMeter::new(parties)
}

/// What a worker needs to measure the projection lag of its commands.
#[derive(Clone)]
struct LagProbe {
    progress: ProjectionProgress,
    pool: PgPool,
    sender: mpsc::UnboundedSender<Option<f64>>,
}

async fn http_levels(server: &RunningServer, meter: &CpuMeter, args: &Args, report: &mut Report) -> anyhow::Result<()> {
    let base = format!("http://{}", server.addr);
    let client =
        reqwest::Client::builder().pool_max_idle_per_host(1024).tcp_nodelay(true).timeout(Duration::from_secs(30)).build()?;
    let progress = server.state.progress.clone();
    let mut max_position = 0i64;
    for clients in CLIENT_LEVELS {
        // Start each level with the projections caught up with the previous one.
        let head = projections::global_log::head(&server.state.pool).await?;
        if max_position > 0 && !progress.wait_for(head, Duration::from_secs(120)).await {
            eprintln!("  (the projections did not catch up with position {max_position} within 120 s)");
        }
        let measure_lag = clients == *CLIENT_LEVELS.last().unwrap();
        let (lag_sender, mut lag_receiver) = mpsc::unbounded_channel::<Option<f64>>();
        let started = Instant::now();
        let cpu_before = meter.sample();
        let deadline = started + Duration::from_secs(args.seconds);
        let mut workers = Vec::new();
        for i in 0..clients {
            let (client, base) = (client.clone(), base.clone());
            let lag = measure_lag.then(|| LagProbe {
                progress: progress.clone(),
                pool: server.state.pool.clone(),
                sender: lag_sender.clone(),
            });
            workers.push(tokio::spawn(http_worker(client, base, i, deadline, lag)));
        }
        drop(lag_sender);
        let mut level =
            HttpLevel { clients, elapsed: Duration::ZERO, commands: 0, scheduled: 0, errors: 0, latency: None, cpu: None };
        let mut latencies = Vec::new();
        let mut first_error = None;
        for worker in workers {
            let stats = worker.await?;
            level.commands += stats.commands;
            level.scheduled += stats.scheduled;
            level.errors += stats.errors;
            latencies.extend(stats.latencies_ms);
            max_position = max_position.max(stats.max_position);
            if first_error.is_none() {
                first_error = stats.first_error;
            }
        }
        level.elapsed = started.elapsed();
        let cpu = meter.since(&cpu_before);
        level.latency = Percentiles::of(latencies);
        let raw = report.raw.iter().find(|r| r.clients == clients).map(|r| r.events_per_s());
        eprintln!(
            "  {clients:>2} clients: {:.0} commands/s, {:.0} scheduled/s, {} errors, {}{}",
            level.commands_per_s(),
            level.scheduled_per_s(),
            level.errors,
            level.latency.map(|l| format!("p50 {:.2} ms, p99 {:.2} ms", l.p50, l.p99)).unwrap_or_default(),
            raw.map(|raw| format!(", {:.0} % of raw", 100.0 * level.commands_per_s() / raw)).unwrap_or_default(),
        );
        eprintln!("  CPU per command: {}", cpu.per_unit_us(level.commands));
        level.cpu = Some(cpu);
        if let Some(error) = first_error {
            eprintln!("  first error: {error}");
            report.errors.push(format!("HTTP, {clients} clients: {error}"));
        }
        report.http.push(level);
        if measure_lag {
            let mut lags = Vec::new();
            let mut timeouts = 0;
            while let Some(lag) = lag_receiver.recv().await {
                match lag {
                    Some(ms) => lags.push(ms),
                    None => timeouts += 1,
                }
            }
            let stats = LagStats { measured: lags.len() + timeouts, timeouts, latency: Percentiles::of(lags) };
            eprintln!(
                "  projection lag over {} commands: {}, {} timeouts (> {} s)",
                stats.measured,
                stats
                    .latency
                    .map(|l| format!("p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms", l.p50, l.p99, l.max))
                    .unwrap_or_else(|| "none measured".into()),
                stats.timeouts,
                LAG_TIMEOUT.as_secs()
            );
            report.lag = Some(stats);
        }
    }
    Ok(())
}

async fn http_worker(
    client: reqwest::Client,
    base: String,
    i: usize,
    deadline: Instant,
    lag: Option<LagProbe>,
) -> HttpWorkerStats {
    let mut rng = StdRng::from_entropy();
    let organizer = veche_tests::app::user(&format!("u{i}"));
    let attendees = [format!("u{}@example.org", i + 1), format!("u{}@example.org", i + 2)];
    let mut stats =
        HttpWorkerStats { commands: 0, scheduled: 0, errors: 0, latencies_ms: Vec::new(), max_position: 0, first_error: None };
    // Sends one command; returns the body of a 2xx answer.
    async fn send(request: reqwest::RequestBuilder, stats: &mut HttpWorkerStats, lag: &Option<LagProbe>) -> Option<Value> {
        let sent = Instant::now();
        let response = request.send().await;
        let outcome = match response {
            Ok(response) => {
                let status = response.status();
                match response.bytes().await {
                    Ok(bytes) if status.is_success() => Ok(bytes),
                    Ok(bytes) => Err(format!("{status}: {}", String::from_utf8_lossy(&bytes))),
                    Err(error) => Err(format!("{status}, reading the body: {error}")),
                }
            }
            Err(error) => Err(format!("{error}")),
        };
        let acknowledged = Instant::now();
        stats.latencies_ms.push(ms(acknowledged - sent));
        match outcome {
            Ok(bytes) => {
                stats.commands += 1;
                let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                if let Some(position) = body["position"].as_i64() {
                    stats.max_position = stats.max_position.max(position);
                    if let Some(probe) = lag {
                        let probe = probe.clone();
                        tokio::spawn(async move {
                            // As a read with `after_position` does: find the event's place
                            // in the log, then wait for the projections to pass it.
                            let reached = probe.progress.wait_for_position(&probe.pool, position, LAG_TIMEOUT).await;
                            let _ = probe.sender.send(reached.unwrap_or(false).then(|| ms(acknowledged.elapsed())));
                        });
                    }
                }
                Some(body)
            }
            Err(error) => {
                stats.errors += 1;
                stats.first_error.get_or_insert(error);
                None
            }
        }
    }
    while Instant::now() < deadline {
        let (start, end) = random_slot(&mut rng);
        let body = json!({
            "title": "Planning",
            "description": "Agenda: next quarter",
            "start": local_fmt(start),
            "end": local_fmt(end),
            "time_zone": TIME_ZONE,
            "attendees": [{"email": attendees[0]}, {"email": attendees[1]}],
        });
        let request = client.post(format!("{base}/api/meetings")).bearer_auth(&organizer.token).json(&body);
        let Some(created) = send(request, &mut stats, &lag).await else { continue };
        stats.scheduled += 1;
        let Some(id) = created["meeting"]["id"].as_str().map(str::to_string) else {
            stats.errors += 1;
            stats.first_error.get_or_insert(format!("no meeting id in {created}"));
            continue;
        };
        let moved = json!({
            "start": local_fmt(start + ChronoDuration::hours(1)),
            "end": local_fmt(end + ChronoDuration::hours(1)),
            "time_zone": TIME_ZONE,
        });
        let request = client.put(format!("{base}/api/meetings/{id}/schedule")).bearer_auth(&organizer.token).json(&moved);
        send(request, &mut stats, &lag).await;
    }
    stats
}

// ---------------------------------------------------------------------------------------
// Phase 3: the week query over many events

fn first_monday() -> NaiveDate {
    NaiveDate::from_ymd_opt(FIRST_MONDAY.0, FIRST_MONDAY.1, FIRST_MONDAY.2).unwrap()
}

/// Columns of one chunk of generated meetings.
#[derive(Default)]
struct Chunk {
    ids: Vec<Uuid>,
    rooms: Vec<Uuid>,
    organizers: Vec<i32>,
    attendees: [Vec<i32>; 3],
    starts: Vec<NaiveDateTime>,
    minutes: Vec<i32>,
}

/// Users are grouped in teams; a meeting's organizer is a random user, two attendees are
/// colleagues from the same team, the third one too, or (one time in five) someone from
/// another team. Meetings fall on weekdays of 52 weeks of 2027, 08:00–18:30 Berlin time.
fn generate_chunk(rng: &mut StdRng, count: usize, users: u32) -> Chunk {
    let team_size = TEAM_SIZE.min(users);
    let teams = users / team_size;
    let population = teams * team_size;
    let monday = first_monday();
    let mut chunk = Chunk::default();
    for _ in 0..count {
        let organizer = rng.gen_range(0..population);
        let team = organizer / team_size;
        let offset = organizer % team_size;
        let picks = rand::seq::index::sample(rng, (team_size - 1) as usize, 3);
        let colleague = |pick: usize| team * team_size + (offset + 1 + pick as u32) % team_size;
        let mut invited = [colleague(picks.index(0)), colleague(picks.index(1)), colleague(picks.index(2))];
        if teams > 1 && rng.gen_bool(0.2) {
            let other = (team + rng.gen_range(1..teams)) % teams;
            invited[2] = other * team_size + rng.gen_range(0..team_size);
        }
        let day = monday + ChronoDuration::days(7 * rng.gen_range(0..WEEKS) + rng.gen_range(0..5));
        let slot = rng.gen_range(0..20i64); // half hours from 08:00
        let start = day.and_hms_opt(8, 0, 0).unwrap() + ChronoDuration::minutes(30 * slot);
        chunk.ids.push(Uuid::now_v7());
        chunk.rooms.push(Uuid::now_v7());
        chunk.organizers.push(organizer as i32);
        for (column, who) in chunk.attendees.iter_mut().zip(invited) {
            column.push(who as i32);
        }
        chunk.starts.push(start);
        chunk.minutes.push(if rng.gen_bool(0.5) { 30 } else { 60 });
    }
    chunk
}

/// Builds `MeetingScheduled` payloads as serde writes them: externally tagged, local
/// times without offset, UTC instants with `Z`, attendees with `name: null`.
const BULK_INSERT: &str = r#"
insert into events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
select 'Meeting', m.id::text, 1, 'MeetingScheduled', '1.0',
    json_build_object('MeetingScheduled', json_build_object(
        'meeting_id', m.id,
        'room_id', m.room,
        'organizer', json_build_object('user_id', 'user-u' || m.org, 'email', 'u' || m.org || '@example.org', 'name', 'u' || m.org),
        'title', 'Team sync',
        'description', 'Agenda: status, blockers, next steps',
        'schedule', json_build_object(
            'start', to_char(m.start_local, 'YYYY-MM-DD"T"HH24:MI:SS'),
            'end', to_char(m.end_local, 'YYYY-MM-DD"T"HH24:MI:SS'),
            'time_zone', 'Europe/Berlin',
            'starts_at', to_char((m.start_local at time zone 'Europe/Berlin') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
            'ends_at', to_char((m.end_local at time zone 'Europe/Berlin') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
        'attendees', json_build_array(
            json_build_object('email', 'u' || m.a1 || '@example.org', 'name', null),
            json_build_object('email', 'u' || m.a2 || '@example.org', 'name', null),
            json_build_object('email', 'u' || m.a3 || '@example.org', 'name', null)),
        'reminders', json_build_array(10))),
    json_build_object('actor_id', 'user-u' || m.org, 'actor_email', 'u' || m.org || '@example.org',
                      'actor_name', 'u' || m.org, 'command', 'schedule')
from (select t.*, t.start_local + make_interval(mins => t.minutes) as end_local
      from unnest($1::uuid[], $2::uuid[], $3::int4[], $4::int4[], $5::int4[], $6::int4[], $7::timestamp[], $8::int4[])
           as t(id, room, org, a1, a2, a3, start_local, minutes)) m
"#;

async fn week_phase(cluster: &EmbeddedPostgres, args: &Args, report: &mut Report) -> anyhow::Result<()> {
    eprintln!("» phase 3: week query over {} events, {} users", args.events, args.users);
    let (url, pool) = fresh_database(cluster, "bench_week", 16).await?;
    let result = week_data(&pool, args).await;
    pool.close().await;
    let (insert, projector, calendar_rows) = result?;

    let mut settings = veche_tests::app::test_settings(&url);
    settings.max_concurrent_requests = 4096;
    let server = IsolatedServer::start(settings).await?;
    let result = week_queries(&server.server, args).await;
    server.stop().await?;
    let (http, sql) = result?;
    report.week = Some(WeekResult {
        events: args.events,
        users: args.users,
        insert,
        projector,
        calendar_rows,
        http: http.latency,
        http_errors: http.errors,
        http_mean_meetings: http.mean_meetings,
        sql: sql.latency,
        sql_errors: sql.errors,
        sql_mean_meetings: sql.mean_meetings,
    });
    Ok(())
}

/// Inserts the events, checks one decodes, projects everything, vacuums, analyzes and checkpoints.
async fn week_data(pool: &PgPool, args: &Args) -> anyhow::Result<(Duration, Duration, i64)> {
    let mut rng = StdRng::from_entropy();
    let started = Instant::now();
    let mut inserted = 0;
    let mut last_report = Instant::now();
    while inserted < args.events {
        let count = INSERT_CHUNK.min(args.events - inserted);
        let chunk = generate_chunk(&mut rng, count, args.users);
        let [a1, a2, a3] = &chunk.attendees;
        sqlx::query(BULK_INSERT)
            .bind(&chunk.ids)
            .bind(&chunk.rooms)
            .bind(&chunk.organizers)
            .bind(a1)
            .bind(a2)
            .bind(a3)
            .bind(&chunk.starts)
            .bind(&chunk.minutes)
            .execute(pool)
            .await
            .context("bulk-inserting events")?;
        inserted += count;
        if last_report.elapsed() > Duration::from_secs(5) || inserted == args.events {
            eprintln!("  inserted {inserted} events ({:.1} s)", started.elapsed().as_secs_f64());
            last_report = Instant::now();
        }
    }
    let insert = started.elapsed();

    // The generated payload must be exactly what serde writes for the event it decodes to.
    let sample = projections::global_log::read_after(pool, projections::global_log::LogCursor::START, 1).await?;
    let sample = sample.first().ok_or_else(|| anyhow!("no event is visible after the bulk insert"))?;
    let event = sample
        .meeting_event(&domain::upcasting::meeting_upcasters())?
        .ok_or_else(|| anyhow!("the sample event is not a Meeting event"))?;
    if !matches!(event, MeetingEvent::MeetingScheduled { .. }) {
        bail!("the sample event decodes to {event:?}");
    }
    let written = serde_json::to_value(&event)?;
    if written != sample.payload {
        bail!("the generated payload\n{}\ndoes not round-trip; serde writes\n{}", sample.payload, written);
    }
    eprintln!("  the sample event decodes and round-trips: {}", sample.payload);

    eprintln!("  projecting {} events", args.events);
    let started = Instant::now();
    let applied = projections::Projector::new(pool.clone())
        .with_batch_size(1000)
        .catch_up_to_head(Duration::from_secs(3600))
        .await
        .context("projecting")?;
    let projector = started.elapsed();
    eprintln!(
        "  projected in {:.1} s ({:.0} events/s; {applied} applications over all projections)",
        projector.as_secs_f64(),
        args.events as f64 / projector.as_secs_f64()
    );
    // A store of a million events has long been vacuumed by the time anyone reads it; right
    // after a bulk load autovacuum and the checkpointer would still be at work on these
    // tables, during the queries, on the same two cores. So settle first: vacuum (which also
    // marks the pages all-visible, what index-only scans of the covering index need),
    // analyze, and write the dirty buffers out.
    sqlx::query("vacuum (analyze)").execute(pool).await?;
    sqlx::query("checkpoint").execute(pool).await?;
    let calendar_rows: i64 = sqlx::query_scalar("select count(*) from calendar_entry").fetch_one(pool).await?;
    let meetings: i64 = sqlx::query_scalar("select count(*) from meeting_view").fetch_one(pool).await?;
    eprintln!("  vacuumed, analyzed, checkpointed; {meetings} meetings, {calendar_rows} calendar entries");
    if meetings as usize != args.events || calendar_rows as usize != 4 * args.events {
        bail!("expected {} meetings and {} calendar entries", args.events, 4 * args.events);
    }
    Ok((insert, projector, calendar_rows))
}

struct QueryStats {
    latency: Option<Percentiles>,
    errors: usize,
    mean_meetings: f64,
}

/// A random person of the generated population and a random week of the data.
fn random_week_query(rng: &mut StdRng, users: u32) -> (String, DateTime<Utc>, DateTime<Utc>) {
    let team_size = TEAM_SIZE.min(users);
    let population = (users / team_size) * team_size;
    let name = format!("u{}", rng.gen_range(0..population));
    let monday = first_monday() + ChronoDuration::days(7 * rng.gen_range(0..WEEKS));
    let from = monday.and_hms_opt(0, 0, 0).unwrap().and_utc();
    (name, from, from + ChronoDuration::days(7))
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

async fn week_queries(server: &RunningServer, args: &Args) -> anyhow::Result<(QueryStats, QueryStats)> {
    let base = format!("http://{}", server.addr);
    let client =
        reqwest::Client::builder().pool_max_idle_per_host(64).tcp_nodelay(true).timeout(Duration::from_secs(30)).build()?;

    eprintln!("  {WEEK_QUERIES} GET /api/calendar (one week) from {WEEK_QUERY_CLIENTS} clients");
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..WEEK_QUERY_CLIENTS {
        let (client, base, next, users) = (client.clone(), base.clone(), next.clone(), args.users);
        workers.push(tokio::spawn(async move {
            let mut rng = StdRng::from_entropy();
            let (mut latencies, mut meetings, mut errors) = (Vec::new(), 0usize, Vec::new());
            while next.fetch_add(1, Ordering::Relaxed) < WEEK_QUERIES {
                let (name, from, to) = random_week_query(&mut rng, users);
                let who = veche_tests::app::user(&name);
                let request =
                    client.get(format!("{base}/api/calendar?from={}&to={}", rfc3339(from), rfc3339(to))).bearer_auth(&who.token);
                let sent = Instant::now();
                let outcome = async {
                    let response = request.send().await.map_err(|e| e.to_string())?;
                    let status = response.status();
                    let bytes = response.bytes().await.map_err(|e| e.to_string())?;
                    if !status.is_success() {
                        return Err(format!("{status}: {}", String::from_utf8_lossy(&bytes)));
                    }
                    Ok(bytes)
                }
                .await;
                latencies.push(ms(sent.elapsed()));
                match outcome.and_then(|bytes| serde_json::from_slice::<Value>(&bytes).map_err(|e| e.to_string())) {
                    Ok(body) => meetings += body["meetings"].as_array().map_or(0, Vec::len),
                    Err(error) => errors.push(error),
                }
            }
            (latencies, meetings, errors)
        }));
    }
    let http = collect_query_stats(workers, "HTTP").await?;

    eprintln!("  {WEEK_QUERIES} projections::queries::calendar (one week) from {WEEK_QUERY_CLIENTS} clients");
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..WEEK_QUERY_CLIENTS {
        let (pool, next, users) = (server.pool.clone(), next.clone(), args.users);
        workers.push(tokio::spawn(async move {
            let mut rng = StdRng::from_entropy();
            let (mut latencies, mut meetings, mut errors) = (Vec::new(), 0usize, Vec::new());
            while next.fetch_add(1, Ordering::Relaxed) < WEEK_QUERIES {
                let (name, from, to) = random_week_query(&mut rng, users);
                let address = email(&format!("{name}@example.org"));
                let sent = Instant::now();
                let outcome = projections::queries::calendar(&pool, &address, from, to, api::http::calendar::MAX_ENTRIES).await;
                latencies.push(ms(sent.elapsed()));
                match outcome {
                    Ok(records) => meetings += records.len(),
                    Err(error) => errors.push(error.to_string()),
                }
            }
            (latencies, meetings, errors)
        }));
    }
    let sql = collect_query_stats(workers, "SQL").await?;
    Ok((http, sql))
}

type QueryWorker = tokio::task::JoinHandle<(Vec<f64>, usize, Vec<String>)>;

async fn collect_query_stats(workers: Vec<QueryWorker>, what: &str) -> anyhow::Result<QueryStats> {
    let (mut latencies, mut meetings, mut errors) = (Vec::new(), 0, Vec::new());
    for worker in workers {
        let (l, m, e) = worker.await?;
        latencies.extend(l);
        meetings += m;
        errors.extend(e);
    }
    let answered = latencies.len() - errors.len();
    let stats = QueryStats {
        latency: Percentiles::of(latencies),
        errors: errors.len(),
        mean_meetings: if answered > 0 { meetings as f64 / answered as f64 } else { 0.0 },
    };
    eprintln!(
        "  {what}: {}, {:.1} meetings per answer, {} errors",
        stats.latency.map(|l| format!("p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms", l.p50, l.p99, l.max)).unwrap_or_default(),
        stats.mean_meetings,
        stats.errors
    );
    if let Some(error) = errors.first() {
        eprintln!("  first error: {error}");
    }
    Ok(stats)
}

// ---------------------------------------------------------------------------------------
// The report

fn fmt_ms(p: Option<Percentiles>, pick: fn(&Percentiles) -> f64) -> String {
    p.map(|p| format!("{:.2}", pick(&p))).unwrap_or_else(|| "–".into())
}

fn met(ok: bool) -> &'static str {
    if ok {
        "yes"
    } else {
        "**no**"
    }
}

fn render(report: &Report, args: &Args) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# veche benchmark\n");
    if let Some(m) = &report.machine {
        let _ = writeln!(out, "Machine: {} CPUs, Linux {}, {}\n", m.cpus, m.kernel, m.postgres);
    }
    let _ = writeln!(
        out,
        "Run: `--events {} --seconds {} --users {}`; PostgreSQL durable (fsync, synchronous_commit on).\n",
        args.events, args.seconds, args.users
    );

    if !report.raw.is_empty() {
        let _ = writeln!(
            out,
            "## 1. Raw append (postgres-es: load + commit `MeetingScheduled`, load + commit `MeetingRescheduled`)\n"
        );
        let _ = writeln!(out, "| clients | events/s | meetings scheduled/s | events | errors |");
        let _ = writeln!(out, "|---:|---:|---:|---:|---:|");
        for r in &report.raw {
            let _ = writeln!(
                out,
                "| {} | {:.0} | {:.0} | {} | {} |",
                r.clients,
                r.events_per_s(),
                r.meetings_per_s(),
                r.events,
                r.errors
            );
        }
        let _ = writeln!(out);
    }

    if !report.http.is_empty() {
        let _ = writeln!(out, "## 2. HTTP API (`POST /api/meetings` + `PUT /api/meetings/{{id}}/schedule`)\n");
        let _ = writeln!(
            out,
            "| clients | commands/s | meetings scheduled/s | API events/s vs raw | latency p50 ms | latency p99 ms | latency max ms | errors (non-2xx) |"
        );
        let _ = writeln!(out, "|---:|---:|---:|---:|---:|---:|---:|---:|");
        for h in &report.http {
            let raw = report.raw.iter().find(|r| r.clients == h.clients).map(|r| r.events_per_s());
            let _ = writeln!(
                out,
                "| {} | {:.0} | {:.0} | {} | {} | {} | {} | {} |",
                h.clients,
                h.commands_per_s(),
                h.scheduled_per_s(),
                raw.map(|raw| format!("{:.0} %", 100.0 * h.commands_per_s() / raw)).unwrap_or_else(|| "–".into()),
                fmt_ms(h.latency, |p| p.p50),
                fmt_ms(h.latency, |p| p.p99),
                fmt_ms(h.latency, |p| p.max),
                h.errors
            );
        }
        let _ = writeln!(out);
        let _ = writeln!(out, "CPU per command (the parties share the cores; their sum over the elapsed time is the load):\n");
        let _ = writeln!(out, "| clients | CPU per command | cores busy |");
        let _ = writeln!(out, "|---:|---|---:|");
        for h in &report.http {
            if let Some(cpu) = &h.cpu {
                let busy: Duration = cpu.parties.iter().map(|(_, spent)| *spent).sum();
                let per_command = cpu.per_unit_us(h.commands);
                let _ = writeln!(out, "| {} | {per_command} | {:.2} |", h.clients, busy.as_secs_f64() / h.elapsed.as_secs_f64());
            }
        }
        let _ = writeln!(out);
        if let Some(lag) = &report.lag {
            let clients = CLIENT_LEVELS[CLIENT_LEVELS.len() - 1];
            let _ = writeln!(
                out,
                "Projection lag at {clients} clients (command acknowledged → every projection past its position):\n"
            );
            let _ = writeln!(out, "| commands | p50 ms | p99 ms | max ms | timeouts (> {} s) |", LAG_TIMEOUT.as_secs());
            let _ = writeln!(out, "|---:|---:|---:|---:|---:|");
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |\n",
                lag.measured,
                fmt_ms(lag.latency, |p| p.p50),
                fmt_ms(lag.latency, |p| p.p99),
                fmt_ms(lag.latency, |p| p.max),
                lag.timeouts
            );
        }
    }

    if let Some(w) = &report.week {
        let _ = writeln!(out, "## 3. Week query over {} events, {} users\n", w.events, w.users);
        let _ = writeln!(out, "| step | figure |");
        let _ = writeln!(out, "|---|---:|");
        let _ = writeln!(
            out,
            "| bulk insert (SQL) | {:.1} s ({:.0} events/s) |",
            w.insert.as_secs_f64(),
            w.events as f64 / w.insert.as_secs_f64()
        );
        let _ = writeln!(
            out,
            "| projector catch-up (batch 1000) | {:.1} s ({:.0} events/s) |",
            w.projector.as_secs_f64(),
            w.events as f64 / w.projector.as_secs_f64()
        );
        let _ = writeln!(out, "| calendar entries | {} |\n", w.calendar_rows);
        let _ = writeln!(
            out,
            "| one week, {WEEK_QUERIES} queries, {WEEK_QUERY_CLIENTS} clients | p50 ms | p99 ms | max ms | meetings per answer | errors |"
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|");
        let _ = writeln!(
            out,
            "| `GET /api/calendar` | {} | {} | {} | {:.1} | {} |",
            fmt_ms(w.http, |p| p.p50),
            fmt_ms(w.http, |p| p.p99),
            fmt_ms(w.http, |p| p.max),
            w.http_mean_meetings,
            w.http_errors
        );
        let _ = writeln!(
            out,
            "| `projections::queries::calendar` (SQL) | {} | {} | {} | {:.1} | {} |\n",
            fmt_ms(w.sql, |p| p.p50),
            fmt_ms(w.sql, |p| p.p99),
            fmt_ms(w.sql, |p| p.max),
            w.sql_mean_meetings,
            w.sql_errors
        );
    }

    let _ = writeln!(out, "## Targets\n");
    let _ = writeln!(out, "| target | measured | met |");
    let _ = writeln!(out, "|---|---:|---|");
    let top = CLIENT_LEVELS[CLIENT_LEVELS.len() - 1];
    if let Some(h) = report.http.iter().find(|h| h.clients == top) {
        let _ = writeln!(
            out,
            "| ≥ {TARGET_SCHEDULED_PER_S:.0} scheduled meetings/s through HTTP at {top} clients | {:.0} | {} |",
            h.scheduled_per_s(),
            met(h.scheduled_per_s() >= TARGET_SCHEDULED_PER_S)
        );
        if let Some(raw) = report.raw.iter().find(|r| r.clients == top) {
            let share = 100.0 * h.commands_per_s() / raw.events_per_s();
            let _ = writeln!(
                out,
                "| API events/s ≥ {TARGET_API_SHARE_OF_RAW:.0} % of raw at {top} clients | {share:.0} % | {} |",
                met(share >= TARGET_API_SHARE_OF_RAW)
            );
        }
    }
    if let Some(p) = report.lag.as_ref().and_then(|l| l.latency) {
        let _ = writeln!(
            out,
            "| projection lag p99 ≤ {TARGET_LAG_P99_MS:.0} ms | {:.1} ms | {} |",
            p.p99,
            met(p.p99 <= TARGET_LAG_P99_MS)
        );
    }
    if let Some(p) = report.week.as_ref().and_then(|w| w.http) {
        let _ = writeln!(
            out,
            "| week query p99 ≤ {TARGET_WEEK_P99_MS:.0} ms at 1M events (HTTP; this run: {} events) | {:.2} ms | {} |",
            args.events,
            p.p99,
            met(p.p99 <= TARGET_WEEK_P99_MS)
        );
    }
    if !report.errors.is_empty() {
        let _ = writeln!(out, "\n## Errors\n");
        for error in &report.errors {
            let _ = writeln!(out, "- {}", error.replace('\n', " "));
        }
    }
    out
}
