//! What the notification reactors need from the outside world.

use crate::ports::PortError;
use async_trait::async_trait;
use domain::values::EmailAddress;

/// A message ready to go: an RFC 5322 document and its one envelope recipient.
#[derive(Debug, Clone)]
pub struct OutgoingMail {
    /// The `Message-ID` inside `rfc822`, derived from the side effect's ledger key, so a
    /// copy sent again after a crash carries the same id and mail stores can fold it.
    pub message_id: String,
    pub to: EmailAddress,
    pub rfc822: Vec<u8>,
}

/// Why a delivery did not happen.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// Worth trying again later (connection refused, 4xx from SMTP, 5xx from a push service).
    #[error("temporary delivery failure")]
    Transient(#[source] PortError),
    /// Trying again will not help (SMTP 5xx for this recipient, a malformed request).
    #[error("permanent delivery failure")]
    Permanent(#[source] PortError),
    /// The push subscription no longer exists (404/410 from the push service).
    #[error("the subscription is gone")]
    Gone,
}

/// Sends email (SMTP in production, files in a local outbox otherwise).
#[async_trait]
pub trait Mailer: Send + Sync + 'static {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), DeliveryError>;
}

/// A browser's push subscription (the W3C `PushSubscription`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushTarget {
    pub endpoint: String,
    /// The browser's P-256 public key, base64url.
    pub p256dh: String,
    /// The shared authentication secret, base64url.
    pub auth: String,
}

/// Sends an encrypted Web Push message (RFC 8030/8291) with VAPID (RFC 8292).
#[async_trait]
pub trait PushSender: Send + Sync + 'static {
    async fn push(&self, target: &PushTarget, payload: &[u8]) -> Result<(), DeliveryError>;
}
