//! `/api/calendar`: everything a person organises or attends in a time range.

use super::dto::MeetingView;
use super::{wait_for_projections, ReadAfter};
use crate::auth::AuthUser;
use crate::error::{ApiError, Problem, Result};
use crate::extract::{Json, Query};
use crate::state::AppState;
use axum::extract::State;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Widest range one query may ask for: a year view.
pub const MAX_RANGE_DAYS: i64 = 400;
/// Most meetings one answer carries.
pub const MAX_ENTRIES: i64 = 2_000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_calendar))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CalendarQuery {
    /// Start of the range (RFC 3339), inclusive.
    pub from: DateTime<Utc>,
    /// End of the range (RFC 3339), exclusive.
    pub to: DateTime<Utc>,
    /// See `ReadAfter`.
    pub after_position: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CalendarView {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Meetings overlapping the range, by start time, each with the caller's role and answer.
    pub meetings: Vec<MeetingView>,
}

/// The caller's meetings that overlap `[from, to)`.
#[utoipa::path(get, path = "/api/calendar", tag = "calendar",
    params(CalendarQuery),
    responses(
        (status = 200, body = CalendarView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn get_calendar(
    State(state): State<AppState>,
    user: AuthUser,
    Query(query): Query<CalendarQuery>,
) -> Result<Json<CalendarView>> {
    if query.to <= query.from {
        return Err(ApiError::Malformed("`to` must be after `from`".into()));
    }
    if query.to - query.from > Duration::days(MAX_RANGE_DAYS) {
        return Err(ApiError::Malformed(format!("the range is longer than {MAX_RANGE_DAYS} days")));
    }
    wait_for_projections(&state, ReadAfter { after_position: query.after_position }).await?;
    let records = projections::queries::calendar(&state.pool, &user.actor.email, query.from, query.to, MAX_ENTRIES).await?;
    let meetings = records.iter().filter_map(|r| MeetingView::of_record(r, &user.actor, &state.public_url)).collect();
    Ok(Json(CalendarView { from: query.from, to: query.to, meetings }))
}
