//! `/api/meetings/{id}/history`: what happened to a meeting, in order, from the event log
//! itself (not a read model), and the meeting as it was at any past instant
//! (`projections::history`).

use super::dto::{HistoryEntry, HistoryView, MeetingView};
use crate::auth::AuthUser;
use crate::error::{ApiError, Problem, Result};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;
use axum::extract::State;
use chrono::{DateTime, Utc};
use domain::MeetingId;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_history))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// Only events recorded at or before this instant; `state` is the meeting as it was then.
    pub as_of: Option<DateTime<Utc>>,
}

/// The meeting's events in order, with who did what when; `as_of` shows the past.
/// Visible to the organizer and current attendees, and to holders of the `auditor` role.
#[utoipa::path(get, path = "/api/meetings/{id}/history", tag = "history",
    params(("id" = Uuid, Path), HistoryQuery),
    responses(
        (status = 200, body = HistoryView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn get_history(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Query(query): Query<HistoryQuery>,
) -> Result<Json<HistoryView>> {
    let history = projections::history::meeting_history(&state.pool, MeetingId(id), query.as_of)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
        .ok_or(ApiError::NotFound)?;
    let may_read = history.now.state().is_some_and(|s| s.is_visible_to(&user.actor)) || user.is_auditor();
    if !may_read {
        return Err(ApiError::NotFound);
    }
    let then = &history.then;
    let state_view = MeetingView::of(then, &user.actor, &state.public_url)
        .or_else(|| MeetingView::for_auditor(then, &state.public_url, &user.actor));
    Ok(Json(HistoryView {
        meeting_id: id,
        as_of: query.as_of,
        events: history.events.iter().map(HistoryEntry::from_recorded).collect(),
        state: state_view,
        call: history.call.iter().map(HistoryEntry::from_recorded).collect(),
    }))
}
