//! Single sign-on against a real OpenID provider (npm `oidc-provider`) on loopback, driven
//! as a browser would (cookies, redirects, its login and consent forms): the person's `sub`,
//! address and name come from the provider, a callback is accepted only in the browser that
//! started the sign-in, once, and an address the provider has not verified is refused.

use reqwest::header::LOCATION;
use reqwest::{Client, StatusCode};
use veche_tests::app::{spawn_app_with, TestApp};
use veche_tests::oidc::OidcProvider;

/// veche on a port chosen beforehand, so that the provider knows its redirect URI.
async fn app_with_provider() -> (TestApp, OidcProvider) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let provider = OidcProvider::start(&format!("{base}/auth/oidc/callback")).await;
    let app = spawn_app_with(|settings| {
        settings.listen = format!("127.0.0.1:{port}").parse().unwrap();
        settings.public_url = Some(base.clone());
        provider.configure(settings);
    })
    .await;
    (app, provider)
}

/// A browser: keeps cookies, shows each redirect instead of following it.
fn browser() -> Client {
    // A connection per request: the provider (Node.js) may close one it has answered.
    Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).pool_max_idle_per_host(0).build().unwrap()
}

/// Follows redirects until one leads to `stop_at` (not followed); returns that URL.
async fn follow_until(client: &Client, mut url: String, stop_at: &str) -> (String, String) {
    for _ in 0..10 {
        if url.starts_with(stop_at) {
            return (url, String::new());
        }
        let response = client.get(&url).send().await.unwrap();
        match response.headers().get(LOCATION) {
            Some(location) => url = absolute(&url, location.to_str().unwrap()),
            None => return (url, response.text().await.unwrap()),
        }
    }
    panic!("too many redirects");
}

fn absolute(from: &str, location: &str) -> String {
    if location.starts_with("http") {
        return location.to_string();
    }
    let origin: String = from.splitn(4, '/').take(3).collect::<Vec<_>>().join("/");
    format!("{origin}{location}")
}

/// The action of the page's form.
fn form_action(page_url: &str, html: &str) -> String {
    let action = html.split("action=\"").nth(1).and_then(|rest| rest.split('"').next()).expect("a form on the page");
    absolute(page_url, action)
}

/// Signs in at the provider as `account` (its login form, then its consent form) and
/// returns veche's callback URL the provider sends the browser to.
async fn sign_in_at_provider(client: &Client, app: &TestApp, account: &str) -> String {
    let start = client.get(format!("{}/auth/oidc/start?return_to=/meetings/next", app.base)).send().await.unwrap();
    assert_eq!(start.status(), StatusCode::SEE_OTHER);
    let authorize = start.headers()[LOCATION].to_str().unwrap().to_string();
    assert!(authorize.contains("code_challenge_method=S256") && authorize.contains("nonce="), "{authorize}");
    let callback = format!("{}/auth/oidc/callback", app.base);
    let (login_page, html) = follow_until(client, authorize, &callback).await;
    let login = client
        .post(form_action(&login_page, &html))
        .form(&[("prompt", "login"), ("login", account), ("password", "any")])
        .send()
        .await
        .unwrap();
    let (consent_page, html) =
        follow_until(client, absolute(&login_page, login.headers()[LOCATION].to_str().unwrap()), &callback).await;
    if consent_page.starts_with(&callback) {
        return consent_page;
    }
    let consent = client.post(form_action(&consent_page, &html)).form(&[("prompt", "consent")]).send().await.unwrap();
    let (back, _) = follow_until(client, absolute(&consent_page, consent.headers()[LOCATION].to_str().unwrap()), &callback).await;
    assert!(back.starts_with(&callback), "the provider sends the browser back to veche: {back}");
    back
}

#[tokio::test]
async fn a_person_signs_in_with_the_provider_and_the_session_names_them() {
    let (app, _provider) = app_with_provider().await;
    let client = browser();
    let callback = sign_in_at_provider(&client, &app, "ann").await;
    let landed = client.get(&callback).send().await.unwrap();
    assert_eq!(landed.status(), StatusCode::SEE_OTHER, "{}", landed.text().await.unwrap());
    assert_eq!(landed.headers()[LOCATION], "/meetings/next");
    let (status, session) = TestApp::json(client.get(format!("{}/api/session", app.base)).send().await.unwrap()).await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(
        (session["user_id"].as_str(), session["email"].as_str(), session["name"].as_str(), session["method"].as_str()),
        (Some("ann"), Some("ann@example.org"), Some("Ann Lee"), Some("oidc"))
    );
    // The provider's answer works once.
    let again = client.get(&callback).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_callback_in_another_browser_signs_nobody_in() {
    let (app, _provider) = app_with_provider().await;
    let callback = sign_in_at_provider(&browser(), &app, "ann").await;
    let elsewhere = browser();
    let response = elsewhere.get(&callback).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get("set-cookie").is_none_or(|c| !c.to_str().unwrap().contains("veche_session=")));
    let (status, _) = TestApp::json(elsewhere.get(format!("{}/api/session", app.base)).send().await.unwrap()).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn an_address_the_provider_has_not_verified_is_refused() {
    let (app, _provider) = app_with_provider().await;
    let client = browser();
    let callback = sign_in_at_provider(&client, &app, "unverified").await;
    let response = client.get(&callback).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.text().await.unwrap().contains("not verified"));
}

#[tokio::test]
async fn the_sign_in_options_offer_the_provider_by_name() {
    let (app, _provider) = app_with_provider().await;
    let (_, options) = TestApp::json(browser().get(format!("{}/api/auth/options", app.base)).send().await.unwrap()).await;
    assert_eq!(options["oidc"]["name"], "Test ID");
}
