//! Reminders: due in the meeting's zone, sent once across schedulers, restarts and
//! rebuilds, by email and by Web Push.

use chrono::{DateTime, Datelike as _, Duration, NaiveDate, SubsecRound as _, Utc, Weekday};
use infrastructure::notify::reminders::{ReminderScheduler, SchedulerOptions};
use projections::{Projection, Projector};
use reqwest::Method;
use serde_json::{json, Value};
use veche_tests::app::{spawn_app_with, user, TestApp, User};
use veche_tests::push_service::PushService;
use veche_tests::smtp::SmtpSink;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// The year of the meetings whose reminders the tests send as of a chosen instant: next year,
/// so that they are still ahead of the node's own scheduler, which runs on the real clock and
/// lets go of the reminders of meetings that have started.
fn next_year() -> i32 {
    Utc::now().year() + 1
}

/// 1 December next year, 10:00–11:00 in Berlin (09:00 UTC): its 10-minute reminders are due
/// at 08:50 UTC.
fn on_first_of_december() -> Value {
    let year = next_year();
    json!({"start": format!("{year}-12-01T10:00:00"), "end": format!("{year}-12-01T11:00:00")})
}

/// The last Sunday of `month`: when Berlin's clocks change (March and October).
fn last_sunday(year: i32, month: u32) -> NaiveDate {
    let mut day = NaiveDate::from_ymd_opt(year, month + 1, 1).unwrap().pred_opt().unwrap();
    while day.weekday() != Weekday::Sun {
        day = day.pred_opt().unwrap();
    }
    day
}

async fn app_with_smtp(smtp: &SmtpSink) -> TestApp {
    let url = smtp.url();
    spawn_app_with(|settings| settings.smtp_url = Some(url.into())).await
}

fn scheduler(app: &TestApp) -> ReminderScheduler {
    app.state().notifications.reminder_scheduler(&app.pool)
}

/// Schedules and waits until every projection, reminders included, has the meeting.
async fn schedule_projected(app: &TestApp, organizer: &User, attendees: &[&User], overrides: Value) -> String {
    let result = app.schedule(organizer, attendees, overrides).await;
    let id = result["meeting"]["id"].as_str().unwrap().to_string();
    wait_projected(app, organizer, &id, result["position"].as_i64().unwrap()).await;
    id
}

async fn wait_projected(app: &TestApp, who: &User, id: &str, position: i64) {
    let response = app.request(Method::GET, &format!("/api/meetings/{id}?after_position={position}"), who).send().await.unwrap();
    assert_eq!(response.status(), 200);
}

