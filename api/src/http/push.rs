//! `/api/push`: Web Push subscriptions of the signed-in person's browsers, and the VAPID
//! public key a browser needs to subscribe (`pushManager.subscribe({applicationServerKey})`).
//! Reminders go to every subscribed browser of every attendee; a subscription the push
//! service reports gone (404/410) is removed by the sender.

use crate::auth::AuthUser;
use crate::error::{ApiError, Problem, Result};
use crate::extract::Json;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use infrastructure::notify::push::{parse_subscription, SubscribeError, MAX_ENDPOINT_LEN};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(vapid_public_key)).routes(routes!(subscribe, unsubscribe))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VapidPublicKey {
    /// The uncompressed P-256 public key, base64url: the `applicationServerKey`.
    pub public_key: String,
}

/// The browser's `PushSubscription.toJSON()`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PushSubscriptionInput {
    pub endpoint: String,
    pub keys: PushKeys,
    /// Ignored: push services report expired subscriptions themselves.
    #[serde(default, rename = "expirationTime")]
    #[allow(dead_code)]
    pub expiration_time: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PushKeys {
    pub p256dh: String,
    pub auth: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnsubscribeRequest {
    pub endpoint: String,
}

/// The VAPID public key to subscribe with.
#[utoipa::path(get, path = "/api/push/vapid-public-key", tag = "push",
    responses((status = 200, body = VapidPublicKey)))]
pub async fn vapid_public_key(State(state): State<AppState>) -> axum::Json<VapidPublicKey> {
    axum::Json(VapidPublicKey { public_key: state.notifications.vapid.public_key().to_string() })
}

/// Subscribe this browser to reminders (201 when new, 200 when renewed).
#[utoipa::path(post, path = "/api/push/subscriptions", tag = "push",
    request_body = PushSubscriptionInput,
    responses(
        (status = 201, description = "Subscribed"),
        (status = 200, description = "Already subscribed; keys renewed"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all, fields(user = %user.actor.user_id))]
pub async fn subscribe(
    State(state): State<AppState>,
    user: AuthUser,
    Json(input): Json<PushSubscriptionInput>,
) -> Result<StatusCode> {
    let target = parse_subscription(&input.endpoint, &input.keys.p256dh, &input.keys.auth, state.settings.push_allow_private)
        .map_err(|e| ApiError::InvalidField { field: e.field.to_string(), detail: e.reason })?;
    let created =
        state.notifications.subscriptions.subscribe(&user.actor.user_id, user.actor.email.as_str(), &target).await.map_err(
            |e| match e {
                SubscribeError::TooMany => ApiError::TooManySubscriptions(e.to_string()),
                SubscribeError::Database(e) => e.into(),
            },
        )?;
    Ok(if created { StatusCode::CREATED } else { StatusCode::OK })
}

/// Unsubscribe a browser of the caller.
#[utoipa::path(delete, path = "/api/push/subscriptions", tag = "push",
    request_body = UnsubscribeRequest,
    responses(
        (status = 204, description = "Unsubscribed"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn unsubscribe(
    State(state): State<AppState>,
    user: AuthUser,
    Json(input): Json<UnsubscribeRequest>,
) -> Result<StatusCode> {
    // No subscription has an endpoint that is not a URL within the limit (and PostgreSQL
    // refuses some text, such as a NUL, outright).
    let endpoint = input.endpoint.as_str();
    if endpoint.len() > MAX_ENDPOINT_LEN || endpoint.chars().any(char::is_control) || endpoint.parse::<axum::http::Uri>().is_err()
    {
        return Err(ApiError::InvalidField { field: "endpoint".into(), detail: "is not a push endpoint URL".into() });
    }
    if state.notifications.subscriptions.unsubscribe(&user.actor.user_id, endpoint).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NoSuchSubscription)
    }
}
