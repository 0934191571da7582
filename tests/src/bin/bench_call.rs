//! The call benchmark: figures, no assertions.
//!
//! ```text
//! bash tests/build-web.sh && cargo run --release -p veche-tests --bin bench_call -- [--runs 20]
//! ```
//!
//! It starts a durable PostgreSQL cluster and one veche node serving the built app, schedules
//! a meeting of four, and drives four Debian Chromiums with fake devices
//! (`tests/web/bench-call.mjs`): the time from clicking Join to the others' video (its first
//! frames), one to one and as the fourth of a mesh, `--runs` joins each, on the web app's
//! call page and, in the same run, on the PeerJS client page the tests use (its `join()` at
//! the moment of the click) against veche's PeerJS endpoint; then each browser's CPU in a
//! four-person call on each page. Progress goes to stderr, the report to stdout.

use clap::Parser;
use serde_json::{json, Value};
use veche_tests::app::{claims, token};
use veche_tests::bench_servers::{until_interrupted, BenchServers};
use veche_tests::browser::run_script;
use veche_tests::stats::Percentiles;

const ONE_TO_ONE_P95_BUDGET_MS: f64 = 300.0;

#[derive(Parser)]
#[command(about = "Join to video and CPU of a call, veche's call page beside the PeerJS page")]
struct Options {
    /// Joins timed for each case.
    #[arg(long, default_value_t = 20)]
    runs: usize,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = Options::parse();
    let servers = BenchServers::start("veche-bench-call-").await?;
    let outcome = until_interrupted(measure(&servers, &options)).await;
    servers.stop_and_print(outcome).await
}

async fn measure(servers: &BenchServers, options: &Options) -> anyhow::Result<String> {
    // Dozens of joins by the same four people: the per-person limits are not what this measures.
    let (server, base) = servers.veche(|settings| settings.rate_commands_per_second = 0.0).await?;
    let client = reqwest::Client::new();
    let people = ["ann", "bob", "cara", "dan"].map(|name| token(&claims(name)));
    let guests: Vec<Value> =
        ["bob", "cara", "dan"].iter().map(|name| json!({ "email": format!("{name}@example.org") })).collect();
    let meeting = json!({
        "title": "Call benchmark", "start": "2026-12-09T10:00:00", "end": "2026-12-09T11:00:00",
        "time_zone": "UTC", "attendees": guests,
    });
    let scheduled: Value = client
        .post(format!("{base}/api/meetings"))
        .bearer_auth(&people[0])
        .json(&meeting)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let room = scheduled["meeting"]["room_id"].as_str().ok_or_else(|| anyhow::anyhow!("no room"))?.to_string();
    let mut passes = Vec::new();
    for person in &people {
        let url = format!("{base}/api/rooms/{room}/pass");
        // The meeting may not be in the read model yet.
        let pass: Value = loop {
            let response = client.post(&url).bearer_auth(person).send().await?;
            if response.status().is_success() {
                break response.json().await?;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        };
        passes.push(pass["pass"].as_str().unwrap_or_default().to_string());
    }
    eprintln!("driving four Chromiums: {} joins per case", options.runs);
    let runs = options.runs.to_string();
    let mut args: Vec<&str> = vec![&base, &room, &runs];
    args.extend(people.iter().map(String::as_str));
    args.extend(passes.iter().map(String::as_str));
    let ran = run_script("bench-call.mjs", &args).await;
    anyhow::ensure!(ran.success, "the browser script failed:\n{}", ran.output);
    let line = ran.output.lines().find(|line| line.starts_with('{')).ok_or_else(|| anyhow::anyhow!("no figures"))?;
    let figures: Value = serde_json::from_str(line)?;
    server.stop().await?;
    Ok(report(&figures))
}

fn report(figures: &Value) -> String {
    let sample = |page: &str, case: &str| {
        Percentiles::of(figures[page][case].as_array().into_iter().flatten().filter_map(Value::as_f64).collect())
    };
    let cpu = |page: &str| {
        let each: Vec<f64> = figures[page]["cpu"].as_array().into_iter().flatten().filter_map(Value::as_f64).collect();
        each.iter().sum::<f64>() / each.len().max(1) as f64
    };
    let met = |ok: bool| if ok { "met" } else { "NOT met" };
    let runs = &figures["runs"];
    let mut out = String::from("| figure | veche's call page | the PeerJS page | target |\n|---|---:|---:|---|\n");
    for (case, what) in [("one", "one to one"), ("mesh", "the fourth into a mesh of four")] {
        if let (Some(veche), Some(peerjs)) = (sample("veche", case), sample("peerjs", case)) {
            let mut target = format!("p95 ≤ the PeerJS page's: {}", met(veche.p95 <= peerjs.p95));
            if case == "one" {
                target = format!("p95 ≤ {ONE_TO_ONE_P95_BUDGET_MS} ms: {}; {target}", met(veche.p95 <= ONE_TO_ONE_P95_BUDGET_MS));
            }
            out += &format!(
                "| Join → the others' video, {what}: p50 / p95 ({runs} joins) | {:.0} / {:.0} ms | {:.0} / {:.0} ms | {target} |\n",
                veche.p50, veche.p95, peerjs.p50, peerjs.p95
            );
        }
    }
    let (veche, peerjs) = (cpu("veche"), cpu("peerjs"));
    out += &format!(
        "| a browser's CPU in a four-person call (all its processes), ms per s | {veche:.0} | {peerjs:.0} | ≤ the PeerJS page's: {} |\n",
        met(veche <= peerjs)
    );
    out
}
