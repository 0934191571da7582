//! The notifications benchmark: figures, no assertions.
//!
//! ```text
//! cargo run --release -p veche-tests --bin bench_notify -- \
//!     [--rate 100] [--seconds 20] [--attendees 3] [--reminders 10000] [--spread 60] [--lead 120]
//! ```
//!
//! It starts a durable PostgreSQL cluster, a nats-server (JetStream on, file store), the
//! tests' SMTP server (aiosmtpd, which writes each message to a Maildir before it answers
//! 250; without the fsync per message of Python's mailbox module, which serialises every
//! session on one disk flush and measured ~85 messages/s beside PostgreSQL) and the tests'
//! Web Push service (which verifies VAPID and decrypts), then one veche
//! node over them exactly as `veche serve` runs (HTTP API, projector, publisher, reactors,
//! reminder scheduler). Every person has one subscribed browser.
//!
//! 1. **Invitations**: after a 5-second warm-up at the same rate (not measured), `--rate`
//!    meetings per second for `--seconds`, open loop, each with
//!    `--attendees` attendees; for each invitation, the time from the `201` of
//!    `POST /api/meetings` to the SMTP server's acceptance of the email and to the push
//!    service's acceptance of the push.
//! 2. **Reminders**: meetings with an organizer and four attendees, enough for
//!    `--reminders` reminders, scheduled so that their reminders come due within one
//!    `--spread`-second window starting `--lead` seconds later (`--spread 0`: all at the
//!    same instant, as for meetings that all start on the hour); the lateness of each email
//!    and push after its due time. The invitations of these meetings are sent during the
//!    lead time; the report says whether they were all out before the first reminder.
//!
//! The publisher's own throughput has its own command, `bench_publisher`.
//! Progress goes to stderr, the Markdown report to stdout.

use anyhow::Context;
use api::auth::Claims;
use api::server::RunningServer;
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use futures::StreamExt;
use infrastructure::embedded_nats::EmbeddedNats;
use infrastructure::embedded_postgres::EmbeddedPostgres;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};
use veche_tests::app::{test_settings, token, TEST_JWT_SECRET};
use veche_tests::bench_servers::{until_interrupted, BenchServers};
use veche_tests::push_service::{Delivered, PushService};
use veche_tests::smtp::{Received, SmtpSink};
use veche_tests::stats::Percentiles;

const USERS: usize = 300;
const TIME_ZONE: &str = "Europe/Berlin";
const REMINDER_MINUTES: i64 = 10;
const REMINDER_PEOPLE: usize = 5;
const SETTLE_TIMEOUT: Duration = Duration::from_secs(180);
const TARGET_P99_MS: f64 = 1_000.0;
/// Invitations sent before the measured ones, so that connections, caches and the
/// database's plans are warm (the first seconds of a fresh node stalled some runs).
const WARMUP_SECONDS: u64 = 5;

/// The notifications benchmark: figures, no assertions.
#[derive(clap::Parser)]
#[command(name = "bench_notify")]
struct Args {
    /// Meetings scheduled per second for the invitations.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=5_000))]
    rate: u64,
    /// Seconds of invitations measured.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=3_600))]
    seconds: u64,
    /// Attendees of each meeting.
    #[arg(long, default_value_t = 3, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..USERS as u64))]
    attendees: usize,
    /// Reminders to send.
    #[arg(long, default_value_t = 10_000, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(REMINDER_PEOPLE as u64..=1_000_000))]
    reminders: usize,
    /// Seconds the reminders' due times are spread over (0: all at once).
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(..=3_600))]
    spread: u64,
    /// Seconds from scheduling the reminders' meetings to the first due time.
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u64).range(10..=3_600))]
    lead: u64,
}

/// One person of the benchmark, with a bearer token.
struct Person {
    email: String,
    token: String,
}

fn people() -> Vec<Person> {
    (0..USERS)
        .map(|i| {
            let email = format!("person{i}@bench.example.org");
            let claims = Claims {
                sub: format!("person-{i}"),
                email: email.clone(),
                name: format!("Person {i}"),
                exp: Utc::now().timestamp() + 86_400,
                iat: None,
                roles: vec![],
                room: None,
                scope: None,
                meeting_id: None,
            };
            Person { token: token(&claims), email }
        })
        .collect()
}

