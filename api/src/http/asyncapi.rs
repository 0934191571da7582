//! `GET /api/asyncapi.json`: the AsyncAPI 3.0 document of what veche publishes on NATS
//! (stream `VECHE_EVENTS`, its subjects, and the CloudEvents payload schema of every event
//! type, versioned). The document is kept in the repository (`api/asyncapi.json`) and
//! compiled in; a test checks it names every event type the domain has.

use crate::state::AppState;
use axum::response::IntoResponse;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The document as kept in the repository.
pub const DOCUMENT: &str = include_str!("../../asyncapi.json");

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(asyncapi))
}

/// The AsyncAPI document of the events veche publishes to NATS JetStream.
#[utoipa::path(get, path = "/api/asyncapi.json", tag = "events",
    responses((status = 200, description = "AsyncAPI 3.0 document", content_type = "application/json", body = Object)))]
pub async fn asyncapi() -> impl IntoResponse {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], DOCUMENT)
}
