use api::auth::Claims;
use reqwest::Method;
use serde_json::json;
use veche_tests::app::{claims, spawn_app, token, user, TestApp};

#[tokio::test]
async fn a_request_without_a_token_gets_401_with_a_bearer_challenge() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(format!("{}/api/calendar?from=2026-12-01T00:00:00Z&to=2026-12-08T00:00:00Z", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    app.stop().await;
}

#[tokio::test]
async fn an_expired_or_forged_token_is_refused() {
    let app = spawn_app().await;
    let expired = token(&Claims { exp: chrono::Utc::now().timestamp() - 3600, ..claims("ann") });
    let forged = api::auth::JwtKeys::from_secret("another-secret-entirely!").mint(&claims("ann")).unwrap();
    for bad in [expired, forged, "not-a-jwt".to_string()] {
        let response =
            app.client.post(format!("{}/api/meetings", app.base)).bearer_auth(bad).json(&json!({})).send().await.unwrap();
        assert_eq!(response.status(), 401);
    }
    app.stop().await;
}

#[tokio::test]
async fn a_stranger_gets_404_for_a_meeting_they_are_not_part_of() {
    let app = spawn_app().await;
    let (ann, bob, eve) = (user("ann"), user("bob"), user("eve"));
    let result = app.schedule(&ann, &[&bob], json!({})).await;
    let id = result["meeting"]["id"].as_str().unwrap();
    let position = result["position"].as_i64().unwrap();
    for (method, path, body) in [
        (Method::GET, format!("/api/meetings/{id}?after_position={position}"), None),
        (Method::GET, format!("/api/meetings/{id}/history"), None),
        (Method::PATCH, format!("/api/meetings/{id}"), Some(json!({"title": "Mine now"}))),
        (Method::PUT, format!("/api/meetings/{id}/response"), Some(json!({"response": "accepted"}))),
        (Method::POST, format!("/api/meetings/{id}/cancel"), Some(json!({}))),
    ] {
        let mut request = app.request(method.clone(), &path, &eve);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let (status, problem) = TestApp::json(request.send().await.unwrap()).await;
        assert_eq!(status, 404, "{method} {path}: {problem}");
        assert_eq!(problem["type"], "urn:veche:problem:meeting-not-found");
    }
    app.stop().await;
}

#[tokio::test]
async fn an_attendee_reads_and_answers_but_may_not_edit() {
    let app = spawn_app().await;
    let (ann, bob) = (user("ann"), user("bob"));
    let id = app.schedule(&ann, &[&bob], json!({})).await["meeting"]["id"].as_str().unwrap().to_string();
    let (status, problem) = TestApp::json(
        app.request(Method::PUT, &format!("/api/meetings/{id}/schedule"), &bob)
            .json(&json!({"start": "2026-12-03T10:00:00", "end": "2026-12-03T11:00:00", "time_zone": "UTC"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(problem["type"], "urn:veche:problem:organizer-only");
    let (status, _) = TestApp::json(
        app.request(Method::PUT, &format!("/api/meetings/{id}/response"), &bob)
            .json(&json!({"response": "accepted"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    let history = app.request(Method::GET, &format!("/api/meetings/{id}/history"), &bob).send().await.unwrap();
    assert_eq!(history.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn an_auditor_reads_the_history_of_any_meeting_but_cannot_change_it() {
    let app = spawn_app().await;
    let ann = user("ann");
    let id = app.schedule(&ann, &[], json!({})).await["meeting"]["id"].as_str().unwrap().to_string();
    let auditor = token(&Claims { roles: vec!["auditor".into()], ..claims("audit") });
    let history = app.client.get(format!("{}/api/meetings/{id}/history", app.base)).bearer_auth(&auditor).send().await.unwrap();
    assert_eq!(history.status(), 200);
    let history: serde_json::Value = history.json().await.unwrap();
    assert_eq!(history["state"]["my_role"], "auditor");
    let cancel = app.client.post(format!("{}/api/meetings/{id}/cancel", app.base)).bearer_auth(&auditor).send().await.unwrap();
    assert_eq!(cancel.status(), 404);
    app.stop().await;
}
