//! Start-up and shutdown of `veche serve`, also used by the tests to start veche on a
//! free port over a throwaway database.

use crate::auth::JwtKeys;
use crate::settings::{persistent_secret, Settings};
use crate::signaling::connection::ConnectionLimits;
use crate::signaling::hub::Hub;
use crate::signaling::SignalSettings;
use crate::state::AppState;
use crate::supervisor::{supervise, TaskHealth};
use anyhow::Context;
use application::executor::Executor;
use application::meetings::Meetings;
use application::rooms::Rooms;
use infrastructure::embedded_nats::{EmbeddedNats, EmbeddedNatsOptions};
use infrastructure::embedded_postgres::{EmbeddedPostgres, EmbeddedPostgresOptions};
use infrastructure::event_store::PgEventLog;
use infrastructure::nats::Nats;
use infrastructure::nats_consumer::{ConsumerOptions, ReactorRunner};
use infrastructure::presence::NodeLease;
use infrastructure::publisher::Publisher;
use infrastructure::reactor::Reactor;
use projections::progress::ProjectionProgress;
use projections::wake::LogWake;
use projections::Projector;
use secrecy::ExposeSecret as _;
use sqlx::PgPool;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Connections of the projector's own pool (its leadership lock and its batches).
const PROJECTOR_CONNECTIONS: u32 = 3;

/// Runs the projector with connections of its own: queued behind a busy request pool, its
/// batches (a dozen round trips each) fell behind the very writes they follow, and reads
/// waiting for read-your-writes waited on them. (A thread and runtime of its own cut the
/// lag further under the HTTP benchmark, but its eager batches and polling took CPU the
/// notification reactors needed on 2 cores: invitation latency p99 was 0.8–2.3 s in five
/// runs, four of them over 1 s. See ARCHITECTURE.md.) The returned task ends when the projector has stopped.
async fn spawn_projector(
    url: String,
    wake: LogWake,
    shutdown: CancellationToken,
    health: TaskHealth,
) -> anyhow::Result<JoinHandle<()>> {
    let pool =
        infrastructure::database::connect(&url, PROJECTOR_CONNECTIONS).await.context("connecting the projector to PostgreSQL")?;
    Ok(supervise(PROJECTOR_TASK, health, shutdown.clone(), move || {
        let (pool, wake, shutdown) = (pool.clone(), wake.clone(), shutdown.clone());
        async move {
            Projector::new(pool.clone()).with_wake(wake).run(shutdown.clone()).await;
            if shutdown.is_cancelled() {
                pool.close().await;
            }
        }
    }))
}

/// The projector's name among the supervised tasks.
pub const PROJECTOR_TASK: &str = "projector";

/// The database veche works on, and the embedded cluster if veche started one.
pub struct Database {
    pub pool: PgPool,
    pub url: String,
    /// Kept so that the cluster stops when veche does.
    pub embedded: Option<EmbeddedPostgres>,
}

/// The embedded servers, by the name of the file in the data directory naming the veche
/// process that started each (`<name>.owner`). Another veche on the same directory shares a
/// server while that process lives; once it is gone (killed), the server is adopted:
/// restarted as this process's own and stopped with it, so that a clean stop never leaves
/// a server running.
const POSTGRES: &str = "postgres";
const NATS: &str = "nats";

fn owner_file(data_dir: &std::path::Path, server: &str) -> std::path::PathBuf {
    data_dir.join(format!("{server}.owner"))
}

/// The PID of the live veche that started the data directory's embedded `server`, if any.
fn embedded_owner(data_dir: &std::path::Path, server: &str) -> Option<u32> {
    let pid: u32 = std::fs::read_to_string(owner_file(data_dir, server)).ok()?.trim().parse().ok()?;
    if pid == std::process::id() {
        return Some(pid);
    }
    // A PID the dead owner had may have gone to another program since.
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let program = cmdline.split(|b| *b == 0).next().unwrap_or_default();
    String::from_utf8_lossy(program).contains("veche").then_some(pid)
}

/// Records this process as the starter of the data directory's embedded `server`.
fn claim_embedded(data_dir: &std::path::Path, server: &str) {
    if let Err(error) = std::fs::write(owner_file(data_dir, server), std::process::id().to_string()) {
        tracing::warn!(%error, "could not record this process as the embedded servers' owner");
    }
}

