//! Web Push: messages encrypted for one browser (RFC 8291, `aes128gcm`), authorised with
//! VAPID (RFC 8292), posted to the browser's push service (RFC 8030); and the store of
//! the browsers' subscriptions.
//!
//! The `web-push` crate encrypts and signs; the request itself goes out through reqwest
//! (rustls), because the crate's own clients bring isahc (libcurl) or hyper 0.14.

use application::notifications::{DeliveryError, PushSender, PushTarget};
use async_trait::async_trait;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sqlx::PgPool;
use std::collections::HashMap;
use std::time::Duration;
use web_push::{ContentEncoding, SubscriptionInfo, VapidSignature, VapidSignatureBuilder, WebPushMessageBuilder};

/// A VAPID key pair: the P-256 private scalar and the uncompressed public point, both
/// base64url without padding (the forms browsers' `applicationServerKey` and the usual
/// `generate-vapid-keys` tools use).
#[derive(Clone)]
pub struct VapidKeys {
    private: String,
    public: String,
}

#[derive(Debug, thiserror::Error)]
#[error("the VAPID private key is not a base64url P-256 private key")]
pub struct InvalidVapidKey;

impl VapidKeys {
    pub fn parse(private: &str) -> Result<Self, InvalidVapidKey> {
        let private = private.trim().trim_end_matches('=').to_string();
        let builder = VapidSignatureBuilder::from_base64_no_sub(&private).map_err(|_| InvalidVapidKey)?;
        Ok(Self { public: URL_SAFE_NO_PAD.encode(builder.get_public_key()), private })
    }

    /// A new key pair. Random 32 bytes are a valid scalar unless they exceed the group
    /// order (odds about 2^-32), in which case another draw is taken.
    pub fn generate() -> Self {
        use rand::RngCore;
        loop {
            let mut scalar = [0u8; 32];
            rand::thread_rng().fill_bytes(&mut scalar);
            if let Ok(keys) = Self::parse(&URL_SAFE_NO_PAD.encode(scalar)) {
                return keys;
            }
        }
    }

    pub fn private_key(&self) -> &str {
        &self.private
    }

    /// What a browser passes as `applicationServerKey` to `pushManager.subscribe`.
    pub fn public_key(&self) -> &str {
        &self.public
    }
}

/// How long a push service keeps a reminder for a browser that is offline: an hour, since
/// a reminder delivered long after the meeting started is noise.
const TTL_SECONDS: u32 = 3600;

/// How long a VAPID token is reused for one push service. The crate signs tokens valid for
/// 12 hours; reusing one for an hour spares an ECDSA signature per push (RFC 8292 §2 lets
/// a sender reuse a token until it expires).
const VAPID_REUSE: Duration = Duration::from_secs(3600);

pub struct WebPushSender {
    keys: VapidKeys,
    /// The VAPID `sub` claim: a contact for the push service's operators.
    subject: String,
    client: reqwest::Client,
    /// Whether endpoints on private addresses are reached (the operator's switch).
    allow_private: bool,
    /// Signed tokens by push service origin, with when they were signed.
    tokens: std::sync::Mutex<HashMap<String, (std::time::Instant, VapidSignature)>>,
}

impl WebPushSender {
    /// Posts to public addresses only, following no redirect, unless `allow_private` (see
    /// [`super::push_address`]).
    pub fn new(keys: VapidKeys, subject: String, allow_private: bool) -> Self {
        let mut client = reqwest::Client::builder().timeout(Duration::from_secs(15)).redirect(reqwest::redirect::Policy::none());
        if !allow_private {
            client = client.dns_resolver(std::sync::Arc::new(super::push_address::PublicOnly));
        }
        let client = client.build().expect("a reqwest client with these settings builds");
        Self { keys, subject, client, allow_private, tokens: Default::default() }
    }

    /// A VAPID token for the push service at `origin` (`aud`), signed anew at most hourly.
    fn vapid_token(&self, origin: &str, info: &SubscriptionInfo) -> Result<VapidSignature, web_push::WebPushError> {
        if let Some((signed, token)) = self.tokens.lock().expect("vapid tokens").get(origin) {
            if signed.elapsed() < VAPID_REUSE {
                return Ok(token.clone());
            }
        }
        let mut signature = VapidSignatureBuilder::from_base64(self.keys.private_key(), info)?;
        signature.add_claim("sub", self.subject.as_str());
        // RFC 8292 §2: `aud` is the push resource's origin, port included; the crate's own
        // `aud` leaves a non-default port out, which a push service rightly refuses.
        signature.add_claim("aud", origin);
        let token = signature.build()?;
        let mut tokens = self.tokens.lock().expect("vapid tokens");
        // Few push services exist (one per browser vendor); forget them all if that is wrong.
        if tokens.len() > 1024 {
            tokens.clear();
        }
        tokens.insert(origin.to_string(), (std::time::Instant::now(), token.clone()));
        Ok(token)
    }
}

