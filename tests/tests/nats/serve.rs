//! `veche serve` with no `VECHE_NATS_URL` runs its own nats-server and publishes to it.

use super::*;
use reqwest::Method;
use veche_tests::app::{test_settings, user};

#[tokio::test]
async fn veche_without_a_nats_url_runs_its_own_nats_server_publishes_to_it_and_stops_it() {
    // Given veche started with no NATS URL, over a data directory of its own
    let database = TestDatabase::create().await;
    let data_dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(&database.url);
    settings.nats_disabled = false;
    settings.nats_url = None;
    settings.data_dir = Some(data_dir.path().to_path_buf());
    let server = api::server::start(settings).await.expect("veche starts with its own nats-server");
    let pid = server.embedded_nats_pid().expect("veche started a nats-server");
    assert!(data_dir.path().join("nats/jetstream").is_dir(), "JetStream keeps its store under the data directory");
    // When a meeting is scheduled over HTTP
    let (ann, bob) = (user("ann"), user("bob"));
    let response = reqwest::Client::new()
        .request(Method::POST, format!("http://{}/api/meetings", server.addr))
        .bearer_auth(&ann.token)
        .json(&serde_json::json!({
            "title": "Planning", "start": "2026-12-01T10:00:00", "end": "2026-12-01T11:00:00",
            "time_zone": "Europe/Berlin", "attendees": [{"email": bob.email}]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    // Then its event reaches the embedded server's stream
    let nats = server.state.nats.clone().expect("veche is connected to NATS");
    let messages = wait_for_stream(&nats, 1).await;
    assert_eq!(messages[0].event.event_type, "org.veche.meeting.MeetingScheduled.v1");
    assert_eq!(messages[0].event.actor.as_deref(), Some(ann.sub.as_str()));
    // and when veche stops, so does its nats-server
    server.stop().await.unwrap();
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists(), "the nats-server is gone");
    database.drop_database().await;
}