/// Whether to share an embedded server found running on the data directory: only while the
/// veche that started it lives; otherwise it is adopted (said in the log).
fn share_running(data_dir: &std::path::Path, server: &str, what: &str) -> bool {
    match embedded_owner(data_dir, server) {
        Some(owner) => {
            tracing::info!(owner, "using the {what} that another veche runs on this data directory");
            true
        }
        None => {
            tracing::warn!(
                "adopting the {what} left running on this data directory by a veche that is gone: it is restarted as this \
                 node's own and stopped with it"
            );
            false
        }
    }
}

/// Connects to `VECHE_DATABASE_URL`, or to the embedded cluster of the data directory
/// (starting it if no live veche process runs it), and applies the migrations.
pub async fn open_database(settings: &Settings) -> anyhow::Result<Database> {
    let (url, embedded) = match &settings.database_url {
        Some(url) => (url.expose_secret().to_string(), None),
        None => {
            let data_dir = settings.data_dir();
            let running = EmbeddedPostgres::running_url(&data_dir);
            match running.filter(|_| share_running(&data_dir, POSTGRES, "embedded PostgreSQL")) {
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
                    claim_embedded(&data_dir, POSTGRES);
                    (cluster.database_url(), Some(cluster))
                }
            }
        }
    };
    let pool = infrastructure::database::connect(&url, settings.db_max_connections).await.context("connecting to PostgreSQL")?;
    infrastructure::database::migrate(&pool).await.context("applying the migrations")?;
    Ok(Database { pool, url, embedded })
}

/// The NATS connection, and the embedded server if veche started one.
pub struct NatsConnection {
    pub nats: Nats,
    /// Kept so that the server stops when veche does.
    pub embedded: Option<EmbeddedNats>,
}

/// Connects to `VECHE_NATS_URL`, or starts a nats-server under `<data dir>/nats` and
/// connects to it; `None` when NATS is disabled on this node.
pub async fn open_nats(settings: &Settings) -> anyhow::Result<Option<NatsConnection>> {
    if settings.nats_disabled {
        return Ok(None);
    }
    let (url, embedded) = match &settings.nats_url {
        Some(url) => (url.expose_secret().to_string(), None),
        None => {
            let data_dir = settings.data_dir().join("nats");
            // Like the embedded PostgreSQL: a second veche on the same data directory
            // shares the first one's server while that one lives.
            let running = EmbeddedNats::running_url(&data_dir);
            if let Some(url) = running.filter(|_| share_running(&settings.data_dir(), NATS, "embedded nats-server")) {
                return Ok(Some(NatsConnection {
                    nats: Nats::connect(&url).await.context("connecting to NATS")?,
                    embedded: None,
                }));
            }
            let server = EmbeddedNats::start(EmbeddedNatsOptions { data_dir: data_dir.clone(), port: None })
                .await
                .with_context(|| format!("starting the embedded nats-server under {}", data_dir.display()))?;
            tracing::info!(port = server.port(), pid = server.pid(), data_dir = %data_dir.display(), "embedded nats-server started");
            claim_embedded(&settings.data_dir(), NATS);
            (server.url(), Some(server))
        }
    };
    let nats = Nats::connect(&url).await.context("connecting to NATS")?;
    Ok(Some(NatsConnection { nats, embedded }))
}

/// Events each reactor handles at once on a node.
const REACTOR_LANES: usize = 16;

/// The reactors every node runs, each as a durable JetStream consumer shared by the nodes.
fn reactors(state: &AppState) -> Vec<Arc<dyn Reactor>> {
    let mut reactors = state.notifications.reactors(&state.pool);
    reactors.push(Arc::new(infrastructure::room_status::RoomStatusReactor {
        pool: state.pool.clone(),
        rooms: state.rooms.clone(),
        doors: state.hub.clone(),
        actor: crate::signaling::presence::system_actor(state),
    }));
    reactors
}

