//! The two mailers: SMTP (lettre, STARTTLS/TLS and auth from the URL) and, when no SMTP
//! server is configured, a local outbox of `.eml` files that veche serves at `/dev/outbox`.

use application::notifications::{DeliveryError, Mailer, OutgoingMail};
use async_trait::async_trait;
use lettre::address::Envelope;
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::path::{Path, PathBuf};

/// SMTP connections kept open for reuse. lettre writes a message's final `.` in a write of
/// its own without TCP_NODELAY, so each message waits out the server's delayed ACK (≈ 40 ms
/// on Linux): throughput comes from sending on many connections at once, not from one.
const POOL_SIZE: u32 = 48;

/// Sends through an SMTP server. `VECHE_SMTP_URL` is lettre's URL form:
/// `smtp://host:25` (plain), `smtp://user:pass@host:587?tls=required` (STARTTLS),
/// `smtps://user:pass@host:465` (TLS).
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    envelope_from: lettre::Address,
}

impl SmtpMailer {
    pub fn new(url: &str, envelope_from: lettre::Address) -> Result<Self, lettre::transport::smtp::Error> {
        let pool = PoolConfig::new().max_size(POOL_SIZE);
        Ok(Self { transport: AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?.pool_config(pool).build(), envelope_from })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), DeliveryError> {
        let to: lettre::Address =
            mail.to.as_str().parse().map_err(|e| DeliveryError::Permanent(Box::new(e)))?;
        let envelope =
            Envelope::new(Some(self.envelope_from.clone()), vec![to]).map_err(|e| DeliveryError::Permanent(Box::new(e)))?;
        match self.transport.send_raw(&envelope, &mail.rfc822).await {
            Ok(_) => Ok(()),
            Err(error) if error.is_permanent() => Err(DeliveryError::Permanent(Box::new(error))),
            Err(error) => Err(DeliveryError::Transient(Box::new(error))),
        }
    }
}

/// Keeps each email as a file `<millis>-<id>.eml` under a directory (written to a temporary
/// name and renamed, so a reader never sees half a message).
pub struct OutboxMailer {
    dir: PathBuf,
}

impl OutboxMailer {
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

#[async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), DeliveryError> {
        let transient = |e: std::io::Error| DeliveryError::Transient(Box::new(e));
        tokio::fs::create_dir_all(&self.dir).await.map_err(transient)?;
        let id: String = mail.message_id.chars().filter(char::is_ascii_hexdigit).take(32).collect();
        let name = format!("{}-{id}", chrono::Utc::now().timestamp_millis());
        let partial = self.dir.join(format!(".{name}.partial"));
        tokio::fs::write(&partial, &mail.rfc822).await.map_err(transient)?;
        tokio::fs::rename(&partial, self.dir.join(format!("{name}.eml"))).await.map_err(transient)?;
        Ok(())
    }
}

/// One message of the outbox, for the `/dev/outbox` page.
#[derive(Debug, Clone)]
pub struct OutboxEntry {
    pub id: String,
    pub to: String,
    pub subject: String,
    pub sent_at: chrono::DateTime<chrono::Utc>,
}

/// The newest `limit` messages of an outbox, newest first.
pub async fn list_outbox(dir: &Path, limit: usize) -> std::io::Result<Vec<OutboxEntry>> {
    let mut names = Vec::new();
    let mut entries = match tokio::fs::read_dir(dir).await {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => return Err(e),
    };
    while let Some(entry) = entries.next_entry().await? {
        if let Some(id) = entry.file_name().to_str().and_then(|n| n.strip_suffix(".eml")).filter(|id| is_outbox_id(id)) {
            names.push(id.to_string());
        }
    }
    // The millisecond prefix makes names sort by time.
    names.sort_unstable_by(|a, b| b.cmp(a));
    names.truncate(limit);
    let mut listed = Vec::with_capacity(names.len());
    for id in names {
        let bytes = tokio::fs::read(dir.join(format!("{id}.eml"))).await?;
        let headers = header_block(&bytes);
        let millis = id.split('-').next().and_then(|m| m.parse::<i64>().ok()).unwrap_or(0);
        listed.push(OutboxEntry {
            to: header(&headers, "To").unwrap_or_default(),
            subject: header(&headers, "Subject").map(|s| decode_encoded_words(&s)).unwrap_or_default(),
            sent_at: chrono::DateTime::from_timestamp_millis(millis).unwrap_or_default(),
            id,
        });
    }
    Ok(listed)
}

/// The `.eml` of one message, if `id` names one.
pub async fn read_outbox(dir: &Path, id: &str) -> std::io::Result<Option<Vec<u8>>> {
    if !is_outbox_id(id) {
        return Ok(None);
    }
    match tokio::fs::read(dir.join(format!("{id}.eml"))).await {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// `<digits>-<32 hex>`: what [`OutboxMailer`] writes, and nothing that could leave the
/// directory.
fn is_outbox_id(id: &str) -> bool {
    match id.split_once('-') {
        Some((millis, hex)) => {
            !millis.is_empty()
                && millis.len() <= 20
                && millis.bytes().all(|b| b.is_ascii_digit())
                && hex.len() == 32
                && hex.bytes().all(|b| b.is_ascii_hexdigit())
        }
        None => false,
    }
}

fn header_block(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let end = text.find("\r\n\r\n").unwrap_or(text.len());
    // Unfold continuation lines.
    text[..end].replace("\r\n ", " ").replace("\r\n\t", " ")
}

fn header(headers: &str, name: &str) -> Option<String> {
    headers.split("\r\n").find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim().to_string())
    })
}

/// Decodes RFC 2047 `=?utf-8?b?...?=` words (what lettre writes for non-ASCII subjects).
fn decode_encoded_words(value: &str) -> String {
    use base64::Engine as _;
    value
        .split_whitespace()
        .map(|word| {
            let inner = word.strip_prefix("=?").and_then(|w| w.strip_suffix("?="));
            let decoded = inner.and_then(|w| {
                let mut parts = w.splitn(3, '?');
                let (_charset, encoding, text) = (parts.next()?, parts.next()?, parts.next()?);
                match encoding {
                    "b" | "B" => base64::engine::general_purpose::STANDARD.decode(text).ok(),
                    _ => None,
                }
            });
            match decoded.and_then(|bytes| String::from_utf8(bytes).ok()) {
                Some(text) => (text, true),
                None => (word.to_string(), false),
            }
        })
        .fold((String::new(), false), |(mut out, previous_encoded), (word, encoded)| {
            // Whitespace between two encoded words is not part of the text (RFC 2047 §6.2).
            let joined_words = previous_encoded && encoded;
            if !out.is_empty() && !joined_words {
                out.push(' ');
            }
            out.push_str(&word);
            (out, encoded)
        })
        .0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outbox_ids_cannot_name_other_files() {
        assert!(is_outbox_id("1764000000000-0123456789abcdef0123456789abcdef"));
        for bad in ["../etc/passwd", "1-2", "x-0123456789abcdef0123456789abcdef", "1764-0123456789abcdef0123456789abcde/"] {
            assert!(!is_outbox_id(bad), "{bad}");
        }
    }

    #[test]
    fn encoded_subjects_are_decoded() {
        assert_eq!(decode_encoded_words("=?utf-8?b?0J/RgNC40LPQu9Cw0YjQtdC90LjQtQ==?= x"), "Приглашение x");
        assert_eq!(decode_encoded_words("=?utf-8?b?0J/RgA==?= =?utf-8?b?0LjQsw==?="), "Приг");
        assert_eq!(decode_encoded_words("Plain subject"), "Plain subject");
    }
}
