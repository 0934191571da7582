//! A real SMTP server for the tests: Debian's `aiosmtpd` (python3-aiosmtpd), started on a
//! free loopback port with its Maildir handler, so every message it accepts is kept as a
//! file the test reads back. Stopped by PID when dropped, and by a watchdog if the test
//! process dies first.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct SmtpSink {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Child,
}

/// One received message, parsed.
#[derive(Debug, Clone)]
pub struct Received {
    pub raw: Vec<u8>,
    /// `X-RcptTo`, as the server saw the envelope.
    pub envelope_to: String,
    pub subject: String,
    pub message_id: String,
    /// The decoded body of each leaf part, by content type (`text/plain`, `text/html`,
    /// `text/calendar`), with the full content type header value.
    pub parts: Vec<(String, String)>,
    /// The top-level content type (without parameters).
    pub mime_type: String,
    /// When the server wrote it down (just before it answered 250).
    pub received_at: std::time::SystemTime,
}

impl Received {
    /// The first part whose content type starts with `mime`.
    pub fn part(&self, mime: &str) -> Option<&(String, String)> {
        self.parts.iter().find(|(content_type, _)| content_type.starts_with(mime))
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl SmtpSink {
    pub async fn start() -> Self {
        Self::start_on(free_port()).await
    }

    /// On a given port (a server coming back where it was).
    pub async fn start_on(port: u16) -> Self {
        Self::start_with(port, "aiosmtpd.handlers.Mailbox").await
    }

    /// For the benchmarks: the same Maildir without an fsync per message
    /// (`tests/smtp/unsynced_maildir.py` says why).
    pub async fn start_unsynced() -> Self {
        Self::start_with(free_port(), "unsynced_maildir.UnsyncedMaildir").await
    }

    async fn start_with(port: u16, handler: &str) -> Self {
        let dir = tempfile::Builder::new().prefix("veche-smtp-").tempdir().unwrap();
        let maildir = dir.path().join("maildir");
        let handlers = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("smtp");
        // Debian's python3, which has python3-aiosmtpd (a pyenv shim may come first in PATH).
        let child = Command::new("/usr/bin/python3")
            .env("PYTHONPATH", handlers)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", handler])
            .arg(&maildir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("aiosmtpd starts (is python3-aiosmtpd installed? tests/install-deps.sh)");
        crate::process::watch_for_exit(child.id());
        let deadline = Instant::now() + Duration::from_secs(15);
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            assert!(Instant::now() < deadline, "aiosmtpd did not listen on {port}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self { port, dir, child }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    fn maildir(&self) -> PathBuf {
        self.dir.path().join("maildir")
    }

    /// Every message received so far, oldest first.
    pub fn received(&self) -> Vec<Received> {
        let mut files: Vec<(std::time::SystemTime, PathBuf)> = ["new", "cur"]
            .iter()
            .flat_map(|sub| std::fs::read_dir(self.maildir().join(sub)).into_iter().flatten())
            .filter_map(|entry| {
                let entry = entry.ok()?;
                Some((entry.metadata().ok()?.modified().ok()?, entry.path()))
            })
            .collect();
        files.sort();
        files.iter().map(|(at, path)| parse(path, *at)).collect()
    }

    /// How many messages arrived so far (cheaper than [`Self::received`]).
    pub fn count(&self) -> usize {
        ["new", "cur"].iter().flat_map(|sub| std::fs::read_dir(self.maildir().join(sub)).into_iter().flatten()).count()
    }

    /// Waits until at least `count` messages arrived (the server writes after it answers).
    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let received = self.received();
            if received.len() >= count || Instant::now() > deadline {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn parse(path: &Path, received_at: std::time::SystemTime) -> Received {
    let raw = std::fs::read(path).unwrap();
    let mail = mailparse::parse_mail(&raw).unwrap();
    let header = |name: &str| {
        use mailparse::MailHeaderMap;
        mail.headers.get_first_value(name).unwrap_or_default()
    };
    let mut parts = Vec::new();
    collect_leaves(&mail, &mut parts);
    Received {
        envelope_to: header("X-RcptTo"),
        subject: header("Subject"),
        message_id: header("Message-ID"),
        mime_type: mail.ctype.mimetype.clone(),
        parts,
        raw,
        received_at,
    }
}

fn collect_leaves(part: &mailparse::ParsedMail<'_>, out: &mut Vec<(String, String)>) {
    if part.subparts.is_empty() {
        use mailparse::MailHeaderMap;
        let content_type = part.headers.get_first_value("Content-Type").unwrap_or_default();
        out.push((content_type, part.get_body().unwrap()));
    } else {
        for sub in &part.subparts {
            collect_leaves(sub, out);
        }
    }
}
