//! The web app's session: an HttpOnly, SameSite=Lax cookie holding a random secret
//! (`infrastructure::web_sessions` keeps its hash), `Secure` and `__Host-` prefixed when veche
//! is served over https. Page scripts never see it; a change made with it must carry the
//! session's CSRF token in `X-CSRF-Token` (the app reads it from `GET /api/session`).

use crate::error::ApiError;
use crate::state::AppState;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method};
use cookie::{Cookie, SameSite};
use infrastructure::web_sessions::WebSession;

/// The header a cookie-authenticated change carries its CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

const PLAIN_NAME: &str = "veche_session";
/// Over https: a cookie only this origin can set (no `Domain`, `Path=/`, `Secure`).
const HOST_NAME: &str = "__Host-veche_session";

/// The session cookie's name for a site at `public_url`.
fn cookie_name(public_url: &str) -> &'static str {
    if public_url.starts_with("https://") {
        HOST_NAME
    } else {
        PLAIN_NAME
    }
}

/// A cookie of veche's (HttpOnly, SameSite=Lax, Secure over https).
pub fn cookie(public_url: &str, name: &'static str, value: String, max_age: time::Duration) -> HeaderValue {
    let cookie = Cookie::build((name, value))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(public_url.starts_with("https://"))
        .path("/")
        .max_age(max_age)
        .build();
    HeaderValue::from_str(&cookie.to_string()).expect("a cookie of base64url characters is a header value")
}

/// `Set-Cookie` for a new session.
pub fn session_cookie(public_url: &str, secret: String, max_age: time::Duration) -> (axum::http::HeaderName, HeaderValue) {
    (SET_COOKIE, cookie(public_url, cookie_name(public_url), secret, max_age))
}

/// `Set-Cookie` that removes the session cookie.
pub fn removal_cookie(public_url: &str) -> (axum::http::HeaderName, HeaderValue) {
    (SET_COOKIE, cookie(public_url, cookie_name(public_url), String::new(), time::Duration::ZERO))
}

/// The value of a cookie `name` the request carries.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == name)
        .map(|cookie| cookie.value().to_string())
}

/// The session secret a request's cookie carries.
pub fn session_secret(headers: &HeaderMap, public_url: &str) -> Option<String> {
    cookie_value(headers, cookie_name(public_url)).filter(|secret| !secret.is_empty())
}

/// The session of a request carrying the session cookie, checked for CSRF when the request
/// changes something. `None` without a cookie; 401 for a cookie that opens no session.
pub async fn from_cookie(parts: &Parts, state: &AppState) -> Result<Option<WebSession>, ApiError> {
    let Some(secret) = session_secret(&parts.headers, &state.public_url) else { return Ok(None) };
    let session = state
        .sessions
        .find(&secret)
        .await?
        .ok_or_else(|| ApiError::Unauthorized("the session has ended or expired: sign in again".into()))?;
    if !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
        let sent = parts.headers.get(CSRF_HEADER).and_then(|value| value.to_str().ok());
        if sent != Some(session.csrf_token.as_str()) {
            return Err(ApiError::CsrfTokenMissing);
        }
    }
    Ok(Some(session))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_host_only_and_secure_over_https_and_plain_over_http() {
        let (_, secure) = session_cookie("https://meet.example.org", "s3cret".into(), time::Duration::days(1));
        let secure = secure.to_str().unwrap();
        assert!(secure.starts_with("__Host-veche_session=s3cret"), "{secure}");
        for part in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/", "Max-Age=86400"] {
            assert!(secure.contains(part), "{part} in {secure}");
        }
        let (_, plain) = session_cookie("http://127.0.0.1:8080", "s3cret".into(), time::Duration::days(1));
        assert!(plain.to_str().unwrap().starts_with("veche_session=s3cret") && !plain.to_str().unwrap().contains("Secure"));
    }

    #[test]
    fn the_secret_is_found_among_other_cookies_and_an_empty_one_is_none() {
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_static("theme=dark; veche_session=abc; lang=ru"));
        assert_eq!(session_secret(&headers, "http://localhost").as_deref(), Some("abc"));
        assert_eq!(session_secret(&headers, "https://localhost"), None);
        headers.insert(COOKIE, HeaderValue::from_static("veche_session="));
        assert_eq!(session_secret(&headers, "http://localhost"), None);
    }
}
