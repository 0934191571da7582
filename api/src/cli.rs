//! The `veche` command line.

use crate::auth::Claims;
use crate::http::dto::HistoryEntry;
use crate::server::{self, open_database};
use crate::settings::Settings;
use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};
use projections::projector::Projection;
use projections::Projector;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(name = "veche", version, about = "Self-hosted meetings: calendar, video rooms, notifications")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP API and the projector (and, without VECHE_DATABASE_URL, an embedded PostgreSQL).
    Serve(#[command(flatten)] Settings),
    /// Apply the database migrations and exit.
    Migrate(#[command(flatten)] Settings),
    /// Manage read models.
    Projections {
        #[command(subcommand)]
        command: ProjectionsCommand,
    },
    /// Print a meeting's history from the event log, for auditors.
    History {
        /// The meeting id.
        meeting_id: uuid::Uuid,
        /// Show only events recorded at or before this instant (RFC 3339), and the state then.
        #[arg(long)]
        as_of: Option<DateTime<Utc>>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        settings: Settings,
    },
    /// Read and resend the events reactors gave up on (emails, pushes, room notices).
    DeadLetters {
        #[command(subcommand)]
        command: DeadLettersCommand,
    },
    /// Print the OpenAPI 3.1 document of the HTTP API (what `/api/openapi.json` serves).
    Openapi,
    /// Mint a development bearer token signed with this veche's secret.
    Token {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// The user id (`sub`); defaults to the email.
        #[arg(long)]
        sub: Option<String>,
        /// Lifetime in hours.
        #[arg(long, default_value_t = 24)]
        ttl_hours: i64,
        /// Roles, e.g. `auditor`.
        #[arg(long = "role")]
        roles: Vec<String>,
        #[command(flatten)]
        settings: Settings,
    },
}

#[derive(Debug, Subcommand)]
enum ProjectionsCommand {
    /// Empty a read model (or all) and build it again from the first event.
    Rebuild {
        /// `meeting_details`, `calendar`, `rooms` or `reminders`; all when omitted.
        name: Option<String>,
        #[command(flatten)]
        settings: Settings,
    },
    /// List the aggregates set aside because an event of theirs could not be applied.
    Quarantined {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        settings: Settings,
    },
    /// Replay quarantined aggregates from their first event (once the cause is fixed).
    Retry {
        /// The aggregate id (a meeting's or a room's); every quarantined aggregate when omitted.
        aggregate_id: Option<String>,
        #[command(flatten)]
        settings: Settings,
    },
}

#[derive(Debug, Subcommand)]
enum DeadLettersCommand {
    /// List the parked events, oldest first.
    List {
        /// Only this reactor's (e.g. `invitations`).
        #[arg(long)]
        reactor: Option<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        settings: Settings,
    },
    /// Send parked events back to the reactors that parked them, and delete them here.
    Replay {
        /// Only this reactor's.
        #[arg(long)]
        reactor: Option<String>,
        /// Only the dead letter with this sequence (as `list` shows it).
        #[arg(long)]
        sequence: Option<u64>,
        #[command(flatten)]
        settings: Settings,
    },
}

pub fn main() -> ExitCode {
    crate::telemetry::init_tracing();
    let cli = Cli::parse();
    let runtime = match runtime_for(&cli.command) {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The runtime; a node that serves coalesces its hub's wake-ups (`signaling::coalesce`).
fn runtime_for(command: &Command) -> std::io::Result<tokio::runtime::Runtime> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Command::Serve(settings) = command {
        let moment = std::time::Duration::from_micros(settings.rooms.signal_coalesce_micros);
        builder.on_thread_park(move || crate::signaling::coalesce::before_park(moment));
    }
    builder.enable_all().build()
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(settings) => serve(settings).await,
        Command::Migrate(settings) => {
            let database = open_database(&settings).await?;
            println!("migrations applied");
            close(database).await
        }
        Command::Projections { command: ProjectionsCommand::Rebuild { name, settings } } => rebuild(name, settings).await,
        Command::Projections { command: ProjectionsCommand::Quarantined { json, settings } } => quarantined(json, settings).await,
        Command::Projections { command: ProjectionsCommand::Retry { aggregate_id, settings } } => {
            retry(aggregate_id, settings).await
        }
        Command::DeadLetters { command } => dead_letters(command).await,
        Command::History { meeting_id, as_of, json, settings } => history(meeting_id, as_of, json, settings).await,
        Command::Openapi => {
            println!("{}", crate::http::openapi_document().to_pretty_json()?);
            Ok(())
        }
        Command::Token { email, name, sub, ttl_hours, roles, settings } => {
            let keys = server::jwt_keys(&settings)?;
            let now = Utc::now().timestamp();
            let claims = Claims {
                sub: sub.unwrap_or_else(|| email.to_lowercase()),
                email,
                name,
                exp: now + ttl_hours.max(1) * 3600,
                iat: Some(now),
                roles,
                room: None,
                scope: None,
                meeting_id: None,
            };
            println!("{}", keys.mint(&claims)?);
            Ok(())
        }
    }
}

async fn close(database: server::Database) -> anyhow::Result<()> {
    database.pool.close().await;
    if let Some(cluster) = database.embedded {
        cluster.stop().await?;
    }
    Ok(())
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let running = server::start(settings.clone()).await?;
    let url = format!("http://{}", running.addr);
    eprintln!(
        "\nveche is running at {url}\n  API description: {url}/api/openapi.json\n  a token: veche token --email ann@example.org --name Ann\n  meeting links start with {}\n",
        settings.public_url()
    );
    server::shutdown_signal().await;
    tracing::info!("shutting down");
    running.stop().await
}

async fn rebuild(name: Option<String>, settings: Settings) -> anyhow::Result<()> {
    let selected = match name {
        Some(name) => vec![Projection::by_name(&name)?],
        None => Projection::ALL.to_vec(),
    };
    let database = open_database(&settings).await?;
    let projector = Projector::new(database.pool.clone());
    for projection in &selected {
        projector.reset(*projection).await?;
        println!("{}: reset to position 0", projection.name());
    }
    match projector.try_lead_once().await? {
        Some(lock) => {
            let applied = projector.catch_up_to_head(std::time::Duration::from_secs(600)).await?;
            drop(lock);
            println!("rebuilt from {applied} event applications");
        }
        None => println!("a running veche leads the projector and is rebuilding now"),
    }
    close(database).await
}

async fn quarantined(json: bool, settings: Settings) -> anyhow::Result<()> {
    let database = open_database(&settings).await?;
    let aggregates = projections::quarantine::list(&database.pool).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&aggregates)?);
    } else if aggregates.is_empty() {
        println!("no aggregate is quarantined");
    } else {
        println!("{:<50} {:<10} {:<24} {:<25} ERROR", "AGGREGATE", "POSITION", "EVENT", "SINCE");
        for aggregate in &aggregates {
            println!(
                "{:<50} {:<10} {:<24} {:<25} {}{}",
                aggregate.key(),
                aggregate.position,
                aggregate.event_type,
                aggregate.quarantined_at.format("%Y-%m-%d %H:%M:%S%.3fZ"),
                aggregate.error,
                if aggregate.retry_requested { " (replay asked for)" } else { "" }
            );
        }
    }
    close(database).await
}

