use reqwest::Method;
use serde_json::json;
use veche_tests::app::{spawn_app, user, TestApp};

#[tokio::test]
async fn the_history_lists_every_event_in_order_with_who_and_when() {
    let app = spawn_app().await;
    let (ann, bob) = (user("ann"), user("bob"));
    let id = app.schedule(&ann, &[&bob], json!({})).await["meeting"]["id"].as_str().unwrap().to_string();
    app.request(Method::PUT, &format!("/api/meetings/{id}/response"), &bob)
        .json(&json!({"response": "accepted"}))
        .send()
        .await
        .unwrap();
    app.request(Method::POST, &format!("/api/meetings/{id}/cancel"), &ann).send().await.unwrap();
    let (status, history) =
        TestApp::json(app.request(Method::GET, &format!("/api/meetings/{id}/history"), &ann).send().await.unwrap()).await;
    assert_eq!(status, 200);
    let events = history["events"].as_array().unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e["event_type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["MeetingScheduled", "AttendeeResponded", "MeetingCancelled"]);
    assert_eq!(events[0]["actor"]["email"], ann.email);
    assert_eq!(events[1]["actor"]["email"], bob.email);
    assert_eq!(events[1]["changes"]["response"], "accepted");
    assert_eq!(events[2]["event_version"], "1.0");
    let positions: Vec<i64> = events.iter().map(|e| e["position"].as_i64().unwrap()).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(history["state"]["status"], "cancelled");
    app.stop().await;
}

#[tokio::test]
async fn as_of_shows_the_meeting_as_it_was_at_that_instant() {
    let app = spawn_app().await;
    let ann = user("ann");
    let id = app.schedule(&ann, &[], json!({"title": "Before"})).await["meeting"]["id"].as_str().unwrap().to_string();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let between = chrono::Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    app.request(Method::PATCH, &format!("/api/meetings/{id}"), &ann).json(&json!({"title": "After"})).send().await.unwrap();
    let as_of = between.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let (status, past) = TestApp::json(
        app.request(Method::GET, &format!("/api/meetings/{id}/history?as_of={}", as_of.replace('+', "%2B")), &ann)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{past}");
    assert_eq!(past["state"]["title"], "Before");
    assert_eq!(past["state"]["version"], 1);
    assert_eq!(past["events"].as_array().unwrap().len(), 1);
    let (_, now) =
        TestApp::json(app.request(Method::GET, &format!("/api/meetings/{id}/history"), &ann).send().await.unwrap()).await;
    assert_eq!(now["state"]["title"], "After");
    app.stop().await;
}

#[tokio::test]
async fn each_commands_answer_carries_the_log_position_of_its_last_event() {
    let app = spawn_app().await;
    let (ann, bob) = (user("ann"), user("bob"));
    // Given a meeting whose commands interleave with another meeting's
    let scheduled = app.schedule(&ann, &[&bob], json!({})).await;
    let id = scheduled["meeting"]["id"].as_str().unwrap().to_string();
    app.schedule(&bob, &[], json!({})).await;
    // When the organizer changes two things at once (two events) and Bob answers
    let patched =
        app.request(Method::PATCH, &format!("/api/meetings/{id}"), &ann).json(&json!({"title": "New", "reminders": [5]}));
    let (_, patched) = TestApp::json(patched.send().await.unwrap()).await;
    let answered = app.request(Method::PUT, &format!("/api/meetings/{id}/response"), &bob).json(&json!({"response": "accepted"}));
    let (_, answered) = TestApp::json(answered.send().await.unwrap()).await;
    // Then each answer's position is that of the command's last event in the history
    let (_, history) =
        TestApp::json(app.request(Method::GET, &format!("/api/meetings/{id}/history"), &ann).send().await.unwrap()).await;
    let positions: Vec<i64> = history["events"].as_array().unwrap().iter().map(|e| e["position"].as_i64().unwrap()).collect();
    assert_eq!(positions.len(), 4, "scheduled, details, reminders, answer");
    assert_eq!(scheduled["position"].as_i64(), Some(positions[0]));
    assert_eq!(patched["position"].as_i64(), Some(positions[2]));
    assert_eq!(answered["position"].as_i64(), Some(positions[3]));
    app.stop().await;
}
