//! `/api/meetings/{id}/history`: what happened to a meeting, in order, from the event log
//! itself (not a read model), and the meeting as it was at any past instant, rebuilt by
//! replaying its events.

use super::dto::MeetingView;
use crate::auth::AuthUser;
use crate::error::{ApiError, Problem, Result};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;
use application::meetings::metadata;
use axum::extract::State;
use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use domain::meeting::Meeting;
use projections::RecordedEvent;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
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

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ActorView {
    pub user_id: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HistoryEntry {
    /// The event's number within the meeting (1, 2, ...): the version it produced.
    pub sequence: i64,
    /// The event's position in the global log.
    pub position: i64,
    pub event_type: String,
    pub event_version: String,
    pub recorded_at: DateTime<Utc>,
    /// Who did it.
    pub actor: ActorView,
    /// What changed: the event's fields.
    #[schema(value_type = Object)]
    pub changes: serde_json::Value,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HistoryView {
    pub meeting_id: Uuid,
    pub as_of: Option<DateTime<Utc>>,
    pub events: Vec<HistoryEntry>,
    /// The meeting after the last listed event (`null` if it did not exist yet).
    pub state: Option<MeetingView>,
    /// The events of the meeting's room: who was in the call and when (joined, resumed,
    /// left, expired; room opened, ended, closed). `sequence` counts within the room.
    pub call: Vec<HistoryEntry>,
}

impl HistoryEntry {
    pub fn from_recorded(event: &RecordedEvent) -> Self {
        let actor_field = |key| event.metadata_str(key).map(str::to_string);
        // Payloads are stored as {"EventType": {fields}}; the fields are what changed.
        let changes = event.payload.get(&event.event_type).cloned().unwrap_or_else(|| event.payload.clone());
        Self {
            sequence: event.sequence,
            position: event.position,
            event_type: event.event_type.clone(),
            event_version: event.event_version.clone(),
            recorded_at: event.recorded_at,
            actor: ActorView {
                user_id: actor_field(metadata::ACTOR_ID),
                email: actor_field(metadata::ACTOR_EMAIL),
                name: actor_field(metadata::ACTOR_NAME),
            },
            changes,
        }
    }
}

/// The events of a meeting's room up to `as_of`, as history entries.
pub async fn call_history(
    pool: &sqlx::PgPool,
    meeting: &Meeting,
    as_of: Option<DateTime<Utc>>,
) -> Result<Vec<HistoryEntry>, sqlx::Error> {
    let Some(state) = meeting.state() else { return Ok(vec![]) };
    let events = projections::global_log::stream_of(pool, domain::room::Room::TYPE, &state.room_id.to_string(), as_of).await?;
    Ok(events.iter().map(HistoryEntry::from_recorded).collect())
}

/// Replays events into the meeting they describe.
pub fn replay(events: &[RecordedEvent]) -> Result<Meeting, projections::ProjectionError> {
    let upcasters = domain::upcasting::meeting_upcasters();
    let mut meeting = Meeting::default();
    for event in events {
        if let Some(e) = event.meeting_event(&upcasters)? {
            meeting.apply(e);
        }
    }
    Ok(meeting)
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
    let all = projections::global_log::stream_of(&state.pool, Meeting::TYPE, &id.to_string(), None).await?;
    let now = replay(&all).map_err(|e| ApiError::Internal(e.into()))?;
    let may_read = now.state().is_some_and(|s| s.is_visible_to(&user.actor)) || (user.is_auditor() && !all.is_empty());
    if !may_read {
        return Err(ApiError::NotFound);
    }
    let shown: Vec<RecordedEvent> = match query.as_of {
        Some(as_of) => all.into_iter().filter(|e| e.recorded_at <= as_of).collect(),
        None => all,
    };
    let then = replay(&shown).map_err(|e| ApiError::Internal(e.into()))?;
    let call = call_history(&state.pool, &now, query.as_of).await?;
    let state_view = MeetingView::of(&then, &user.actor, &state.public_url)
        .or_else(|| MeetingView::for_auditor(&then, &state.public_url, &user.actor));
    Ok(Json(HistoryView {
        meeting_id: id,
        as_of: query.as_of,
        events: shown.iter().map(HistoryEntry::from_recorded).collect(),
        state: state_view,
        call,
    }))
}
