//! Operations: `/healthz` (the process answers), `/readyz` (it can serve: database
//! reachable, migrations applied, every task of the node running), `/metrics` (Prometheus).
//!
//! Quarantined aggregates make a node *degraded*, not unready: the node serves everything
//! else correctly, and taking it (and every other node, which sees the same log) out of a
//! load balancer would turn one bad event into an outage again. `/readyz` names them.

use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz)).routes(routes!(readyz)).routes(routes!(metrics_endpoint))
}

/// Liveness: the process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = String)))]
pub async fn healthz() -> &'static str {
    "ok"
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    pub database: bool,
    pub migrations: bool,
    /// This node's projector loop runs (leading, or standing by to take over).
    pub projector: bool,
    /// Events appended but not yet in every read model.
    pub projection_lag_positions: Option<i64>,
    /// Tasks of this node down after a panic, waiting to be started again (not ready).
    pub tasks_down: Vec<String>,
    /// Some aggregates are set aside by the projections (see `quarantined`): ready, but
    /// their read models are stale until `veche projections retry`.
    pub degraded: bool,
    /// The quarantined aggregates (`type/id`), the first hundred.
    pub quarantined: Vec<String>,
    /// Every supervised task: running, restarts, last panic.
    #[schema(value_type = Object)]
    pub tasks: std::collections::BTreeMap<String, crate::supervisor::TaskState>,
}

/// The most quarantined aggregates `/readyz` names.
const MAX_NAMED: usize = 100;

/// Readiness: 200 when every check passes, 503 otherwise, with the checks in the body.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, body = Readiness), (status = 503, body = Readiness)))]
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let database = sqlx::query("select 1").execute(&state.pool).await.is_ok();
    let migrations = database && infrastructure::database::migrations_applied(&state.pool).await.unwrap_or(false);
    let lag =
        if migrations { projections::global_log::events_after(&state.pool, state.progress.current()).await.ok() } else { None };
    // The projector runs on whichever node holds the lock; this node's loop being alive
    // means it either leads or stands by, ready to take over.
    let projector = state.tasks.is_running(crate::server::PROJECTOR_TASK);
    metrics::gauge!("veche_projection_lag_positions").set(lag.unwrap_or(0) as f64);
    let quarantined: Vec<String> = if migrations {
        projections::quarantine::list(&state.pool).await.unwrap_or_default().iter().take(MAX_NAMED).map(|a| a.key()).collect()
    } else {
        vec![]
    };
    let tasks_down = state.tasks.down();
    let ready = database && migrations && projector && tasks_down.is_empty();
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let readiness = Readiness {
        database,
        migrations,
        projector,
        projection_lag_positions: lag,
        tasks_down,
        degraded: !quarantined.is_empty(),
        quarantined,
        tasks: state.tasks.snapshot(),
    };
    (status, axum::Json(readiness))
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, body = String)))]
pub async fn metrics_endpoint(State(state): State<AppState>) -> impl IntoResponse {
    if state.tasks.is_running(crate::server::PROJECTOR_TASK) {
        if let Ok(behind) = projections::global_log::events_after(&state.pool, state.progress.current()).await {
            metrics::gauge!("veche_projection_lag_positions").set(behind as f64);
        }
    }
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render())
}
