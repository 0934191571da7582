//! The SMTP outage drill: figures, no assertions.
//!
//! ```text
//! cargo run --release -p veche-tests --bin bench_outage -- [--outage-secs 3600] [--meetings 100] [--attendees 3]
//! ```
//!
//! It starts a durable PostgreSQL cluster, a nats-server and one veche node over them as
//! `veche serve` runs (publisher, reactors with their default retry policy), whose SMTP
//! server is down: its port is free and nobody listens. It schedules `--meetings` meetings
//! of `--attendees` attendees (one invitation each), keeps the SMTP server down for
//! `--outage-secs`, then starts the tests' SMTP server (aiosmtpd) on that port and reports
//! how long the invitations held back took to arrive, how many emails arrived (each
//! invitation once: counted by Message-ID), and how many events were dead-lettered.
//! Progress goes to stderr, the Markdown report to stdout.

use api::auth::Claims;
use chrono::Utc;
use infrastructure::embedded_nats::EmbeddedNats;
use infrastructure::embedded_postgres::EmbeddedPostgres;
use serde_json::json;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use veche_tests::app::{test_settings, token, TEST_JWT_SECRET};
use veche_tests::bench_servers::{until_interrupted, BenchServers};
use veche_tests::smtp::SmtpSink;

/// How long to keep counting after the last expected email, for duplicates.
const LINGER: Duration = Duration::from_secs(30);
/// The longest the drain may take before the report says it did not finish.
const DRAIN_LIMIT: Duration = Duration::from_secs(900);

/// The SMTP outage drill: figures, no assertions.
#[derive(clap::Parser)]
#[command(name = "bench_outage")]
struct Args {
    /// How long the SMTP server stays down.
    #[arg(long, default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    outage_secs: u64,
    /// Meetings scheduled during the outage.
    #[arg(long, default_value_t = 100, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=10_000))]
    meetings: usize,
    /// Attendees of each meeting.
    #[arg(long, default_value_t = 3, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=50))]
    attendees: usize,
}

fn bearer(i: usize) -> String {
    token(&Claims {
        sub: format!("organizer-{i}"),
        email: format!("organizer{i}@drill.example.org"),
        name: format!("Organizer {i}"),
        exp: Utc::now().timestamp() + 7 * 86_400,
        iat: None,
        roles: vec![],
        room: None,
        scope: None,
        meeting_id: None,
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = <Args as clap::Parser>::parse();
    eprintln!("» starting PostgreSQL and nats-server");
    let servers = BenchServers::start("veche-bench-outage-").await?;
    let outcome = until_interrupted(run(&args, &servers.cluster, &servers.nats, servers.dir.path())).await;
    servers.stop_and_print(outcome).await
}

async fn run(args: &Args, cluster: &EmbeddedPostgres, nats: &EmbeddedNats, dir: &std::path::Path) -> anyhow::Result<String> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let mut settings = test_settings(&cluster.database_url());
    settings.data_dir = Some(dir.join("veche"));
    settings.nats_disabled = false;
    settings.nats_url = Some(nats.url().into());
    settings.smtp_url = Some(format!("smtp://127.0.0.1:{port}").into());
    settings.jwt_secret = Some(TEST_JWT_SECRET.into());
    let server = api::server::start(settings).await?;
    let base = format!("http://{}", server.addr);
    let client = reqwest::Client::new();
    eprintln!("» veche listens on {base}; SMTP (127.0.0.1:{port}) is down; scheduling {} meetings", args.meetings);
    let start = (Utc::now() + chrono::Duration::days(30)).format("%Y-%m-%dT10:00:00").to_string();
    let end = (Utc::now() + chrono::Duration::days(30)).format("%Y-%m-%dT11:00:00").to_string();
    for meeting in 0..args.meetings {
        let attendees: Vec<_> =
            (0..args.attendees).map(|a| json!({"email": format!("guest{meeting}-{a}@drill.example.org")})).collect();
        let body =
            json!({"title": format!("Drill {meeting}"), "start": start, "end": end, "time_zone": "UTC", "attendees": attendees});
        let response = client.post(format!("{base}/api/meetings")).bearer_auth(bearer(meeting)).json(&body).send().await?;
        anyhow::ensure!(response.status() == 201, "scheduling answered {}", response.status());
    }
    let expected = args.meetings * args.attendees;
    let outage = Duration::from_secs(args.outage_secs);
    let down_since = Instant::now();
    while down_since.elapsed() < outage {
        let left = outage.saturating_sub(down_since.elapsed());
        eprintln!("» SMTP down for {} s more", left.as_secs());
        tokio::time::sleep(left.min(Duration::from_secs(300))).await;
    }
    eprintln!("» SMTP is back after {} s", down_since.elapsed().as_secs());
    let smtp = SmtpSink::start_on(port).await;
    let back = Instant::now();
    let mut drained = None;
    while back.elapsed() < DRAIN_LIMIT {
        if smtp.received().len() >= expected {
            drained = Some(back.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(LINGER).await;
    let received = smtp.received();
    let mut copies: HashMap<&str, usize> = HashMap::new();
    for mail in &received {
        *copies.entry(mail.message_id.as_str()).or_default() += 1;
    }
    let dead = infrastructure::dead_letters::list(&infrastructure::nats::Nats::connect(&nats.url()).await?, None)
        .await
        .map_err(anyhow::Error::from_boxed)?;
    server.stop().await?;
    Ok(format!(
        "# veche SMTP outage drill\n\n\
         | outage | invitations expected | emails received | distinct | sent twice | dead-lettered | drained after SMTP came back |\n\
         |---|---|---|---|---|---|---|\n\
         | {} s | {expected} | {} | {} | {} | {} | {} |\n",
        args.outage_secs,
        received.len(),
        copies.len(),
        copies.values().filter(|&&n| n > 1).count(),
        dead.len(),
        drained.map_or_else(|| format!("not within {} s", DRAIN_LIMIT.as_secs()), |d| format!("{:.1} s", d.as_secs_f64())),
    ))
}