/// Asks for the replay; the projector that leads does it, or this process when none runs.
async fn retry(aggregate_id: Option<String>, settings: Settings) -> anyhow::Result<()> {
    let database = open_database(&settings).await?;
    let asked = projections::quarantine::request_retry(&database.pool, aggregate_id.as_deref()).await?;
    if asked == 0 {
        close(database).await?;
        anyhow::bail!("no quarantined aggregate{}", aggregate_id.map(|id| format!(" with id {id}")).unwrap_or_default());
    }
    let projector = Projector::new(database.pool.clone());
    match projector.try_lead_once().await? {
        Some(lock) => {
            projector.catch_up().await?;
            drop(lock);
        }
        None => {
            // A running veche leads: it replays on the notification; wait for the outcome.
            let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
            while projections::quarantine::list(&database.pool).await?.iter().any(|a| a.retry_requested) {
                if tokio::time::Instant::now() >= deadline {
                    println!("the running veche has not replayed them yet; see `veche projections quarantined`");
                    return close(database).await;
                }
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        }
    }
    let left = projections::quarantine::list(&database.pool).await?;
    println!("{asked} replay(s) asked for; {} aggregate(s) still quarantined", left.len());
    for aggregate in &left {
        println!("  {}: {}", aggregate.key(), aggregate.error);
    }
    close(database).await
}

async fn dead_letters(command: DeadLettersCommand) -> anyhow::Result<()> {
    let settings = match &command {
        DeadLettersCommand::List { settings, .. } | DeadLettersCommand::Replay { settings, .. } => settings,
    };
    let Some(connection) = server::open_nats(settings).await? else {
        anyhow::bail!("NATS is disabled (VECHE_NATS_DISABLED): there are no dead letters");
    };
    let nats = &connection.nats;
    match &command {
        DeadLettersCommand::List { reactor, json, .. } => {
            let letters =
                infrastructure::dead_letters::list(nats, reactor.as_deref()).await.map_err(anyhow::Error::from_boxed)?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&letters)?);
            } else if letters.is_empty() {
                println!("no dead letters");
            } else {
                println!("{:<9} {:<14} {:<32} {:<60} REASON", "SEQUENCE", "REACTOR", "PARKED AT", "EVENT");
                for letter in &letters {
                    println!(
                        "{:<9} {:<14} {:<32} {:<60} {}",
                        letter.sequence, letter.reactor, letter.parked_at, letter.original_subject, letter.reason
                    );
                }
            }
        }
        DeadLettersCommand::Replay { reactor, sequence, .. } => {
            let replayed = infrastructure::dead_letters::replay(nats, reactor.as_deref(), *sequence)
                .await
                .map_err(anyhow::Error::from_boxed)?;
            println!("{} dead letter(s) sent back to their reactors", replayed.len());
        }
    }
    if let Some(server) = connection.embedded {
        server.stop().await?;
    }
    Ok(())
}

