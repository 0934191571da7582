//! `veche serve` with no `VECHE_NATS_URL` runs its own nats-server and publishes to it.

use super::*;
use reqwest::Method;
use veche_tests::app::{test_settings, user};

/// A test database and veche settings with no NATS URL over a data directory of its own.
async fn without_a_nats_url() -> (TestDatabase, tempfile::TempDir, api::settings::Settings) {
    let database = TestDatabase::create().await;
    let data_dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(&database.url);
    settings.nats_disabled = false;
    settings.nats_url = None;
    settings.data_dir = Some(data_dir.path().to_path_buf());
    (database, data_dir, settings)
}

#[tokio::test]
async fn veche_without_a_nats_url_runs_its_own_nats_server_publishes_to_it_and_stops_it() {
    // Given veche started with no NATS URL, over a data directory of its own
    let (database, data_dir, settings) = without_a_nats_url().await;
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

#[tokio::test]
async fn a_second_veche_on_the_same_data_directory_shares_the_first_ones_nats_server() {
    // Given veche running with its own nats-server over a data directory
    let (database, _data_dir, settings) = without_a_nats_url().await;
    let first = api::server::start(settings.clone()).await.expect("the first veche starts");
    let pid = first.embedded_nats_pid().expect("the first veche started a nats-server");
    // When a second veche starts over the same data directory
    let second = api::server::start(settings).await.expect("the second veche starts");
    // Then it uses the first one's server rather than stopping it and starting its own
    assert_eq!(second.embedded_nats_pid(), None, "the second veche started no nats-server");
    assert!(std::path::Path::new(&format!("/proc/{pid}")).exists(), "the first one's nats-server runs on");
    let nats = second.state.nats.clone().expect("the second veche is connected to NATS");
    nats.client().flush().await.expect("the shared server answers the second veche");
    // and stopping the first (which stops its server) does not leave the second unable to stop
    first.stop().await.unwrap();
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists(), "the owner stopped its nats-server");
    tokio::time::timeout(std::time::Duration::from_secs(30), second.stop())
        .await
        .expect("the second veche stops although its NATS server is gone")
        .unwrap();
    database.drop_database().await;
}

#[tokio::test]
async fn the_embedded_nats_server_refuses_a_client_without_its_token() {
    let nats = veche_tests::nats::TestNats::start().await;
    let refused = async_nats::connect(nats.address()).await;
    assert!(refused.is_err(), "connected without the token");
    nats.connect().await; // with it
}
