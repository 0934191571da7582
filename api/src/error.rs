//! One error type for the HTTP layer, rendered as RFC 9457 `application/problem+json`.
//!
//! Each problem has a stable `type` (`urn:veche:problem:<slug>`) that clients match on,
//! a `title` that never varies for a type, and a `detail` that says exactly what was wrong
//! with this request. A 5xx cause is logged with its chain and never shown to the client.

use application::executor::CommandError;
use application::meetings::ScheduleError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::meeting::MeetingError;
use domain::values::InvalidValue;
use serde::Serialize;

pub type Result<T, E = ApiError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A field has a value its type refuses.
    #[error("{field}: {error}")]
    Invalid { field: String, error: InvalidValue },
    /// The request could not be read (malformed JSON, wrong types, unknown fields).
    #[error("{0}")]
    Malformed(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("no such meeting")]
    NotFound,
    #[error("no such route")]
    NoRoute,
    #[error("no such room")]
    RoomNotFound,
    #[error("{0}")]
    Unavailable(String),
    #[error(transparent)]
    Meeting(#[from] MeetingError),
    #[error("the meeting is at version {actual}, the request expected {expected}")]
    VersionMismatch { expected: u64, actual: u64 },
    #[error("{0}")]
    BadPrecondition(String),
    #[error("the meeting kept changing concurrently; retry the request")]
    Contention,
    #[error("this Idempotency-Key was already used for a different request")]
    IdempotencyKeyReused,
    #[error("the read models have not reached position {0} yet; retry shortly")]
    NotCaughtUp(i64),
    /// A field is invalid for a reason outside the domain's value types.
    #[error("{field}: {detail}")]
    InvalidField { field: String, detail: String },
    #[error("{0}")]
    TooManySubscriptions(String),
    #[error("no such push subscription")]
    NoSuchSubscription,
    /// A person sent too many commands, or caused too many emails, for now.
    #[error("too many changes, or too many emails caused by them, for now; retry in {} s", .0.as_secs())]
    TooManyRequests(std::time::Duration),
    /// A change made with the session cookie without the session's CSRF token.
    #[error("a change made with the session cookie must carry the session's CSRF token in X-CSRF-Token")]
    CsrfTokenMissing,
    /// A sign-in that cannot go on (a used or expired link, a provider's refusal).
    #[error("{0}")]
    SignInFailed(String),
    /// A WebSocket route asked for without a valid WebSocket handshake.
    #[error("{0}")]
    NotWebSocket(String),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// The problem document (RFC 9457 §3), with veche's extension members.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// Stable identifier of the kind of problem, e.g. `urn:veche:problem:validation`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    /// The request field at fault, for validation problems.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The rule the field broke, for validation problems: a stable code to translate
    /// (`title-too-long`, `end-not-after-start`, `invalid-email`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'static str>,
    /// The current version, for version mismatches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<u64>,
}

impl ApiError {
    pub fn invalid(field: impl Into<String>, error: InvalidValue) -> Self {
        Self::Invalid { field: field.into(), error }
    }

    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        use StatusCode as S;
        match self {
            Self::Invalid { .. } => (S::UNPROCESSABLE_ENTITY, "validation", "A field is invalid"),
            Self::Malformed(_) => (S::BAD_REQUEST, "malformed-request", "The request cannot be read"),
            Self::UnsupportedMediaType(_) => (S::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type", "Send application/json"),
            Self::PayloadTooLarge(_) => (S::PAYLOAD_TOO_LARGE, "payload-too-large", "The request body is too large"),
            Self::Unauthorized(_) => (S::UNAUTHORIZED, "unauthorized", "A valid bearer token is required"),
            Self::Forbidden(_) => (S::FORBIDDEN, "forbidden", "Not allowed"),
            Self::NotFound => (S::NOT_FOUND, "meeting-not-found", "No such meeting"),
            Self::NoRoute => (S::NOT_FOUND, "not-found", "No such resource"),
            Self::RoomNotFound => (S::NOT_FOUND, "room-not-found", "No such room"),
            Self::Unavailable(_) => (S::SERVICE_UNAVAILABLE, "unavailable", "The service cannot take this now"),
            Self::Meeting(error) => match error {
                MeetingError::NotFound => (S::NOT_FOUND, "meeting-not-found", "No such meeting"),
                MeetingError::AlreadyScheduled => (S::CONFLICT, "already-scheduled", "The meeting already exists"),
                MeetingError::OrganizerOnly => (S::FORBIDDEN, "organizer-only", "Only the organizer may do this"),
                MeetingError::AttendeesOnly => (S::FORBIDDEN, "attendees-only", "Only an attendee may do this"),
                MeetingError::Cancelled => (S::CONFLICT, "meeting-cancelled", "The meeting is cancelled"),
                MeetingError::AlreadyInvited(_) => (S::CONFLICT, "already-invited", "Already invited"),
                MeetingError::NotInvited(_) => (S::UNPROCESSABLE_ENTITY, "not-invited", "Not an attendee"),
                MeetingError::DuplicateAttendee(_) => {
                    (S::UNPROCESSABLE_ENTITY, "duplicate-attendee", "An attendee is listed twice")
                }
                MeetingError::OrganizerInvited(_) => {
                    (S::UNPROCESSABLE_ENTITY, "organizer-invited", "The organizer cannot be invited")
                }
                MeetingError::TooManyAttendees { .. } => (S::UNPROCESSABLE_ENTITY, "too-many-attendees", "Too many attendees"),
                MeetingError::NobodyToInvite => (S::UNPROCESSABLE_ENTITY, "nobody-to-invite", "Nobody to invite"),
            },
            Self::VersionMismatch { .. } => (S::PRECONDITION_FAILED, "version-mismatch", "The meeting changed since you read it"),
            Self::BadPrecondition(_) => (S::BAD_REQUEST, "bad-precondition", "The precondition header is invalid"),
            Self::Contention => (S::CONFLICT, "contention", "Too many concurrent changes"),
            Self::IdempotencyKeyReused => {
                (S::UNPROCESSABLE_ENTITY, "idempotency-key-reused", "The Idempotency-Key was used for another request")
            }
            Self::NotCaughtUp(_) => (S::SERVICE_UNAVAILABLE, "not-caught-up", "The read models are behind"),
            Self::InvalidField { .. } => (S::UNPROCESSABLE_ENTITY, "validation", "A field is invalid"),
            Self::TooManySubscriptions(_) => (S::CONFLICT, "too-many-subscriptions", "Too many browsers are subscribed"),
            Self::NoSuchSubscription => (S::NOT_FOUND, "subscription-not-found", "No such push subscription"),
            Self::TooManyRequests(_) => (S::TOO_MANY_REQUESTS, "rate-limited", "Too many requests"),
            Self::CsrfTokenMissing => (S::FORBIDDEN, "csrf", "The CSRF token is missing or wrong"),
            Self::SignInFailed(_) => (S::BAD_REQUEST, "sign-in-failed", "Signing in did not work"),
            Self::NotWebSocket(_) => (S::UPGRADE_REQUIRED, "websocket-required", "Open this route as a WebSocket"),
            Self::Internal(_) => (S::INTERNAL_SERVER_ERROR, "internal", "Internal error"),
        }
    }

