//! Entering a room over HTTP: the token checked against the room access rule
//! (`application::room_access`), and the routes around entering, room passes and ICE servers.
//!
//! A room is entered by the meeting's organizer or an attendee (their JWT), or by whoever
//! holds a *room pass*: a short-lived JWT with a `room` claim, minted for someone who may
//! enter (`POST /api/rooms/{id}/pass`), e.g. for a PeerJS client, whose only credential
//! slot is its `key`. A pass opens its room and nothing else, and only while its holder is
//! still the organizer or invited. Anyone else gets 404, so a
//! stranger cannot tell a room exists. A guest link's `join` token (emailed to an attendee
//! without an account) enters its meeting's room as that attendee.

use crate::auth::{bearer_token, AuthUser, Claims};
use crate::error::ApiError;
use crate::state::AppState;
use application::room_access::{self, AccessError, RoomAccess, Ticket};
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use domain::{MeetingId, RoomId};
use infrastructure::meetings_by_room::PgMeetingsByRoom;
use secrecy::ExposeSecret as _;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Checks a token (user JWT or room pass) against the room's meeting.
pub async fn authorize(state: &AppState, room_id: RoomId, token: &str) -> Result<RoomAccess, ApiError> {
    let claims = state.jwt.verify_caller(token)?;
    // A guest link's token enters with scope `join` only, and only its own meeting's room.
    let only_meeting = match claims.scope.as_deref() {
        None => None,
        Some("join") => Some(claims.meeting_id.map(MeetingId).ok_or(ApiError::RoomNotFound)?),
        Some(_) => return Err(ApiError::Unauthorized("this link's token does not open rooms".into())),
    };
    let ticket = Ticket { actor: claims.actor()?, only_room: claims.room.map(RoomId), only_meeting, expires_at: claims.exp };
    admit(state, room_id, ticket).await
}

/// Lets the ticket's holder into the room, or says why not (404 for a stranger).
async fn admit(state: &AppState, room_id: RoomId, ticket: Ticket) -> Result<RoomAccess, ApiError> {
    let meetings = PgMeetingsByRoom { pool: state.pool.clone(), progress: state.progress.clone(), wait: state.read_wait };
    room_access::admit(&meetings, room_id, ticket).await.map_err(|error| match error {
        AccessError::NotFound => ApiError::RoomNotFound,
        AccessError::Read(error) => ApiError::Internal(anyhow::anyhow!(error)),
    })
}

/// The caller of a room route: the room id from the path, checked against the token.
pub struct RoomCaller(pub RoomAccess);

impl FromRequestParts<AppState> for RoomCaller {
    type Rejection = ApiError;

    /// A bearer token or room pass; otherwise the web app's session cookie.
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let room_id = room_id_in_path(parts.uri.path()).ok_or(ApiError::RoomNotFound)?;
        if let Some(token) = bearer_token(parts) {
            return Ok(Self(authorize(state, room_id, &token).await?));
        }
        let session = crate::session::from_cookie(parts, state)
            .await?
            .ok_or_else(|| ApiError::Unauthorized("sign in, or send a bearer token or room pass".into()))?;
        let actor = crate::auth::session_actor(&session.person)?;
        let ticket = Ticket { actor, only_room: None, only_meeting: None, expires_at: session.expires_at.timestamp() };
        Ok(Self(admit(state, room_id, ticket).await?))
    }
}

/// `/api/rooms/{id}/...` → the id.
fn room_id_in_path(path: &str) -> Option<RoomId> {
    path.strip_prefix("/api/rooms/")?.split('/').next()?.parse().ok()
}

/// How long a room pass is good for: long enough to join; a connection entered with it ends
/// when it expires (4014), and it stops opening the room at once for someone uninvited.
const PASS_LIFETIME: Duration = Duration::hours(1);

#[derive(Debug, Serialize, ToSchema)]
pub struct RoomPass {
    /// A token that opens this room only (as `access_token`, or as a PeerJS `key`).
    pub pass: String,
    pub expires_at: DateTime<Utc>,
}

/// Mint a room pass
///
/// For clients whose only credential slot is a string that travels in the URL (a PeerJS
/// client's `key`): a token that opens this room and nothing else.
#[utoipa::path(post, path = "/api/rooms/{room_id}/pass", tag = "rooms",
    params(("room_id" = uuid::Uuid, Path, description = "The meeting's room id")),
    responses(
        (status = 200, body = RoomPass),
        (status = 401, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
async fn mint_pass(
    State(state): State<AppState>,
    user: AuthUser,
    RoomCaller(access): RoomCaller,
) -> Result<Json<RoomPass>, ApiError> {
    let now = Utc::now();
    let expires_at = now + PASS_LIFETIME;
    let claims = Claims {
        sub: user.actor.user_id.clone(),
        email: user.actor.email.to_string(),
        name: user.actor.name.clone(),
        exp: expires_at.timestamp(),
        iat: Some(now.timestamp()),
        roles: vec![],
        room: Some(access.room_id.as_uuid()),
        scope: None,
        meeting_id: None,
    };
    let pass = state.jwt.mint_room_pass(&claims).map_err(|e| ApiError::Internal(e.into()))?;
    Ok(Json(RoomPass { pass, expires_at }))
}

/// One entry of `RTCConfiguration.iceServers`.
#[derive(Debug, Serialize, ToSchema)]
pub struct IceServer {
    pub urls: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IceServers {
    /// Give this to `new RTCPeerConnection({ iceServers })`.
    pub ice_servers: Vec<IceServer>,
    /// When the TURN credentials stop working (absent without TURN).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    /// Ask again by then, and `setConfiguration` the connection, so a long meeting keeps
    /// its relay.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_at: Option<DateTime<Utc>>,
}

/// ICE servers for a room
///
/// STUN and TURN servers as the operator configured them (none by default: no public STUN
/// server is used unless the operator sets one), with TURN credentials in coturn's
/// `use-auth-secret` scheme that expire after `VECHE_TURN_TTL_SECS`.
#[utoipa::path(get, path = "/api/rooms/{room_id}/ice-servers", tag = "rooms",
    params(("room_id" = uuid::Uuid, Path, description = "The meeting's room id")),
    responses(
        (status = 200, body = IceServers),
        (status = 401, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
async fn ice_servers(State(state): State<AppState>, RoomCaller(access): RoomCaller) -> Json<IceServers> {
    let settings = &state.settings.rooms;
    let mut servers = Vec::new();
    if !settings.stun_urls.is_empty() {
        servers.push(IceServer { urls: settings.stun_urls.clone(), username: None, credential: None });
    }
    let (mut expires_at, mut refresh_at) = (None, None);
    if let (false, Some(secret)) = (settings.turn_urls.is_empty(), settings.turn_secret.as_ref().map(|s| s.expose_secret())) {
        let ttl = Duration::seconds(settings.turn_ttl_secs.max(60) as i64);
        let now = Utc::now();
        let credential = infrastructure::turn::turn_credential(secret, access.actor.email.as_str(), now + ttl);
        servers.push(IceServer {
            urls: settings.turn_urls.clone(),
            username: Some(credential.username),
            credential: Some(credential.password),
        });
        expires_at = Some(credential.expires_at);
        refresh_at = Some(now + ttl / 2);
    }
    Json(IceServers { ice_servers: servers, expires_at, refresh_at })
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(mint_pass)).routes(routes!(ice_servers))
}
