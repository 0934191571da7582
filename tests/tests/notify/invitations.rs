//! Invitation, update and cancellation emails (iMIP), once each, and answers through the
//! signed links.

use crate::deliver_all;
use ical::parser::ical::component::IcalCalendar;
use ical::property::Property;
use infrastructure::reactor::Reactor;
use reqwest::Method;
use serde_json::json;
use std::sync::Arc;
use veche_tests::app::{spawn_app, spawn_app_with, user, TestApp, User};
use veche_tests::push_service::PushService;
use veche_tests::smtp::{Received, SmtpSink};

async fn app_with_smtp(smtp: &SmtpSink) -> TestApp {
    let url = smtp.url();
    spawn_app_with(|settings| settings.smtp_url = Some(url.into())).await
}

fn mailer(app: &TestApp) -> Arc<dyn Reactor> {
    app.state().notifications.reactors(&app.pool).remove(0)
}

fn calendar_of(mail: &Received) -> (String, IcalCalendar) {
    let (content_type, body) = mail.part("text/calendar").expect("an iMIP message has a text/calendar part");
    let mut parser = ical::IcalParser::new(body.as_bytes());
    let calendar = parser.next().expect("one calendar").expect("the calendar parses");
    (content_type.clone(), calendar)
}

fn property<'a>(properties: &'a [Property], name: &str) -> &'a Property {
    properties.iter().find(|p| p.name == name).unwrap_or_else(|| panic!("no {name} in {properties:#?}"))
}

fn value(properties: &[Property], name: &str) -> String {
    property(properties, name).value.clone().unwrap_or_default()
}

fn param(property: &Property, name: &str) -> Option<String> {
    property.params.as_ref()?.iter().find(|(key, _)| key == name).map(|(_, values)| values.join(","))
}

fn for_recipient<'a>(mails: &'a [Received], who: &User) -> Vec<&'a Received> {
    mails.iter().filter(|m| m.envelope_to.contains(&who.email)).collect()
}

#[tokio::test]
async fn an_invitation_reaches_each_attendee_as_imip_with_every_property_the_clients_need() {
    let smtp = SmtpSink::start().await;
    let app = app_with_smtp(&smtp).await;
    let (olga, ann, bob) = (user("olga"), user("ann"), user("bob"));
    // Given a meeting scheduled with two attendees, one of them named.
    let body = json!({"attendees": [{"email": ann.email, "name": "Ann Lee"}, {"email": bob.email}]});
    let scheduled = app.schedule(&olga, &[], body).await;
    let meeting_id = scheduled["meeting"]["id"].as_str().unwrap().to_string();
    let link = scheduled["meeting"]["meeting_link"].as_str().unwrap().to_string();

    // When the mailer handles the log.
    deliver_all(&app.pool, &mailer(&app)).await.unwrap();

    // Then each attendee got one invitation, and the organizer none.
    let mails = smtp.wait_for(2).await;
    assert_eq!(mails.len(), 2);
    assert!(for_recipient(&mails, &olga).is_empty());
    let mail = for_recipient(&mails, &ann)[0];
    assert_eq!(mail.mime_type, "multipart/alternative");
    assert!(mail.part("text/plain").is_some() && mail.part("text/html").is_some());
    assert!(mail.subject.starts_with("Invitation: Planning"), "{}", mail.subject);

    // And its calendar part says REQUEST in its MIME type and in its METHOD.
    let (content_type, calendar) = calendar_of(mail);
    assert!(content_type.contains("method=REQUEST"), "{content_type}");
    assert!(content_type.to_ascii_lowercase().contains("charset=utf-8"), "{content_type}");
    assert_eq!(value(&calendar.properties, "METHOD"), "REQUEST");
    let event = &calendar.events[0].properties;
    assert_eq!(value(event, "UID"), format!("{meeting_id}@veche"));
    assert_eq!(value(event, "SEQUENCE"), "0");
    assert_eq!(value(event, "SUMMARY"), "Planning");
    let organizer = property(event, "ORGANIZER");
    assert_eq!(organizer.value.as_deref(), Some("mailto:olga@example.org"));
    assert_eq!(param(organizer, "CN").as_deref(), Some("olga"));
    let attendees: Vec<&Property> = event.iter().filter(|p| p.name == "ATTENDEE").collect();
    assert_eq!(attendees.len(), 2);
    let ann_line = attendees.iter().find(|p| p.value.as_deref() == Some("mailto:ann@example.org")).unwrap();
    assert_eq!(param(ann_line, "RSVP").as_deref(), Some("TRUE"));
    assert_eq!(param(ann_line, "PARTSTAT").as_deref(), Some("NEEDS-ACTION"));
    assert_eq!(param(ann_line, "CN").as_deref(), Some("Ann Lee"));
    let start = property(event, "DTSTART");
    assert_eq!(start.value.as_deref(), Some("20261201T100000"));
    assert_eq!(param(start, "TZID").as_deref(), Some("Europe/Berlin"));
    assert_eq!(value(event, "DTEND"), "20261201T110000");
    assert_eq!(value(event, "URL"), link);
    assert_eq!(value(event, "LOCATION"), link);
    assert!(value(event, "DESCRIPTION").contains(&link));

    // And the zone is defined in the object itself, with 2026's DST changes.
    let zone = &calendar.timezones[0];
    assert_eq!(value(&zone.properties, "TZID"), "Europe/Berlin");
    let onsets: Vec<String> = zone.transitions.iter().map(|t| value(&t.properties, "DTSTART")).collect();
    assert!(onsets.contains(&"20260329T020000".to_string()) && onsets.contains(&"20261025T030000".to_string()), "{onsets:?}");

    // And the text offers signed links to answer and to join as a guest.
    let (_, text) = mail.part("text/plain").unwrap();
    for answer in ["accepted", "declined", "tentative"] {
        assert!(text.contains("/links/respond?token=") && text.contains(&format!("&answer={answer}")), "{text}");
    }
    assert!(text.contains("https://meet.example.org/rooms/") && text.contains("?guest="), "{text}");
    app.stop().await;
}

