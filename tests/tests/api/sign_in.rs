//! Signing in with an emailed link, through a real SMTP server: the link works once, the
//! session is an HttpOnly cookie that opens the API, a change needs the session's CSRF
//! token, and signing out ends the session on the server.

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use veche_tests::app::{spawn_app_with, user, TestApp};
use veche_tests::smtp::SmtpSink;

async fn app_mailing_to(smtp: &SmtpSink, configure: impl FnOnce(&mut api::settings::Settings)) -> TestApp {
    let url = smtp.url();
    spawn_app_with(|settings| {
        settings.smtp_url = Some(url.into());
        settings.sign_in.domains = vec!["example.org".into()];
        configure(settings);
    })
    .await
}

/// A client that shows redirects instead of following them.
fn browser() -> Client {
    Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn ask_for_link(app: &TestApp, email: &str) -> reqwest::Response {
    browser()
        .post(format!("{}/api/auth/email", app.base))
        .json(&json!({"email": email, "return_to": "/meetings/soon"}))
        .send()
        .await
        .unwrap()
}

/// The sign-in link of the latest message to `email`.
async fn link_sent_to(smtp: &SmtpSink, count: usize, email: &str) -> String {
    let mails = smtp.wait_for(count).await;
    let mail = mails.iter().rev().find(|m| m.envelope_to.contains(email)).expect("a message to the address");
    let (_, text) = mail.part("text/plain").expect("a plain-text part");
    let start = text.find("http").expect("a link in the message");
    text[start..].split_whitespace().next().unwrap().to_string()
}

/// Posts the link's confirmation form, as a page of `site` (`same-origin`, `cross-site`).
async fn confirm(app: &TestApp, link: &str, site: &str) -> reqwest::Response {
    let token = link.split("token=").nth(1).unwrap().to_string();
    browser()
        .post(format!("{}/auth/email", app.base))
        .header("sec-fetch-site", site)
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
}

/// Follows the link as a person does: the page, then its button. Returns the response to
/// the button's POST.
async fn follow(app: &TestApp, link: &str) -> reqwest::Response {
    let page = browser().get(link).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    confirm(app, link, "same-origin").await
}

fn session_cookie(response: &reqwest::Response) -> String {
    let set = response.headers().get(SET_COOKIE).expect("a Set-Cookie").to_str().unwrap().to_string();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax"), "{set}");
    set.split(';').next().unwrap().to_string()
}

async fn session_of(app: &TestApp, cookie: &str) -> (u16, Value) {
    let response = browser().get(format!("{}/api/session", app.base)).header(COOKIE, cookie).send().await.unwrap();
    TestApp::json(response).await
}

/// Signs `email` in by the link in the `count`th message: the session's cookie and CSRF token.
async fn signed_in(app: &TestApp, smtp: &SmtpSink, count: usize, email: &str) -> (String, String) {
    ask_for_link(app, email).await;
    let link = link_sent_to(smtp, count, email).await.replace("https://meet.example.org", &app.base);
    let cookie = session_cookie(&follow(app, &link).await);
    let (_, session) = session_of(app, &cookie).await;
    (cookie, session["csrf_token"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn a_link_emailed_to_an_allowed_address_signs_the_person_in_once() {
    let smtp = SmtpSink::start().await;
    let app = app_mailing_to(&smtp, |_| {}).await;

    let asked = ask_for_link(&app, "ann@example.org").await;
    assert_eq!(asked.status(), StatusCode::ACCEPTED);
    let link = link_sent_to(&smtp, 1, "ann@example.org").await;
    assert!(link.starts_with("https://meet.example.org/auth/email?token="), "{link}");
    let link = link.replace("https://meet.example.org", &app.base);

    // A mail scanner fetching the link signs nobody in: the page only asks to confirm.
    let scanned = browser().get(&link).send().await.unwrap();
    assert!(scanned.headers().get(SET_COOKIE).is_none());
    assert!(scanned.text().await.unwrap().contains("ann@example.org"));

    let signed_in = follow(&app, &link).await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    assert_eq!(signed_in.headers()[LOCATION], "/meetings/soon");
    let cookie = session_cookie(&signed_in);
    let (status, session) = session_of(&app, &cookie).await;
    assert_eq!(status, 200, "{session}");
    assert_eq!((session["email"].as_str(), session["method"].as_str()), (Some("ann@example.org"), Some("email")));
    assert!(session["csrf_token"].as_str().is_some_and(|t| t.len() >= 32));

    // The same link again: used.
    let again = confirm(&app, &link, "same-origin").await;
    assert_eq!(again.status(), StatusCode::GONE);
    assert!(again.headers().get(SET_COOKIE).is_none());
}

#[tokio::test]
async fn the_session_cookie_opens_the_api_and_a_change_needs_the_sessions_csrf_token() {
    let smtp = SmtpSink::start().await;
    let app = app_mailing_to(&smtp, |_| {}).await;
    let (cookie, csrf) = signed_in(&app, &smtp, 1, "ann@example.org").await;

    let calendar = browser()
        .get(format!("{}/api/calendar?from=2026-12-01T00:00:00Z&to=2026-12-08T00:00:00Z", app.base))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(calendar.status(), StatusCode::OK);

    let body =
        json!({"title": "Standup", "start": "2026-12-01T10:00:00", "end": "2026-12-01T10:15:00", "time_zone": "Europe/Berlin"});
    let schedule = |csrf: Option<&str>| {
        let mut request = browser().post(format!("{}/api/meetings", app.base)).header(COOKIE, &cookie).json(&body);
        if let Some(csrf) = csrf {
            request = request.header("x-csrf-token", csrf);
        }
        request.send()
    };
    let (status, problem) = TestApp::json(schedule(None).await.unwrap()).await;
    assert_eq!((status, problem["type"].as_str()), (403, Some("urn:veche:problem:csrf")));
    let (status, problem) = TestApp::json(schedule(Some("not-the-token")).await.unwrap()).await;
    assert_eq!((status, problem["type"].as_str()), (403, Some("urn:veche:problem:csrf")));
    let (status, created) = TestApp::json(schedule(Some(&csrf)).await.unwrap()).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["meeting"]["organizer"]["email"], "ann@example.org");
}

#[tokio::test]
async fn signing_out_ends_the_session_on_the_server() {
    let smtp = SmtpSink::start().await;
    let app = app_mailing_to(&smtp, |_| {}).await;
    let (cookie, csrf) = signed_in(&app, &smtp, 1, "ann@example.org").await;

    let out = browser()
        .post(format!("{}/api/auth/signout", app.base))
        .header(COOKIE, &cookie)
        .header("x-csrf-token", csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    assert!(out.headers()[SET_COOKIE].to_str().unwrap().contains("Max-Age=0"));
    // The old cookie, kept by someone who copied it, opens nothing.
    let (status, _) = session_of(&app, &cookie).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn an_address_the_operator_does_not_let_in_gets_the_same_answer_and_no_email() {
    let smtp = SmtpSink::start().await;
    let app = app_mailing_to(&smtp, |_| {}).await;
    let (ann, guest) = (user("ann"), "guest@elsewhere.net");

    let refused = ask_for_link(&app, "stranger@elsewhere.net").await;
    assert_eq!(refused.status(), StatusCode::ACCEPTED);
    assert_eq!(TestApp::json(refused).await.1, json!({"sent": true}));

    // Someone invited to a meeting is known, and may sign in whatever their domain.
    let body = json!({"attendees": [{"email": guest, "name": "Gus Guest"}]});
    let scheduled = app.schedule(&ann, &[], body).await;
    let (id, position) = (scheduled["meeting"]["id"].as_str().unwrap(), scheduled["position"].as_i64().unwrap());
    app.request(Method::GET, &format!("/api/meetings/{id}?after_position={position}"), &ann).send().await.unwrap();
    ask_for_link(&app, guest).await;
    let link = link_sent_to(&smtp, 1, guest).await;
    assert_eq!(smtp.count(), 1, "only the known guest got a message");
    let cookie = session_cookie(&follow(&app, &link.replace("https://meet.example.org", &app.base)).await);
    let (_, session) = session_of(&app, &cookie).await;
    assert_eq!(session["name"], "Gus Guest", "the name the guest was invited with");
}

#[tokio::test]
async fn sign_in_links_are_limited_per_address_and_a_malformed_address_is_a_422() {
    let smtp = SmtpSink::start().await;
    let app = app_mailing_to(&smtp, |settings| settings.sign_in.links_per_address_per_hour = 2.0).await;
    for _ in 0..2 {
        assert_eq!(ask_for_link(&app, "ann@example.org").await.status(), StatusCode::ACCEPTED);
    }
    let limited = ask_for_link(&app, "ann@example.org").await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers().contains_key("retry-after"));
    assert_eq!(ask_for_link(&app, "bob@example.org").await.status(), StatusCode::ACCEPTED, "another address is not held back");

    let (status, problem) = TestApp::json(ask_for_link(&app, "not an address").await).await;
    assert_eq!((status, problem["field"].as_str()), (422, Some("email")));
}

#[tokio::test]
async fn a_page_on_another_site_cannot_sign_its_visitor_in_with_a_link() {
    let smtp = SmtpSink::start().await;
    let app = app_mailing_to(&smtp, |_| {}).await;
    ask_for_link(&app, "eve@example.org").await;
    let link = link_sent_to(&smtp, 1, "eve@example.org").await;
    let forged = confirm(&app, &link, "cross-site").await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(forged.headers().get(SET_COOKIE).is_none());
    // And the link still works for its owner.
    assert_eq!(follow(&app, &link.replace("https://meet.example.org", &app.base)).await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_sign_in_options_name_the_ways_offered() {
    let smtp = SmtpSink::start().await;
    let app = app_mailing_to(&smtp, |_| {}).await;
    let (status, options) =
        TestApp::json(app.client.request(Method::GET, format!("{}/api/auth/options", app.base)).send().await.unwrap()).await;
    assert_eq!((status, options), (200, json!({"email": true, "oidc": null})));
}

#[tokio::test]
async fn a_signed_in_person_enters_their_meetings_room_with_the_session_and_a_stranger_does_not() {
    let smtp = SmtpSink::start().await;
    let app = app_mailing_to(&smtp, |_| {}).await;
    let scheduled = app.schedule(&user("olga"), &[&user("ann")], json!({})).await;
    let room = scheduled["meeting"]["room_id"].as_str().unwrap().to_string();
    let sessions = [signed_in(&app, &smtp, 1, "ann@example.org").await, signed_in(&app, &smtp, 2, "eve@example.org").await];
    let pass = |(cookie, csrf): &(String, String)| {
        browser().post(format!("{}/api/rooms/{room}/pass", app.base)).header(COOKIE, cookie).header("x-csrf-token", csrf).send()
    };
    let (status, minted) = TestApp::json(pass(&sessions[0]).await.unwrap()).await;
    assert_eq!(status, 200, "{minted}");
    let ice = app.client.get(format!("{}/api/rooms/{room}/ice-servers", app.base)).bearer_auth(minted["pass"].as_str().unwrap());
    assert_eq!(ice.send().await.unwrap().status(), StatusCode::OK, "the pass opens the room");
    let (status, _) = TestApp::json(pass(&sessions[1]).await.unwrap()).await;
    assert_eq!(status, 404, "a stranger cannot tell the room exists");
}
