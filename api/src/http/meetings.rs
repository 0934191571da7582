//! `/api/meetings`: schedule a meeting and change it.
//!
//! Every change answers with the meeting as it now is, its new version (also the `ETag`)
//! and the global log position it reached (also `Veche-Position`). `If-Match` makes a
//! change conditional on the version the client last saw: a stale one gets 412.

use super::dto::MeetingView;
use super::{wait_for_projections, ReadAfter};
use crate::auth::AuthUser;
use crate::error::{ApiError, Problem, Result};
use crate::extract::{IdempotencyKey, IfMatch, Json, Path, PreferredLanguage, Query, RequestId};
use crate::state::AppState;
use application::executor::CommandOutcome;
use application::meetings::{meeting_id_for_key, new_meeting_id, CommandMeta, Idempotency};
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDateTime;
use domain::meeting::{Meeting, MeetingCommand, Response as Answer};
use domain::values::{Description, DisplayName, EmailAddress, Invitee, Reminders, Schedule, TimeZone, Title};
use domain::{Actor, MeetingId, RoomId};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(schedule_meeting))
        .routes(routes!(get_meeting, update_meeting))
        .routes(routes!(reschedule_meeting))
        .routes(routes!(invite_attendees))
        .routes(routes!(remove_attendee))
        .routes(routes!(respond))
        .routes(routes!(cancel_meeting))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendeeInput {
    pub email: String,
    pub name: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleMeetingRequest {
    /// One line, without direction overrides.
    #[schema(max_length = 200, min_length = 1)]
    pub title: String,
    #[serde(default)]
    #[schema(max_length = 8000)]
    pub description: String,
    /// Wall-clock start in `time_zone`, without offset, in the years 1970–2199.
    #[schema(value_type = String, example = "2026-12-01T10:00:00", pattern = r"^(19[7-9][0-9]|2[01][0-9][0-9])-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?$")]
    pub start: NaiveDateTime,
    /// Wall-clock end, after the start and at most 168 hours later.
    #[schema(value_type = String, example = "2026-12-01T11:00:00", pattern = r"^(19[7-9][0-9]|2[01][0-9][0-9])-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?$")]
    pub end: NaiveDateTime,
    /// IANA time zone name.
    #[schema(example = "Europe/Berlin")]
    pub time_zone: String,
    #[serde(default)]
    #[schema(max_items = 200)]
    pub attendees: Vec<AttendeeInput>,
    /// Minutes before the start (at most 40,320: four weeks); default `[10]`.
    #[schema(max_items = 5)]
    pub reminders: Option<Vec<u32>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMeetingRequest {
    pub title: Option<String>,
    pub description: Option<String>,
    pub reminders: Option<Vec<u32>>,
}

/// The schedule fields of [`ScheduleMeetingRequest`] again, deliberately: serde cannot
/// flatten a shared struct under `deny_unknown_fields`, and utoipa's `pattern` takes only a literal.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleRequest {
    /// Wall-clock start in `time_zone`, without offset, in the years 1970–2199.
    #[schema(value_type = String, example = "2026-12-01T10:00:00", pattern = r"^(19[7-9][0-9]|2[01][0-9][0-9])-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?$")]
    pub start: NaiveDateTime,
    /// Wall-clock end, after the start and at most 168 hours later.
    #[schema(value_type = String, example = "2026-12-01T11:00:00", pattern = r"^(19[7-9][0-9]|2[01][0-9][0-9])-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?$")]
    pub end: NaiveDateTime,
    #[schema(example = "Europe/Berlin")]
    pub time_zone: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    pub attendees: Vec<AttendeeInput>,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnswerInput {
    Accepted,
    Declined,
    Tentative,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RespondRequest {
    pub response: AnswerInput,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    pub reason: Option<String>,
}

/// The answer to every change.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CommandResult {
    pub meeting: MeetingView,
    /// The meeting's version after the change (the `ETag`).
    pub version: u64,
    /// The global log position the change reached; pass it as `after_position` to a
    /// query to read your own write. `null` when nothing changed.
    pub position: Option<i64>,
}

fn parse_schedule(start: NaiveDateTime, end: NaiveDateTime, time_zone: &str) -> Result<Schedule> {
    let zone = TimeZone::parse(time_zone).map_err(|e| ApiError::invalid("time_zone", e))?;
    Schedule::parse(start, end, zone).map_err(|e| ApiError::invalid("start", e))
}

fn parse_invitees(inputs: Vec<AttendeeInput>) -> Result<Vec<Invitee>> {
    if inputs.len() > domain::meeting::MAX_ATTENDEES {
        return Err(ApiError::Meeting(domain::meeting::MeetingError::TooManyAttendees { max: domain::meeting::MAX_ATTENDEES }));
    }
    inputs
        .into_iter()
        .enumerate()
        .map(|(i, input)| {
            let email = EmailAddress::parse(&input.email).map_err(|e| ApiError::invalid(format!("attendees[{i}].email"), e))?;
            let name = input
                .name
                .as_deref()
                .map(DisplayName::parse)
                .transpose()
                .map_err(|e| ApiError::invalid(format!("attendees[{i}].name"), e))?
                .filter(|n| !n.as_str().is_empty());
            Ok(Invitee { email, name })
        })
        .collect()
}

fn parse_reminders(minutes: &[u32]) -> Result<Reminders> {
    Reminders::parse(minutes).map_err(|e| ApiError::invalid("reminders", e))
}

pub(crate) fn etag(version: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).expect("digits are a valid header value")
}

fn command_response(state: &AppState, user: &AuthUser, status: StatusCode, outcome: CommandOutcome<Meeting>) -> Result<Response> {
    let version = outcome.aggregate.version();
    let meeting = MeetingView::of(&outcome.aggregate, &user.actor, &state.public_url).ok_or(ApiError::NotFound)?;
    let mut headers = HeaderMap::new();
    headers.insert(header::ETAG, etag(version));
    if let Some(position) = outcome.position {
        headers.insert("veche-position", HeaderValue::from(position));
    }
    if status == StatusCode::CREATED {
        let location = format!("/api/meetings/{}", meeting.id);
        headers.insert(header::LOCATION, HeaderValue::from_str(&location).expect("a path is a valid header"));
    }
    metrics::counter!("veche_commands_total", "outcome" => "ok").increment(1);
    state.limits.emails.charge(&user.actor.user_id, emails_caused(&outcome));
    Ok((status, headers, Json(CommandResult { meeting, version, position: outcome.position })).into_response())
}

/// At most how many emails a recorded command causes: the attendees it notifies.
fn emails_caused(outcome: &CommandOutcome<Meeting>) -> f64 {
    let attendees = outcome.aggregate.state().map_or(0, |state| state.attendees.len());
    let per_event = |event_type: &String| match event_type.as_str() {
        "MeetingScheduled" | "MeetingRescheduled" | "MeetingDetailsChanged" | "MeetingCancelled" | "AttendeesInvited" => {
            attendees
        }
        "AttendeeRemoved" | "AttendeeResponded" => 1,
        _ => 0,
    };
    outcome.event_types.iter().map(per_event).sum::<usize>() as f64
}

/// Lets a command of `user` start, or answers 429 (see [`crate::rate_limit`]).
fn admit(state: &AppState, user: &AuthUser) -> Result<()> {
    state.limits.admit(&user.actor.user_id).map_err(|wait| {
        metrics::counter!("veche_rate_limited_total").increment(1);
        ApiError::TooManyRequests(wait)
    })
}

/// What every change to an existing meeting carries besides its body: who asks, which
/// meeting, and on which condition (`If-Match`), plus the request id for the event log.
pub struct MeetingChange {
    state: AppState,
    user: AuthUser,
    id: MeetingId,
    meta: CommandMeta,
}

#[derive(Deserialize)]
struct MeetingPath {
    id: Uuid,
}

#[derive(Deserialize)]
pub struct AttendeePath {
    email: String,
}

impl FromRequestParts<AppState> for MeetingChange {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        let Path(MeetingPath { id }) = Path::from_request_parts(parts, state).await?;
        let IfMatch(expected_version) = IfMatch::from_request_parts(parts, state).await?;
        let Ok(RequestId(request_id)) = RequestId::from_request_parts(parts, state).await;
        Ok(Self {
            state: state.clone(),
            user,
            id: MeetingId(id),
            meta: CommandMeta { expected_version, request_id, locale: None },
        })
    }
}

