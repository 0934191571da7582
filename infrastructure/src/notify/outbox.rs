//! The outbox: when no SMTP server is configured, each email is kept as a `.eml` file under
//! a directory of veche's user alone, which the `/dev/outbox` page lists on a developer's
//! machine.

use application::notifications::{DeliveryError, Mailer, OutgoingMail};
use async_trait::async_trait;
use std::path::{Path, PathBuf};

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
        // The messages hold sign-in and answer links: only veche's user reads them.
        tokio::fs::DirBuilder::new().recursive(true).mode(0o700).create(&self.dir).await.map_err(transient)?;
        let id: String = mail.message_id.chars().filter(char::is_ascii_hexdigit).take(32).collect();
        let name = format!("{}-{id}", chrono::Utc::now().timestamp_millis());
        let partial = self.dir.join(format!(".{name}.partial"));
        let mut file = tokio::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&partial)
            .await
            .map_err(transient)?;
        tokio::io::AsyncWriteExt::write_all(&mut file, &mail.rfc822).await.map_err(transient)?;
        drop(file);
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
        // mailparse unfolds the headers and decodes RFC 2047 words (lettre's non-ASCII subjects).
        let headers = mailparse::parse_headers(&bytes).map(|(headers, _)| headers).unwrap_or_default();
        let header = |name: &str| headers.iter().find(|h| h.get_key_ref().eq_ignore_ascii_case(name)).map(|h| h.get_value());
        let millis = id.split('-').next().and_then(|m| m.parse::<i64>().ok()).unwrap_or(0);
        listed.push(OutboxEntry {
            to: header("To").unwrap_or_default(),
            subject: header("Subject").unwrap_or_default(),
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

    #[tokio::test]
    async fn the_outbox_lists_folded_and_encoded_headers_as_a_mail_program_shows_them() {
        let dir = tempfile::tempdir().unwrap();
        let eml = "To: Ann <ann@example.org>\r\nSubject: =?utf-8?b?0J/RgNC40LPQu9Cw0YjQtdC90LjQtQ==?=\r\n =?utf-8?b?0LU=?= x\r\n\r\nbody";
        std::fs::write(dir.path().join(format!("1765000000000-{}.eml", "a".repeat(32))), eml).unwrap();
        let listed = list_outbox(dir.path(), 10).await.unwrap();
        assert_eq!(listed[0].subject, "Приглашениее x");
        assert_eq!(listed[0].to, "Ann <ann@example.org>");
    }
}
