//! The authorization matrix: every route, and entering a room by signaling, against every
//! kind of caller. The same table is in README ("Who may do what").
//!
//! Each cell runs against a meeting of its own, organized by Ann with Bob and Carl invited,
//! then Carl taken off. The callers: the organizer (Ann), an attendee (Bob), the removed
//! attendee (Carl), a stranger (Eve), Bob's guest link (its `join` token; its `respond` token
//! on `/links/respond`), Bob's room pass, an expired token (Bob's, or his expired link), an
//! auditor who is not invited, no token at all, and Bob's web session (its cookie, with its
//! CSRF token on changes).

use reqwest::Method;
use serde_json::{json, Value};
use veche_tests::app::{claims, spawn_app, token, user, TestApp};
use veche_tests::signal::SignalClient;

#[derive(Debug, Clone, Copy)]
enum Caller {
    Organizer,
    Attendee,
    Removed,
    Stranger,
    GuestLink,
    RoomPass,
    Expired,
    Auditor,
    Nobody,
    Session,
}

const CALLERS: [Caller; 10] = [
    Caller::Organizer,
    Caller::Attendee,
    Caller::Removed,
    Caller::Stranger,
    Caller::GuestLink,
    Caller::RoomPass,
    Caller::Expired,
    Caller::Auditor,
    Caller::Nobody,
    Caller::Session,
];

/// The routes, and the status each caller gets, in the order of [`CALLERS`]:
/// organizer, attendee, removed, stranger, guest link, room pass, expired, auditor, nobody,
/// the attendee's web session.
const MATRIX: &[(&str, [u16; 10])] = &[
    ("POST /api/meetings", [201, 201, 201, 201, 401, 401, 401, 201, 401, 201]),
    ("GET /api/meetings/{id}", [200, 200, 404, 404, 401, 401, 401, 404, 401, 200]),
    ("PATCH /api/meetings/{id}", [200, 403, 404, 404, 401, 401, 401, 404, 401, 403]),
    ("PUT /api/meetings/{id}/schedule", [200, 403, 404, 404, 401, 401, 401, 404, 401, 403]),
    ("POST /api/meetings/{id}/attendees", [200, 403, 404, 404, 401, 401, 401, 404, 401, 403]),
    ("DELETE /api/meetings/{id}/attendees/bob@example.org", [200, 403, 404, 404, 401, 401, 401, 404, 401, 403]),
    ("PUT /api/meetings/{id}/response", [403, 200, 404, 404, 401, 401, 401, 404, 401, 200]),
    ("POST /api/meetings/{id}/cancel", [200, 403, 404, 404, 401, 401, 401, 404, 401, 403]),
    ("GET /api/meetings/{id}/history", [200, 200, 404, 404, 401, 401, 401, 200, 401, 200]),
    ("GET /api/calendar", [200, 200, 200, 200, 401, 401, 401, 200, 401, 200]),
    ("GET /api/calendar/stream", [200, 200, 200, 200, 401, 401, 401, 200, 401, 200]),
    ("GET /api/people", [200, 200, 200, 200, 401, 401, 401, 200, 401, 200]),
    ("GET /api/session", [200, 200, 200, 200, 401, 401, 401, 200, 401, 200]),
    ("POST /api/auth/signout", [204, 204, 204, 204, 401, 401, 401, 204, 401, 204]),
    ("POST /api/rooms/{room}/pass", [200, 200, 404, 404, 401, 401, 401, 404, 401, 200]),
    ("GET /api/rooms/{room}/ice-servers", [200, 200, 404, 404, 200, 200, 401, 404, 401, 200]),
    ("SIGNAL /api/rooms/{room}/signal", [101, 101, 404, 404, 101, 101, 401, 404, 401, 401]),
    ("POST /api/push/subscriptions", [201, 201, 201, 201, 401, 401, 401, 201, 401, 201]),
    ("POST /links/respond", [400, 400, 404, 400, 200, 400, 410, 400, 400, 400]),
];

/// A meeting for one cell, and every caller's credential for it.
struct Cell {
    id: String,
    room: String,
    credentials: Vec<Option<String>>,
    respond_links: (String, String, String),
    /// Bob's web session: its cookie and CSRF token.
    session: (String, String),
}

