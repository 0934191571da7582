//! The web app as two people use it, in two Chromiums (`tests/web/app-story.mjs`): sign-in
//! by the organisation's provider (a real OpenID provider on loopback) and by an emailed link
//! (through the tests' SMTP server), scheduling, a live update, answering, dragging to
//! another day, cancelling, the history, a pushed reminder, Russian; axe-core on every page
//! and screenshots at desktop and phone width into `target/web-screenshots`.

use veche_tests::app::spawn_app_with;
use veche_tests::browser::run_script;
use veche_tests::oidc::OidcProvider;
use veche_tests::smtp::SmtpSink;

/// The Monday of the week the story happens in.
const MONDAY: &str = "2036-12-01";

#[tokio::test]
async fn two_people_plan_answer_move_and_cancel_a_meeting_in_the_web_app() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let smtp = SmtpSink::start().await;
    let provider = OidcProvider::start(&format!("{base}/auth/oidc/callback")).await;
    let smtp_url = smtp.url();
    let app = spawn_app_with(|settings| {
        settings.listen = format!("127.0.0.1:{port}").parse().unwrap();
        settings.public_url = Some(base.clone());
        settings.smtp_url = Some(smtp_url.into());
        settings.sign_in.domains = vec!["example.org".into()];
        provider.configure(settings);
    })
    .await;
    let shots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/web-screenshots");
    let maildir = smtp.maildir();
    let run = run_script("app-story.mjs", &[&app.base, maildir.to_str().unwrap(), shots.to_str().unwrap(), MONDAY]).await;
    run.assert_passed();
    app.stop().await;
}
