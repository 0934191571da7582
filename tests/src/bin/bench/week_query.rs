//! Phase 3: the week query over many events.

use super::*;

pub(crate) fn first_monday() -> NaiveDate {
    NaiveDate::from_ymd_opt(FIRST_MONDAY.0, FIRST_MONDAY.1, FIRST_MONDAY.2).unwrap()
}

/// Columns of one chunk of generated meetings.
#[derive(Default)]
pub(crate) struct Chunk {
    pub(crate) ids: Vec<Uuid>,
    pub(crate) rooms: Vec<Uuid>,
    pub(crate) organizers: Vec<i32>,
    pub(crate) attendees: [Vec<i32>; 3],
    pub(crate) starts: Vec<NaiveDateTime>,
    pub(crate) minutes: Vec<i32>,
}

/// Users are grouped in teams; a meeting's organizer is a random user, two attendees are
/// colleagues from the same team, the third one too, or (one time in five) someone from
/// another team. Meetings fall on weekdays of 52 weeks of 2027, 08:00–18:30 Berlin time.
pub(crate) fn generate_chunk(rng: &mut StdRng, count: usize, users: u32) -> Chunk {
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
pub(crate) const BULK_INSERT: &str = r#"
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

pub(crate) async fn week_phase(cluster: &EmbeddedPostgres, args: &Args, report: &mut Report) -> anyhow::Result<()> {
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
pub(crate) async fn week_data(pool: &PgPool, args: &Args) -> anyhow::Result<(Duration, Duration, i64)> {
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

pub(crate) struct QueryStats {
    pub(crate) latency: Option<Percentiles>,
    pub(crate) errors: usize,
    pub(crate) mean_meetings: f64,
}

/// A random person of the generated population and a random week of the data.
pub(crate) fn random_week_query(rng: &mut StdRng, users: u32) -> (String, DateTime<Utc>, DateTime<Utc>) {
    let team_size = TEAM_SIZE.min(users);
    let population = (users / team_size) * team_size;
    let name = format!("u{}", rng.gen_range(0..population));
    let monday = first_monday() + ChronoDuration::days(7 * rng.gen_range(0..WEEKS));
    let from = monday.and_hms_opt(0, 0, 0).unwrap().and_utc();
    (name, from, from + ChronoDuration::days(7))
}

pub(crate) fn rfc3339(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub(crate) async fn week_queries(server: &RunningServer, args: &Args) -> anyhow::Result<(QueryStats, QueryStats)> {
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

pub(crate) type QueryWorker = tokio::task::JoinHandle<(Vec<f64>, usize, Vec<String>)>;

pub(crate) async fn collect_query_stats(workers: Vec<QueryWorker>, what: &str) -> anyhow::Result<QueryStats> {
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