async fn cell(app: &TestApp) -> Cell {
    let (ann, bob, carl, eve) = (user("ann"), user("bob"), user("carl"), user("eve"));
    let scheduled =
        app.schedule(&ann, &[&bob, &carl], json!({"start": "2036-12-01T10:00:00", "end": "2036-12-01T11:00:00"})).await;
    let (id, room) =
        (scheduled["meeting"]["id"].as_str().unwrap().to_string(), scheduled["meeting"]["room_id"].as_str().unwrap().to_string());
    let meeting_id = domain::MeetingId(id.parse().unwrap());
    let links = &app.state().notifications.links;
    let ends_at = chrono::Utc::now() + chrono::Duration::days(3650);
    let email = |name: &str| domain::values::EmailAddress::parse(&format!("{name}@example.org")).unwrap();
    let guest_join = links.mint(meeting_id, &email("bob"), "Bob", infrastructure::links::GuestScope::Join, ends_at);
    let respond =
        |name: &str, ends_at| links.mint(meeting_id, &email(name), name, infrastructure::links::GuestScope::Respond, ends_at);
    let respond_links =
        (respond("bob", ends_at), respond("carl", ends_at), respond("bob", chrono::Utc::now() - chrono::Duration::days(2)));
    let (_, pass) =
        TestApp::json(app.request(Method::POST, &format!("/api/rooms/{room}/pass"), &bob).send().await.unwrap()).await;
    let removed =
        app.request(Method::DELETE, &format!("/api/meetings/{id}/attendees/carl@example.org"), &ann).send().await.unwrap();
    let (_, removed) = TestApp::json(removed).await;
    let position = removed["position"].as_i64().unwrap();
    app.request(Method::GET, &format!("/api/meetings/{id}?after_position={position}"), &ann).send().await.unwrap();
    let expired = token(&api::auth::Claims { exp: chrono::Utc::now().timestamp() - 3600, ..claims("bob") });
    let auditor = token(&api::auth::Claims { roles: vec!["auditor".into()], ..claims("audrey") });
    let credentials = vec![
        Some(ann.token),
        Some(bob.token),
        Some(carl.token),
        Some(eve.token),
        Some(guest_join),
        Some(pass["pass"].as_str().unwrap().to_string()),
        Some(expired),
        Some(auditor),
        None,
        None,
    ];
    let bob_person =
        infrastructure::web_sessions::SessionPerson { user_id: bob.sub.clone(), email: bob.email.clone(), name: "bob".into() };
    let begun = app.state().sessions.begin(&bob_person, "email", chrono::Duration::hours(1)).await.unwrap();
    // The test app is at an https address: the cookie carries the `__Host-` prefix.
    let session = (format!("__Host-veche_session={}", begun.secret), begun.session.csrf_token);
    Cell { id, room, credentials, respond_links, session }
}

/// The body a route takes.
fn body_of(route: &str) -> Option<Value> {
    Some(match route {
        "POST /api/meetings" => {
            json!({"title": "T", "start": "2036-12-02T10:00:00", "end": "2036-12-02T11:00:00", "time_zone": "UTC"})
        }
        "PATCH /api/meetings/{id}" => json!({"title": "Renamed"}),
        "PUT /api/meetings/{id}/schedule" => {
            json!({"start": "2036-12-03T10:00:00", "end": "2036-12-03T11:00:00", "time_zone": "UTC"})
        }
        "POST /api/meetings/{id}/attendees" => json!({"attendees": [{"email": "dora@example.org"}]}),
        "PUT /api/meetings/{id}/response" => json!({"response": "accepted"}),
        // A browser of its own each time (a known one would be renewed: 200).
        "POST /api/push/subscriptions" => json!({"endpoint": format!("https://push.example.net/send/{}", uuid::Uuid::new_v4()),
            "keys": {"p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM", "auth": "tBHItJI5svbpez7KI4CCXg"}}),
        _ => return None,
    })
}

/// What `caller` gets from `route` in a cell of its own.
async fn status(app: &TestApp, route: &str, caller: Caller, index: usize) -> u16 {
    let cell = cell(app).await;
    let credential = cell.credentials[index].clone();
    let (method, path) = route.split_once(' ').unwrap();
    let path = path.replace("{id}", &cell.id).replace("{room}", &cell.room);
    if method == "SIGNAL" {
        return match SignalClient::join(&app.base, &cell.room, credential.as_deref().unwrap_or(""), None).await {
            Ok(_) => 101,
            Err(refused) => refused.status,
        };
    }
    if path == "/links/respond" {
        let link = match caller {
            Caller::GuestLink => cell.respond_links.0.clone(),
            Caller::Removed => cell.respond_links.1.clone(),
            Caller::Expired => cell.respond_links.2.clone(),
            _ => credential.unwrap_or_default(),
        };
        let form = [("token", link), ("answer", "accepted".to_string())];
        return app.client.post(format!("{}{path}", app.base)).form(&form).send().await.unwrap().status().as_u16();
    }
    let path = if path == "/api/calendar" { format!("{path}?from=2036-12-01T00:00:00Z&to=2036-12-08T00:00:00Z") } else { path };
    let mut request = app.client.request(method.parse().unwrap(), format!("{}{path}", app.base));
    if let Some(credential) = credential {
        request = request.bearer_auth(credential);
    }
    if let Caller::Session = caller {
        request = request.header("cookie", &cell.session.0).header("x-csrf-token", &cell.session.1);
    }
    if let Some(body) = body_of(route) {
        request = request.json(&body);
    }
    request.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn every_route_answers_every_kind_of_caller_as_the_matrix_says() {
    let app = spawn_app().await;
    let mut wrong = Vec::new();
    for (route, expected) in MATRIX {
        for (index, caller) in CALLERS.iter().enumerate() {
            let got = status(&app, route, *caller, index).await;
            if got != expected[index] {
                wrong.push(format!("{route} as {caller:?}: {got}, expected {}", expected[index]));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    app.stop().await;
}
