//! The web app's benchmark: figures, no assertions.
//!
//! ```text
//! bash tests/build-web.sh && cargo run --release -p veche-tests --bin bench_web -- [--meetings 200] [--runs 20]
//! ```
//!
//! It starts a durable PostgreSQL cluster and one veche node (as `veche serve`, without
//! NATS) serving the built app, gives one person `--meetings` meetings in one week and a
//! web session, then drives Debian's Chromium (`tests/web/bench-app.mjs`): the first load's
//! JavaScript and CSS (gzip bytes, as a server compressing at level 9 would send them), and
//! `--runs` navigations each to that week and to its month, timed from the start of the
//! navigation to the calendar drawn with the meetings (a warm browser: assets cached, as
//! for someone who uses the app daily). Progress goes to stderr, the report to stdout.

use clap::Parser;
use serde_json::{json, Value};
use veche_tests::app::token;
use veche_tests::bench_servers::{until_interrupted, BenchServers};
use veche_tests::browser::run_script;
use veche_tests::stats::Percentiles;

/// The week the meetings are in (Monday), and the day navigated to.
const WEEK: &str = "2026-12-07";
const FIRST_LOAD_BUDGET_KB: f64 = 250.0;
const WEEK_P95_BUDGET_MS: f64 = 800.0;

#[derive(Parser)]
#[command(about = "The web app's first load and its calendar navigations in Chromium")]
struct Options {
    /// Meetings in the measured week.
    #[arg(long, default_value_t = 200)]
    meetings: usize,
    /// Navigations to the week, and to the month.
    #[arg(long, default_value_t = 20)]
    runs: usize,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = Options::parse();
    let servers = BenchServers::start("veche-bench-web-").await?;
    let outcome = until_interrupted(measure(&servers, &options)).await;
    servers.stop_and_print(outcome).await
}

async fn measure(servers: &BenchServers, options: &Options) -> anyhow::Result<String> {
    let (server, base) = servers.veche(|_| {}).await?;
    let client = reqwest::Client::new();
    let ann = token(&veche_tests::app::claims("ann"));
    eprintln!("scheduling {} meetings in the week of {WEEK}", options.meetings);
    let mut position = 0;
    for i in 0..options.meetings {
        // Five working days, 08:00–18:00, four meetings side by side in each half hour.
        let (day, slot) = (i % 5, (i / 5) % 20);
        let start = chrono::NaiveDate::parse_from_str(WEEK, "%Y-%m-%d")?.and_hms_opt(8, 0, 0).unwrap()
            + chrono::Duration::days(day as i64)
            + chrono::Duration::minutes(30 * slot as i64);
        let body = json!({
            "title": format!("Meeting {i}"),
            "start": start.format("%Y-%m-%dT%H:%M:%S").to_string(),
            "end": (start + chrono::Duration::minutes(30)).format("%Y-%m-%dT%H:%M:%S").to_string(),
            "time_zone": "UTC",
            "attendees": [{"email": format!("guest{}@example.org", i % 7), "name": format!("Guest {}", i % 7)}],
        });
        let answer: Value = client
            .post(format!("{base}/api/meetings"))
            .bearer_auth(&ann)
            .json(&body)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        position = answer["position"].as_i64().unwrap_or(position);
    }
    let caught_up = format!("{base}/api/calendar?from={WEEK}T00:00:00Z&to=2026-12-14T00:00:00Z&after_position={position}");
    client.get(caught_up).bearer_auth(&ann).send().await?.error_for_status()?;
    let person = infrastructure::web_sessions::SessionPerson {
        user_id: "user-ann".into(),
        email: "ann@example.org".into(),
        name: "Ann".into(),
    };
    let session = server.state.sessions.begin(&person, "email", chrono::Duration::hours(2)).await?;
    let cookie = format!("veche_session={}", session.secret);
    eprintln!("driving Chromium: {} navigations each", options.runs);
    let ran =
        run_script("bench-app.mjs", &[&base, &cookie, WEEK, &options.meetings.to_string(), &options.runs.to_string()]).await;
    anyhow::ensure!(ran.success, "the browser script failed:\n{}", ran.output);
    let line = ran.output.lines().find(|line| line.starts_with('{')).ok_or_else(|| anyhow::anyhow!("no figures"))?;
    let figures: Value = serde_json::from_str(line)?;
    server.stop().await?;
    Ok(report(&figures, options))
}

fn report(figures: &Value, options: &Options) -> String {
    let kb = |field: &str| figures["first_load"][field].as_f64().unwrap_or(0.0) / 1024.0;
    let sample = |view: &str| {
        let times: Vec<f64> = figures[view].as_array().into_iter().flatten().filter_map(Value::as_f64).collect();
        Percentiles::of(times)
    };
    let (js, css) = (kb("js"), kb("css"));
    let met = |ok: bool| if ok { "met" } else { "NOT met" };
    let mut out = String::from("| figure | measured | budget |\n|---|---:|---|\n");
    out += &format!(
        "| first load, gzip: JavaScript + CSS ({} files) | {js:.1} + {css:.1} = {:.1} KB | ≤ {FIRST_LOAD_BUDGET_KB} KB: {} |\n",
        figures["first_load"]["files"],
        js + css,
        met(js + css <= FIRST_LOAD_BUDGET_KB)
    );
    for (view, budget) in [("week", Some(WEEK_P95_BUDGET_MS)), ("month", None)] {
        if let Some(p) = sample(view) {
            let verdict = budget.map_or(String::new(), |b| format!("p95 ≤ {b} ms: {}", met(p.p95 <= b)));
            out += &format!(
                "| navigation → the {view} holding the {} meetings, drawn: p50 / p95 ({} runs) | {:.0} / {:.0} ms | {verdict} |\n",
                options.meetings, options.runs, p.p50, p.p95
            );
        }
    }
    out
}