/// The world the node runs in.
struct Rig {
    server: RunningServer,
    base: String,
    client: reqwest::Client,
    smtp: SmtpSink,
    push: PushService,
    people: Vec<Person>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = <Args as clap::Parser>::parse();
    eprintln!("» starting PostgreSQL, nats-server, the SMTP server and the push service");
    let servers = BenchServers::start("veche-bench-notify-").await?;
    let outcome = until_interrupted(run(&args, &servers.cluster, &servers.nats, servers.dir.path())).await;
    servers.stop_and_print(outcome).await
}

async fn run(args: &Args, cluster: &EmbeddedPostgres, nats: &EmbeddedNats, dir: &std::path::Path) -> anyhow::Result<String> {
    let smtp = SmtpSink::start_unsynced().await;
    let push = PushService::start().await;
    let mut settings = test_settings(&cluster.database_url());
    settings.data_dir = Some(dir.join("veche"));
    settings.nats_disabled = false;
    settings.nats_url = Some(nats.url().into());
    settings.smtp_url = Some(smtp.url().into());
    settings.jwt_secret = Some(TEST_JWT_SECRET.into());
    settings.db_max_connections = 32;
    settings.max_concurrent_requests = 1024;
    let server = api::server::start(settings).await?;
    eprintln!("» veche listens on http://{} (its /metrics show the pipeline during the run)", server.addr);
    let rig =
        Rig { base: format!("http://{}", server.addr), server, client: reqwest::Client::new(), smtp, push, people: people() };
    let outcome = measure(args, &rig).await;
    rig.server.stop().await?;
    outcome
}

async fn measure(args: &Args, rig: &Rig) -> anyhow::Result<String> {
    eprintln!("» subscribing one browser for each of {USERS} people");
    futures::stream::iter(&rig.people)
        .map(|person| async move {
            let subscription = rig.push.subscribe();
            let response = rig
                .client
                .post(format!("{}/api/push/subscriptions", rig.base))
                .bearer_auth(&person.token)
                .json(&subscription.json())
                .send()
                .await?;
            anyhow::ensure!(response.status() == 201, "subscribing: {}", response.status());
            Ok(())
        })
        .buffer_unordered(16)
        .collect::<Vec<anyhow::Result<()>>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<()>>()?;

    let mut report = String::from("# veche notifications benchmark\n\n");
    report.push_str(&format!(
        "Machine: {} cores; one veche node, PostgreSQL (durable), nats-server, aiosmtpd and the push service on it.\n\n",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    ));
    eprintln!("» warming up: invitations at {} meetings/s for {WARMUP_SECONDS} s, not measured", args.rate);
    invitations(args, rig, "Warmup-", WARMUP_SECONDS).await?;
    report.push_str(&invitations(args, rig, "Bench-", args.seconds).await?);
    report.push_str(&reminders(args, rig).await?);
    Ok(report)
}

/// A meeting to schedule: its title, organizer, attendees, local start, reminders.
struct Plan {
    title: String,
    organizer: usize,
    attendees: Vec<usize>,
    start: chrono::NaiveDateTime,
    reminders: Vec<i64>,
}

impl Plan {
    fn random(rng: &mut StdRng, title: String, attendees: usize, start: chrono::NaiveDateTime, reminders: Vec<i64>) -> Self {
        let mut chosen: Vec<usize> = (0..USERS).collect::<Vec<_>>().choose_multiple(rng, attendees + 1).copied().collect();
        let organizer = chosen.pop().expect("at least one person");
        Self { title, organizer, attendees: chosen, start, reminders }
    }
}