impl MeetingChange {
    /// Runs the command built for the caller and answers with the meeting as it now is.
    async fn run(self, command: impl FnOnce(Actor) -> MeetingCommand) -> Result<Response> {
        let (state, user) = (self.state.clone(), self.user.clone());
        let outcome = self.execute(command).await?;
        command_response(&state, &user, StatusCode::OK, outcome)
    }

    async fn execute(self, command: impl FnOnce(Actor) -> MeetingCommand) -> Result<CommandOutcome<Meeting>> {
        admit(&self.state, &self.user)?;
        let command = command(self.user.actor.clone());
        let name = command.name();
        Ok(self.state.meetings.execute(self.id, command, self.meta).await.inspect_err(|_| {
            metrics::counter!("veche_commands_total", "outcome" => "refused", "command" => name).increment(1);
        })?)
    }
}

/// Schedule a meeting. With `Idempotency-Key`, a retried request returns the first
/// result (with `Idempotent-Replayed: true`) and creates nothing.
#[utoipa::path(post, path = "/api/meetings", tag = "meetings",
    request_body = ScheduleMeetingRequest,
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe"),
        ("Accept-Language" = Option<String>, Header, description = "The language of the invitations (en, ru)"),
    ),
    responses(
        (status = 201, description = "Scheduled", body = CommandResult),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all, fields(user = %user.actor.user_id))]
