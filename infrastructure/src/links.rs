//! Signed per-attendee links (brief, decision 9): an invited person answers and joins
//! without an account.
//!
//! A link carries a guest token: a JWT (HS256, the server's JWT secret) with
//! `sub = "guest:<email>"`, `email`, `name`, `meeting_id`, `scope` and `exp`. The scope
//! keeps a token to its purpose: a `respond` token cannot join a room, a `join` token
//! cannot answer. Tokens expire a day after the meeting ends; an update email carries
//! fresh ones, so a reschedule never strands a guest.
//!
//! This lives in infrastructure, not in the API, because the mail renderer (here) mints
//! the links; the API verifies them with the same type.
//!
//! Link shapes:
//! - answer: `<public>/links/respond?token=<respond token>&answer=accepted|declined|tentative`
//!   (a GET shows a confirmation page; only its form's POST records the answer, because
//!   mail scanners follow links);
//! - join: `<public>/rooms/<room id>?guest=<join token>` (the room page hands the token
//!   to the signaling hub).

use chrono::{DateTime, Duration, Utc};
use domain::values::EmailAddress;
use domain::{MeetingId, RoomId};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// What a guest token allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GuestScope {
    /// Answer the invitation to `meeting_id`.
    Respond,
    /// Join the meeting's room as a guest.
    Join,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuestClaims {
    /// `guest:<email>`: never a user id a host application issues.
    pub sub: String,
    pub email: String,
    pub name: String,
    pub meeting_id: MeetingId,
    pub scope: GuestScope,
    pub exp: i64,
}

/// Why a guest token is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GuestTokenError {
    #[error("the link has expired")]
    Expired,
    #[error("the link is not valid")]
    Invalid,
    #[error("the link is not meant for this")]
    WrongScope,
}

/// How long a link stays valid after the meeting ends.
const VALID_AFTER_END: Duration = Duration::days(1);
/// The `typ` header of a guest token (RFC 8725 §3.11: explicit typing), so that it is never
/// taken for a token of another purpose.
pub const GUEST_TOKEN_TYPE: &str = "veche-guest+jwt";
/// The prefix of a guest's subject.
pub const GUEST_SUBJECT_PREFIX: &str = "guest:";

#[derive(Clone)]
pub struct GuestLinks {
    encoding: EncodingKey,
    decoding: DecodingKey,
    public_url: String,
}

impl GuestLinks {
    /// `secret` is the server's JWT secret; `public_url` the base of every link.
    pub fn new(secret: &str, public_url: &str) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            public_url: public_url.trim_end_matches('/').to_string(),
        }
    }

    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// A guest token for `email` at `meeting_id`, valid until a day after `ends_at`.
    pub fn mint(
        &self,
        meeting_id: MeetingId,
        email: &EmailAddress,
        name: &str,
        scope: GuestScope,
        ends_at: DateTime<Utc>,
    ) -> String {
        let claims = GuestClaims {
            sub: format!("{GUEST_SUBJECT_PREFIX}{email}"),
            email: email.to_string(),
            name: name.to_string(),
            meeting_id,
            scope,
            exp: (ends_at + VALID_AFTER_END).timestamp(),
        };
        let header = Header { typ: Some(GUEST_TOKEN_TYPE.into()), ..Header::new(Algorithm::HS256) };
        jsonwebtoken::encode(&header, &claims, &self.encoding).expect("HS256 signing of a serialisable claim set cannot fail")
    }

    /// Checks a token's signature, expiry and scope.
    pub fn verify(&self, token: &str, scope: GuestScope) -> Result<GuestClaims, GuestTokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "sub"]);
        validation.leeway = 30;
        let decoded = jsonwebtoken::decode::<GuestClaims>(token, &self.decoding, &validation).map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => GuestTokenError::Expired,
            _ => GuestTokenError::Invalid,
        })?;
        // Links emailed before tokens were typed carry no `typ`; any other type is another purpose's.
        if decoded.header.typ.as_deref().is_some_and(|typ| typ != GUEST_TOKEN_TYPE) {
            return Err(GuestTokenError::WrongScope);
        }
        let claims = decoded.claims;
        if claims.scope != scope {
            return Err(GuestTokenError::WrongScope);
        }
        if claims.sub != format!("{GUEST_SUBJECT_PREFIX}{}", claims.email) {
            return Err(GuestTokenError::Invalid);
        }
        Ok(claims)
    }

    /// The link that asks the attendee to confirm `answer` (`accepted`, `declined`, `tentative`).
    pub fn respond_url(&self, token: &str, answer: &str) -> String {
        format!("{}/links/respond?token={token}&answer={answer}", self.public_url)
    }

    /// The web client, opened on the meeting's room with a guest token.
    pub fn join_url(&self, room_id: RoomId, token: &str) -> String {
        format!("{}/rooms/{room_id}?guest={token}", self.public_url)
    }

    /// The meeting's room as signed-in people reach it.
    pub fn meeting_link(&self, room_id: RoomId) -> String {
        format!("{}/rooms/{room_id}", self.public_url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn links() -> GuestLinks {
        GuestLinks::new("a-secret-long-enough-for-tests", "https://meet.example.org/")
    }

    fn ann() -> EmailAddress {
        EmailAddress::parse("ann@example.org").unwrap()
    }

    #[test]
    fn a_token_verifies_for_its_own_scope_only() {
        let links = links();
        let meeting = MeetingId(Uuid::now_v7());
        let token = links.mint(meeting, &ann(), "Ann", GuestScope::Respond, Utc::now() + Duration::hours(1));
        let claims = links.verify(&token, GuestScope::Respond).unwrap();
        assert_eq!((claims.sub.as_str(), claims.meeting_id), ("guest:ann@example.org", meeting));
        assert_eq!(links.verify(&token, GuestScope::Join), Err(GuestTokenError::WrongScope));
    }

    #[test]
    fn an_expired_or_forged_token_is_refused() {
        let links = links();
        let meeting = MeetingId(Uuid::now_v7());
        let old = links.mint(meeting, &ann(), "Ann", GuestScope::Respond, Utc::now() - Duration::days(3));
        assert_eq!(links.verify(&old, GuestScope::Respond), Err(GuestTokenError::Expired));
        let other = GuestLinks::new("another-secret-long-enough", "https://meet.example.org");
        let forged = other.mint(meeting, &ann(), "Ann", GuestScope::Respond, Utc::now() + Duration::hours(1));
        assert_eq!(links.verify(&forged, GuestScope::Respond), Err(GuestTokenError::Invalid));
        assert_eq!(links.verify("not-a-token", GuestScope::Respond), Err(GuestTokenError::Invalid));
    }

    #[test]
    fn links_have_the_documented_shapes() {
        let links = links();
        let room = RoomId(Uuid::nil());
        assert_eq!(links.join_url(room, "T"), "https://meet.example.org/rooms/00000000-0000-0000-0000-000000000000?guest=T");
        assert_eq!(links.respond_url("T", "declined"), "https://meet.example.org/links/respond?token=T&answer=declined");
    }
}
