use reqwest::Method;
use serde_json::json;
use veche_tests::app::{spawn_app, user, TestApp};

#[tokio::test]
async fn the_calendar_lists_what_a_person_organises_or_attends_in_the_range() {
    let app = spawn_app().await;
    let (ann, bob, carl) = (user("ann"), user("bob"), user("carl"));
    app.schedule(&ann, &[&bob], json!({"title": "Mon"})).await;
    app.schedule(&bob, &[&ann], json!({"title": "Wed", "start": "2026-12-03T10:00:00", "end": "2026-12-03T11:00:00"})).await;
    app.schedule(&carl, &[], json!({"title": "Carl alone"})).await;
    let last = app
        .schedule(&ann, &[], json!({"title": "Next month", "start": "2027-01-05T10:00:00", "end": "2027-01-05T11:00:00"}))
        .await;
    let position = last["position"].as_i64().unwrap();

    let week = app
        .request(
            Method::GET,
            &format!("/api/calendar?from=2026-11-30T00:00:00Z&to=2026-12-07T00:00:00Z&after_position={position}"),
            &ann,
        )
        .send()
        .await
        .unwrap();
    let (status, body) = TestApp::json(week).await;
    assert_eq!(status, 200, "{body}");
    let titles: Vec<&str> = body["meetings"].as_array().unwrap().iter().map(|m| m["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["Mon", "Wed"]);
    assert_eq!(body["meetings"][0]["my_role"], "organizer");
    assert_eq!(body["meetings"][1]["my_role"], "attendee");
    assert_eq!(body["meetings"][1]["my_response"], "needs_action");
    app.stop().await;
}

#[tokio::test]
async fn a_meeting_that_overlaps_the_start_of_the_range_is_included() {
    let app = spawn_app().await;
    let ann = user("ann");
    let result =
        app.schedule(&ann, &[], json!({"start": "2026-11-30T23:00:00", "end": "2026-12-01T01:00:00", "time_zone": "UTC"})).await;
    let position = result["position"].as_i64().unwrap();
    let (_, body) = TestApp::json(
        app.request(
            Method::GET,
            &format!("/api/calendar?from=2026-12-01T00:00:00Z&to=2026-12-02T00:00:00Z&after_position={position}"),
            &ann,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(body["meetings"].as_array().unwrap().len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn rescheduling_and_removing_move_the_calendar_entries() {
    let app = spawn_app().await;
    let (ann, bob) = (user("ann"), user("bob"));
    let id = app.schedule(&ann, &[&bob], json!({})).await["meeting"]["id"].as_str().unwrap().to_string();
    app.request(Method::PUT, &format!("/api/meetings/{id}/schedule"), &ann)
        .json(&json!({"start": "2026-12-10T10:00:00", "end": "2026-12-10T11:00:00", "time_zone": "Europe/Berlin"}))
        .send()
        .await
        .unwrap();
    let removed: serde_json::Value = app
        .request(Method::DELETE, &format!("/api/meetings/{id}/attendees/{}", bob.email), &ann)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let position = removed["position"].as_i64().unwrap();
    let range = format!("/api/calendar?from=2026-12-07T00:00:00Z&to=2026-12-14T00:00:00Z&after_position={position}");
    let (_, for_ann) = TestApp::json(app.request(Method::GET, &range, &ann).send().await.unwrap()).await;
    let (_, for_bob) = TestApp::json(app.request(Method::GET, &range, &bob).send().await.unwrap()).await;
    assert_eq!(for_ann["meetings"].as_array().unwrap().len(), 1);
    assert_eq!(for_bob["meetings"].as_array().unwrap().len(), 0);
    app.stop().await;
}

#[tokio::test]
async fn a_reversed_or_huge_range_is_refused() {
    let app = spawn_app().await;
    let ann = user("ann");
    for query in [
        "from=2026-12-07T00:00:00Z&to=2026-12-01T00:00:00Z",
        "from=2020-01-01T00:00:00Z&to=2030-01-01T00:00:00Z",
        "from=yesterday&to=2026-12-01T00:00:00Z",
    ] {
        let (status, _) =
            TestApp::json(app.request(Method::GET, &format!("/api/calendar?{query}"), &ann).send().await.unwrap()).await;
        assert_eq!(status, 400, "{query}");
    }
    app.stop().await;
}
