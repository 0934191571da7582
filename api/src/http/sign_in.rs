//! Signing in to the web app without an identity provider: a single-use link, emailed, valid
//! for minutes. `POST /api/auth/email` sends it (to whoever the operator lets in, and
//! answers the same either way); the link's GET shows a confirmation page (mail scanners
//! follow every link and must not sign anyone in), whose POST begins the session. Also the
//! session itself: `GET /api/session`, `POST /api/auth/signout`, `GET /api/auth/options`.

use super::links::page;
use crate::auth::AuthUser;
use crate::error::{ApiError, Problem, Result};
use crate::extract::{Json, PreferredLanguage};
use crate::session;
use crate::state::AppState;
use crate::web_sign_in::{safe_return_to, same_site_request, ClientAddress};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use chrono::{DateTime, Utc};
use domain::values::EmailAddress;
use infrastructure::known_people::PgKnownPeople;
use infrastructure::notify::compose::Language;
use infrastructure::notify::sign_in_mail::compose_sign_in;
use infrastructure::web_sessions::SessionPerson;
use maud::html;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(options))
        .routes(routes!(send_link))
        .routes(routes!(current_session))
        .routes(routes!(sign_out))
}

/// The sign-in link's pages (for a person, not the API).
pub fn pages() -> Router<AppState> {
    Router::new().route("/auth/email", get(confirm_page).post(redeem))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OidcOption {
    /// The provider's name, for the button.
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignInOptions {
    /// Email sign-in links are offered.
    pub email: bool,
    /// Single sign-on with the organisation's OpenID Connect provider (start it at
    /// `/auth/oidc/start?return_to=<path>`).
    pub oidc: Option<OidcOption>,
}

/// The ways to sign in
#[utoipa::path(get, path = "/api/auth/options", tag = "sign-in", responses((status = 200, body = SignInOptions)))]
async fn options(State(state): State<AppState>) -> Json<SignInOptions> {
    let oidc = state.sign_in.oidc.as_ref().map(|_| OidcOption { name: state.settings.sign_in.oidc_name.clone() });
    Json(SignInOptions { email: state.settings.sign_in.email_links, oidc })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInLinkRequest {
    #[schema(max_length = 254)]
    pub email: String,
    /// Where to go once signed in: a path on this site.
    #[schema(max_length = 2000)]
    pub return_to: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignInLinkSent {
    /// Always true: the answer does not tell whether the address may sign in.
    pub sent: bool,
}

/// Email a sign-in link
///
/// Sends a single-use link valid for `VECHE_SIGNIN_LINK_MINUTES` to the address, if the
/// operator lets it sign in (`VECHE_SIGNIN_DOMAINS`, `VECHE_SIGNIN_KNOWN_PEOPLE`); the
/// answer is the same either way. Limited per address and per client.
#[utoipa::path(post, path = "/api/auth/email", tag = "sign-in", request_body = SignInLinkRequest,
    responses((status = 202, body = SignInLinkSent), (status = 404, body = Problem, content_type = "application/problem+json", description = "Email sign-in is off")))]
async fn send_link(
    State(state): State<AppState>,
    client: ClientAddress,
    PreferredLanguage(language): PreferredLanguage,
    Json(request): Json<SignInLinkRequest>,
) -> Result<(StatusCode, Json<SignInLinkSent>)> {
    if !state.settings.sign_in.email_links {
        return Err(ApiError::NoRoute);
    }
    let email = EmailAddress::parse(&request.email).map_err(|e| ApiError::invalid("email", e))?;
    let return_to = request.return_to.as_deref().map(safe_return_to).transpose()?;
    let limits = &state.sign_in.limits;
    limits.per_client.take(&client.0).map_err(ApiError::TooManyRequests)?;
    limits.per_address.take(email.as_str()).map_err(ApiError::TooManyRequests)?;
    let admitted = state
        .sign_in
        .policy
        .admits(&email, &PgKnownPeople(state.pool.clone()))
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!(e)))?;
    let sent = Ok((StatusCode::ACCEPTED, Json(SignInLinkSent { sent: true })));
    if !admitted {
        tracing::info!(%email, "a sign-in link was asked for an address that may not sign in");
        metrics::counter!("veche_sign_in_links_total", "outcome" => "refused").increment(1);
        return sent;
    }
    let minutes = state.settings.sign_in.link_minutes.clamp(1, 24 * 60);
    let secret = state.sessions.issue_link(email.as_str(), return_to.as_deref(), chrono::Duration::minutes(minutes)).await?;
    let link = format!("{}/auth/email?token={secret}", state.public_url);
    let language = language.as_deref().and_then(Language::parse).unwrap_or(state.notifications.mail.default_language);
    let mail = compose_sign_in(&email, &link, minutes, language, &state.notifications.mail.from)
        .map_err(|e| ApiError::Internal(e.into()))?;
    if let Err(error) = state.notifications.mailer.send(&mail).await {
        tracing::warn!(%error, "a sign-in link could not be sent");
        return Err(ApiError::Unavailable("the sign-in email could not be sent just now; try again in a minute".into()));
    }
    metrics::counter!("veche_sign_in_links_total", "outcome" => "sent").increment(1);
    sent
}