/// Schedules one meeting; returns its id and when the `201` came.
async fn schedule(rig: &Rig, plan: &Plan) -> anyhow::Result<(String, SystemTime)> {
    let body = json!({
        "title": plan.title,
        "start": plan.start.format("%Y-%m-%dT%H:%M:%S").to_string(),
        "end": (plan.start + ChronoDuration::minutes(30)).format("%Y-%m-%dT%H:%M:%S").to_string(),
        "time_zone": TIME_ZONE,
        "attendees": plan.attendees.iter().map(|&i| json!({"email": rig.people[i].email})).collect::<Vec<_>>(),
        "reminders": plan.reminders,
    });
    let response = rig
        .client
        .post(format!("{}/api/meetings", rig.base))
        .bearer_auth(&rig.people[plan.organizer].token)
        .json(&body)
        .send()
        .await?;
    let acked = SystemTime::now();
    let status = response.status();
    let value: Value = response.json().await.unwrap_or(Value::Null);
    anyhow::ensure!(status == 201, "scheduling answered {status}: {value}");
    let id = value["meeting"]["id"].as_str().context("no meeting id")?.to_string();
    Ok((id, acked))
}

fn millis_between(from: SystemTime, to: SystemTime) -> f64 {
    match to.duration_since(from) {
        Ok(after) => after.as_secs_f64() * 1000.0,
        Err(before) => -before.duration().as_secs_f64() * 1000.0,
    }
}

/// The number in a subject such as `Invitation: Bench-17 — ...`.
fn numbered(subject: &str, prefix: &str) -> Option<usize> {
    let rest = &subject[subject.find(prefix)? + prefix.len()..];
    rest.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
}

/// Milliseconds from each email's and each push's reference instant to its acceptance by
/// the server; `email_since` and `push_since` (given the meeting id and the push's tag) say
/// `None` for what the figure is not about.
fn latencies(
    rig: &Rig,
    email_since: impl Fn(&Received) -> Option<SystemTime>,
    push_since: impl Fn(&str, &str) -> Option<SystemTime>,
) -> (Vec<f64>, Vec<f64>) {
    let emails =
        rig.smtp.received().iter().filter_map(|mail| Some(millis_between(email_since(mail)?, mail.received_at))).collect();
    let pushes = rig
        .push
        .delivered()
        .iter()
        .filter_map(|delivered| {
            let (meeting, tag) = push_of(delivered)?;
            Some(millis_between(push_since(&meeting, &tag)?, delivered.at))
        })
        .collect();
    (emails, pushes)
}

fn push_of(delivered: &Delivered) -> Option<(String, String)> {
    let payload: Value = serde_json::from_slice(&delivered.plaintext).ok()?;
    Some((payload["meeting_id"].as_str()?.to_string(), payload["tag"].as_str()?.to_string()))
}

