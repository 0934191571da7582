//! `GET /api/people`: the people the caller has met in meetings, for suggestions while
//! inviting. Only the caller's own meetings are searched, so nobody learns of anyone else.

use crate::auth::AuthUser;
use crate::error::{ApiError, Result};
use crate::extract::{Json, Query};
use crate::state::AppState;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(people))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PeopleQuery {
    /// The start of an address or of a name (any case); empty: the people met most often.
    #[param(max_length = 100)]
    pub q: Option<String>,
    /// At most this many (1–50, default 10).
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Person {
    pub email: String,
    pub name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct People {
    /// Most often met first.
    pub people: Vec<Person>,
}

/// People you have met
#[utoipa::path(get, path = "/api/people", tag = "calendar", params(PeopleQuery),
    responses((status = 200, body = People)), security(("bearer" = [])))]
async fn people(State(state): State<AppState>, user: AuthUser, Query(query): Query<PeopleQuery>) -> Result<Json<People>> {
    let prefix = query.q.unwrap_or_default();
    if prefix.chars().count() > 100 || prefix.chars().any(char::is_control) {
        return Err(ApiError::InvalidField { field: "q".into(), detail: "at most 100 characters, no control characters".into() });
    }
    let limit = query.limit.unwrap_or(10);
    if !(1..=50).contains(&limit) {
        return Err(ApiError::InvalidField { field: "limit".into(), detail: "between 1 and 50".into() });
    }
    let found = projections::queries::acquaintances(&state.pool, &user.actor.email, prefix.trim(), limit).await?;
    Ok(Json(People { people: found.into_iter().map(|p| Person { email: p.email, name: p.name }).collect() }))
}