pub async fn schedule_meeting(
    State(state): State<AppState>,
    user: AuthUser,
    IdempotencyKey(key): IdempotencyKey,
    request_id: RequestId,
    PreferredLanguage(locale): PreferredLanguage,
    Json(body): Json<serde_json::Value>,
) -> Result<Response> {
    // serde_json's maps are sorted, so the re-serialised body is a canonical form: the
    // same request with its keys in another order has the same fingerprint.
    admit(&state, &user)?;
    let fingerprint = hex::encode(Sha256::digest(body.to_string().as_bytes()));
    let request: ScheduleMeetingRequest =
        serde_json::from_value(body).map_err(|e| ApiError::Malformed(format!("the body is not a valid meeting: {e}")))?;
    let title = Title::parse(&request.title).map_err(|e| ApiError::invalid("title", e))?;
    let description = Description::parse(&request.description).map_err(|e| ApiError::invalid("description", e))?;
    let schedule = parse_schedule(request.start, request.end, &request.time_zone)?;
    let attendees = parse_invitees(request.attendees)?;
    let reminders = match request.reminders {
        Some(minutes) => parse_reminders(&minutes)?,
        None => Reminders::default(),
    };
    let meeting_id = match &key {
        Some(key) => meeting_id_for_key(&user.actor, key),
        None => new_meeting_id(),
    };
    let command = MeetingCommand::Schedule {
        meeting_id,
        room_id: RoomId(Uuid::now_v7()),
        organizer: user.actor.clone(),
        title,
        description,
        schedule,
        attendees,
        reminders,
    };
    let idempotency = key.map(|key| Idempotency { key, fingerprint });
    let scheduled = state
        .meetings
        .schedule(command, idempotency, CommandMeta { expected_version: None, request_id: request_id.0, locale })
        .await?;
    let replayed = scheduled.replayed;
    let mut response = command_response(&state, &user, StatusCode::CREATED, scheduled.outcome)?;
    if replayed {
        response.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// One meeting, as the caller (organizer or attendee) sees it.
#[utoipa::path(get, path = "/api/meetings/{id}", tag = "meetings",
    params(("id" = Uuid, Path), ReadAfter),
    responses(
        (status = 200, body = MeetingView, headers(("ETag" = String))),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Projections did not reach `after_position` in time", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn get_meeting(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Query(read_after): Query<ReadAfter>,
) -> Result<Response> {
    wait_for_projections(&state, read_after).await?;
    let record = projections::queries::meeting(&state.pool, MeetingId(id)).await?.ok_or(ApiError::NotFound)?;
    let view = MeetingView::of_record(&record, &user.actor, &state.public_url).ok_or(ApiError::NotFound)?;
    Ok(([(header::ETAG, etag(view.version))], Json(view)).into_response())
}

/// Change the title, description or reminders (organizer only).
#[utoipa::path(patch, path = "/api/meetings/{id}", tag = "meetings",
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The ETag last read")),
    request_body = UpdateMeetingRequest,
    responses((status = 200, body = CommandResult),
        (status = 412, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn update_meeting(change: MeetingChange, Json(request): Json<UpdateMeetingRequest>) -> Result<Response> {
    let title = request.title.as_deref().map(Title::parse).transpose().map_err(|e| ApiError::invalid("title", e))?;
    let description =
        request.description.as_deref().map(Description::parse).transpose().map_err(|e| ApiError::invalid("description", e))?;
    let reminders = request.reminders.as_deref().map(parse_reminders).transpose()?;
    change.run(|actor| MeetingCommand::ChangeDetails { actor, title, description, reminders }).await
}

/// Move the meeting (organizer only).
#[utoipa::path(put, path = "/api/meetings/{id}/schedule", tag = "meetings",
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body = RescheduleRequest,
    responses((status = 200, body = CommandResult)),
    security(("bearer" = [])))]
pub async fn reschedule_meeting(change: MeetingChange, Json(request): Json<RescheduleRequest>) -> Result<Response> {
    let schedule = parse_schedule(request.start, request.end, &request.time_zone)?;
    change.run(|actor| MeetingCommand::Reschedule { actor, schedule }).await
}

/// Invite more people (organizer only).
#[utoipa::path(post, path = "/api/meetings/{id}/attendees", tag = "meetings",
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body = InviteRequest,
    responses((status = 200, body = CommandResult)),
    security(("bearer" = [])))]
