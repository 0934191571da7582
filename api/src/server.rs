//! Start-up and shutdown of `veche serve`, also used by the tests to start veche on a
//! free port over a throwaway database.

use crate::auth::JwtKeys;
use crate::settings::{persistent_secret, Settings};
use crate::state::AppState;
use anyhow::Context;
use application::executor::Executor;
use application::meetings::Meetings;
use infrastructure::embedded_postgres::{EmbeddedPostgres, EmbeddedPostgresOptions};
use infrastructure::event_store::{meeting_store, PgEventLog};
use projections::progress::ProjectionProgress;
use projections::wake::LogWake;
use projections::Projector;
use sqlx::PgPool;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The database veche works on, and the embedded cluster if veche started one.
pub struct Database {
    pub pool: PgPool,
    pub url: String,
    /// Kept so that the cluster stops when veche does.
    pub embedded: Option<EmbeddedPostgres>,
}

/// Connects to `VECHE_DATABASE_URL`, or to the embedded cluster of the data directory
/// (starting it if no veche process has), and applies the migrations.
pub async fn open_database(settings: &Settings) -> anyhow::Result<Database> {
    let (url, embedded) = match &settings.database_url {
        Some(url) => (url.clone(), None),
        None => {
            let data_dir = settings.data_dir();
            match EmbeddedPostgres::running_url(&data_dir) {
                Some(url) => (url, None),
                None => {
                    let cluster = EmbeddedPostgres::start(EmbeddedPostgresOptions {
                        data_dir: data_dir.clone(),
                        port: None,
                        durable: true,
                    })
                    .await
                    .with_context(|| format!("starting the embedded PostgreSQL under {}", data_dir.display()))?;
                    tracing::info!(port = cluster.port(), data_dir = %data_dir.display(), "embedded PostgreSQL started");
                    (cluster.database_url(), Some(cluster))
                }
            }
        }
    };
    let pool = infrastructure::database::connect(&url, settings.db_max_connections)
        .await
        .context("connecting to PostgreSQL")?;
    infrastructure::database::migrate(&pool).await.context("applying the migrations")?;
    Ok(Database { pool, url, embedded })
}

fn jwt_secret(settings: &Settings) -> anyhow::Result<String> {
    match &settings.jwt_secret {
        Some(secret) if secret.len() >= 16 => Ok(secret.clone()),
        Some(_) => anyhow::bail!("VECHE_JWT_SECRET must be at least 16 characters"),
        None => persistent_secret(&settings.data_dir(), "jwt-secret").context("reading the JWT secret"),
    }
}

/// The JWT keys `serve` and `token` share.
pub fn jwt_keys(settings: &Settings) -> anyhow::Result<JwtKeys> {
    Ok(JwtKeys::from_secret(&jwt_secret(settings)?))
}

/// A running veche: HTTP listener, projector, progress follower.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub pool: PgPool,
    pub state: AppState,
    shutdown: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
    embedded: Option<EmbeddedPostgres>,
}

impl RunningServer {
    /// Stops accepting requests, lets in-flight ones finish, stops the projector and the
    /// embedded cluster.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        for task in self.tasks {
            let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
        }
        self.pool.close().await;
        if let Some(cluster) = self.embedded {
            cluster.stop().await?;
        }
        Ok(())
    }

    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }
}

pub async fn start(settings: Settings) -> anyhow::Result<RunningServer> {
    let database = open_database(&settings).await?;
    let secret = jwt_secret(&settings)?;
    let jwt = JwtKeys::from_secret(&secret);
    let notifications = crate::notifications::Notifications::from_settings(&settings, &secret, &database.pool)?;
    let shutdown = CancellationToken::new();
    let pool = database.pool.clone();
    let progress = ProjectionProgress::follow(pool.clone(), shutdown.clone()).await?;
    let projector_alive = Arc::new(AtomicBool::new(true));
    let wake = LogWake::new();
    let mut tasks = vec![wake.spawn_announcer(pool.clone(), shutdown.clone())];
    {
        let projector = Projector::new(pool.clone()).with_wake(wake.clone());
        let token = shutdown.clone();
        let alive = projector_alive.clone();
        tasks.push(tokio::spawn(async move {
            projector.run(token).await;
            alive.store(false, Ordering::Relaxed);
        }));
    }
    {
        // Every node runs a reminder scheduler; SKIP LOCKED takes keep them apart.
        let scheduler = notifications.reminder_scheduler(&pool);
        tasks.push(tokio::spawn(scheduler.run(shutdown.clone())));
    }
    let meetings = Meetings::new(Executor::new(meeting_store(pool.clone()), PgEventLog::new(pool.clone(), wake)));
    let state = AppState {
        pool: pool.clone(),
        meetings: Arc::new(meetings),
        progress,
        jwt,
        public_url: settings.public_url().into(),
        read_wait: Duration::from_millis(settings.read_wait_ms),
        projector_alive,
        metrics: crate::telemetry::metrics_handle(),
        settings: Arc::new(settings.clone()),
        notifications,
    };
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("listening on {}", settings.listen))?;
    let addr = listener.local_addr()?;
    let app = crate::http::router(state.clone());
    let token = shutdown.clone();
    tasks.push(tokio::spawn(async move {
        let served = axum::serve(listener, app).with_graceful_shutdown(async move { token.cancelled().await }).await;
        if let Err(error) = served {
            tracing::error!(error = %error, "the HTTP server stopped");
        }
    }));
    tracing::info!(%addr, "veche is listening");
    Ok(RunningServer { addr, pool, state, shutdown, tasks, embedded: database.embedded })
}

/// Resolves when the process is asked to stop (Ctrl-C or SIGTERM).
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("installing a SIGTERM handler");
    tokio::select! {
        _ = ctrl_c => {}
        _ = term.recv() => {}
    }
}
