//! Operations: `/healthz` (the process answers), `/readyz` (it can serve: database
//! reachable, migrations applied, projector running somewhere), `/metrics` (Prometheus).

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
    pub projector: bool,
    /// Events appended but not yet in every read model.
    pub projection_lag_positions: Option<i64>,
}

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
    let projector = state.projector_alive.load(std::sync::atomic::Ordering::Relaxed);
    metrics::gauge!("veche_projection_lag_positions").set(lag.unwrap_or(0) as f64);
    let ready = database && migrations && projector;
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, axum::Json(Readiness { database, migrations, projector, projection_lag_positions: lag }))
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, body = String)))]
pub async fn metrics_endpoint(State(state): State<AppState>) -> impl IntoResponse {
    if state.projector_alive.load(std::sync::atomic::Ordering::Relaxed) {
        if let Ok(behind) = projections::global_log::events_after(&state.pool, state.progress.current()).await {
            metrics::gauge!("veche_projection_lag_positions").set(behind as f64);
        }
    }
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render())
}
