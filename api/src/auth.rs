//! Bearer JWT authentication (HS256).
//!
//! A token carries `sub` (the stable user id), `email` and `name`, so that a host
//! application's users sign in as they already do and veche needs no user table.
//! `roles` may contain `auditor`, which lets its holder read any meeting's history.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use domain::values::InvalidValue;
use domain::Actor;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub email: String,
    pub name: String,
    pub exp: i64,
    #[serde(default)]
    pub iat: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// Set in a room pass: the token opens this room and nothing else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<uuid::Uuid>,
    /// Set in a guest link's token (`respond` or `join`, see `infrastructure::links`): it
    /// serves that link's purpose for its meeting only, never as a bearer token of the API.
    #[serde(default, skip_serializing)]
    pub scope: Option<String>,
    /// The meeting of a guest link's token.
    #[serde(default, skip_serializing)]
    pub meeting_id: Option<uuid::Uuid>,
}

pub const AUDITOR_ROLE: &str = "auditor";

/// The `typ` header of a room pass (RFC 8725 §3.11: explicit typing). Bearer tokens are
/// `JWT` (or an issuer's `at+jwt`, or none), guest link tokens
/// [`infrastructure::links::GUEST_TOKEN_TYPE`]: a token is only ever taken for its purpose.
pub const ROOM_PASS_TYPE: &str = "veche-room-pass+jwt";

/// Whether a token's type and claims agree: a pass names its room, a guest token its scope,
/// a bearer token neither (a guest link emailed before tokens were typed has no type and its
/// scope, and is refused as a bearer token by [`AuthUser`]).
fn purpose_matches(typ: Option<&str>, claims: &Claims) -> bool {
    match typ {
        Some(ROOM_PASS_TYPE) => claims.room.is_some() && claims.scope.is_none(),
        Some(infrastructure::links::GUEST_TOKEN_TYPE) => claims.scope.is_some() && claims.room.is_none(),
        None | Some("JWT") | Some("at+jwt") => claims.room.is_none(),
        Some(_) => false,
    }
}

/// The keys derived from the HS256 secret.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl JwtKeys {
    pub fn from_secret(secret: &str) -> Self {
        Self { encoding: EncodingKey::from_secret(secret.as_bytes()), decoding: DecodingKey::from_secret(secret.as_bytes()) }
    }

    /// A bearer token.
    pub fn mint(&self, claims: &Claims) -> Result<String, jsonwebtoken::errors::Error> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
    }

    /// A room pass: `claims.room` names the room it opens.
    pub fn mint_room_pass(&self, claims: &Claims) -> Result<String, jsonwebtoken::errors::Error> {
        let header = Header { typ: Some(ROOM_PASS_TYPE.into()), ..Header::new(Algorithm::HS256) };
        jsonwebtoken::encode(&header, claims, &self.encoding)
    }

    /// The claims of a token signed with this secret whose type agrees with its claims.
    pub fn verify(&self, token: &str) -> Result<Claims, jsonwebtoken::errors::Error> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "sub"]);
        validation.leeway = 30;
        let decoded = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)?;
        if !purpose_matches(decoded.header.typ.as_deref(), &decoded.claims) {
            return Err(jsonwebtoken::errors::ErrorKind::InvalidToken.into());
        }
        Ok(decoded.claims)
    }
}

/// The authenticated caller. Extracting it from a request without a valid token answers
/// 401 with `WWW-Authenticate: Bearer`, so every handler that takes it is protected.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub actor: Actor,
    pub roles: Vec<String>,
    /// The web session the request came with (none for a bearer token).
    pub session: Option<infrastructure::web_sessions::WebSession>,
}

