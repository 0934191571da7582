//! TURN credentials against a real coturn in `use-auth-secret` mode: what veche issues
//! allocates a relay; expired and forged credentials are refused.

use reqwest::Method;
use serde_json::{json, Value};
use veche_tests::app::{spawn_app_with, user, TestApp};
use veche_tests::coturn::Coturn;

const SECRET: &str = "shared-with-coturn-only";

async fn issued_credentials(app: &TestApp, room: &str, who: &veche_tests::app::User) -> (String, String) {
    let response = app.request(Method::GET, &format!("/api/rooms/{room}/ice-servers"), who).send().await.unwrap();
    let body: Value = response.json().await.unwrap();
    let turn = &body["ice_servers"][0];
    (turn["username"].as_str().unwrap().to_string(), turn["credential"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn credentials_veche_issues_allocate_a_relay_and_expired_or_forged_ones_do_not() {
    let turn = Coturn::start(SECRET).await;
    let url = turn.url();
    let app = spawn_app_with(move |s| {
        s.rooms.turn_urls = vec![url];
        s.rooms.turn_secret = Some(SECRET.into());
    })
    .await;
    let (ann, bob) = (user("ann"), user("bob"));
    let room = app.schedule(&ann, &[&bob], json!({})).await["meeting"]["room_id"].as_str().unwrap().to_string();

    let (username, password) = issued_credentials(&app, &room, &bob).await;
    if let Err(output) = turn.allocate(&username, &password).await {
        panic!("coturn refused veche's credentials:\n{output}\nserver log:\n{}", turn.log());
    }

    let expired =
        infrastructure::turn::turn_credential(SECRET, "bob@example.org", chrono::Utc::now() - chrono::Duration::minutes(5));
    assert!(turn.allocate(&expired.username, &expired.password).await.is_err(), "an expired credential allocated");

    let forged = infrastructure::turn::turn_credential(
        "not-the-secret",
        "bob@example.org",
        chrono::Utc::now() + chrono::Duration::hours(1),
    );
    assert!(turn.allocate(&forged.username, &forged.password).await.is_err(), "a forged credential allocated");
    assert!(turn.allocate(&username, "tampered").await.is_err(), "a tampered password allocated");
    app.stop().await;
}

#[tokio::test]
async fn browsers_that_cannot_reach_each_other_hold_a_call_through_coturn_across_a_credential_refresh() {
    use veche_tests::netns::{host_forwards, IsolatedNetwork};
    assert!(!host_forwards(), "this host forwards between interfaces: the two browsers could reach each other directly");
    // Given Ann's and Bob's browsers in network namespaces of their own, reaching only the
    // host, where coturn relays from Ann's side of it, and credentials that last a minute (the shortest veche issues)
    let (ann_net, bob_net) = (IsolatedNetwork::create(0), IsolatedNetwork::create(1));
    let turn = Coturn::start_on(SECRET, &[&ann_net.host_ip, &bob_net.host_ip], &ann_net.host_ip).await;
    let url = format!("turn:{}:{}?transport=udp", ann_net.host_ip, turn.port);
    let app = spawn_app_with(move |s| {
        s.listen = "0.0.0.0:0".parse().unwrap();
        s.rooms.turn_urls = vec![url];
        s.rooms.turn_secret = Some(SECRET.into());
        s.rooms.turn_ttl_secs = 60;
    })
    .await;
    let port = app.base.rsplit(':').next().unwrap().to_string();
    let (ann, bob) = (user("ann"), user("bob"));
    let room = app.schedule(&ann, &[&bob], json!({})).await["meeting"]["room_id"].as_str().unwrap().to_string();
    let launchers = tempfile::tempdir().unwrap();
    let (ann_chromium, bob_chromium) = (ann_net.chromium_launcher(launchers.path()), bob_net.chromium_launcher(launchers.path()));

    // When they hold a call, past the first credentials' expiry
    let (ann_base, bob_base) = (format!("http://{}:{port}", ann_net.host_ip), format!("http://{}:{port}", bob_net.host_ip));
    let args = [
        &ann_base,
        &bob_base,
        &room,
        &ann.token,
        &bob.token,
        ann_chromium.to_str().unwrap(),
        bob_chromium.to_str().unwrap(),
        "60",
    ];
    let run = veche_tests::browser::run_script("turn-call.mjs", &args).await;

    // Then it came up through the relay, and went on through a new one allocated with fresh
    // credentials.
    assert!(run.success, "{}\ncoturn's log:\n{}", run.output, turn.log());
    // and coturn says the relay after the restart was allocated with the fresh credentials.
    let log = turn.log();
    let allocated_by_ann: std::collections::BTreeSet<&str> = log
        .lines()
        .filter(|line| line.contains("ALLOCATE processed, success"))
        .filter_map(|line| line.split("user <").nth(1)?.split('>').next())
        .filter(|username| username.ends_with(":ann@example.org"))
        .collect();
    assert!(allocated_by_ann.len() >= 2, "Ann's relays were allocated with {allocated_by_ann:?} only:\n{log}");
    app.stop().await;
}