#[async_trait]
impl PushSender for WebPushSender {
    async fn push(&self, target: &PushTarget, payload: &[u8]) -> Result<(), DeliveryError> {
        let permanent = |e: web_push::WebPushError| DeliveryError::Permanent(Box::new(e));
        let info = SubscriptionInfo::new(target.endpoint.as_str(), target.p256dh.as_str(), target.auth.as_str());
        let url = reqwest::Url::parse(&target.endpoint).map_err(|e| DeliveryError::Permanent(Box::new(e)))?;
        // Stored before the rule, or allowed then: checked again at every send.
        if let Some(reason) = super::push_address::refusal(&url, self.allow_private) {
            return Err(DeliveryError::Permanent(format!("the push endpoint {reason}").into()));
        }
        let origin = url.origin().ascii_serialization();
        let token = self.vapid_token(&origin, &info).map_err(permanent)?;
        let mut message = WebPushMessageBuilder::new(&info);
        message.set_payload(ContentEncoding::Aes128Gcm, payload);
        message.set_vapid_signature(token);
        message.set_ttl(TTL_SECONDS);
        let message = message.build().map_err(permanent)?;
        let mut request = self.client.post(&target.endpoint).header("TTL", message.ttl.to_string());
        if let Some(payload) = message.payload {
            request = request
                .header("Content-Encoding", payload.content_encoding.to_str())
                .header("Content-Type", "application/octet-stream");
            for (name, value) in payload.crypto_headers {
                request = request.header(name, value);
            }
            request = request.body(payload.content);
        }
        let response = request.send().await.map_err(|e| DeliveryError::Transient(Box::new(e)))?;
        let status = response.status();
        match status.as_u16() {
            200..=299 => Ok(()),
            404 | 410 => Err(DeliveryError::Gone),
            429 | 500..=599 => Err(DeliveryError::Transient(format!("the push service answered {status}").into())),
            _ => {
                let body: String = response.text().await.unwrap_or_default().chars().take(500).collect();
                Err(DeliveryError::Permanent(format!("the push service answered {status}: {body}").into()))
            }
        }
    }
}

/// Why a subscription is refused; `field` names the JSON member at fault.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{field}: {reason}")]
pub struct InvalidSubscription {
    pub field: &'static str,
    pub reason: String,
}

/// The longest endpoint accepted (push services' URLs are a few hundred characters).
pub const MAX_ENDPOINT_LEN: usize = 2048;

/// Checks a browser's `PushSubscription`: an https endpoint on a public address (any http
/// or https one when `allow_private`, see [`super::push_address`]), a P-256 public key (65
/// bytes, uncompressed) and a 16-byte auth secret, both base64url.
pub fn parse_subscription(
    endpoint: &str,
    p256dh: &str,
    auth: &str,
    allow_private: bool,
) -> Result<PushTarget, InvalidSubscription> {
    let invalid = |field, reason: &str| InvalidSubscription { field, reason: reason.to_string() };
    if endpoint.len() > MAX_ENDPOINT_LEN {
        return Err(invalid("endpoint", "is longer than 2048 characters"));
    }
    let url = reqwest::Url::parse(endpoint).map_err(|_| invalid("endpoint", "is not a URL"))?;
    if let Some(reason) = super::push_address::refusal(&url, allow_private) {
        return Err(invalid("endpoint", reason));
    }
    let decode = |value: &str| URL_SAFE_NO_PAD.decode(value.trim_end_matches('='));
    match decode(p256dh) {
        Ok(key) if key.len() == 65 && key[0] == 4 => {}
        _ => return Err(invalid("keys.p256dh", "must be an uncompressed P-256 public key, base64url")),
    }
    match decode(auth) {
        Ok(secret) if secret.len() == 16 => {}
        _ => return Err(invalid("keys.auth", "must be 16 bytes, base64url")),
    }
    Ok(PushTarget { endpoint: endpoint.to_string(), p256dh: p256dh.to_string(), auth: auth.to_string() })
}

/// Most browsers one person may subscribe (each reminder goes to all of them).
pub const MAX_SUBSCRIPTIONS_PER_USER: i64 = 20;