fn print_entries(entries: &[HistoryEntry]) {
    println!("{:<4} {:<10} {:<25} {:<24} {:<30} CHANGES", "SEQ", "POSITION", "RECORDED AT", "EVENT", "BY");
    for entry in entries {
        println!(
            "{:<4} {:<10} {:<25} {:<24} {:<30} {}",
            entry.sequence,
            entry.position,
            entry.recorded_at.format("%Y-%m-%d %H:%M:%S%.3fZ"),
            entry.event_type,
            entry.actor.email.as_deref().unwrap_or("-"),
            entry.changes
        );
    }
}

async fn history(meeting_id: uuid::Uuid, as_of: Option<DateTime<Utc>>, json: bool, settings: Settings) -> anyhow::Result<()> {
    let database = open_database(&settings).await?;
    let found = projections::history::meeting_history(&database.pool, domain::MeetingId(meeting_id), as_of).await;
    let Some(history) = found.context("replaying the meeting")? else {
        close(database).await?;
        anyhow::bail!("no events for meeting {meeting_id}");
    };
    let meeting = history.then;
    let entries: Vec<HistoryEntry> = history.events.iter().map(HistoryEntry::from_recorded).collect();
    let call: Vec<HistoryEntry> = history.call.iter().map(HistoryEntry::from_recorded).collect();
    if json {
        let state = meeting.state();
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "meeting_id": meeting_id, "as_of": as_of, "events": entries, "state": state, "call": call,
            }))?
        );
    } else {
        print_entries(&entries);
        if !call.is_empty() {
            println!("\ncall (the meeting's room):");
            print_entries(&call);
        }
        if let Some(state) = meeting.state() {
            println!(
                "\nstate{}: \"{}\" {:?}, {} – {} {}, version {}, {} attendee(s)",
                as_of.map(|t| format!(" as of {t}")).unwrap_or_default(),
                state.title.as_str(),
                state.status,
                state.schedule.start,
                state.schedule.end,
                state.schedule.time_zone.name(),
                meeting.version(),
                state.attendees.len()
            );
        }
    }
    close(database).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn every_subcommand_takes_its_own_arguments_beside_the_settings_flags() {
        // Names each setting's flag and each subcommand's argument once (clap's own checks).
        Cli::command().debug_assert();
        let token = Cli::try_parse_from(["veche", "token", "--email", "ann@example.org", "--name", "Ann"]);
        assert!(token.is_ok(), "{token:?}");
        let serve = Cli::try_parse_from(["veche", "serve", "--signin-domains", "example.org", "--signin-email", "false"]);
        assert!(serve.is_ok(), "{serve:?}");
    }
}