#[tokio::test]
async fn a_meeting_scheduled_in_russian_is_announced_in_russian() {
    let smtp = SmtpSink::start().await;
    let app = app_with_smtp(&smtp).await;
    let (olga, ann) = (user("olga"), user("ann"));
    let body = json!({"title": "Планёрка", "start": "2026-12-01T10:00:00", "end": "2026-12-01T11:00:00",
                      "time_zone": "Europe/Moscow", "attendees": [{"email": ann.email}]});
    let response = app
        .request(Method::POST, "/api/meetings", &olga)
        .header("Accept-Language", "ru-RU,ru;q=0.9,en;q=0.5")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    deliver_all(&app.pool, &mailer(&app)).await.unwrap();
    let mails = smtp.wait_for(1).await;
    assert!(mails[0].subject.starts_with("Приглашение: Планёрка"), "{}", mails[0].subject);
    app.stop().await;
}

#[tokio::test]
async fn a_reschedule_updates_everyone_with_the_same_uid_and_a_higher_sequence() {
    let smtp = SmtpSink::start().await;
    let app = app_with_smtp(&smtp).await;
    let (olga, ann) = (user("olga"), user("ann"));
    let scheduled = app.schedule(&olga, &[&ann], json!({})).await;
    let id = scheduled["meeting"]["id"].as_str().unwrap();
    let moved = json!({"start": "2026-12-02T15:00:00", "end": "2026-12-02T16:00:00", "time_zone": "Europe/Berlin"});
    let response = app.request(Method::PUT, &format!("/api/meetings/{id}/schedule"), &olga).json(&moved).send().await.unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());

    deliver_all(&app.pool, &mailer(&app)).await.unwrap();

    let mails = smtp.wait_for(2).await;
    assert_eq!(mails.len(), 2);
    let (_, first) = calendar_of(&mails[0]);
    let (content_type, update) = calendar_of(&mails[1]);
    assert!(mails[1].subject.starts_with("Updated invitation"), "{}", mails[1].subject);
    assert!(content_type.contains("method=REQUEST"));
    let (first, update) = (&first.events[0].properties, &update.events[0].properties);
    assert_eq!(value(first, "UID"), value(update, "UID"));
    assert_eq!((value(first, "SEQUENCE"), value(update, "SEQUENCE")), ("0".into(), "1".into()));
    assert_eq!(value(update, "DTSTART"), "20261202T150000");
    app.stop().await;
}

