//! Suggestions while inviting: the people one has met in meetings, never anyone else's.

use reqwest::Method;
use serde_json::json;
use veche_tests::app::{spawn_app, user, TestApp};

#[tokio::test]
async fn the_people_of_ones_own_meetings_are_suggested_by_address_or_name() {
    let app = spawn_app().await;
    let (ann, bob, eve) = (user("ann"), user("bob"), user("eve"));
    let body = json!({"attendees": [{"email": "carla@example.org", "name": "Carla Diaz"}, {"email": bob.email}]});
    let scheduled = app.schedule(&ann, &[], body).await;
    app.schedule(&eve, &[], json!({"attendees": [{"email": "secret@example.org", "name": "Sam Secret"}]})).await;
    let position = scheduled["position"].as_i64().unwrap();
    let id = scheduled["meeting"]["id"].as_str().unwrap();
    app.request(Method::GET, &format!("/api/meetings/{id}?after_position={position}"), &ann).send().await.unwrap();

    let ask = |who, q: &str| app.request(Method::GET, &format!("/api/people?q={q}"), who).send();
    let (status, found) = TestApp::json(ask(&ann, "car").await.unwrap()).await;
    assert_eq!((status, found), (200, json!({"people": [{"email": "carla@example.org", "name": "Carla Diaz"}]})));
    let (_, by_surname) = TestApp::json(ask(&ann, "diaz").await.unwrap()).await;
    assert_eq!(by_surname["people"][0]["email"], "carla@example.org");
    // Bob met Ann (the organizer) and Carla; Ann is not suggested to herself.
    let (_, bobs) = TestApp::json(ask(&bob, "").await.unwrap()).await;
    let emails: Vec<&str> = bobs["people"].as_array().unwrap().iter().map(|p| p["email"].as_str().unwrap()).collect();
    assert!(emails.contains(&"ann@example.org") && emails.contains(&"carla@example.org") && !emails.contains(&"bob@example.org"));
    // Eve's guest is nobody else's business.
    let (_, secret) = TestApp::json(ask(&ann, "sam").await.unwrap()).await;
    assert_eq!(secret, json!({"people": []}));
}

#[tokio::test]
async fn a_limit_out_of_range_is_a_422() {
    let app = spawn_app().await;
    let (status, problem) =
        TestApp::json(app.request(Method::GET, "/api/people?limit=500", &user("ann")).send().await.unwrap()).await;
    assert_eq!((status, problem["field"].as_str()), (422, Some("limit")));
}