/// Waits until the SMTP server holds `emails` messages and the push service `pushes`;
/// returns whether they all came.
async fn settle(rig: &Rig, emails: usize, pushes: usize) -> bool {
    let deadline = Instant::now() + SETTLE_TIMEOUT;
    let mut last_report = Instant::now();
    loop {
        let (mailed, pushed) = (rig.smtp.count(), rig.push.delivered_count());
        if mailed >= emails && pushed >= pushes {
            return true;
        }
        if Instant::now() > deadline {
            eprintln!("  gave up waiting: {mailed}/{emails} emails, {pushed}/{pushes} pushes");
            return false;
        }
        if last_report.elapsed() > Duration::from_secs(10) {
            eprintln!("  {mailed}/{emails} emails, {pushed}/{pushes} pushes");
            last_report = Instant::now();
        }
        // Counting lists the Maildir: not too often, or the count costs what it measures.
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn row(what: &str, sample: Vec<f64>, expected: usize) -> String {
    let count = sample.len();
    match Percentiles::of(sample) {
        Some(p) => format!(
            "| {what} | {count}/{expected} | {:.0} | {:.0} | {:.0} | {} |\n",
            p.p50,
            p.p99,
            p.max,
            if p.p99 <= TARGET_P99_MS && count == expected { "met" } else { "not met" }
        ),
        None => format!("| {what} | 0/{expected} | – | – | – | not met |\n"),
    }
}

/// Schedules `args.rate` meetings per second for `seconds`, titled `<prefix><n>`, and
/// reports the latency of their invitations.
async fn invitations(args: &Args, rig: &Rig, prefix: &str, seconds: u64) -> anyhow::Result<String> {
    let total = (args.rate * seconds) as usize;
    let (mail_base, push_base) = (rig.smtp.count(), rig.push.delivered_count());
    eprintln!("» invitations: {} meetings/s for {} s, {} attendees each", args.rate, seconds, args.attendees);
    let mut acked: HashMap<String, (usize, SystemTime)> = HashMap::new();
    let mut failures: Vec<String> = Vec::new();
    let mut rng = StdRng::seed_from_u64(5);
    let first_start = chrono::NaiveDate::from_ymd_opt(2027, 3, 1).unwrap().and_hms_opt(9, 0, 0).unwrap();
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / args.rate as f64));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let started = Instant::now();
    // Open loop: a request leaves at each tick whether or not earlier ones have answered.
    let mut in_flight = futures::stream::FuturesUnordered::new();
    let mut sent = 0;
    loop {
        tokio::select! {
            _ = ticker.tick(), if sent < total => {
                let start = first_start + ChronoDuration::minutes(sent as i64);
                let plan = Plan::random(&mut rng, format!("{prefix}{sent}"), args.attendees, start, vec![]);
                let n = sent;
                in_flight.push(async move { (n, schedule(rig, &plan).await) });
                sent += 1;
            }
            Some((n, result)) = in_flight.next(), if !in_flight.is_empty() => match result {
                Ok((id, at)) => {
                    acked.insert(id, (n, at));
                }
                Err(error) => failures.push(format!("{error:#}")),
            },
            else => break,
        }
    }
    let offered = started.elapsed();
    let expected = acked.len() * args.attendees;
    eprintln!(
        "  {} scheduled in {:.1} s ({} refused); waiting for {expected} emails and pushes",
        acked.len(),
        offered.as_secs_f64(),
        failures.len()
    );
    settle(rig, mail_base + expected, push_base + expected).await;

    let by_number: HashMap<usize, SystemTime> = acked.values().copied().collect();
    let (emails, pushes) = latencies(
        rig,
        |mail| by_number.get(&numbered(&mail.subject, prefix)?).copied(),
        |meeting, _| acked.get(meeting).map(|(_, at)| *at),
    );
    let mut out = format!(
        "## Invitations at {} meetings/s ({} attendees each, {} s, {} meetings acknowledged in {:.1} s, {} refused)\n\n\
         Command acknowledged → accepted by the server, ms; target p99 ≤ {TARGET_P99_MS:.0} ms.\n\n\
         | channel | delivered | p50 | p99 | max | target |\n|---|---|---|---|---|---|\n",
        args.rate,
        args.attendees,
        seconds,
        acked.len(),
        offered.as_secs_f64(),
        failures.len()
    );
    // How the email latency moved during the run: a backlog that builds shows here.
    let window = 5 * args.rate as usize;
    let mut by_window: Vec<Vec<f64>> = vec![Vec::new(); total.div_ceil(window.max(1))];
    for mail in rig.smtp.received() {
        let Some(n) = numbered(&mail.subject, prefix) else { continue };
        if let (Some(since), Some(slot)) = (by_number.get(&n), by_window.get_mut(n / window.max(1))) {
            slot.push(millis_between(*since, mail.received_at));
        }
    }
    let trend: Vec<String> =
        by_window.into_iter().map(|sample| Percentiles::of(sample).map_or("–".into(), |p| format!("{:.0}", p.p50))).collect();
    out.push_str(&row("email (SMTP 250)", emails, expected));
    out.push_str(&row("push (201 from the push service)", pushes, expected));
    out.push_str(&format!("\nEmail p50 by 5-second window of the run, ms: {}\n", trend.join(" → ")));
    if let Some(first) = failures.first() {
        out.push_str(&format!("\nFirst refusal: {first}\n"));
    }
    out.push('\n');
    Ok(out)
}