/// The link's query and the confirmation form.
#[derive(Debug, Deserialize)]
struct LinkToken {
    token: String,
}

async fn confirm_page(State(state): State<AppState>, Query(link): Query<LinkToken>) -> Response {
    match state.sessions.peek_link(&link.token).await {
        Ok(Some(found)) => {
            let form = html! {
                form method="post" action="/auth/email" {
                    input type="hidden" name="token" value=(link.token);
                    button type="submit" style="font-size:1.1em;padding:.5em 1.5em" { "Sign in / Войти" }
                }
            };
            page(StatusCode::OK, "Sign in to veche / Вход в veche", &found.email, Some(form))
        }
        Ok(None) => used_or_expired(),
        Err(error) => unavailable(error),
    }
}

async fn redeem(State(state): State<AppState>, headers: HeaderMap, Form(link): Form<LinkToken>) -> Response {
    // A page elsewhere must not sign a visitor in with its own link (login CSRF).
    if !same_site_request(&headers, &state.public_url) {
        return page(StatusCode::FORBIDDEN, "Sign in from the link / Войдите по ссылке", "Open the link from the email.", None);
    }
    let redeemed = match state.sessions.redeem_link(&link.token).await {
        Ok(Some(redeemed)) => redeemed,
        Ok(None) => return used_or_expired(),
        Err(error) => return unavailable(error),
    };
    let name = projections::queries::known_name(&state.pool, &redeemed.email).await.ok().flatten();
    let person = SessionPerson {
        user_id: redeemed.email.clone(),
        name: name.unwrap_or_else(|| redeemed.email.split('@').next().unwrap_or_default().to_string()),
        email: redeemed.email,
    };
    match begin_session(&state, &person, "email", redeemed.return_to.as_deref()).await {
        Ok(response) => response,
        Err(error) => unavailable(error),
    }
}

/// Begins a session for `person` and sends the browser to `return_to` with its cookie.
pub(crate) async fn begin_session(
    state: &AppState,
    person: &SessionPerson,
    method: &str,
    return_to: Option<&str>,
) -> Result<Response, sqlx::Error> {
    let days = state.settings.sign_in.session_days.clamp(1, 365);
    let begun = state.sessions.begin(person, method, chrono::Duration::days(days)).await?;
    metrics::counter!("veche_sessions_begun_total", "method" => method.to_string()).increment(1);
    let cookie = session::session_cookie(&state.public_url, begun.secret, time::Duration::days(days));
    Ok(([cookie], Redirect::to(return_to.unwrap_or("/"))).into_response())
}

fn used_or_expired() -> Response {
    page(
        StatusCode::GONE,
        "This link no longer works / Ссылка больше не действует",
        "A sign-in link works once, for a few minutes. Ask for a new one on the sign-in page.",
        Some(html! { p { a href="/" { "Sign in / Войти" } } }),
    )
}

fn unavailable(error: sqlx::Error) -> Response {
    tracing::warn!(%error, "a sign-in could not be completed");
    page(StatusCode::SERVICE_UNAVAILABLE, "Try again / Попробуйте ещё раз", "Signing in did not work just now.", None)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    pub user_id: String,
    pub email: String,
    pub name: String,
    /// Send it back in `X-CSRF-Token` with every change made with the session cookie
    /// (absent for a bearer token, which needs none).
    pub csrf_token: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    /// `email`, `oidc`, or `bearer`.
    pub method: String,
}

/// Who is signed in
#[utoipa::path(get, path = "/api/session", tag = "sign-in",
    responses((status = 200, body = SessionView)), security(("bearer" = [])))]
async fn current_session(user: AuthUser) -> Json<SessionView> {
    let session = user.session;
    Json(SessionView {
        user_id: user.actor.user_id.clone(),
        email: user.actor.email.to_string(),
        name: user.actor.name.clone(),
        csrf_token: session.as_ref().map(|s| s.csrf_token.clone()),
        expires_at: session.as_ref().map(|s| s.expires_at),
        method: session.map_or_else(|| "bearer".to_string(), |s| s.method),
    })
}

/// Sign out
///
/// Ends the session on the server (its cookie opens nothing from now on) and removes the
/// cookie. With a bearer token there is nothing to end.
#[utoipa::path(post, path = "/api/auth/signout", tag = "sign-in", responses((status = 204)), security(("bearer" = [])))]
async fn sign_out(State(state): State<AppState>, headers: HeaderMap, user: AuthUser) -> Result<Response> {
    if let Some(secret) = user.session.and(session::session_secret(&headers, &state.public_url)) {
        state.sessions.end(&secret).await?;
    }
    Ok((StatusCode::NO_CONTENT, [session::removal_cookie(&state.public_url)]).into_response())
}