#[tokio::test]
async fn removing_an_attendee_cancels_for_them_and_cancelling_the_meeting_cancels_for_everyone() {
    let smtp = SmtpSink::start().await;
    let app = app_with_smtp(&smtp).await;
    let (olga, ann, bob) = (user("olga"), user("ann"), user("bob"));
    let scheduled = app.schedule(&olga, &[&ann, &bob], json!({})).await;
    let id = scheduled["meeting"]["id"].as_str().unwrap();
    let removed =
        app.request(Method::DELETE, &format!("/api/meetings/{id}/attendees/{}", bob.email), &olga).send().await.unwrap();
    assert_eq!(removed.status(), 200, "{}", removed.text().await.unwrap());
    let cancelled = app.request(Method::POST, &format!("/api/meetings/{id}/cancel"), &olga).send().await.unwrap();
    assert_eq!(cancelled.status(), 200);

    deliver_all(&app.pool, &mailer(&app)).await.unwrap();

    // Invitations to both, then CANCEL to Bob alone, then CANCEL to Ann (Bob is gone).
    let mails = smtp.wait_for(4).await;
    assert_eq!(mails.len(), 4);
    let to_bob = for_recipient(&mails, &bob);
    assert_eq!(to_bob.len(), 2);
    let (content_type, removal) = calendar_of(to_bob[1]);
    assert!(content_type.contains("method=CANCEL"), "{content_type}");
    assert_eq!(value(&removal.properties, "METHOD"), "CANCEL");
    let event = &removal.events[0].properties;
    let listed: Vec<_> = event.iter().filter(|p| p.name == "ATTENDEE").filter_map(|p| p.value.clone()).collect();
    assert_eq!(listed, vec!["mailto:bob@example.org".to_string()]);
    assert_eq!(value(event, "SEQUENCE"), "1");
    assert_ne!(value(event, "STATUS"), "CANCELLED");

    let to_ann = for_recipient(&mails, &ann);
    assert_eq!(to_ann.len(), 2);
    let (content_type, cancellation) = calendar_of(to_ann[1]);
    assert!(content_type.contains("method=CANCEL"));
    let event = &cancellation.events[0].properties;
    assert_eq!(value(event, "STATUS"), "CANCELLED");
    assert_eq!(value(event, "SEQUENCE"), "2");
    app.stop().await;
}

#[tokio::test]
async fn a_redelivered_event_sends_nothing_twice_even_when_two_nodes_get_it_at_once() {
    let smtp = SmtpSink::start().await;
    let app = app_with_smtp(&smtp).await;
    let (olga, ann, bob) = (user("olga"), user("ann"), user("bob"));
    app.schedule(&olga, &[&ann, &bob], json!({})).await;
    // Two nodes' reactors, as when JetStream redelivers to another node while the first
    // is still working.
    let (first, second) = (mailer(&app), mailer(&app));
    let (a, b) = tokio::join!(deliver_all(&app.pool, &first), deliver_all(&app.pool, &second));
    // One of them may be told to retry (the other was sending): then it is redelivered.
    if a.is_err() || b.is_err() {
        deliver_all(&app.pool, &first).await.unwrap();
    }
    deliver_all(&app.pool, &first).await.unwrap();
    deliver_all(&app.pool, &second).await.unwrap();

    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let mails = smtp.received();
    assert_eq!(mails.len(), 2, "{:?}", mails.iter().map(|m| &m.envelope_to).collect::<Vec<_>>());
    app.stop().await;
}