    pub fn status(&self) -> StatusCode {
        self.parts().0
    }

    pub fn problem(&self) -> Problem {
        let (status, slug, title) = self.parts();
        Problem {
            kind: format!("urn:veche:problem:{slug}"),
            title,
            status: status.as_u16(),
            detail: self.to_string(),
            field: match self {
                Self::Invalid { field, .. } | Self::InvalidField { field, .. } => Some(field.clone()),
                _ => None,
            },
            current_version: match self {
                Self::VersionMismatch { actual, .. } => Some(*actual),
                _ => None,
            },
            code: match self {
                Self::Invalid { error, .. } => Some(error.code()),
                _ => None,
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Internal(cause) = &self {
            tracing::error!(error = %cause, error.cause_chain = ?cause, "request failed");
        }
        let problem = self.problem();
        let status = self.status();
        let mut response = (status, axum::Json(problem)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        match &self {
            Self::Unauthorized(_) => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Self::NotCaughtUp(_) | Self::Contention | Self::Unavailable(_) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            Self::TooManyRequests(wait) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(wait.as_secs().max(1)));
            }
            // RFC 9110 §15.5.22 and RFC 6455 §4.4: name the protocol and version to use.
            Self::NotWebSocket(_) => {
                headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
                headers.insert(header::SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
            }
            _ => {}
        }
        response
    }
}

impl From<CommandError<MeetingError>> for ApiError {
    fn from(error: CommandError<MeetingError>) -> Self {
        match error {
            CommandError::Rejected(e) => Self::Meeting(e),
            CommandError::VersionMismatch { expected, actual } => Self::VersionMismatch { expected, actual },
            CommandError::Contention => Self::Contention,
            CommandError::Store(e) => Self::store(e),
        }
    }
}

impl From<ScheduleError> for ApiError {
    fn from(error: ScheduleError) -> Self {
        match error {
            ScheduleError::Command(e) => e.into(),
            ScheduleError::KeyReused => Self::IdempotencyKeyReused,
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        Self::internal(error.into())
    }
}

impl ApiError {
    /// An unexpected failure: a 500, unless the database could not be reached, which is the
    /// service being unavailable for a while (503 with `Retry-After`), not a bug to report.
    pub fn internal(error: anyhow::Error) -> Self {
        if error.chain().any(data_exception) {
            tracing::warn!(error = %error, "the database refused a value of the request");
            return Self::InvalidField {
                field: "body".into(),
                detail: "holds a value the store cannot keep (such as a NUL character)".into(),
            };
        }
        let unreachable = error.chain().any(database_unreachable);
        Self::internal_unless(unreachable, error)
    }

    /// The event store failed (see [`ApiError::internal`]).
    fn store(error: application::ports::PortError) -> Self {
        // Looked into before it is wrapped: anyhow's chain starts at its own box of it.
        let unreachable =
            std::iter::successors(Some(&*error as &(dyn std::error::Error + 'static)), |e| e.source()).any(database_unreachable);
        Self::internal_unless(unreachable, anyhow::anyhow!(error))
    }

    fn internal_unless(database_unreachable: bool, error: anyhow::Error) -> Self {
        if database_unreachable {
            tracing::warn!(error = %error, "the database cannot be reached");
            return Self::Unavailable("the database cannot be reached just now; try again shortly".into());
        }
        Self::Internal(error)
    }
}

/// Whether PostgreSQL refused a value (SQLSTATE class 22: a NUL in text, a number or time
/// out of range): the request's fault, answered 422, in case a value got past its checks.
fn data_exception(error: &(dyn std::error::Error + 'static)) -> bool {
    matches!(error.downcast_ref::<sqlx::Error>(), Some(sqlx::Error::Database(error)) if error.code().is_some_and(|code| code.starts_with("22")))
}

/// Whether an error is the database being out of reach rather than the request or the code
/// being wrong: the pool waited in vain for a connection, a connection broke, or the server
/// is shutting down, restarting or refusing connections (SQLSTATE classes 08 and 57P).
fn database_unreachable(error: &(dyn std::error::Error + 'static)) -> bool {
    match error.downcast_ref::<sqlx::Error>() {
        Some(sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_)) => true,
        Some(sqlx::Error::Database(error)) => error.code().is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
        _ => false,
    }
}
