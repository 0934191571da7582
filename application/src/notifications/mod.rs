//! Notifications: who must be told what when something happens to a meeting, and the
//! ports through which they are told (email, Web Push).
//!
//! - [`policy`]: pure decisions, from one meeting event and the meeting's state before and
//!   after it, of the messages to send (iTIP invitations, updates, cancellations, and the
//!   organizer's notice of an answer).
//! - [`ports`]: the mailer and the push sender, implemented in infrastructure.

/// The languages veche writes emails in; the first is the default.
pub const SUPPORTED_LANGUAGES: &[&str] = &["en", "ru"];

pub mod policy;
pub mod ports;

pub use policy::{notices_for, Notice, NoticeKind, Recipient};
pub use ports::{DeliveryError, Mailer, OutgoingMail, PushSender, PushTarget};
