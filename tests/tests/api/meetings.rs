use reqwest::Method;
use serde_json::json;
use veche_tests::app::{spawn_app, user, TestApp};

#[tokio::test]
async fn scheduling_returns_the_meeting_with_its_room_link_version_and_position() {
    let app = spawn_app().await;
    let (ann, bob) = (user("ann"), user("bob"));
    let result = app.schedule(&ann, &[&bob], json!({"reminders": [30, 10]})).await;
    let meeting = &result["meeting"];
    assert_eq!(result["version"], 1);
    assert!(result["position"].as_i64().unwrap() > 0);
    assert_eq!(meeting["title"], "Planning");
    assert_eq!(meeting["time_zone"], "Europe/Berlin");
    assert_eq!(meeting["starts_at"], "2026-12-01T09:00:00Z");
    assert_eq!(meeting["reminders"], json!([10, 30]));
    assert_eq!(meeting["my_role"], "organizer");
    assert_eq!(meeting["attendees"][0]["response"], "needs_action");
    let room = meeting["room_id"].as_str().unwrap();
    assert_eq!(meeting["meeting_link"], format!("https://meet.example.org/rooms/{room}"));
    app.stop().await;
}

#[tokio::test]
async fn an_attendee_reads_the_meeting_right_after_it_is_scheduled() {
    let app = spawn_app().await;
    let (ann, bob) = (user("ann"), user("bob"));
    let result = app.schedule(&ann, &[&bob], json!({})).await;
    let id = result["meeting"]["id"].as_str().unwrap();
    let position = result["position"].as_i64().unwrap();
    let response = app.request(Method::GET, &format!("/api/meetings/{id}?after_position={position}"), &bob).send().await.unwrap();
    assert_eq!(response.headers()["etag"], "\"1\"");
    let (status, body) = TestApp::json(response).await;
    assert_eq!(status, 200);
    assert_eq!(body["my_role"], "attendee");
    assert_eq!(body["my_response"], "needs_action");
    app.stop().await;
}

#[tokio::test]
async fn the_organizer_edits_and_each_edit_bumps_the_ical_sequence() {
    let app = spawn_app().await;
    let (ann, bob, carl) = (user("ann"), user("bob"), user("carl"));
    let id = app.schedule(&ann, &[&bob], json!({})).await["meeting"]["id"].as_str().unwrap().to_string();

    let patch = app
        .request(Method::PATCH, &format!("/api/meetings/{id}"), &ann)
        .json(&json!({"title": "Planning 2027", "reminders": [5]}))
        .send()
        .await
        .unwrap();
    let (status, body) = TestApp::json(patch).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["meeting"]["ical_sequence"], 1);
    assert_eq!(body["version"], 3, "details and reminders are two events");

    let moved = app
        .request(Method::PUT, &format!("/api/meetings/{id}/schedule"), &ann)
        .json(&json!({"start": "2026-12-02T15:00:00", "end": "2026-12-02T16:30:00", "time_zone": "America/New_York"}))
        .send()
        .await
        .unwrap();
    let (_, body) = TestApp::json(moved).await;
    assert_eq!(body["meeting"]["starts_at"], "2026-12-02T20:00:00Z");
    assert_eq!(body["meeting"]["ical_sequence"], 2);

    let invited = app
        .request(Method::POST, &format!("/api/meetings/{id}/attendees"), &ann)
        .json(&json!({"attendees": [{"email": carl.email, "name": "Carl"}]}))
        .send()
        .await
        .unwrap();
    let (_, body) = TestApp::json(invited).await;
    assert_eq!(body["meeting"]["attendees"].as_array().unwrap().len(), 2);

    let removed = app.request(Method::DELETE, &format!("/api/meetings/{id}/attendees/{}", bob.email), &ann).send().await.unwrap();
    let (_, body) = TestApp::json(removed).await;
    assert_eq!(body["meeting"]["attendees"][0]["email"], carl.email);
    assert_eq!(body["meeting"]["ical_sequence"], 4);

    let cancelled = app
        .request(Method::POST, &format!("/api/meetings/{id}/cancel"), &ann)
        .json(&json!({"reason": "Moved to email"}))
        .send()
        .await
        .unwrap();
    let (_, body) = TestApp::json(cancelled).await;
    assert_eq!(body["meeting"]["status"], "cancelled");
    assert_eq!(body["meeting"]["cancellation_reason"], "Moved to email");
    app.stop().await;
}

#[tokio::test]
async fn an_attendee_answers_and_everyone_sees_the_answer() {
    let app = spawn_app().await;
    let (ann, bob) = (user("ann"), user("bob"));
    let id = app.schedule(&ann, &[&bob], json!({})).await["meeting"]["id"].as_str().unwrap().to_string();
    let answered = app
        .request(Method::PUT, &format!("/api/meetings/{id}/response"), &bob)
        .json(&json!({"response": "tentative"}))
        .send()
        .await
        .unwrap();
    let (status, body) = TestApp::json(answered).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["meeting"]["my_response"], "tentative");
    let position = body["position"].as_i64().unwrap();
    let (_, seen) = TestApp::json(
        app.request(Method::GET, &format!("/api/meetings/{id}?after_position={position}"), &ann).send().await.unwrap(),
    )
    .await;
    assert_eq!(seen["attendees"][0]["response"], "tentative");
    app.stop().await;
}

