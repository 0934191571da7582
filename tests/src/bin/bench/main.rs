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
//!
//! The phases are a module each (`raw_append`, `http_api`, `week_query`), and so is the
//! `report` they fill.

mod http_api;
mod raw_append;
mod report;
mod week_query;

use http_api::*;
use raw_append::*;
use report::*;
use week_query::*;

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
