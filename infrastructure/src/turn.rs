//! Time-limited TURN credentials in coturn's `use-auth-secret` scheme (the "TURN REST API"
//! draft): the username is `<expiry unix time>:<user>`, the password the base64 of
//! HMAC-SHA1(shared secret, username). coturn checks both with the same secret, so veche
//! and the TURN server share nothing but that secret and a clock.

use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha1::Sha1;

/// One TURN credential pair and when it stops working.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnCredential {
    pub username: String,
    pub password: String,
    pub expires_at: DateTime<Utc>,
}

/// Issues a credential for `user` that coturn accepts until `expires_at`.
pub fn turn_credential(secret: &str, user: &str, expires_at: DateTime<Utc>) -> TurnCredential {
    // A colon in the user part would be read as the end of the expiry by some servers.
    let user: String = user.chars().map(|c| if c == ':' { '_' } else { c }).collect();
    let username = format!("{}:{}", expires_at.timestamp(), user);
    let mut mac = Hmac::<Sha1>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(username.as_bytes());
    let password = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    TurnCredential { username, password, expires_at }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_the_base64_hmac_sha1_of_the_username() {
        // Computed independently: printf '1700000000:ann@example.org' | openssl dgst -sha1 -hmac s3cret -binary | base64
        let expires = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let credential = turn_credential("s3cret", "ann@example.org", expires);
        assert_eq!(credential.username, "1700000000:ann@example.org");
        assert_eq!(credential.password, "+MXmyhKIjl8coI/z0qY2fwq03xg=");
    }

    #[test]
    fn a_colon_in_the_user_cannot_shift_the_expiry() {
        let expires = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        assert_eq!(turn_credential("s", "a:b", expires).username, "1700000000:a_b");
    }
}