fn jwt_secret(settings: &Settings) -> anyhow::Result<String> {
    match settings.jwt_secret.as_ref().map(|secret| secret.expose_secret()) {
        Some(secret) if secret.len() >= 16 => Ok(secret.to_string()),
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
    lease: NodeLease,
    embedded_nats: Option<EmbeddedNats>,
}

impl RunningServer {
    /// Stops accepting requests, lets in-flight ones finish, stops the projector, the
    /// publisher, the reactors and the embedded servers.
    pub async fn stop(self) -> anyhow::Result<()> {
        // Participants reconnect to another node and resume there; giving the lease up lets
        // the others expire whoever does not come back without waiting for it to run out.
        self.state.hub.disconnect_all(crate::signaling::protocol::close_code::GOING_AWAY);
        self.shutdown.cancel();
        for task in self.tasks {
            let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
        }
        if let Err(error) = self.lease.release().await {
            tracing::warn!(%error, "could not release the node lease");
        }
        if let Some(nats) = &self.state.nats {
            // Bounded: with the server gone (e.g. stopped by the veche that owned it) the
            // client would wait for a reconnection forever.
            let _ = tokio::time::timeout(Duration::from_secs(5), nats.client().flush()).await;
        }
        if let Some(server) = self.embedded_nats {
            server.stop().await?;
        }
        self.pool.close().await;
        if let Some(cluster) = self.embedded {
            cluster.stop().await?;
        }
        Ok(())
    }

    /// The PID of the nats-server this veche started, if it started one.
    pub fn embedded_nats_pid(&self) -> Option<u32> {
        self.embedded_nats.as_ref().map(EmbeddedNats::pid)
    }

    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }
}

