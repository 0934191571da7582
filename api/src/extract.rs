//! Extractors. axum's own rejections become problem+json here, so that a malformed body,
//! query or path gets the same kind of precise answer as a rule violation.

use crate::error::ApiError;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::request::Parts;
use axum::http::StatusCode;

/// A JSON body; see [`ApiError::Malformed`] for what a bad one gets.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

impl<T: serde::Serialize> axum::response::IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => {
                ApiError::UnsupportedMediaType("the body must be sent as Content-Type: application/json".into())
            }
            JsonRejection::BytesRejection(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::PayloadTooLarge(crate::http::body_limit())
            }
            other => ApiError::Malformed(other.body_text()),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::Malformed(rejection.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        // A path that does not parse (a meeting id that is not a UUID) names no meeting.
        match rejection {
            PathRejection::FailedToDeserializePathParams(_) => ApiError::NotFound,
            other => ApiError::Malformed(other.body_text()),
        }
    }
}

/// The `If-Match` header as an expected aggregate version. ETags are `"<version>"`;
/// a bare number is accepted too, `*` means "any version".
#[derive(Debug, Clone, Copy)]
pub struct IfMatch(pub Option<u64>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(axum::http::header::IF_MATCH) else {
            return Ok(Self(None));
        };
        let text = value.to_str().map_err(|_| ApiError::BadPrecondition("If-Match is not ASCII".into()))?.trim();
        if text == "*" {
            return Ok(Self(None));
        }
        let unquoted = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
        unquoted
            .parse::<u64>()
            .map(|v| Self(Some(v)))
            .map_err(|_| ApiError::BadPrecondition(format!("If-Match `{text}` is not an ETag of this API (\"<version>\")")))
    }
}

/// Longest accepted `Idempotency-Key`.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;

/// The `Idempotency-Key` header of a creating request.
#[derive(Debug, Clone)]
pub struct IdempotencyKey(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get("idempotency-key") else {
            return Ok(Self(None));
        };
        let key = value.to_str().ok().map(str::trim).filter(|k| !k.is_empty() && k.len() <= MAX_IDEMPOTENCY_KEY_LEN).ok_or_else(
            || ApiError::Malformed(format!("Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_LEN} visible ASCII characters")),
        )?;
        Ok(Self(Some(key.to_string())))
    }
}

/// The request id (`x-request-id`, set by the middleware when the client sent none).
#[derive(Debug, Clone)]
pub struct RequestId(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(parts.headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(|v| v.chars().take(128).collect())))
    }
}

/// The language the client prefers among those veche writes emails in, from
/// `Accept-Language` (highest `q` first; ties keep the header's order). `None` when the
/// header is absent or names none of them.
#[derive(Debug, Clone)]
pub struct PreferredLanguage(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for PreferredLanguage {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(axum::http::header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
        Ok(Self(header.and_then(preferred_language)))
    }
}

fn preferred_language(header: &str) -> Option<String> {
    let supported = application::notifications::SUPPORTED_LANGUAGES;
    header
        .split(',')
        .take(32)
        .filter_map(|item| {
            let mut parts = item.split(';');
            let tag = parts.next()?.trim().to_ascii_lowercase();
            let primary = tag.split('-').next()?.to_string();
            let q = parts.find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok())).unwrap_or(1.0);
            let language = supported.iter().find(|s| **s == primary)?;
            (q > 0.0).then_some((q, *language))
        })
        .fold(None, |best: Option<(f32, &str)>, (q, language)| match best {
            Some((best_q, _)) if best_q >= q => best,
            _ => Some((q, language)),
        })
        .map(|(_, language)| language.to_string())
}

#[cfg(test)]
mod tests {
    use super::preferred_language;

    #[test]
    fn the_preferred_language_is_the_supported_one_with_the_highest_q() {
        assert_eq!(preferred_language("ru-RU,ru;q=0.9,en;q=0.8").as_deref(), Some("ru"));
        assert_eq!(preferred_language("de-DE, en;q=0.5, ru;q=0.7").as_deref(), Some("ru"));
        assert_eq!(preferred_language("en-GB").as_deref(), Some("en"));
        assert_eq!(preferred_language("de, fr;q=0.5"), None);
        assert_eq!(preferred_language("ru;q=0"), None);
    }
}
