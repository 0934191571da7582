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
    secured: Option<Secured>,
}

/// How a secured sink ([`SmtpSink::start_secured`]) is spoken to: TLS with a certificate
/// for `localhost` from a certificate authority of the test's own, and AUTH required.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secured {
    /// Plain at first; STARTTLS is required before anything else.
    StartTls,
    /// TLS from the first byte.
    Smtps,
}

/// The one account a secured sink accepts.
pub const SMTP_USER: &str = "veche@example.org";
pub const SMTP_PASSWORD: &str = "s3cret:/@";

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

/// Debian's python3, which has python3-aiosmtpd (a pyenv shim may come first in PATH), with
/// our handlers importable.
fn aiosmtpd() -> Command {
    let mut command = Command::new("/usr/bin/python3");
    command.env("PYTHONPATH", Path::new(env!("CARGO_MANIFEST_DIR")).join("smtp"));
    command
}

/// Writes `ca.pem` (a certificate authority) and `server.pem` / `server.key` (a certificate
/// for `localhost` it signed) into `dir`, with openssl.
fn certificate_for_localhost(dir: &Path) {
    let openssl = |args: &[&str]| {
        let status = Command::new("openssl").current_dir(dir).args(args).stdout(Stdio::null()).stderr(Stdio::null()).status();
        assert!(status.expect("openssl runs (tests/install-deps.sh installs it)").success(), "openssl {args:?} failed");
    };
    let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    openssl(
        &[&["req", "-x509"][..], &key, &["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=veche test CA"]]
            .concat(),
    );
    openssl(&[&["req"][..], &key, &["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"]].concat());
    std::fs::write(dir.join("server.ext"), "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n").unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "server.ext",
        "-out",
        "server.pem",
    ]);
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
        let mut command = aiosmtpd();
        command.args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", handler]).arg(&maildir);
        Self::spawn(command, port, dir, None).await
    }

    /// A sink that wants TLS (`secured` says how) and AUTH as [`SMTP_USER`] /
    /// [`SMTP_PASSWORD`] (`tests/smtp/secured_server.py`); [`Self::url`] says how to reach it.
    pub async fn start_secured(secured: Secured) -> Self {
        let dir = tempfile::Builder::new().prefix("veche-smtp-").tempdir().unwrap();
        certificate_for_localhost(dir.path());
        let port = free_port();
        let mode = match secured {
            Secured::StartTls => "starttls",
            Secured::Smtps => "smtps",
        };
        let mut command = aiosmtpd();
        command
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("smtp/secured_server.py"))
            .args([mode, &port.to_string()])
            .args([dir.path().join("server.pem"), dir.path().join("server.key"), dir.path().join("maildir")])
            .args([SMTP_USER, SMTP_PASSWORD]);
        Self::spawn(command, port, dir, Some(secured)).await
    }

    async fn spawn(mut command: Command, port: u16, dir: tempfile::TempDir, secured: Option<Secured>) -> Self {
        let child = command
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
        Self { port, dir, child, secured }
    }

    /// The `VECHE_SMTP_URL` that reaches this sink (with the account and the test's
    /// certificate authority when it is secured).
    pub fn url(&self) -> String {
        self.url_with_password(SMTP_PASSWORD)
    }

    /// [`Self::url`] with another password (the account is the same).
    pub fn url_with_password(&self, password: &str) -> String {
        let Some(secured) = self.secured else { return format!("smtp://127.0.0.1:{}", self.port) };
        let escape = |text: &str| -> String {
            text.bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect()
        };
        let (account, ca) = (format!("{}:{}", escape(SMTP_USER), escape(password)), self.ca().display().to_string());
        match secured {
            Secured::StartTls => format!("smtp://{account}@localhost:{}?tls=required&ca={ca}", self.port),
            Secured::Smtps => format!("smtps://{account}@localhost:{}?ca={ca}", self.port),
        }
    }

    /// The certificate authority of a secured sink's certificate.
    pub fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// The Maildir the server writes what it receives to (for the browser scripts).
    pub fn maildir(&self) -> PathBuf {
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
