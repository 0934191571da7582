use reqwest::Method;
use serde_json::{json, Value};
use veche_tests::app::{spawn_app, spawn_app_with, user, TestApp};

async fn schedule_problem(app: &TestApp, body: Value) -> (u16, Value) {
    let ann = user("ann");
    TestApp::json(app.request(Method::POST, "/api/meetings", &ann).json(&body).send().await.unwrap()).await
}

fn meeting(overrides: Value) -> Value {
    let mut body =
        json!({"title": "T", "start": "2026-12-01T10:00:00", "end": "2026-12-01T11:00:00", "time_zone": "Europe/Berlin"});
    for (k, v) in overrides.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

#[tokio::test]
async fn invalid_meetings_get_a_precise_problem_and_store_nothing() {
    let app = spawn_app().await;
    let cases = [
        (meeting(json!({"end": "2026-12-01T09:00:00"})), "start", "is not after the start", "end-not-after-start"),
        (meeting(json!({"end": "2026-12-20T09:00:00"})), "start", "longer than 168 hours", "duration-too-long"),
        (meeting(json!({"time_zone": "Europe/Atlantis"})), "time_zone", "not a known IANA time zone", "unknown-time-zone"),
        (meeting(json!({"title": "  "})), "title", "title is empty", "title-empty"),
        (meeting(json!({"title": "x".repeat(201)})), "title", "longer than 200 characters", "title-too-long"),
        (meeting(json!({"description": "x".repeat(8001)})), "description", "longer than 8000", "description-too-long"),
        (meeting(json!({"attendees": [{"email": "not-an-email"}]})), "attendees[0].email", "not a valid email", "invalid-email"),
        (meeting(json!({"reminders": [10, 10]})), "reminders", "given twice", "duplicate-reminder"),
        (
            meeting(json!({"start": "2026-03-29T02:30:00", "end": "2026-03-29T04:00:00"})),
            "start",
            "does not exist in Europe/Berlin",
            "nonexistent-local-time",
        ),
    ];
    for (body, field, detail, code) in cases {
        let (status, problem) = schedule_problem(&app, body).await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(problem["type"], "urn:veche:problem:validation");
        assert_eq!((problem["field"].as_str(), problem["code"].as_str()), (Some(field), Some(code)));
        assert!(problem["detail"].as_str().unwrap().contains(detail), "{problem}");
    }
    let count: i64 = sqlx::query_scalar("select count(*) from events").fetch_one(&app.pool).await.unwrap();
    assert_eq!(count, 0);
    app.stop().await;
}

#[tokio::test]
async fn duplicate_and_excessive_attendees_are_refused() {
    let app = spawn_app().await;
    let (status, problem) =
        schedule_problem(&app, meeting(json!({"attendees": [{"email": "bob@example.org"}, {"email": "BOB@example.org"}]}))).await;
    assert_eq!((status, problem["type"].as_str().unwrap()), (422, "urn:veche:problem:duplicate-attendee"));
    let crowd: Vec<Value> = (0..201).map(|i| json!({"email": format!("p{i}@example.org")})).collect();
    let (status, problem) = schedule_problem(&app, meeting(json!({"attendees": crowd}))).await;
    assert_eq!((status, problem["type"].as_str().unwrap()), (422, "urn:veche:problem:too-many-attendees"));
    let (status, problem) = schedule_problem(&app, meeting(json!({"attendees": [{"email": "ann@example.org"}]}))).await;
    assert_eq!((status, problem["type"].as_str().unwrap()), (422, "urn:veche:problem:organizer-invited"));
    app.stop().await;
}

#[tokio::test]
async fn malformed_bodies_get_400_and_unknown_fields_are_named() {
    let app = spawn_app().await;
    let ann = user("ann");
    let broken = app
        .request(Method::POST, "/api/meetings", &ann)
        .header("content-type", "application/json")
        .body("{\"title\":")
        .send()
        .await
        .unwrap();
    let (status, problem) = TestApp::json(broken).await;
    assert_eq!(status, 400);
    assert_eq!(problem["type"], "urn:veche:problem:malformed-request");
    let (status, problem) = schedule_problem(&app, meeting(json!({"colour": "red"}))).await;
    assert_eq!(status, 400);
    assert!(problem["detail"].as_str().unwrap().contains("colour"), "{problem}");
    let (status, _) = schedule_problem(&app, meeting(json!({"start": "tomorrow"}))).await;
    assert_eq!(status, 400);
    let not_json = app.request(Method::POST, "/api/meetings", &ann).body("title=T").send().await.unwrap();
    assert_eq!(not_json.status(), 415);
    app.stop().await;
}

#[tokio::test]
async fn a_body_over_the_limit_gets_413() {
    let app = spawn_app().await;
    let ann = user("ann");
    let huge = meeting(json!({"description": "x".repeat(100 * 1024)}));
    let (status, problem) =
        TestApp::json(app.request(Method::POST, "/api/meetings", &ann).json(&huge).send().await.unwrap()).await;
    assert_eq!(status, 413, "{problem}");
    assert_eq!(problem["type"], "urn:veche:problem:payload-too-large");
    app.stop().await;
}

#[tokio::test]
async fn a_cancelled_meeting_refuses_changes_with_409() {
    let app = spawn_app().await;
    let (ann, bob) = (user("ann"), user("bob"));
    let id = app.schedule(&ann, &[&bob], json!({})).await["meeting"]["id"].as_str().unwrap().to_string();
    app.request(Method::POST, &format!("/api/meetings/{id}/cancel"), &ann).send().await.unwrap();
    let (status, problem) = TestApp::json(
        app.request(Method::PATCH, &format!("/api/meetings/{id}"), &ann).json(&json!({"title": "Back on"})).send().await.unwrap(),
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(problem["type"], "urn:veche:problem:meeting-cancelled");
    app.stop().await;
}

#[tokio::test]
async fn unknown_routes_and_non_uuid_ids_get_404_problems() {
    let app = spawn_app().await;
    let ann = user("ann");
    for path in ["/api/nothing-here", "/api/meetings/not-a-uuid"] {
        let (status, problem) = TestApp::json(app.request(Method::GET, path, &ann).send().await.unwrap()).await;
        assert_eq!(status, 404, "{path}");
        assert!(problem["type"].as_str().unwrap().starts_with("urn:veche:problem:"));
    }
    let (status, _) = TestApp::json(
        app.request(Method::PATCH, "/api/meetings/00000000-0000-0000-0000-000000000000", &ann)
            .header("If-Match", "banana")
            .json(&json!({}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    app.stop().await;
}

#[tokio::test]
async fn while_the_database_is_down_requests_are_told_to_retry_with_503_not_500() {
    use infrastructure::embedded_postgres::{EmbeddedPostgres, EmbeddedPostgresOptions};
    let dir = tempfile::tempdir().unwrap();
    let options = EmbeddedPostgresOptions { data_dir: dir.path().into(), port: None, durable: false };
    let cluster = EmbeddedPostgres::start(options).await.expect("a cluster of this test's own starts");
    let url = cluster.database_url();
    let app = spawn_app_with(|settings| settings.database_url = Some(url.into())).await;
    let (status, scheduled) = schedule_problem(&app, meeting(json!({}))).await;
    assert_eq!(status, 201, "scheduling works while the database is up");
    let id = scheduled["meeting"]["id"].as_str().unwrap();

    cluster.stop().await.unwrap();
    let ann = user("ann");
    let reading = app.request(Method::GET, &format!("/api/meetings/{id}"), &ann).send().await.unwrap();
    let scheduling = app.request(Method::POST, "/api/meetings", &ann).json(&meeting(json!({}))).send().await.unwrap();
    for response in [reading, scheduling] {
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()["content-type"], "application/problem+json");
        assert_eq!(response.headers()["retry-after"], "1");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["type"], "urn:veche:problem:unavailable");
        assert!(problem["detail"].as_str().unwrap().contains("database"), "{problem}");
    }
}

/// No mail bombing through veche: a person's commands, and the emails they cause, are
/// limited; past a limit the answer is 429 with `Retry-After`, and nothing is recorded.
#[tokio::test]
async fn a_person_who_causes_too_many_emails_or_sends_too_many_commands_gets_429_with_retry_after() {
    let app = spawn_app_with(|settings| {
        settings.rate_commands_per_second = 1.0;
        settings.rate_emails_per_hour = 400.0;
    })
    .await;
    let (olga, bob) = (user("olga"), user("bob"));
    // 200 invitations at once are accepted (the burst is 400)...
    let guests: Vec<serde_json::Value> = (0..200).map(|i| json!({"email": format!("guest{i}@example.org")})).collect();
    let first =
        app.request(Method::POST, "/api/meetings", &olga).json(&meeting(json!({"attendees": guests}))).send().await.unwrap();
    assert_eq!(first.status(), 201);
    let guests: Vec<serde_json::Value> = (200..400).map(|i| json!({"email": format!("guest{i}@example.org")})).collect();
    let second =
        app.request(Method::POST, "/api/meetings", &olga).json(&meeting(json!({"attendees": guests}))).send().await.unwrap();
    assert_eq!(second.status(), 201, "the bucket still had tokens; this one empties it");
    // ...and then Olga waits, whatever she asks.
    let third = app.request(Method::POST, "/api/meetings", &olga).json(&meeting(json!({}))).send().await.unwrap();
    assert_eq!(third.status(), 429);
    let wait: u64 = third.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((5..=10).contains(&wait), "the time one email takes to come back at 400 an hour (9 s): {wait}");
    let (_, problem) = TestApp::json(third).await;
    assert_eq!(problem["type"], "urn:veche:problem:rate-limited");
    let scheduled: i64 = sqlx::query_scalar("select count(*) from events where event_type = 'MeetingScheduled'")
        .fetch_one(&app.state().pool)
        .await
        .unwrap();
    assert_eq!(scheduled, 2, "the refused command recorded nothing");
    // Bob is not held back by Olga; his own commands are limited to their burst (10).
    let statuses = futures::future::join_all(
        (0..12).map(|_| app.request(Method::POST, "/api/meetings", &bob).json(&meeting(json!({}))).send()),
    )
    .await;
    let limited = statuses.iter().filter(|r| r.as_ref().unwrap().status() == 429).count();
    assert_eq!(limited, 2, "ten pass, two wait");
    app.stop().await;
}

/// A client sending far more than the limit reads the 413 (the server does not reset the
/// connection under it while it is still sending).
#[tokio::test]
async fn a_body_far_over_the_limit_gets_its_413_read_not_a_reset() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app().await;
    let ann = user("ann");
    let size = 32 * 1024 * 1024;
    let address = app.base.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /api/meetings HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {size}\r\n\r\n",
        ann.token
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    // Sends the whole body, as a client that does not look at early answers does.
    let sending = tokio::spawn(async move {
        let chunk = vec![b' '; 64 * 1024];
        let mut sent = 0;
        while sent < size {
            if writer.write_all(&chunk).await.is_err() {
                break;
            }
            sent += chunk.len();
        }
    });
    let mut answer = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(30), reader.read_to_end(&mut answer)).await;
    sending.abort();
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 413"), "read {:?} then {read:?}", &text[..text.len().min(200)]);
    assert!(text.contains("payload-too-large"));
    app.stop().await;
}
