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
