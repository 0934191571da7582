//! The HTTP routes: one module per feature, merged here with the OpenAPI document.

pub mod asyncapi;
pub mod calendar;
pub mod calendar_stream;
pub mod dto;
pub mod history;
pub mod links;
pub mod meetings;
pub mod oidc;
pub mod ops;
pub mod outbox;
pub mod people;
pub mod push;
pub mod sign_in;
pub mod web_app;

use crate::error::{ApiError, Problem};
use crate::state::AppState;
use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde::Deserialize;
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

#[derive(OpenApi)]
#[openapi(
    info(title = "veche", description = "Self-hosted meetings: calendar, video rooms, notifications."),
    modifiers(&BearerAuth),
    components(schemas(Problem)),
    tags(
        (name = "meetings", description = "Schedule and change meetings"),
        (name = "calendar", description = "A person's meetings in a time range"),
        (name = "history", description = "The event history of a meeting, for auditors"),
        (name = "operations", description = "Health, readiness, metrics"),
        (name = "events", description = "What veche publishes to NATS (AsyncAPI)"),
        (name = "push", description = "Web Push subscriptions for reminders"),
        (name = "sign-in", description = "The web app's sign-in: email links, sessions (OpenID Connect at /auth/oidc/start)"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

/// The problem answers every operation may give for reasons shared by many, said once here
/// rather than on each route (a route's own list names its particular ones): 503 for any that
/// reaches the database (out of reach, read models behind), 401 where a token is needed,
/// 404 where the path names something, 400/413/415/422 where a body or parameters are read,
/// 403/409/412 for the changes of a meeting, 429 for the commands limited per person.
fn document_problems(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, HttpMethod, Ref, ResponseBuilder};
    let problem = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content("application/problem+json", ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build())
            .build()
    };
    // These answer without the database.
    let without_database =
        ["/healthz", "/metrics", "/api/openapi.json", "/api/asyncapi.json", "/api/push/vapid-public-key", "/api/auth/options"];
    for (path, item) in openapi.paths.paths.iter_mut() {
        let reaches_database = !without_database.contains(&path.as_str());
        let names_something = path.contains('{');
        let meeting_change = path.starts_with("/api/meetings/{id}");
        let operations = [
            (HttpMethod::Get, &mut item.get),
            (HttpMethod::Put, &mut item.put),
            (HttpMethod::Post, &mut item.post),
            (HttpMethod::Delete, &mut item.delete),
            (HttpMethod::Patch, &mut item.patch),
        ];
        for (method, operation) in operations {
            let Some(operation) = operation else { continue };
            let changes = method != HttpMethod::Get;
            let reads_input = operation.request_body.is_some() || operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
            let needs_token = operation.security.as_ref().is_some_and(|s| !s.is_empty());
            let mut wanted: Vec<(&str, &str)> = Vec::new();
            if reaches_database {
                wanted.push((
                    "503",
                    "Unavailable for a moment (the database out of reach, the read models behind): retry after `Retry-After`",
                ));
            }
            if needs_token {
                wanted.push(("401", "No valid token"));
            }
            if names_something {
                wanted.push(("404", "Nothing by that id that the caller may see"));
            }
            if reads_input {
                wanted.push(("400", "The request cannot be read (malformed JSON, a parameter of the wrong type)"));
                wanted.push(("422", "A field is invalid; `field` names it"));
            }
            if operation.request_body.is_some() {
                wanted.push(("413", "The body is larger than the limit"));
                wanted.push(("415", "The body is not application/json"));
            }
            if meeting_change && changes {
                wanted.push(("403", "Not the caller's to do (organizer or attendees only)"));
                wanted.push(("409", "The meeting's state forbids it (cancelled, already invited, concurrent changes)"));
                wanted.push(("412", "`If-Match` names another version"));
            }
            if needs_token && changes {
                wanted.push(("403", "Not the caller's to do, or a change made with the session cookie without its CSRF token"));
            }
            if path == "/api/auth/email" {
                wanted.push(("429", "Too many sign-in links for this address or from this client: retry after `Retry-After`"));
            }
            if path.starts_with("/api/meetings") && changes {
                wanted.push((
                    "429",
                    "Too many changes by this person, or too many emails caused by them, for now: retry after `Retry-After`",
                ));
            }
            for (status, description) in wanted {
                operation.responses.responses.entry(status.into()).or_insert_with(|| problem(description).into());
            }
        }
    }
}

/// `?after_position=N`: wait (bounded) until the read models include position N, the
/// value a command returned, so that a client reads its own writes.
#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReadAfter {
    /// A position returned by a command (`position` / `Veche-Position`).
    pub after_position: Option<i64>,
}

pub(crate) async fn wait_for_projections(state: &AppState, read_after: ReadAfter) -> Result<(), ApiError> {
    let Some(position) = read_after.after_position else { return Ok(()) };
    if state.progress.wait_for_position(&state.pool, position, state.read_wait).await? {
        Ok(())
    } else {
        Err(ApiError::NotCaughtUp(position))
    }
}

static BODY_LIMIT: OnceLock<usize> = OnceLock::new();

/// The body size limit in force (for the 413 message).
pub fn body_limit() -> usize {
    *BODY_LIMIT.get().unwrap_or(&0)
}