pub async fn invite_attendees(change: MeetingChange, Json(request): Json<InviteRequest>) -> Result<Response> {
    let attendees = parse_invitees(request.attendees)?;
    change.run(|actor| MeetingCommand::InviteAttendees { actor, attendees }).await
}

/// Take someone off the meeting (organizer only).
#[utoipa::path(delete, path = "/api/meetings/{id}/attendees/{email}", tag = "meetings",
    params(("id" = Uuid, Path), ("email" = String, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = CommandResult)),
    security(("bearer" = [])))]
pub async fn remove_attendee(change: MeetingChange, Path(AttendeePath { email }): Path<AttendeePath>) -> Result<Response> {
    let email = EmailAddress::parse(&email).map_err(|e| ApiError::invalid("email", e))?;
    let (state, user, removed) = (change.state.clone(), change.user.clone(), email.clone());
    let outcome = change.execute(|actor| MeetingCommand::RemoveAttendee { actor, email }).await?;
    // At once, on every node (the room-status reactor makes it certain after a crash).
    if let Some(room_id) = outcome.aggregate.state().map(|meeting| meeting.room_id) {
        if let Err(error) = state.rooms.turn_away(room_id, &removed, state.hub.as_ref()).await {
            tracing::warn!(%error, %room_id, "could not disconnect a removed attendee from the room");
        }
    }
    command_response(&state, &user, StatusCode::OK, outcome)
}

/// Answer the invitation (attendees only).
#[utoipa::path(put, path = "/api/meetings/{id}/response", tag = "meetings",
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body = RespondRequest,
    responses((status = 200, body = CommandResult)),
    security(("bearer" = [])))]
pub async fn respond(change: MeetingChange, Json(request): Json<RespondRequest>) -> Result<Response> {
    let response = match request.response {
        AnswerInput::Accepted => Answer::Accepted,
        AnswerInput::Declined => Answer::Declined,
        AnswerInput::Tentative => Answer::Tentative,
    };
    change.run(|actor| MeetingCommand::Respond { actor, response }).await
}

/// Call the meeting off (organizer only). The body is optional.
#[utoipa::path(post, path = "/api/meetings/{id}/cancel", tag = "meetings",
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body(content = Option<CancelRequest>),
    responses((status = 200, body = CommandResult)),
    security(("bearer" = [])))]
pub async fn cancel_meeting(change: MeetingChange, body: axum::body::Bytes) -> Result<Response> {
    let request: CancelRequest = if body.iter().all(u8::is_ascii_whitespace) {
        CancelRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::Malformed(format!("the body is not valid: {e}")))?
    };
    let reason = request.reason.as_deref().map(Description::parse).transpose().map_err(|e| ApiError::invalid("reason", e))?;
    let (state, user) = (change.state.clone(), change.user.clone());
    let outcome = change.execute(|actor| MeetingCommand::Cancel { actor, reason }).await?;
    if let Some(meeting) = outcome.aggregate.state() {
        // At once, on every node (the room-status reactor makes it certain after a crash).
        let room_id = meeting.room_id;
        if let Err(error) = state.rooms.close_cancelled(room_id, &user.actor, chrono::Utc::now(), state.hub.as_ref()).await {
            tracing::warn!(%error, %room_id, "could not record the closing of a cancelled meeting's room");
        }
    }
    command_response(&state, &user, StatusCode::OK, outcome)
}
