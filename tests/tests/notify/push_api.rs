//! `/api/push`: the VAPID key and the subscriptions of a person's browsers.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use infrastructure::notify::push::MAX_SUBSCRIPTIONS_PER_USER;
use reqwest::Method;
use serde_json::json;
use veche_tests::app::{spawn_app, user, TestApp};
use veche_tests::push_service::PushService;

#[tokio::test]
async fn the_vapid_public_key_is_an_uncompressed_p256_point() {
    let app = spawn_app().await;
    let response = app.client.get(format!("{}/api/push/vapid-public-key", app.base)).send().await.unwrap();
    let (status, body) = TestApp::json(response).await;
    assert_eq!(status, 200);
    let key = URL_SAFE_NO_PAD.decode(body["public_key"].as_str().unwrap()).unwrap();
    assert_eq!((key.len(), key[0]), (65, 4));
    app.stop().await;
}

#[tokio::test]
async fn subscribing_needs_a_token_and_a_valid_subscription_naming_the_field_at_fault() {
    let app = spawn_app().await;
    let push = PushService::start().await;
    let ann = user("ann");
    let browser = push.subscribe();
    let anonymous = app.client.post(format!("{}/api/push/subscriptions", app.base)).json(&browser.json()).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);

    let cases = [
        (json!({"endpoint": "http://push.example.net/x", "keys": {"p256dh": browser.p256dh, "auth": browser.auth}}), "endpoint"),
        (json!({"endpoint": browser.endpoint, "keys": {"p256dh": "AAAA", "auth": browser.auth}}), "keys.p256dh"),
        (json!({"endpoint": browser.endpoint, "keys": {"p256dh": browser.p256dh, "auth": "!!"}}), "keys.auth"),
    ];
    for (body, field) in cases {
        let response = app.request(Method::POST, "/api/push/subscriptions", &ann).json(&body).send().await.unwrap();
        assert_eq!(response.headers()["content-type"], "application/problem+json");
        let (status, problem) = TestApp::json(response).await;
        assert_eq!((status, problem["field"].as_str()), (422, Some(field)), "{problem}");
    }
    let missing_keys = app
        .request(Method::POST, "/api/push/subscriptions", &ann)
        .json(&json!({"endpoint": browser.endpoint}))
        .send()
        .await
        .unwrap();
    assert_eq!(missing_keys.status(), 400);

    let first = app.request(Method::POST, "/api/push/subscriptions", &ann).json(&browser.json()).send().await.unwrap();
    assert_eq!(first.status(), 201);
    let again = app.request(Method::POST, "/api/push/subscriptions", &ann).json(&browser.json()).send().await.unwrap();
    assert_eq!(again.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn a_person_may_subscribe_a_bounded_number_of_browsers_and_remove_them() {
    let app = spawn_app().await;
    let push = PushService::start().await;
    let ann = user("ann");
    let browsers: Vec<_> = (0..=MAX_SUBSCRIPTIONS_PER_USER).map(|_| push.subscribe()).collect();
    for browser in &browsers[..MAX_SUBSCRIPTIONS_PER_USER as usize] {
        let response = app.request(Method::POST, "/api/push/subscriptions", &ann).json(&browser.json()).send().await.unwrap();
        assert_eq!(response.status(), 201);
    }
    let one_too_many =
        app.request(Method::POST, "/api/push/subscriptions", &ann).json(&browsers.last().unwrap().json()).send().await.unwrap();
    let (status, problem) = TestApp::json(one_too_many).await;
    assert_eq!((status, problem["type"].as_str()), (409, Some("urn:veche:problem:too-many-subscriptions")));

    let endpoint = json!({"endpoint": browsers[0].endpoint});
    let removed = app.request(Method::DELETE, "/api/push/subscriptions", &ann).json(&endpoint).send().await.unwrap();
    assert_eq!(removed.status(), 204);
    let again = app.request(Method::DELETE, "/api/push/subscriptions", &ann).json(&endpoint).send().await.unwrap();
    assert_eq!(again.status(), 404);
    // Someone else cannot remove Ann's browser.
    let bob = user("bob");
    let theirs = json!({"endpoint": browsers[1].endpoint});
    let refused = app.request(Method::DELETE, "/api/push/subscriptions", &bob).json(&theirs).send().await.unwrap();
    assert_eq!(refused.status(), 404);
    app.stop().await;
}

/// A subscription is a URL veche will post to: on a public address only, unless the
/// operator allows private ones (`VECHE_PUSH_ALLOW_PRIVATE`, which the tests' own push
/// service on loopback needs).
#[tokio::test]
async fn a_push_endpoint_inside_the_network_is_refused_unless_the_operator_allows_it() {
    let app = veche_tests::app::spawn_app_with(|settings| settings.push_allow_private = false).await;
    let push = PushService::start().await;
    let ann = user("ann");
    let browser = push.subscribe();
    let keys = json!({"p256dh": browser.p256dh, "auth": browser.auth});
    for endpoint in [browser.endpoint.clone(), "https://169.254.169.254/latest/meta-data".into(), "https://10.0.0.7/push".into()]
    {
        let body = json!({"endpoint": endpoint, "keys": keys});
        let (status, problem) =
            TestApp::json(app.request(Method::POST, "/api/push/subscriptions", &ann).json(&body).send().await.unwrap()).await;
        assert_eq!((status, problem["field"].as_str()), (422, Some("endpoint")), "{endpoint}: {problem}");
    }
    let public = json!({"endpoint": "https://push.example.net/send/1", "keys": keys});
    let accepted = app.request(Method::POST, "/api/push/subscriptions", &ann).json(&public).send().await.unwrap();
    assert_eq!(accepted.status(), 201);
    app.stop().await;
}

/// Found by schemathesis: a NUL in the endpoint of an unsubscription reached PostgreSQL,
/// which refuses it, and was answered 500.
#[tokio::test]
async fn unsubscribing_an_endpoint_that_is_no_url_is_a_precise_422() {
    let app = spawn_app().await;
    let ann = user("ann");
    for endpoint in ["\u{0}nP!", "not a url", &format!("https://p.example/{}", "a".repeat(3000))] {
        let response = app
            .request(Method::DELETE, "/api/push/subscriptions", &ann)
            .json(&json!({"endpoint": endpoint}))
            .send()
            .await
            .unwrap();
        let (status, problem) = TestApp::json(response).await;
        assert_eq!((status, problem["field"].as_str()), (422, Some("endpoint")), "{endpoint:?}: {problem}");
    }
    app.stop().await;
}
