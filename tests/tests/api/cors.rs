//! A web app on another origin (`VECHE_CORS_ORIGINS`) may call the API, the PeerJS endpoint
//! and the Socket.io endpoint from the browser; any other origin gets no CORS headers, and by default none does.

use reqwest::header::{ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_ORIGIN, ORIGIN};
use reqwest::Method;
use veche_tests::app::{spawn_app, spawn_app_with, user};

const FRONTEND: &str = "http://frontend.example:3000";

#[tokio::test]
async fn an_allowed_origin_gets_its_preflight_and_the_peerjs_id_and_others_get_nothing() {
    let app = spawn_app_with(|settings| settings.cors_origins = vec![FRONTEND.into()]).await;
    let preflight = app
        .client
        .request(Method::OPTIONS, format!("{}/api/meetings", app.base))
        .header(ORIGIN, FRONTEND)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization,content-type,idempotency-key")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success());
    assert_eq!(preflight.headers()[ACCESS_CONTROL_ALLOW_ORIGIN], FRONTEND);
    assert!(preflight.headers().get(ACCESS_CONTROL_ALLOW_CREDENTIALS).is_none(), "no cookies across origins");

    let calendar = app
        .request(Method::GET, "/api/calendar?from=2026-12-01T00:00:00Z&to=2026-12-02T00:00:00Z", &user("ann"))
        .header(ORIGIN, FRONTEND)
        .send()
        .await
        .unwrap();
    assert_eq!(calendar.headers()[ACCESS_CONTROL_ALLOW_ORIGIN], FRONTEND);
    assert!(calendar.headers()["access-control-expose-headers"].to_str().unwrap().contains("etag"));

    let peer_id = app.client.get(format!("{}/peerjs/peerjs/id", app.base)).header(ORIGIN, FRONTEND).send().await.unwrap();
    assert_eq!(peer_id.status(), 200);
    assert_eq!(peer_id.headers()[ACCESS_CONTROL_ALLOW_ORIGIN], FRONTEND);

    // The Socket.io endpoint's long-polling handshake (an XHR from the frontend's page).
    let polling = app.client.get(format!("{}/socket.io/?EIO=4&transport=polling", app.base)).header(ORIGIN, FRONTEND);
    let polling = polling.send().await.unwrap();
    assert_eq!(polling.status(), 200);
    assert_eq!(polling.headers()[ACCESS_CONTROL_ALLOW_ORIGIN], FRONTEND);

    let elsewhere =
        app.client.get(format!("{}/peerjs/peerjs/id", app.base)).header(ORIGIN, "https://evil.example").send().await.unwrap();
    assert!(elsewhere.headers().get(ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
}

#[tokio::test]
async fn by_default_only_the_same_origin_is_served() {
    let app = spawn_app().await;
    let response = app.client.get(format!("{}/peerjs/peerjs/id", app.base)).header(ORIGIN, FRONTEND).send().await.unwrap();
    assert!(response.headers().get(ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
}
