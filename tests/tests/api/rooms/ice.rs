//! ICE servers: TURN credentials in coturn's scheme, none configured by default.

use super::*;

#[tokio::test]
async fn ice_servers_carry_turn_credentials_in_coturns_shared_secret_scheme() {
    let app = spawn_app_with(|s| {
        s.rooms.turn_urls = vec!["turn:127.0.0.1:3478?transport=udp".into()];
        s.rooms.turn_secret = Some("turn-shared-secret".into());
        s.rooms.turn_ttl_secs = 3600;
    })
    .await;
    let (ann, bob, mallory) = (user("ann"), user("bob"), user("mallory"));
    let (_, room) = meeting(&app, &ann, &[&bob]).await;

    let response = app.request(Method::GET, &format!("/api/rooms/{room}/ice-servers"), &bob).send().await.unwrap();
    let (status, body) = TestApp::json(response).await;
    assert_eq!(status, 200);
    let servers = body["ice_servers"].as_array().unwrap();
    assert_eq!(servers.len(), 1, "no STUN server unless the operator sets one: {body}");
    let username = servers[0]["username"].as_str().unwrap();
    let (expiry, who) = username.split_once(':').unwrap();
    assert_eq!(who, "bob@example.org");
    let expiry: i64 = expiry.parse().unwrap();
    let now = chrono::Utc::now().timestamp();
    assert!((now + 3500..=now + 3600).contains(&expiry));
    let expected = infrastructure::turn::turn_credential(
        "turn-shared-secret",
        "bob@example.org",
        chrono::DateTime::from_timestamp(expiry, 0).unwrap(),
    );
    assert_eq!(servers[0]["credential"], expected.password);
    assert!(body["refresh_at"].as_str().unwrap() < body["expires_at"].as_str().unwrap());

    let stranger = app.request(Method::GET, &format!("/api/rooms/{room}/ice-servers"), &mallory).send().await.unwrap();
    assert_eq!(stranger.status(), 404);
    app.stop().await;
}

#[tokio::test]
async fn without_turn_or_stun_configured_no_ice_server_is_given() {
    let app = spawn_app().await;
    let (ann, bob) = (user("ann"), user("bob"));
    let (_, room) = meeting(&app, &ann, &[&bob]).await;
    let response = app.request(Method::GET, &format!("/api/rooms/{room}/ice-servers"), &ann).send().await.unwrap();
    let (status, body) = TestApp::json(response).await;
    assert_eq!((status, body), (200, json!({ "ice_servers": [] })));
    app.stop().await;
}