impl AuthUser {
    pub fn is_auditor(&self) -> bool {
        self.roles.iter().any(|r| r == AUDITOR_ROLE)
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    /// A bearer token when the request has an `Authorization` header, otherwise the web
    /// app's session cookie (with its CSRF token on changes).
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(header) = parts.headers.get(axum::http::header::AUTHORIZATION) else {
            return match crate::session::from_cookie(parts, state).await? {
                Some(session) => Ok(Self { actor: session_actor(&session.person)?, roles: vec![], session: Some(session) }),
                None => Err(ApiError::Unauthorized("sign in, or send a bearer token in the Authorization header".into())),
            };
        };
        let token = header
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .ok_or_else(|| ApiError::Unauthorized("the Authorization header is not `Bearer <token>`".into()))?;
        let claims = state.jwt.verify_caller(token.trim())?;
        if claims.room.is_some() {
            return Err(ApiError::Unauthorized("a room pass opens its room only, not the API".into()));
        }
        if claims.scope.is_some() {
            return Err(ApiError::Unauthorized("a guest link's token serves its link only, not the API".into()));
        }
        let actor = claims.actor()?;
        Ok(Self { actor, roles: claims.roles, session: None })
    }
}

/// The person a session speaks for.
pub fn session_actor(person: &infrastructure::web_sessions::SessionPerson) -> Result<Actor, ApiError> {
    Actor::from_claims(&person.user_id, &person.email, &person.name)
        .map_err(|error| ApiError::Unauthorized(format!("the session's person is not valid: {error}")))
}

impl Claims {
    /// The person the token speaks for.
    pub fn actor(&self) -> Result<Actor, ApiError> {
        Actor::from_claims(&self.sub, &self.email, &self.name).map_err(|error| match error {
            InvalidValue::InvalidEmail(_) => ApiError::Unauthorized("the token's `email` is not an email address".into()),
            other => ApiError::Unauthorized(format!("the token's `sub` is not a user id: {other}")),
        })
    }
}

impl JwtKeys {
    /// Verifies a caller's token, answering 401 with the reason.
    pub fn verify_caller(&self, token: &str) -> Result<Claims, ApiError> {
        self.verify(token).map_err(|e| ApiError::Unauthorized(format!("the bearer token is not valid: {e}")))
    }
}

/// The bearer token of a request, from `Authorization: Bearer` or, for WebSocket upgrades
/// (browsers cannot set headers on them), the `access_token` query parameter.
pub fn bearer_token(parts: &Parts) -> Option<String> {
    if let Some(header) = parts.headers.get(axum::http::header::AUTHORIZATION) {
        return header
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(|t| t.trim().to_string());
    }
    parts.uri.query().and_then(|query| query.split('&').find_map(|pair| pair.strip_prefix("access_token=").map(str::to_string)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        Claims {
            sub: "u-1".into(),
            email: "ann@example.org".into(),
            name: "Ann".into(),
            exp: chrono::Utc::now().timestamp() + 600,
            iat: None,
            roles: vec![],
            room: None,
            scope: None,
            meeting_id: None,
        }
    }

    #[test]
    fn a_token_is_only_taken_for_the_purpose_its_type_names() {
        let keys = JwtKeys::from_secret("a-secret-long-enough-for-tests");
        let pass_claims = Claims { room: Some(uuid::Uuid::nil()), ..claims() };
        assert!(keys.verify(&keys.mint_room_pass(&pass_claims).unwrap()).is_ok());
        assert!(keys.verify(&keys.mint(&claims()).unwrap()).is_ok());
        // A pass without its room, a bearer token naming a room, a type veche never signs.
        assert!(keys.verify(&keys.mint_room_pass(&claims()).unwrap()).is_err());
        assert!(keys.verify(&keys.mint(&pass_claims).unwrap()).is_err());
        let odd = Header { typ: Some("veche-signin+jwt".into()), ..Header::new(Algorithm::HS256) };
        assert!(keys.verify(&jsonwebtoken::encode(&odd, &claims(), &keys.encoding).unwrap()).is_err());
        // A guest link's token verifies here only with its scope, and AuthUser refuses it.
        let links = infrastructure::links::GuestLinks::new("a-secret-long-enough-for-tests", "https://m.example.org");
        let guest = links.mint(
            domain::MeetingId(uuid::Uuid::nil()),
            &domain::values::EmailAddress::parse("ann@example.org").unwrap(),
            "Ann",
            infrastructure::links::GuestScope::Join,
            chrono::Utc::now() + chrono::Duration::hours(1),
        );
        assert_eq!(keys.verify(&guest).unwrap().scope.as_deref(), Some("join"));
        // And a pass is no guest link.
        let pass = keys.mint_room_pass(&pass_claims).unwrap();
        assert!(links.verify(&pass, infrastructure::links::GuestScope::Join).is_err());
    }
}