/// The API's documented routes and their OpenAPI document.
fn documented_routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (api, mut openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(meetings::router())
        .merge(calendar::router())
        .merge(calendar_stream::router())
        .merge(people::router())
        .merge(history::router())
        .merge(ops::router())
        .merge(crate::signaling::access::router())
        .merge(crate::signaling::dialect::veche::router())
        .merge(asyncapi::router())
        .merge(push::router())
        .merge(sign_in::router())
        .split_for_parts();
    document_problems(&mut openapi);
    (api, openapi)
}

/// The OpenAPI 3.1 document `/api/openapi.json` serves (`veche openapi` prints it).
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    documented_routes().1
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let settings = state.settings.clone();
    let _ = BODY_LIMIT.set(settings.max_body_bytes);
    let socketio = crate::signaling::dialect::socketio::router(&state);
    let (api, openapi) = documented_routes();
    let openapi_json = openapi.to_pretty_json().expect("the OpenAPI document serialises");
    let rooms = &settings.rooms;
    let mut api = api.route("/rooms/{room_id}", axum::routing::get(room_page));
    if rooms.peerjs != crate::settings::EndpointMode::Off {
        let path = rooms.peerjs_path();
        api = api.merge(crate::signaling::dialect::peerjs::router(&path));
        if path != "/" {
            api = api.merge(crate::signaling::dialect::peerjs::info_route(&path));
        }
    }
    let routes = api
        .merge(links::router())
        .merge(outbox::router())
        .merge(sign_in::pages())
        .merge(oidc::pages())
        .route(
            "/api/openapi.json",
            axum::routing::get(move || async move {
                ([(axum::http::header::CONTENT_TYPE, "application/json")], openapi_json.clone())
            }),
        )
        .fallback(web_app::app_or_not_found)
        // Needs the matched route, so it is a layer of the router's routes.
        .layer(axum::middleware::from_fn(record_metrics))
        .with_state(state);
    // The layers every request goes through wrap the router as one service: a layer of
    // the router itself is applied to each route, and axum clones a route's boxed chain of
    // layers (an allocation per layer) for every request.
    let service = tower::ServiceBuilder::new()
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        // The timeout's own response needs a body type with a default.
        .layer(tower_http::map_response_body::MapResponseBodyLayer::new(axum::body::Body::new))
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(settings.max_concurrent_requests))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_| {
            ApiError::Internal(anyhow::anyhow!("a handler panicked")).into_response()
        }))
        .layer(axum::extract::DefaultBodyLimit::max(settings.max_body_bytes))
        .service(routes);
    // Socket.io's routes first: its long polls wait for up to a ping period, and neither the
    // request timeout nor the concurrency limit is theirs to count.
    let app = match socketio {
        Some(socketio) => socketio.fallback_service(service),
        None => Router::new().fallback_service(service),
    };
    Router::new().fallback_service(tower::ServiceBuilder::new().option_layer(cors(&settings.cors_origins)).service(app))
}

/// Cross-origin calls from the web apps of `VECHE_CORS_ORIGINS` (none by default: the same
/// origin only). They authenticate with bearer tokens, so no credentials (cookies) are
/// allowed across origins; a preflight is cached for an hour.
fn cors(origins: &[String]) -> Option<tower_http::cors::CorsLayer> {
    use axum::http::{header, HeaderName, HeaderValue, Method};
    let origins: Vec<HeaderValue> = origins
        .iter()
        .map(|origin| origin.trim().trim_end_matches('/'))
        .filter(|origin| !origin.is_empty())
        .filter_map(|origin| match HeaderValue::from_str(origin) {
            Ok(value) => Some(value),
            Err(_) => {
                tracing::warn!(origin, "VECHE_CORS_ORIGINS names an origin that is no header value; left out");
                None
            }
        })
        .collect();
    if origins.is_empty() {
        return None;
    }
    Some(
        tower_http::cors::CorsLayer::new()
            .allow_origin(origins)
            .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::IF_MATCH,
                HeaderName::from_static("idempotency-key"),
                HeaderName::from_static("x-request-id"),
                HeaderName::from_static("last-event-id"),
            ])
            .expose_headers([
                header::ETAG,
                header::LOCATION,
                header::RETRY_AFTER,
                HeaderName::from_static("veche-position"),
                HeaderName::from_static("x-request-id"),
            ])
            .max_age(Duration::from_secs(3600)),
    )
}

/// A meeting's room (its meeting link): the video call in the browser, a full mesh of
/// WebRTC connections signaled through `/api/rooms/{id}/signal`. The page itself is the
/// same for every room and holds nothing secret; the room is checked when it asks for the
/// ICE servers and opens the WebSocket. A path that is no room id gets a 404 problem.
/// A meeting's call: the web app's page (its router shows the call), never sending its
/// address on as a referrer (a link may carry a token in its query).
async fn room_page(crate::extract::Path(_room_id): crate::extract::Path<uuid::Uuid>) -> Response {
    web_app::page_without_referrer()
}

/// Request latency by route and status, for Prometheus.
async fn record_metrics(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_else(|| "unmatched".into());
    let method = request.method().to_string();
    let response = next.run(request).await;
    metrics::histogram!(
        "veche_http_request_duration_seconds",
        "method" => method,
        "route" => route,
        "status" => response.status().as_u16().to_string()
    )
    .record(started.elapsed().as_secs_f64());
    response
}