async fn reminders(args: &Args, rig: &Rig) -> anyhow::Result<String> {
    let meetings = args.reminders / REMINDER_PEOPLE;
    let (mail_base, push_base) = (rig.smtp.count(), rig.push.delivered_count());
    let first_due = Utc::now() + ChronoDuration::seconds(args.lead as i64);
    let first_due = first_due - ChronoDuration::nanoseconds(first_due.timestamp_subsec_nanos() as i64);
    let zone: chrono_tz::Tz = TIME_ZONE.parse().expect("a known zone");
    eprintln!("» reminders: {meetings} meetings × {REMINDER_PEOPLE} people due from {first_due} over {} s", args.spread);
    let mut rng = StdRng::seed_from_u64(7);
    let plans: Vec<(usize, DateTime<Utc>, Plan)> = (0..meetings)
        .map(|i| {
            let offset = (args.spread as usize * i / meetings.max(1)) as i64;
            let due = first_due + ChronoDuration::seconds(offset);
            let start = (due + ChronoDuration::minutes(REMINDER_MINUTES)).with_timezone(&zone).naive_local();
            (i, due, Plan::random(&mut rng, format!("Remind-{i}"), REMINDER_PEOPLE - 1, start, vec![REMINDER_MINUTES]))
        })
        .collect();
    let scheduling = Instant::now();
    let scheduled: Vec<anyhow::Result<(String, usize, DateTime<Utc>)>> = futures::stream::iter(&plans)
        .map(|(i, due, plan)| async move { schedule(rig, plan).await.map(|(id, _)| (id, *i, *due)) })
        .buffer_unordered(32)
        .collect()
        .await;
    let scheduled: Vec<(String, usize, DateTime<Utc>)> = scheduled.into_iter().collect::<anyhow::Result<_>>()?;
    eprintln!("  scheduled {} meetings in {:.1} s", scheduled.len(), scheduling.elapsed().as_secs_f64());
    let invitations = scheduled.len() * (REMINDER_PEOPLE - 1);
    let invitations_out = settle(rig, mail_base + invitations, push_base + invitations).await;
    let drained_at = Utc::now();
    eprintln!("  invitations out at {drained_at} ({} s before the first reminder)", (first_due - drained_at).num_seconds());

    let due_of_meeting: HashMap<String, DateTime<Utc>> = scheduled.iter().map(|(id, _, due)| (id.clone(), *due)).collect();
    let due_of_number: HashMap<usize, DateTime<Utc>> = scheduled.iter().map(|(_, i, due)| (*i, *due)).collect();
    let rows: i64 = sqlx::query_scalar("select count(*) from reminder_due where due_at >= $1")
        .bind(first_due)
        .fetch_one(&rig.server.pool)
        .await?;
    let expected = rows as usize;
    eprintln!("  {expected} reminders in the read model; waiting for them");
    settle(rig, mail_base + invitations + expected, push_base + invitations + expected).await;

    let (emails, pushes) = latencies(
        rig,
        |mail| {
            let due = due_of_number.get(&numbered(mail.subject.strip_prefix("Reminder")?, "Remind-")?)?;
            Some(SystemTime::from(*due))
        },
        |meeting, tag| match tag.starts_with("reminder-") {
            true => due_of_meeting.get(meeting).map(|due| SystemTime::from(*due)),
            false => None,
        },
    );
    let window = if args.spread == 0 { "all at the same instant".to_string() } else { format!("spread over {} s", args.spread) };
    let mut out = format!(
        "## Reminders: {expected} due {window}\n\n\
         Due time → accepted by the server, ms; target p99 ≤ {TARGET_P99_MS:.0} ms. The {invitations} invitations \
         of these meetings were {} before the first reminder was due.\n\n\
         | channel | delivered | p50 | p99 | max | target |\n|---|---|---|---|---|---|\n",
        if invitations_out && drained_at < first_due { "all out" } else { "NOT all out" }
    );
    out.push_str(&row("email (SMTP 250)", emails, expected));
    out.push_str(&row("push (201 from the push service)", pushes, expected));
    out.push('\n');
    Ok(out)
}