async fn due_rows(app: &TestApp, id: &str) -> Vec<(String, i32, DateTime<Utc>)> {
    sqlx::query_as(
        "select user_email, minutes_before, due_at from reminder_due where meeting_id = $1::uuid \
         order by due_at, user_email",
    )
    .bind(id)
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

/// Runs `scheduler` as of `now` until it finds nothing more due.
async fn run_until_idle(scheduler: &ReminderScheduler, now: DateTime<Utc>) -> usize {
    let mut total = 0;
    loop {
        match scheduler.run_once_at(now).await.unwrap() {
            0 => return total,
            n => total += n,
        }
    }
}

async fn reminders_on_dst_day(start: &str, one_day_due: &str, ten_minutes_due: &str) {
    let smtp = SmtpSink::start().await;
    let app = app_with_smtp(&smtp).await;
    let (olga, ann) = (user("olga"), user("ann"));
    let end = start.replace("09:00", "10:00");
    let id = schedule_projected(&app, &olga, &[&ann], json!({"start": start, "end": end, "reminders": [10, 1440]})).await;
    let (day, ten) = (utc(one_day_due), utc(ten_minutes_due));

    // The organizer and the attendee each have both reminders, due at those instants.
    let rows = due_rows(&app, &id).await;
    let expected: Vec<(String, i32, DateTime<Utc>)> = vec![
        (ann.email.clone(), 1440, day),
        (olga.email.clone(), 1440, day),
        (ann.email.clone(), 10, ten),
        (olga.email.clone(), 10, ten),
    ];
    assert_eq!(rows, expected);

    // Nothing goes out a second early; each goes out at its time.
    let scheduler = scheduler(&app);
    assert_eq!(run_until_idle(&scheduler, day - Duration::seconds(1)).await, 0);
    assert_eq!(run_until_idle(&scheduler, day).await, 2);
    assert_eq!(run_until_idle(&scheduler, ten - Duration::seconds(1)).await, 0);
    assert_eq!(run_until_idle(&scheduler, ten).await, 2);
    let mails = smtp.wait_for(4).await;
    assert_eq!(mails.len(), 4);
    assert!(
        mails.iter().all(|m| m.subject.starts_with("Reminder: Planning")),
        "{:?}",
        mails.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );
    app.stop().await;
}

#[tokio::test]
async fn reminders_fire_at_the_right_wall_clock_time_when_berlin_springs_forward() {
    // 09:00 CEST on the day the clocks go forward is 07:00 UTC. A day before is 09:00 CET
    // (08:00 UTC, 23 hours earlier); ten minutes before is 06:50 UTC.
    let (day, before) = (last_sunday(next_year(), 3), last_sunday(next_year(), 3).pred_opt().unwrap());
    reminders_on_dst_day(&format!("{day}T09:00:00"), &format!("{before}T08:00:00Z"), &format!("{day}T06:50:00Z")).await;
}

#[tokio::test]
async fn reminders_fire_at_the_right_wall_clock_time_when_berlin_falls_back() {
    // 09:00 CET on the day the clocks go back is 08:00 UTC. A day before is 09:00 CEST
    // (07:00 UTC, 25 hours earlier); ten minutes before is 07:50 UTC.
    let (day, before) = (last_sunday(next_year(), 10), last_sunday(next_year(), 10).pred_opt().unwrap());
    reminders_on_dst_day(&format!("{day}T09:00:00"), &format!("{before}T07:00:00Z"), &format!("{day}T07:50:00Z")).await;
}

#[tokio::test]
async fn an_idle_node_sends_a_reminder_at_its_time_without_polling_for_it() {
    let smtp = SmtpSink::start().await;
    let app = app_with_smtp(&smtp).await;
    let (olga, ann) = (user("olga"), user("ann"));
    // The node's scheduler has looked, found nothing pending, and sleeps for its idle poll
    // (30 s): the projections' progress tells it of the new reminder, its due time wakes it.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let due = (Utc::now() + Duration::seconds(3)).trunc_subsecs(0);
    let start = due + Duration::minutes(1);
    let local = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%S").to_string();
    let times = json!({"start": local(start), "end": local(start + Duration::hours(1)), "time_zone": "UTC", "reminders": [1]});
    schedule_projected(&app, &olga, &[&ann], times).await;

    let mails = smtp.wait_for(2).await;
    assert_eq!(mails.len(), 2);
    for mail in &mails {
        let sent: DateTime<Utc> = mail.received_at.into();
        assert!(sent >= due, "sent at {sent}, before it was due at {due}");
        assert!(sent < due + Duration::seconds(2), "sent at {sent}, late for {due}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_reschedule_moves_reminders_and_a_decline_or_a_cancellation_removes_them() {
    let smtp = SmtpSink::start().await;
    let app = app_with_smtp(&smtp).await;
    let (olga, ann, bob) = (user("olga"), user("ann"), user("bob"));
    let id = schedule_projected(&app, &olga, &[&ann, &bob], json!({})).await;
    assert_eq!(due_rows(&app, &id).await.len(), 3);

    let declined = app
        .request(Method::PUT, &format!("/api/meetings/{id}/response"), &bob)
        .json(&json!({"response": "declined"}))
        .send()
        .await
        .unwrap();
    let position = declined.headers()["veche-position"].to_str().unwrap().parse().unwrap();
    wait_projected(&app, &olga, &id, position).await;
    let people: Vec<String> = due_rows(&app, &id).await.into_iter().map(|r| r.0).collect();
    assert_eq!(people, vec![ann.email.clone(), olga.email.clone()]);

    let year = next_year();
    let moved =
        json!({"start": format!("{year}-12-03T15:00:00"), "end": format!("{year}-12-03T16:00:00"), "time_zone": "Europe/Berlin"});
    let response = app.request(Method::PUT, &format!("/api/meetings/{id}/schedule"), &olga).json(&moved).send().await.unwrap();
    let position = response.headers()["veche-position"].to_str().unwrap().parse().unwrap();
    wait_projected(&app, &olga, &id, position).await;
    assert!(due_rows(&app, &id).await.iter().all(|r| r.2 == utc(&format!("{year}-12-03T13:50:00Z"))));

    let cancelled = app.request(Method::POST, &format!("/api/meetings/{id}/cancel"), &olga).send().await.unwrap();
    let position = cancelled.headers()["veche-position"].to_str().unwrap().parse().unwrap();
    wait_projected(&app, &olga, &id, position).await;
    assert!(due_rows(&app, &id).await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn a_reminder_not_sent_before_its_meeting_started_is_let_go_until_the_meeting_moves() {
    let smtp = SmtpSink::start().await;
    let app = app_with_smtp(&smtp).await;
    let (olga, ann) = (user("olga"), user("ann"));
    let id = schedule_projected(&app, &olga, &[&ann], on_first_of_december()).await;
    let year = next_year();
    let missed = || async {
        let missed: i64 =
            sqlx::query_scalar("select count(*) from reminder_due where meeting_id = $1::uuid and missed_at is not null")
                .bind(&id)
                .fetch_one(&app.pool)
                .await
                .unwrap();
        missed
    };

    // No scheduler ran from before the reminders were due until after the meeting started.
    let scheduler = scheduler(&app);
    assert_eq!(run_until_idle(&scheduler, utc(&format!("{year}-12-01T09:01:00Z"))).await, 0);
    assert_eq!(missed().await, 2);
    // Let go: not even a scheduler whose clock is behind sends them now.
    assert_eq!(run_until_idle(&scheduler, utc(&format!("{year}-12-01T08:55:00Z"))).await, 0);

    // The meeting moves to the next day: its reminders are due again, and go out at their time.
    let moved =
        json!({"start": format!("{year}-12-02T10:00:00"), "end": format!("{year}-12-02T11:00:00"), "time_zone": "Europe/Berlin"});
    let response = app.request(Method::PUT, &format!("/api/meetings/{id}/schedule"), &olga).json(&moved).send().await.unwrap();
    let position = response.headers()["veche-position"].to_str().unwrap().parse().unwrap();
    wait_projected(&app, &olga, &id, position).await;
    assert_eq!(missed().await, 0);
    assert_eq!(run_until_idle(&scheduler, utc(&format!("{year}-12-02T08:50:00Z"))).await, 2);
    assert_eq!(smtp.wait_for(2).await.len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn two_schedulers_never_send_the_same_reminder_and_a_rebuild_sends_nothing_again() {
    let smtp = SmtpSink::start().await;
    let app = app_with_smtp(&smtp).await;
    let olga = user("olga");
    let attendees: Vec<User> = (0..3).map(|i| user(&format!("guest{i}"))).collect();
    let refs: Vec<&User> = attendees.iter().collect();
    let mut ids = Vec::new();
    for _ in 0..15 {
        ids.push(schedule_projected(&app, &olga, &refs, on_first_of_december()).await);
    }
    // 15 meetings × (organizer + 3 attendees), all due at 09:50 Berlin on 1 December.
    let now = utc(&format!("{}-12-01T08:55:00Z", next_year()));
    let small_batches = SchedulerOptions { batch_size: 7, ..SchedulerOptions::default() };
    let (first, second) = (scheduler(&app).with_options(small_batches.clone()), scheduler(&app).with_options(small_batches));
    let (a, b) = tokio::join!(run_until_idle(&first, now), run_until_idle(&second, now));
    assert_eq!(a + b, 60);
    assert!(a > 0 && b > 0, "both schedulers took work: {a} and {b}");

    let mails = smtp.wait_for(60).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let mails = if mails.len() == 60 { smtp.received() } else { mails };
    assert_eq!(mails.len(), 60);
    let distinct: std::collections::HashSet<&String> = mails.iter().map(|m| &m.message_id).collect();
    assert_eq!(distinct.len(), 60);

    // A rebuild of the reminders table makes every row unsent again; the ledger remembers.
    let projector = Projector::new(app.pool.clone());
    projector.reset(Projection::Reminders).await.unwrap();
    projector.catch_up().await.unwrap();
    let rows: i64 =
        sqlx::query_scalar("select count(*) from reminder_due where sent_at is null").fetch_one(&app.pool).await.unwrap();
    assert_eq!(rows, 60);
    assert_eq!(run_until_idle(&first, now).await, 60);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(smtp.received().len(), 60);
    app.stop().await;
}

#[tokio::test]
async fn a_reminder_is_pushed_encrypted_to_each_browser_and_a_gone_browser_is_forgotten() {
    let smtp = SmtpSink::start().await;
    let app = app_with_smtp(&smtp).await;
    let push = PushService::start().await;
    let (olga, ann) = (user("olga"), user("ann"));
    let (laptop, phone) = (push.subscribe(), push.subscribe());
    for browser in [&laptop, &phone] {
        let response = app.request(Method::POST, "/api/push/subscriptions", &ann).json(&browser.json()).send().await.unwrap();
        assert_eq!(response.status(), 201);
    }
    let mut retro = on_first_of_december();
    retro["title"] = json!("Retro");
    schedule_projected(&app, &olga, &[&ann], retro).await;
    push.unsubscribe_browser(&phone);

    let now = utc(&format!("{}-12-01T08:55:00Z", next_year()));
    assert_eq!(run_until_idle(&scheduler(&app), now).await, 2);

    // The laptop got the reminder, decrypted with its own keys, under a valid VAPID token.
    let delivered = push.delivered();
    assert_eq!(delivered.len(), 1, "refused: {:?}", push.refused());
    assert_eq!(delivered[0].subscription, laptop.id);
    assert_eq!(delivered[0].vapid_subject, "mailto:ops@example.org");
    let payload: Value = serde_json::from_slice(&delivered[0].plaintext).unwrap();
    assert_eq!(payload["title"], "Reminder: Retro");
    assert!(payload["url"].as_str().unwrap().starts_with("https://meet.example.org/rooms/"));
    // The phone answered 410, so its subscription is gone.
    let left: Vec<String> = sqlx::query_scalar("select endpoint from push_subscription").fetch_all(&app.pool).await.unwrap();
    assert_eq!(left, vec![laptop.endpoint.clone()]);
    assert_eq!(smtp.wait_for(2).await.len(), 2);
    app.stop().await;
}
