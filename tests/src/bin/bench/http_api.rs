//! Phase 2: the HTTP API.

use super::*;

/// The name of veche's runtime threads, by which the CPU meter tells them from the clients'.
pub(crate) const VECHE_THREAD_NAME: &str = "veche";

/// veche on a runtime of its own, as `veche serve` runs it (its pool size is the default's,
/// `VECHE_DB_MAX_CONNECTIONS`): the load clients' tasks do not queue on veche's workers,
/// nor veche's on theirs, as with clients in other processes. Both share the cores.
pub(crate) struct IsolatedServer {
    pub(crate) runtime: tokio::runtime::Runtime,
    pub(crate) server: RunningServer,
}

impl IsolatedServer {
    pub(crate) async fn start(mut settings: api::settings::Settings) -> anyhow::Result<Self> {
        settings.db_max_connections = api::settings::default_db_max_connections();
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().thread_name(VECHE_THREAD_NAME).build()?;
        let server = runtime.spawn(api::server::start(settings)).await?.context("starting veche")?;
        Ok(Self { runtime, server })
    }

    pub(crate) async fn stop(self) -> anyhow::Result<()> {
        self.runtime.spawn(self.server.stop()).await?.context("stopping veche")?;
        self.runtime.shutdown_background();
        Ok(())
    }
}

pub(crate) async fn http_phase(cluster: &EmbeddedPostgres, args: &Args, report: &mut Report) -> anyhow::Result<()> {
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

pub(crate) struct HttpWorkerStats {
    pub(crate) commands: u64,
    pub(crate) scheduled: u64,
    pub(crate) errors: u64,
    pub(crate) latencies_ms: Vec<f64>,
    pub(crate) max_position: i64,
    pub(crate) first_error: Option<String>,
}

/// Where the cores go during the HTTP phase: veche's runtime, the load clients (every other
/// thread of this process) and PostgreSQL.
pub(crate) fn cpu_meter(cluster: &EmbeddedPostgres) -> CpuMeter {
    let mut parties = vec![("veche", Party::ThreadsNamed(VECHE_THREAD_NAME)), ("load clients", Party::OtherThreads)];
    if let Some(postmaster) = cluster.pid() {
        parties.push(("PostgreSQL", Party::ProcessTree(postmaster)));
    }
    CpuMeter::new(parties)
}

/// What a worker needs to measure the projection lag of its commands.
#[derive(Clone)]
pub(crate) struct LagProbe {
    pub(crate) progress: ProjectionProgress,
    pub(crate) pool: PgPool,
    pub(crate) sender: mpsc::UnboundedSender<Option<f64>>,
}

pub(crate) async fn http_levels(
    server: &RunningServer,
    meter: &CpuMeter,
    args: &Args,
    report: &mut Report,
) -> anyhow::Result<()> {
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

pub(crate) async fn http_worker(
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