#[derive(Debug, thiserror::Error)]
pub enum SubscribeError {
    #[error("at most {MAX_SUBSCRIPTIONS_PER_USER} browsers may be subscribed; remove one first")]
    TooMany,
    #[error("database error")]
    Database(#[from] sqlx::Error),
}

/// The `push_subscription` table.
#[derive(Clone)]
pub struct PushSubscriptions {
    pool: PgPool,
}

impl PushSubscriptions {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Adds (or renews, by endpoint) a subscription of a person. Returns true when new.
    pub async fn subscribe(&self, user_id: &str, user_email: &str, target: &PushTarget) -> Result<bool, SubscribeError> {
        let mut tx = self.pool.begin().await?;
        // Serialise one person's subscriptions, so that concurrent requests cannot pass
        // the count together.
        sqlx::query("select pg_advisory_xact_lock(hashtext('push_subscription:' || $1))").bind(user_id).execute(&mut *tx).await?;
        let existing: Option<String> = sqlx::query_scalar("select user_id from push_subscription where endpoint = $1")
            .bind(&target.endpoint)
            .fetch_optional(&mut *tx)
            .await?;
        if existing.as_deref() != Some(user_id) {
            let count: i64 = sqlx::query_scalar("select count(*) from push_subscription where user_id = $1")
                .bind(user_id)
                .fetch_one(&mut *tx)
                .await?;
            if count >= MAX_SUBSCRIPTIONS_PER_USER {
                return Err(SubscribeError::TooMany);
            }
        }
        sqlx::query(
            "insert into push_subscription (endpoint, user_id, user_email, p256dh, auth) values ($1, $2, $3, $4, $5) \
             on conflict (endpoint) do update set user_id = excluded.user_id, user_email = excluded.user_email, \
               p256dh = excluded.p256dh, auth = excluded.auth, created_at = now()",
        )
        .bind(&target.endpoint)
        .bind(user_id)
        .bind(user_email)
        .bind(&target.p256dh)
        .bind(&target.auth)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(existing.is_none())
    }

    /// Removes a person's subscription; false if they had none with this endpoint.
    pub async fn unsubscribe(&self, user_id: &str, endpoint: &str) -> Result<bool, sqlx::Error> {
        let removed = sqlx::query("delete from push_subscription where user_id = $1 and endpoint = $2")
            .bind(user_id)
            .bind(endpoint)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(removed > 0)
    }

    /// The push service said the subscription is gone.
    pub async fn forget(&self, endpoint: &str) -> Result<(), sqlx::Error> {
        sqlx::query("delete from push_subscription where endpoint = $1").bind(endpoint).execute(&self.pool).await?;
        Ok(())
    }

    /// Every subscription of these people, as (email, target).
    pub async fn of_emails(&self, emails: &[String]) -> Result<Vec<(String, PushTarget)>, sqlx::Error> {
        #[derive(sqlx::FromRow)]
        struct Subscription {
            user_email: String,
            endpoint: String,
            p256dh: String,
            auth: String,
        }
        let rows: Vec<Subscription> =
            sqlx::query_as("select user_email, endpoint, p256dh, auth from push_subscription where user_email = any($1)")
                .bind(emails)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .map(|row| (row.user_email, PushTarget { endpoint: row.endpoint, p256dh: row.p256dh, auth: row.auth }))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P256DH: &str = "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM";
    const AUTH: &str = "tBHItJI5svbpez7KI4CCXg";

    #[test]
    fn a_browser_subscription_is_accepted() {
        let target = parse_subscription("https://push.example.net/send/abc", P256DH, AUTH, false).unwrap();
        assert_eq!(target.endpoint, "https://push.example.net/send/abc");
        assert!(parse_subscription("http://127.0.0.1:9000/push/1", P256DH, AUTH, false).is_err());
        assert!(parse_subscription("http://127.0.0.1:9000/push/1", P256DH, AUTH, true).is_ok());
    }

    #[test]
    fn malformed_subscriptions_name_the_field_at_fault() {
        let field = |e: &str, k: &str, a: &str| parse_subscription(e, k, a, false).unwrap_err().field;
        assert_eq!(field("http://push.example.net/x", P256DH, AUTH), "endpoint");
        assert_eq!(field("not a url", P256DH, AUTH), "endpoint");
        assert_eq!(field(&format!("https://p.example/{}", "a".repeat(2048)), P256DH, AUTH), "endpoint");
        assert_eq!(field("https://p.example/x", "AAAA", AUTH), "keys.p256dh");
        assert_eq!(field("https://p.example/x", P256DH, "AAAA"), "keys.auth");
    }

    #[test]
    fn generated_vapid_keys_parse_back_to_the_same_public_key() {
        let keys = VapidKeys::generate();
        let again = VapidKeys::parse(keys.private_key()).unwrap();
        assert_eq!(keys.public_key(), again.public_key());
        assert_eq!(URL_SAFE_NO_PAD.decode(keys.public_key()).unwrap().len(), 65);
        assert!(VapidKeys::parse("not-a-key").is_err());
    }
}