#[tokio::test]
async fn a_stale_if_match_gets_412_and_the_change_is_not_applied() {
    let app = spawn_app().await;
    let ann = user("ann");
    let id = app.schedule(&ann, &[], json!({})).await["meeting"]["id"].as_str().unwrap().to_string();
    let first = app
        .request(Method::PATCH, &format!("/api/meetings/{id}"), &ann)
        .header("If-Match", "\"1\"")
        .json(&json!({"title": "First"}))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["etag"], "\"2\"");
    let stale = app
        .request(Method::PATCH, &format!("/api/meetings/{id}"), &ann)
        .header("If-Match", "\"1\"")
        .json(&json!({"title": "Second"}))
        .send()
        .await
        .unwrap();
    let (status, problem) = TestApp::json(stale).await;
    assert_eq!(status, 412);
    assert_eq!(problem["type"], "urn:veche:problem:version-mismatch");
    assert_eq!(problem["current_version"], 2);
    let history = app.request(Method::GET, &format!("/api/meetings/{id}/history"), &ann).send().await.unwrap();
    let (_, history) = TestApp::json(history).await;
    assert_eq!(history["state"]["title"], "First");
    app.stop().await;
}

#[tokio::test]
async fn concurrent_changes_with_the_same_if_match_let_exactly_one_win() {
    let app = spawn_app().await;
    let ann = user("ann");
    let id = app.schedule(&ann, &[], json!({})).await["meeting"]["id"].as_str().unwrap().to_string();
    let attempts = (0..8).map(|i| {
        app.request(Method::PATCH, &format!("/api/meetings/{id}"), &ann)
            .header("If-Match", "\"1\"")
            .json(&json!({"title": format!("Title {i}")}))
            .send()
    });
    let statuses: Vec<u16> =
        futures::future::join_all(attempts).await.into_iter().map(|r| r.unwrap().status().as_u16()).collect();
    assert_eq!(statuses.iter().filter(|&&s| s == 200).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|&&s| s == 412).count(), 7, "{statuses:?}");
    app.stop().await;
}

#[tokio::test]
async fn concurrent_changes_without_if_match_are_all_applied() {
    let app = spawn_app().await;
    let ann = user("ann");
    let id = app.schedule(&ann, &[], json!({})).await["meeting"]["id"].as_str().unwrap().to_string();
    let invites = (0..6).map(|i| {
        app.request(Method::POST, &format!("/api/meetings/{id}/attendees"), &ann)
            .json(&json!({"attendees": [{"email": format!("guest{i}@example.org")}]}))
            .send()
    });
    for response in futures::future::join_all(invites).await {
        assert_eq!(response.unwrap().status(), 200);
    }
    let (_, history) =
        TestApp::json(app.request(Method::GET, &format!("/api/meetings/{id}/history"), &ann).send().await.unwrap()).await;
    assert_eq!(history["state"]["attendees"].as_array().unwrap().len(), 6);
    assert_eq!(history["events"].as_array().unwrap().len(), 7);
    app.stop().await;
}

#[tokio::test]
async fn a_retried_post_with_the_same_idempotency_key_creates_nothing_new() {
    let app = spawn_app().await;
    let ann = user("ann");
    let body = json!({"title": "Once", "start": "2026-12-01T10:00:00", "end": "2026-12-01T11:00:00", "time_zone": "UTC"});
    let send = || app.request(Method::POST, "/api/meetings", &ann).header("Idempotency-Key", "req-42").json(&body).send();
    let first = send().await.unwrap();
    assert_eq!(first.status(), 201);
    let first: serde_json::Value = first.json().await.unwrap();
    let again = send().await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: serde_json::Value = again.json().await.unwrap();
    assert_eq!(first["meeting"]["id"], again["meeting"]["id"]);
    assert_eq!(first["meeting"]["room_id"], again["meeting"]["room_id"]);
    let count: i64 = sqlx::query_scalar("select count(*) from events").fetch_one(&app.pool).await.unwrap();
    assert_eq!(count, 1);

    let different = app
        .request(Method::POST, "/api/meetings", &ann)
        .header("Idempotency-Key", "req-42")
        .json(&json!({"title": "Other", "start": "2026-12-01T10:00:00", "end": "2026-12-01T11:00:00", "time_zone": "UTC"}))
        .send()
        .await
        .unwrap();
    let (status, problem) = TestApp::json(different).await;
    assert_eq!(status, 422);
    assert_eq!(problem["type"], "urn:veche:problem:idempotency-key-reused");

    // The same key from another person is another request altogether.
    let bob = user("bob");
    let theirs =
        app.request(Method::POST, "/api/meetings", &bob).header("Idempotency-Key", "req-42").json(&body).send().await.unwrap();
    assert_eq!(theirs.status(), 201);
    app.stop().await;
}