pub async fn start(settings: Settings) -> anyhow::Result<RunningServer> {
    let database = open_database(&settings).await?;
    let nats = open_nats(&settings).await?;
    let secret = jwt_secret(&settings)?;
    let jwt = JwtKeys::from_secret(&secret);
    let notifications = crate::notifications::Notifications::from_settings(&settings, &secret, &database.pool)?;
    if let Some(outbox) = notifications.outbox_dir.as_deref().filter(|_| !settings.listen.ip().is_loopback()) {
        tracing::warn!(listen = %settings.listen, outbox = %outbox.display(),
            "no SMTP server is configured (VECHE_SMTP_URL): nobody receives veche's emails, they are kept in the outbox, \
             which is not served on a public address");
    }
    let shutdown = CancellationToken::new();
    let pool = database.pool.clone();
    let wake = LogWake::new();
    let progress = ProjectionProgress::follow(pool.clone(), shutdown.clone()).await?.with_appends(wake.clone());
    let health = TaskHealth::default();
    let mut tasks = vec![wake.spawn_announcer(pool.clone(), shutdown.clone())];
    tasks.push(spawn_projector(database.url.clone(), wake.clone(), shutdown.clone(), health.clone()).await?);
    let (nats, embedded_nats) = match nats {
        Some(NatsConnection { nats, embedded }) => (Some(nats), embedded),
        None => (None, None),
    };
    if let Some(nats) = &nats {
        let publisher = Publisher::new(pool.clone(), nats.clone(), settings.public_url()).with_wake(wake.clone());
        let token = shutdown.clone();
        tasks.push(supervise("publisher", health.clone(), shutdown.clone(), move || publisher.clone().run(token.clone())));
    }
    let log = PgEventLog::new(pool.clone(), wake);
    let meetings = Meetings::new(Executor::new(log.meeting_store(), log.clone()));
    let room_settings = &settings.rooms;
    // No cache for rooms: a room's presence changes on every node where one of its
    // participants is connected, so a cached room is often stale (a lost race, then a second
    // decision), and it would keep memory for every room with someone idle in it; a join
    // loads its room's few events.
    let rooms = Rooms::new(
        Executor::with_cache(log.room_store(), log, 0),
        room_settings.room_capacity,
        room_settings.room_seats_per_person,
    );
    let node_id = room_settings.node_id();
    let lease = NodeLease::new(pool.clone(), node_id.clone(), Duration::from_secs(room_settings.node_lease_secs.max(3)));
    // The lease exists before the first participant is held, or they would look orphaned.
    lease.renew().await.context("taking the node lease")?;
    let hub = Arc::new(Hub::new(node_id, room_settings.signal_queue));
    let signal = SignalSettings {
        limits: ConnectionLimits {
            messages_per_second: room_settings.signal_rate.max(1),
            burst: room_settings.signal_rate.max(1) * 2,
        },
        ping_every: Duration::from_secs(room_settings.signal_ping_secs.max(1)),
        max_message_bytes: room_settings.signal_max_message_bytes.max(1024),
        max_connections: room_settings.signal_max_connections,
        reconnect_grace: Duration::from_secs(room_settings.reconnect_grace_secs),
        peerjs: room_settings.peerjs,
        peerjs_key: room_settings.peerjs_key.clone(),
    };
    if let Some(nats) = &nats {
        crate::signaling::relay::NatsRelay::attach(&hub, nats.client().clone(), shutdown.clone());
    }
    {
        // Every node runs a reminder scheduler; SKIP LOCKED takes keep them apart. New and
        // moved reminders reach it with the projections' progress.
        let (notifications, pool, progress, token) = (notifications.clone(), pool.clone(), progress.clone(), shutdown.clone());
        tasks.push(supervise("reminders", health.clone(), shutdown.clone(), move || {
            notifications.reminder_scheduler(&pool).woken_by(progress.subscribe()).run(token.clone())
        }));
    }
    let rooms = Arc::new(rooms);
    let signal = Arc::new(signal);
    let presence =
        Arc::new(crate::signaling::presence::Presence { hub: hub.clone(), rooms: rooms.clone(), signal: signal.clone() });
    let sign_in = crate::web_sign_in::WebSignIn::from_settings(&settings, notifications.outbox_dir.is_some())?;
    let state = AppState {
        pool: pool.clone(),
        meetings: Arc::new(meetings),
        rooms,
        hub,
        signal,
        presence,
        progress,
        jwt,
        public_url: settings.public_url().into(),
        read_wait: Duration::from_millis(settings.read_wait_ms),
        tasks: health.clone(),
        limits: Arc::new(crate::rate_limit::PersonLimits::new(settings.rate_commands_per_second, settings.rate_emails_per_hour)),
        metrics: crate::telemetry::metrics_handle(),
        settings: Arc::new(settings.clone()),
        nats: nats.clone(),
        notifications,
        sessions: infrastructure::web_sessions::WebSessions::new(pool.clone()),
        live: Arc::default(),
        sign_in: Arc::new(sign_in),
    };
    tasks.push(tokio::spawn(crate::telemetry::run_metrics_upkeep(state.metrics.clone(), shutdown.clone())));
    tasks.push(tokio::spawn(crate::signaling::run_presence_keeper(state.clone(), lease.clone(), shutdown.clone())));
    tasks.push(tokio::spawn(crate::signaling::clock::run(pool.clone(), state.hub.clone(), shutdown.clone())));
    tasks.push(tokio::spawn(crate::signaling::run_pinger(state.hub.clone(), state.signal.ping_every, shutdown.clone())));
    tasks.push(tokio::spawn(purge_expired(state.sessions.clone(), pool.clone(), shutdown.clone())));
    tasks.push(tokio::spawn(state.live.clone().run(pool.clone(), state.progress.clone(), shutdown.clone())));
    if let Some(nats) = &nats {
        for reactor in reactors(&state) {
            // None of them depends on the order of events (see `nats_consumer`).
            let options = ConsumerOptions {
                retry_horizon: Duration::from_secs(settings.reactor_retry_horizon_hours.saturating_mul(3600)),
                max_retry_delay: Duration::from_secs(settings.reactor_max_retry_delay_secs.max(1)),
                ..ConsumerOptions::concurrent(REACTOR_LANES)
            };
            let runner = ReactorRunner::new(nats.clone(), reactor, options);
            let token = shutdown.clone();
            let name = format!("reactor {}", runner.name());
            tasks.push(supervise(name, health.clone(), shutdown.clone(), move || runner.clone().run(token.clone())));
        }
    }
    let listener = crate::listener::bind(settings.listen).with_context(|| format!("listening on {}", settings.listen))?;
    let addr = listener.local_addr()?;
    let app = crate::http::router(state.clone());
    let token = shutdown.clone();
    tasks.push(tokio::spawn(async move {
        let app = app.into_make_service_with_connect_info::<crate::listener::PeerAddress>();
        let served = axum::serve(crate::listener::LeanListener(listener), app)
            .with_graceful_shutdown(async move { token.cancelled().await })
            .await;
        if let Err(error) = served {
            tracing::error!(error = %error, "the HTTP server stopped");
        }
    }));
    tracing::info!(%addr, "veche is listening");
    Ok(RunningServer { addr, pool, state, shutdown, tasks, embedded: database.embedded, embedded_nats, lease })
}

/// Deletes expired sessions, sign-in links and logins, and the calendar feed's old changes,
/// hourly, until shutdown.
async fn purge_expired(sessions: infrastructure::web_sessions::WebSessions, pool: PgPool, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        if let Err(error) = sessions.purge_expired().await {
            tracing::warn!(%error, "could not delete expired sessions");
        }
        if let Err(error) = projections::calendar_feed::prune(&pool).await {
            tracing::warn!(%error, "could not delete the calendar feed's old changes");
        }
    }
}

/// Resolves when the process is asked to stop (Ctrl-C or SIGTERM).
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut term =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("installing a SIGTERM handler");
    tokio::select! {
        _ = ctrl_c => {}
        _ = term.recv() => {}
    }
}