#[tokio::test]
async fn an_invitation_is_pushed_to_each_browser_of_the_invitee_once_however_often_it_is_delivered() {
    let smtp = SmtpSink::start().await;
    let app = app_with_smtp(&smtp).await;
    let push = PushService::start().await;
    let (olga, ann, bob) = (user("olga"), user("ann"), user("bob"));
    // Given Ann has subscribed two browsers, and Bob none.
    let (laptop, phone) = (push.subscribe(), push.subscribe());
    for browser in [&laptop, &phone] {
        let response = app.request(Method::POST, "/api/push/subscriptions", &ann).json(&browser.json()).send().await.unwrap();
        assert_eq!(response.status(), 201);
    }
    let scheduled = app.schedule(&olga, &[&ann, &bob], json!({"title": "Retro"})).await;
    let meeting_id = scheduled["meeting"]["id"].as_str().unwrap();

    // When the invitation event is handled, and then delivered again.
    let reactor = mailer(&app);
    deliver_all(&app.pool, &reactor).await.unwrap();
    deliver_all(&app.pool, &reactor).await.unwrap();

    // Then each of Ann's browsers got one push saying what the email says, and both
    // attendees one email.
    let delivered = push.delivered();
    assert_eq!(delivered.len(), 2, "refused: {:?}", push.refused());
    let mut browsers: Vec<&str> = delivered.iter().map(|d| d.subscription.as_str()).collect();
    browsers.sort_unstable();
    let mut expected = vec![laptop.id.as_str(), phone.id.as_str()];
    expected.sort_unstable();
    assert_eq!(browsers, expected);
    let payload: serde_json::Value = serde_json::from_slice(&delivered[0].plaintext).unwrap();
    assert!(payload["title"].as_str().unwrap().starts_with("Invitation: Retro"), "{payload}");
    assert_eq!(payload["body"], "olga invites you to «Retro».");
    assert_eq!(payload["meeting_id"], meeting_id);
    assert_eq!(payload["url"], scheduled["meeting"]["meeting_link"]);
    assert_eq!(smtp.wait_for(2).await.len(), 2);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(push.delivered().len(), 2);
    assert_eq!(smtp.received().len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn with_the_smtp_server_down_nothing_is_lost_and_it_goes_out_once_it_is_back() {
    let smtp = SmtpSink::start().await;
    let port = smtp.port;
    drop(smtp);
    let app = spawn_app_with(|settings| settings.smtp_url = Some(format!("smtp://127.0.0.1:{port}").into())).await;
    let (olga, ann) = (user("olga"), user("ann"));
    app.schedule(&olga, &[&ann], json!({})).await;
    let reactor = mailer(&app);
    assert!(matches!(deliver_all(&app.pool, &reactor).await, Err(infrastructure::reactor::ReactorError::Retry(_))));

    // The same node's SMTP server comes back on the same port.
    let back = SmtpSink::start_on(port).await;
    deliver_all(&app.pool, &reactor).await.unwrap();
    deliver_all(&app.pool, &reactor).await.unwrap();
    assert_eq!(back.wait_for(1).await.len(), 1);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(back.received().len(), 1);
    app.stop().await;
}

/// The link in a plain-text email for `answer`.
fn respond_link(mail: &Received, answer: &str) -> String {
    let (_, text) = mail.part("text/plain").unwrap();
    text.split_whitespace()
        .find(|word| word.contains("/links/respond?") && word.ends_with(&format!("answer={answer}")))
        .unwrap()
        .replace("https://meet.example.org", "")
}

fn query_value(link: &str, name: &str) -> String {
    link.split(['?', '&']).find_map(|kv| kv.strip_prefix(&format!("{name}="))).unwrap().to_string()
}

/// A meeting whose guest links are valid whenever the test runs: a link expires a day after
/// its meeting ends, so the helper's fixed date would make these tests fail from then on.
fn a_meeting_ahead() -> serde_json::Value {
    json!({"start": "2036-12-01T10:00:00", "end": "2036-12-01T11:00:00"})
}

async fn answers_recorded(app: &TestApp) -> i64 {
    sqlx::query_scalar("select count(*) from events where event_type = 'AttendeeResponded'").fetch_one(&app.pool).await.unwrap()
}

#[tokio::test]
async fn answering_through_the_signed_link_records_the_answer_and_tells_the_organizer() {
    let smtp = SmtpSink::start().await;
    let app = app_with_smtp(&smtp).await;
    let (olga, ann) = (user("olga"), user("ann"));
    app.schedule(&olga, &[&ann], a_meeting_ahead()).await;
    let reactor = mailer(&app);
    deliver_all(&app.pool, &reactor).await.unwrap();
    let invitation = smtp.wait_for(1).await.remove(0);
    let link = respond_link(&invitation, "accepted");

    // Opening the link (as a mail scanner would) only shows a confirmation page.
    let page = app.client.get(format!("{}{link}", app.base)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("<form method=\"post\""), "{html}");
    assert_eq!(answers_recorded(&app).await, 0);

    // Confirming records the answer as Ann.
    let form = [("token", query_value(&link, "token")), ("answer", "accepted".to_string())];
    let confirmed = app.client.post(format!("{}/links/respond", app.base)).form(&form).send().await.unwrap();
    assert_eq!(confirmed.status(), 200);
    assert_eq!(answers_recorded(&app).await, 1);
    let meeting: serde_json::Value = sqlx::query_scalar("select payload from events where event_type = 'AttendeeResponded'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(meeting["AttendeeResponded"]["email"], "ann@example.org");
    assert_eq!(meeting["AttendeeResponded"]["response"], "accepted");

    // And the organizer is told.
    deliver_all(&app.pool, &reactor).await.unwrap();
    let mails = smtp.wait_for(2).await;
    let to_olga = for_recipient(&mails, &olga);
    assert_eq!(to_olga.len(), 1);
    assert!(to_olga[0].subject.contains("ann@example.org accepted"), "{}", to_olga[0].subject);
    // with an iTIP REPLY her calendar program records by itself: only Ann, as accepted.
    let (content_type, calendar) = calendar_of(to_olga[0]);
    assert!(content_type.contains("method=REPLY"), "{content_type}");
    assert_eq!(value(&calendar.properties, "METHOD"), "REPLY");
    let event = &calendar.events[0].properties;
    let attendees: Vec<&Property> = event.iter().filter(|p| p.name == "ATTENDEE").collect();
    assert_eq!(attendees.len(), 1);
    assert_eq!(attendees[0].value.as_deref(), Some("mailto:ann@example.org"));
    assert_eq!(param(attendees[0], "PARTSTAT").as_deref(), Some("ACCEPTED"));
    assert_eq!(value(event, "UID"), value(&calendar_of(for_recipient(&mails, &ann)[0]).1.events[0].properties, "UID"));
    app.stop().await;
}

#[tokio::test]
async fn a_forged_link_or_a_cancelled_meeting_gets_a_clear_page_and_changes_nothing() {
    let smtp = SmtpSink::start().await;
    let app = app_with_smtp(&smtp).await;
    let (olga, ann) = (user("olga"), user("ann"));
    let scheduled = app.schedule(&olga, &[&ann], a_meeting_ahead()).await;
    let id = scheduled["meeting"]["id"].as_str().unwrap();
    deliver_all(&app.pool, &mailer(&app)).await.unwrap();
    let link = respond_link(&smtp.wait_for(1).await[0], "declined");
    let token = query_value(&link, "token");

    let forged = format!("{}x", token);
    let page = app.client.get(format!("{}/links/respond?token={forged}&answer=declined", app.base)).send().await.unwrap();
    assert_eq!(page.status(), 400);
    assert!(page.text().await.unwrap().contains("Invalid link"));
    let unknown = app.client.get(format!("{}/links/respond?token={token}&answer=perhaps", app.base)).send().await.unwrap();
    assert_eq!(unknown.status(), 400);

    let cancelled = app.request(Method::POST, &format!("/api/meetings/{id}/cancel"), &olga).send().await.unwrap();
    assert_eq!(cancelled.status(), 200);
    let form = [("token", token), ("answer", "declined".to_string())];
    let refused = app.client.post(format!("{}/links/respond", app.base)).form(&form).send().await.unwrap();
    assert_eq!(refused.status(), 409);
    assert!(refused.text().await.unwrap().contains("cancelled"));
    assert_eq!(answers_recorded(&app).await, 0);
    app.stop().await;
}

/// veche without SMTP on a developer's machine (its public URL the loopback address it
/// listens on), after Olga invited Ann: the invitation is in the outbox.
async fn an_invitation_in_the_outbox() -> (tempfile::TempDir, TestApp) {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_path_buf();
    let app = spawn_app_with(|settings| {
        settings.data_dir = Some(dir);
        settings.public_url = None;
    })
    .await;
    let (olga, ann) = (user("olga"), user("ann"));
    app.schedule(&olga, &[&ann], json!({})).await;
    deliver_all(&app.pool, &mailer(&app)).await.unwrap();
    (data, app)
}

#[tokio::test]
async fn without_an_smtp_server_the_invitation_lands_in_the_outbox_served_at_dev_outbox() {
    let (_data, app) = an_invitation_in_the_outbox().await;

    let list = app.client.get(format!("{}/dev/outbox", app.base)).send().await.unwrap();
    assert_eq!(list.status(), 200);
    let html = list.text().await.unwrap();
    assert!(html.contains("Invitation: Planning"), "{html}");
    let href = html.split("href=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let eml = app.client.get(format!("{}{href}", app.base)).send().await.unwrap();
    assert_eq!(eml.status(), 200);
    assert_eq!(eml.headers()["content-type"], "message/rfc822");
    let bytes = eml.bytes().await.unwrap();
    let parsed = mailparse::parse_mail(&bytes).unwrap();
    assert_eq!(parsed.ctype.mimetype, "multipart/alternative");
    let missing = app.client.get(format!("{}/dev/outbox/..%2F..%2Fetc%2Fpasswd.eml", app.base)).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    app.stop().await;
}

/// The outbox holds answer and join links: files only veche's user reads, and pages shown
/// on the machine veche runs on, never through a proxy or on a public address.
#[tokio::test]
async fn the_outbox_is_private_to_veche_s_user_and_never_served_through_a_proxy_or_a_public_address() {
    use std::os::unix::fs::PermissionsExt;
    let (_data, app) = an_invitation_in_the_outbox().await;
    let outbox = app.state().notifications.outbox_dir.clone().unwrap();
    assert_eq!(std::fs::metadata(&outbox).unwrap().permissions().mode() & 0o777, 0o700);
    for file in std::fs::read_dir(&outbox).unwrap() {
        assert_eq!(file.unwrap().metadata().unwrap().permissions().mode() & 0o777, 0o600);
    }
    let list = format!("{}/dev/outbox", app.base);
    assert_eq!(app.client.get(&list).send().await.unwrap().status(), 200);
    let proxied = app.client.get(&list).header("X-Forwarded-For", "203.0.113.7").send().await.unwrap();
    assert_eq!(proxied.status(), 404, "a request through a proxy is not the developer's");
    app.stop().await;

    let public = spawn_app().await; // public URL https://meet.example.org
    let list = public.client.get(format!("{}/dev/outbox", public.base)).send().await.unwrap();
    assert_eq!(list.status(), 404, "a veche with a public address serves no outbox");
    public.stop().await;
}

#[tokio::test]
async fn invitations_go_through_starttls_and_smtps_with_auth_and_wait_while_the_password_or_the_certificate_is_wrong() {
    use infrastructure::reactor::ReactorError;
    use veche_tests::smtp::Secured;
    for secured in [Secured::StartTls, Secured::Smtps] {
        let smtp = SmtpSink::start_secured(secured).await;
        let (olga, ann) = (user("olga"), user("ann"));

        // A wrong password, or a server whose certificate is not trusted (no `ca=`), is the
        // operator's to fix: nothing is sent and nothing is given up meanwhile.
        let trusted = smtp.url();
        let untrusted = trusted[..trusted.find("ca=").unwrap() - 1].to_string();
        for url in [smtp.url_with_password("guess"), untrusted] {
            let misconfigured = spawn_app_with(|settings| settings.smtp_url = Some(url.clone().into())).await;
            misconfigured.schedule(&olga, &[&ann], json!({})).await;
            let refused = deliver_all(&misconfigured.pool, &mailer(&misconfigured)).await;
            assert!(matches!(refused, Err(ReactorError::Retry(_))), "{url}: {refused:?}");
            misconfigured.stop().await;
        }
        assert!(smtp.received().is_empty(), "{secured:?}");

        let app = app_with_smtp(&smtp).await;
        app.schedule(&olga, &[&ann], json!({})).await;
        deliver_all(&app.pool, &mailer(&app)).await.unwrap();
        let received = smtp.wait_for(1).await;
        assert_eq!(received.len(), 1, "{secured:?}");
        assert_eq!(received[0].envelope_to, ann.email, "{secured:?}");
        app.stop().await;
    }
}

/// The node's own reactors, as `veche serve` runs them, with the SMTP server down for longer
/// than their ten attempts take (a try a second here): the invitation is retried rather
/// than parked, and goes out once, when the server is back.
#[tokio::test]
async fn an_smtp_server_down_longer_than_the_attempts_loses_no_invitation_and_sends_it_once() {
    let nats = veche_tests::nats::TestNats::start().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let app = spawn_app_with(|settings| {
        settings.nats_disabled = false;
        settings.nats_url = Some(nats.url().into());
        settings.smtp_url = Some(format!("smtp://127.0.0.1:{port}").into());
        settings.reactor_max_retry_delay_secs = 1;
    })
    .await;
    let (olga, ann) = (user("olga"), user("ann"));
    app.schedule(&olga, &[&ann], json!({})).await;
    // Ten tries a second apart: parked after ~10 s before, so 14 s is past that.
    tokio::time::sleep(std::time::Duration::from_secs(14)).await;
    let back = SmtpSink::start_on(port).await;
    assert_eq!(back.wait_for(1).await.len(), 1, "the invitation went out once the server was back");
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert_eq!(back.received().len(), 1, "and only once");
    let parked = infrastructure::dead_letters::list(&nats.connect().await, None).await.unwrap();
    assert!(parked.is_empty(), "nothing parked: {parked:?}");
    app.stop().await;
}
