//! `/auth/oidc/start` and `/auth/oidc/callback`: single sign-on pages (for a person, not the
//! API). The login's `state` is kept hashed in the database with its PKCE verifier and nonce,
//! and in a short-lived cookie of the browser that started it: the callback is accepted only
//! from that browser, once.

use super::links::page;
use super::sign_in::begin_session;
use crate::session::{cookie, cookie_value};
use crate::state::AppState;
use crate::web_sign_in::safe_return_to;
use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use infrastructure::web_sessions::{PendingLogin, SessionPerson};
use serde::Deserialize;

/// The browser's copy of the login's `state`.
const STATE_COOKIE: &str = "veche_oidc_state";
/// How long a person has at the provider.
const LOGIN_MINUTES: i64 = 10;

pub fn pages() -> Router<AppState> {
    Router::new().route("/auth/oidc/start", get(start)).route("/auth/oidc/callback", get(callback))
}

#[derive(Debug, Deserialize)]
struct StartQuery {
    return_to: Option<String>,
}

async fn start(State(state): State<AppState>, Query(query): Query<StartQuery>) -> Response {
    let Some(oidc) = state.sign_in.oidc.clone() else {
        return no_provider();
    };
    let return_to = query.return_to.as_deref().and_then(|path| safe_return_to(path).ok());
    let login = match oidc.start().await {
        Ok(login) => login,
        Err(error) => return provider_unavailable(error),
    };
    let pending = PendingLogin { pkce_verifier: login.pkce_verifier, nonce: login.nonce, return_to };
    if let Err(error) = state.sessions.remember_login(&login.state, &pending, chrono::Duration::minutes(LOGIN_MINUTES)).await {
        return provider_unavailable(error.into());
    }
    let browser_copy = cookie(&state.public_url, STATE_COOKIE, login.state, time::Duration::minutes(LOGIN_MINUTES));
    ([(SET_COOKIE, browser_copy)], Redirect::to(&login.url)).into_response()
}

#[derive(Debug, Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

async fn callback(State(state): State<AppState>, headers: HeaderMap, Query(query): Query<CallbackQuery>) -> Response {
    let Some(oidc) = state.sign_in.oidc.clone() else {
        return no_provider();
    };
    if let Some(error) = query.error {
        let detail = query.error_description.unwrap_or(error);
        return refused(&format!("The identity provider said: {detail}"));
    }
    let (Some(code), Some(login_state)) = (query.code, query.state) else {
        return refused("The identity provider sent no authorization code.");
    };
    if cookie_value(&headers, STATE_COOKIE).as_deref() != Some(login_state.as_str()) {
        return refused("This sign-in was started in another browser, or long ago. Start again.");
    }
    let pending = match state.sessions.take_login(&login_state).await {
        Ok(Some(pending)) => pending,
        Ok(None) => return refused("This sign-in was already used, or it expired. Start again."),
        Err(error) => return provider_unavailable(error.into()),
    };
    let person = match oidc.finish(code, pending.pkce_verifier, pending.nonce).await {
        Ok(person) => person,
        Err(error) => {
            tracing::warn!(error = %format!("{error:#}"), "an OpenID Connect sign-in was refused");
            return refused(&format!("{error:#}"));
        }
    };
    let person = SessionPerson {
        user_id: person.sub,
        name: person.name.unwrap_or_else(|| person.email.split('@').next().unwrap_or_default().to_string()),
        email: person.email,
    };
    if let Err(error) = crate::auth::session_actor(&person) {
        return refused(&error.to_string());
    }
    let forget_state = cookie(&state.public_url, STATE_COOKIE, String::new(), time::Duration::ZERO);
    match begin_session(&state, &person, "oidc", pending.return_to.as_deref()).await {
        Ok(mut response) => {
            response.headers_mut().append(SET_COOKIE, forget_state);
            response
        }
        Err(error) => provider_unavailable(error.into()),
    }
}

fn no_provider() -> Response {
    page(StatusCode::NOT_FOUND, "No single sign-on / Нет единого входа", "This server has no identity provider.", None)
}

fn refused(detail: &str) -> Response {
    page(
        StatusCode::BAD_REQUEST,
        "Sign-in did not work / Войти не удалось",
        detail,
        Some(maud::html! { p { a href="/" { "Back / Назад" } } }),
    )
}

fn provider_unavailable(error: anyhow::Error) -> Response {
    tracing::warn!(error = %format!("{error:#}"), "single sign-on is unavailable");
    page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Try again / Попробуйте ещё раз",
        "The identity provider cannot be reached just now.",
        None,
    )
}
