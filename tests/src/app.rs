//! `spawn_app()`: veche on a free port over a fresh database.

use crate::cluster::TestDatabase;
use api::auth::Claims;
use api::server::RunningServer;
use api::settings::Settings;
use reqwest::{Method, RequestBuilder, Response};
use serde_json::Value;
use sqlx::PgPool;

pub const TEST_JWT_SECRET: &str = "a-test-secret-that-is-long-enough";

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub pool: PgPool,
    server: RunningServer,
    database: TestDatabase,
}

/// The settings a test veche runs with.
pub fn test_settings(database_url: &str) -> Settings {
    let mut settings = Settings::from_env().expect("the VECHE_* variables of the test environment are valid");
    settings.listen = "127.0.0.1:0".parse().unwrap();
    settings.data_dir = Some(std::env::temp_dir().join("veche-test-data"));
    settings.database_url = Some(database_url.to_string().into());
    // Tests that need NATS start their own server and set its URL.
    settings.nats_url = None;
    settings.nats_disabled = true;
    settings.jwt_secret = Some(TEST_JWT_SECRET.into());
    settings.public_url = Some("https://meet.example.org".into());
    settings.db_max_connections = 10;
    settings.read_wait_ms = 2000;
    settings.max_body_bytes = 64 * 1024;
    settings.max_concurrent_requests = 512;
    settings.smtp_url = None;
    settings.mail_from = "veche <veche@example.org>".into();
    settings.mail_language = "en".into();
    settings.vapid_private_key = None;
    settings.vapid_subject = "mailto:ops@example.org".into();
    // Many commands of one person a second; the limits have tests of their own.
    settings.rate_commands_per_second = 0.0;
    settings.rate_emails_per_hour = 0.0;
    // The tests' push service listens on loopback.
    settings.push_allow_private = true;
    settings
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// veche with settings the test adjusts (an SMTP server, a data directory, ...).
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        api::telemetry::init_tracing();
    }
    let database = TestDatabase::create().await;
    let mut settings = test_settings(&database.url);
    configure(&mut settings);
    let server = api::server::start(settings).await.expect("veche starts");
    TestApp {
        base: format!("http://{}", server.addr),
        client: reqwest::Client::new(),
        pool: server.pool.clone(),
        server,
        database,
    }
}

/// A person with a token.
#[derive(Debug, Clone)]
pub struct User {
    pub sub: String,
    pub email: String,
    pub token: String,
}

pub fn token(claims: &Claims) -> String {
    api::auth::JwtKeys::from_secret(TEST_JWT_SECRET).mint(claims).unwrap()
}

/// A person's claims for an hour: `sub` "user-<name>", email "<name>@example.org"; change
/// the rest with struct update syntax.
pub fn claims(name: &str) -> Claims {
    Claims {
        sub: format!("user-{name}"),
        email: format!("{name}@example.org"),
        name: name.to_string(),
        exp: chrono::Utc::now().timestamp() + 3600,
        iat: None,
        roles: vec![],
        room: None,
        scope: None,
        meeting_id: None,
    }
}

pub fn user(name: &str) -> User {
    let claims = claims(name);
    User { sub: claims.sub.clone(), email: claims.email.clone(), token: token(&claims) }
}

impl TestApp {
    pub fn request(&self, method: Method, path: &str, who: &User) -> RequestBuilder {
        self.client.request(method, format!("{}{}", self.base, path)).bearer_auth(&who.token)
    }

    /// Schedules a meeting for `organizer` with `attendees`, 1 December 2026 10:00–11:00
    /// Berlin unless `body` overrides fields; returns the command result.
    pub async fn schedule(&self, organizer: &User, attendees: &[&User], overrides: Value) -> Value {
        let mut body = serde_json::json!({
            "title": "Planning",
            "description": "Agenda: next quarter",
            "start": "2026-12-01T10:00:00",
            "end": "2026-12-01T11:00:00",
            "time_zone": "Europe/Berlin",
            "attendees": attendees.iter().map(|a| serde_json::json!({"email": a.email})).collect::<Vec<_>>(),
        });
        if let (Some(base), Some(extra)) = (body.as_object_mut(), overrides.as_object()) {
            for (k, v) in extra {
                base.insert(k.clone(), v.clone());
            }
        }
        let response = self.request(Method::POST, "/api/meetings", organizer).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 201, "scheduling failed: {}", response.text().await.unwrap());
        response.json().await.unwrap()
    }

    pub async fn json(response: Response) -> (u16, Value) {
        let status = response.status().as_u16();
        let body = response.json().await.unwrap_or(Value::Null);
        (status, body)
    }

    pub fn state(&self) -> &api::state::AppState {
        &self.server.state
    }

    pub async fn stop(self) {
        self.server.stop().await.unwrap();
        self.database.drop_database().await;
    }
}
