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

    pub fn mint(&self, claims: &Claims) -> Result<String, jsonwebtoken::errors::Error> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
    }

    pub fn verify(&self, token: &str) -> Result<Claims, jsonwebtoken::errors::Error> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "sub"]);
        validation.leeway = 30;
        Ok(jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)?.claims)
    }
}

/// The authenticated caller. Extracting it from a request without a valid token answers
/// 401 with `WWW-Authenticate: Bearer`, so every handler that takes it is protected.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub actor: Actor,
    pub roles: Vec<String>,
}

impl AuthUser {
    pub fn is_auditor(&self) -> bool {
        self.roles.iter().any(|r| r == AUDITOR_ROLE)
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(|| ApiError::Unauthorized("the Authorization header is missing".into()))?;
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
        Ok(Self { actor, roles: claims.roles })
    }
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
