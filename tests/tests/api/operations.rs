use reqwest::Method;
use serde_json::json;
use veche_tests::app::{spawn_app, user, TestApp};

#[tokio::test]
async fn health_and_readiness_answer_when_the_database_and_projector_are_up() {
    let app = spawn_app().await;
    let health = app.client.get(format!("{}/healthz", app.base)).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let (status, ready) = TestApp::json(app.client.get(format!("{}/readyz", app.base)).send().await.unwrap()).await;
    assert_eq!(status, 200, "{ready}");
    assert_eq!(ready["database"], true);
    assert_eq!(ready["migrations"], true);
    assert_eq!(ready["projector"], true);
    app.stop().await;
}

#[tokio::test]
async fn metrics_expose_request_latency_commands_and_projector_progress() {
    let app = spawn_app().await;
    let ann = user("ann");
    let result = app.schedule(&ann, &[], json!({})).await;
    let id = result["meeting"]["id"].as_str().unwrap();
    let position = result["position"].as_i64().unwrap();
    app.request(Method::GET, &format!("/api/meetings/{id}?after_position={position}"), &ann).send().await.unwrap();
    let text = app.client.get(format!("{}/metrics", app.base)).send().await.unwrap().text().await.unwrap();
    for name in [
        "veche_http_request_duration_seconds_bucket",
        "veche_commands_total",
        "veche_projection_lag_seconds",
        "veche_projection_lag_positions",
        "veche_projected_events_total",
    ] {
        assert!(text.contains(name), "{name} missing from /metrics");
    }
    app.stop().await;
}

#[tokio::test]
async fn the_openapi_document_is_3_1_and_describes_every_route() {
    let app = spawn_app().await;
    let (status, doc) = TestApp::json(app.client.get(format!("{}/api/openapi.json", app.base)).send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/api/meetings",
        "/api/meetings/{id}",
        "/api/meetings/{id}/schedule",
        "/api/meetings/{id}/attendees",
        "/api/meetings/{id}/attendees/{email}",
        "/api/meetings/{id}/response",
        "/api/meetings/{id}/cancel",
        "/api/calendar",
        "/api/meetings/{id}/history",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is not documented");
    }
    // Any route may be unavailable for a moment (the database out of reach).
    let unavailable = &doc["paths"]["/api/meetings"]["post"]["responses"]["503"];
    assert_eq!(unavailable["content"]["application/problem+json"]["schema"]["$ref"], "#/components/schemas/Problem");
    assert!(doc["paths"]["/healthz"]["get"]["responses"].get("503").is_none(), "liveness needs no database");
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    app.stop().await;
}

/// `api/web`, where the web app's sources and its build are.
fn web_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../api/web")
}

#[tokio::test]
async fn the_web_app_is_served_at_the_root_and_at_its_own_paths_and_the_api_keeps_its_problems() {
    assert!(web_dir().join("dist/index.html").exists(), "the web app is not built: bash tests/build-web.sh");
    let app = spawn_app().await;
    let get = |path: &str| app.client.get(format!("{}{path}", app.base)).send();
    for path in ["/", "/meetings/0190a3c4-0000-7000-8000-000000000000", "/signin"] {
        let page = get(path).await.unwrap();
        assert_eq!(page.status(), 200, "{path}");
        assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        let csp = page.headers()["content-security-policy"].to_str().unwrap().to_string();
        assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(page.text().await.unwrap().contains("<div id=\"root\">"), "{path}");
    }
    let index = std::fs::read_to_string(web_dir().join("dist/index.html")).unwrap();
    let script = index.split("src=\"").nth(1).and_then(|rest| rest.split('"').next()).expect("the page loads a script");
    let asset = get(script).await.unwrap();
    assert_eq!(asset.status(), 200, "{script}");
    assert!(asset.headers()["cache-control"].to_str().unwrap().contains("immutable"));

    let (status, problem) = TestApp::json(get("/api/nothing-here").await.unwrap()).await;
    assert_eq!((status, problem["type"].as_str()), (404, Some("urn:veche:problem:not-found")));
    assert_eq!(get("/assets/missing.js").await.unwrap().status(), 404);
    app.stop().await;
}

#[tokio::test]
async fn the_web_apps_api_types_come_from_the_api_document_as_it_is() {
    let app = spawn_app().await;
    let served: serde_json::Value =
        app.client.get(format!("{}/api/openapi.json", app.base)).send().await.unwrap().json().await.unwrap();
    let snapshot: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(web_dir().join("openapi.json")).unwrap()).unwrap();
    assert!(
        served == snapshot,
        "api/web/openapi.json is behind the API: run `veche openapi > api/web/openapi.json` and `npm --prefix api/web run api-types`"
    );
    app.stop().await;
}

/// A meeting in the log from before dates were bounded (the year -5000): the projector sets
/// it aside, the node stays ready but says it is degraded and names the meeting, and the
/// organizer's next meeting is in the calendar at once.
#[tokio::test]
async fn an_event_the_projections_cannot_apply_leaves_the_node_ready_degraded_and_naming_the_meeting() {
    let app = spawn_app().await;
    let ann = user("ann");
    let first = app.schedule(&ann, &[], json!({})).await;
    let id = first["meeting"]["id"].as_str().unwrap();
    let ancient = uuid::Uuid::new_v4();
    // The same meeting again under another id, moved to the year -5000, as an earlier
    // release could have stored it.
    sqlx::query(
        "insert into events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
         select aggregate_type, $2, sequence, event_type, event_version, \
           jsonb_set(jsonb_set(jsonb_set(jsonb_set(payload::jsonb, '{MeetingScheduled,meeting_id}', to_jsonb($2)), \
             '{MeetingScheduled,room_id}', to_jsonb(gen_random_uuid()::text)), \
             '{MeetingScheduled,schedule,starts_at}', '\"-5000-01-01T10:00:00Z\"'), \
             '{MeetingScheduled,schedule,ends_at}', '\"-5000-01-01T11:00:00Z\"')::json, metadata \
         from events where aggregate_id = $1 and sequence = 1",
    )
    .bind(id)
    .bind(ancient.to_string())
    .execute(&app.state().pool)
    .await
    .unwrap();
    let later = app.schedule(&ann, &[], json!({"title": "After the bad one"})).await;
    let position = later["position"].as_i64().unwrap();
    let later_id = later["meeting"]["id"].as_str().unwrap();
    let (status, _) = TestApp::json(
        app.request(Method::GET, &format!("/api/meetings/{later_id}?after_position={position}"), &ann).send().await.unwrap(),
    )
    .await;
    assert_eq!(status, 200, "the read models went on past the bad event");
    let (status, ready) = TestApp::json(app.client.get(format!("{}/readyz", app.base)).send().await.unwrap()).await;
    assert_eq!(status, 200, "{ready}");
    assert_eq!(ready["degraded"], true);
    assert_eq!(ready["quarantined"], json!([format!("Meeting/{ancient}")]));
    assert_eq!(ready["tasks_down"], json!([]));
    let metrics = app.client.get(format!("{}/metrics", app.base)).send().await.unwrap().text().await.unwrap();
    // The recorder is the process's, shared by this binary's other apps, whose projectors set
    // the gauge to their own count: only that it is exported, and the counter, are this test's.
    assert!(metrics.contains("veche_projection_quarantined_aggregates"), "{metrics}");
    assert!(metrics.contains("veche_projection_quarantines_total 1"), "{metrics}");
    app.stop().await;
}
