//! Phase 1: raw append with postgres-es.

use super::*;

pub(crate) async fn raw_phase(cluster: &EmbeddedPostgres, args: &Args, report: &mut Report) -> anyhow::Result<()> {
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
