//! What every handler shares.

use crate::auth::JwtKeys;
use crate::settings::Settings;
use crate::signaling::hub::Hub;
use crate::signaling::SignalSettings;
use application::meetings::Meetings;
use application::rooms::Rooms;
use infrastructure::event_store::{MeetingStore, PgEventLog, RoomStore};
use projections::progress::ProjectionProgress;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub meetings: Arc<Meetings<MeetingStore, PgEventLog>>,
    pub rooms: Arc<Rooms<RoomStore, PgEventLog>>,
    /// This node's signaling hub.
    pub hub: Arc<Hub>,
    pub signal: Arc<SignalSettings>,
    /// What a room participant's connection needs of the node, shared by all of them.
    pub presence: Arc<crate::signaling::presence::Presence>,
    pub progress: ProjectionProgress,
    pub jwt: JwtKeys,
    /// Base of meeting links.
    pub public_url: Arc<str>,
    /// Longest a query waits for read-your-writes.
    pub read_wait: Duration,
    /// The node's supervised tasks (projector, publisher, reactors, reminders), for `/readyz`.
    pub tasks: crate::supervisor::TaskHealth,
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    pub settings: Arc<Settings>,
    /// The NATS connection, unless NATS is disabled on this node.
    pub nats: Option<infrastructure::nats::Nats>,
    /// Per-person limits on commands and the emails they cause.
    pub limits: Arc<crate::rate_limit::PersonLimits>,
    /// Mailer, guest links, outbox.
    pub notifications: crate::notifications::Notifications,
    /// Browser sessions, sign-in links, OpenID Connect logins in flight.
    pub sessions: infrastructure::web_sessions::WebSessions,
    /// Calendar changes for the browsers' live streams.
    pub live: Arc<crate::live::LiveFeed>,
    /// Who may sign in, and how.
    pub sign_in: Arc<crate::web_sign_in::WebSignIn>,
}
