//! The SMTP mailer: lettre's client, STARTTLS/TLS and auth from the URL, on pooled
//! connections of our own (the other mailer, when no SMTP server is configured, is
//! [`super::outbox`]).

use application::notifications::{DeliveryError, Mailer, OutgoingMail};
use async_trait::async_trait;
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Certificate, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// SMTP connections open at once, kept for reuse.
const POOL_SIZE: usize = 48;
/// A pooled connection idle longer than this is closed rather than reused (servers drop
/// idle sessions after a few minutes; RFC 5321 §4.5.3.2.7 asks them to wait 5).
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Connecting, the greeting and EHLO must take less than this.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// One message's session (MAIL to the final reply) must take less than this; shorter than
/// the effect ledger's lease, so a hung server never makes a claim run out mid-send.
const SEND_TIMEOUT: Duration = Duration::from_secs(60);

/// Sends through an SMTP server. `VECHE_SMTP_URL` is lettre's URL form:
/// `smtp://host:25` (plain), `smtp://user:pass@host:587?tls=required` (STARTTLS, or
/// `opportunistic`), `smtps://user:pass@host:465` (TLS); `ca=/path/ca.pem` adds a
/// certificate authority to the system's (a private CA's relay); the path names the
/// client's name in EHLO (`smtp://host/veche.example.org`).
///
/// `smtp://` sessions run on connections of our own with TCP_NODELAY, through lettre's
/// SMTP client: lettre's transport writes a message's final `.` in a write of its own on a
/// socket without TCP_NODELAY, so every message waited out the server's delayed ACK
/// (≈ 40 ms on Linux), which capped the invitation rate. `smtps://` uses lettre's pooled
/// transport as it is.
pub struct SmtpMailer {
    transport: Transport,
    envelope_from: lettre::Address,
}

enum Transport {
    Direct(Box<DirectPool>),
    Lettre(AsyncSmtpTransport<Tokio1Executor>),
}

/// Our pool of `smtp://` sessions.
struct DirectPool {
    server: SmtpServer,
    idle: Mutex<Vec<(Instant, AsyncSmtpConnection)>>,
    slots: Semaphore,
}

/// Why `VECHE_SMTP_URL` cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SmtpUrlError {
    #[error("{0}")]
    Url(String),
    #[error(transparent)]
    Lettre(#[from] lettre::transport::smtp::Error),
}

impl SmtpMailer {
    pub fn new(url: &str, envelope_from: lettre::Address) -> Result<Self, SmtpUrlError> {
        let parsed = reqwest::Url::parse(url).map_err(|e| SmtpUrlError::Url(format!("not a URL: {e}")))?;
        let server = SmtpServer::from_url(&parsed)?;
        let transport = match server.security {
            Security::Plain | Security::StartTls { .. } => Transport::Direct(Box::new(DirectPool::new(server))),
            Security::Wrapper(parameters) => {
                let pool = PoolConfig::new().max_size(POOL_SIZE as u32);
                let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(server.host)
                    .port(server.port)
                    .tls(Tls::Wrapper(parameters))
                    .hello_name(server.hello)
                    .timeout(Some(CONNECT_TIMEOUT))
                    .pool_config(pool);
                if let Some(credentials) = server.credentials {
                    builder = builder.credentials(credentials);
                }
                Transport::Lettre(builder.build())
            }
        };
        Ok(Self { transport, envelope_from })
    }
}

/// What `VECHE_SMTP_URL` says about the server and how to speak to it.
struct SmtpServer {
    host: String,
    port: u16,
    security: Security,
    credentials: Option<Credentials>,
    hello: ClientId,
}

enum Security {
    Plain,
    /// `smtp://…?tls=required|opportunistic`: STARTTLS after EHLO.
    StartTls {
        parameters: TlsParameters,
        required: bool,
    },
    /// `smtps://`: TLS from the first byte.
    Wrapper(TlsParameters),
}

impl SmtpServer {
    fn from_url(url: &reqwest::Url) -> Result<Self, SmtpUrlError> {
        let host = url.host_str().ok_or_else(|| SmtpUrlError::Url("no host".into()))?.to_string();
        let query = |name: &str| url.query_pairs().find(|(key, _)| key == name).map(|(_, value)| value.into_owned());
        let parameters = || -> Result<TlsParameters, SmtpUrlError> {
            let mut builder = TlsParameters::builder(host.clone());
            if let Some(path) = query("ca") {
                let pem = std::fs::read(&path).map_err(|e| SmtpUrlError::Url(format!("ca={path}: {e}")))?;
                let certificate = Certificate::from_pem(&pem)
                    .map_err(|e| SmtpUrlError::Url(format!("ca={path}: not a PEM certificate ({e})")))?;
                builder = builder.add_root_certificate(certificate);
            }
            Ok(builder.build()?)
        };
        let security = match (url.scheme(), query("tls").as_deref()) {
            ("smtp", None) => Security::Plain,
            ("smtp", Some("required")) => Security::StartTls { parameters: parameters()?, required: true },
            ("smtp", Some("opportunistic")) => Security::StartTls { parameters: parameters()?, required: false },
            ("smtp", Some(other)) => return Err(SmtpUrlError::Url(format!("tls={other}: one of required, opportunistic"))),
            ("smtps", None) => Security::Wrapper(parameters()?),
            ("smtps", Some(other)) => return Err(SmtpUrlError::Url(format!("tls={other}: smtps:// is TLS from the start"))),
            (other, _) => return Err(SmtpUrlError::Url(format!("the scheme is {other}, not smtp or smtps"))),
        };
        let port = url.port().unwrap_or(match security {
            Security::Plain => 25,
            Security::StartTls { .. } => 587,
            Security::Wrapper(_) => 465,
        });
        let decode = |text: &str| percent_decode(text);
        let credentials = match (url.username(), url.password()) {
            ("", None) => None,
            (user, password) => Some(Credentials::new(decode(user), decode(password.unwrap_or_default()))),
        };
        let hello = match url.path().trim_start_matches('/') {
            "" => ClientId::default(),
            name => ClientId::Domain(name.to_string()),
        };
        Ok(Self { host, port, security, credentials, hello })
    }
}

impl DirectPool {
    fn new(server: SmtpServer) -> Self {
        Self { server, idle: Mutex::new(Vec::new()), slots: Semaphore::new(POOL_SIZE) }
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, DeliveryError> {
        let network = |e: std::io::Error| DeliveryError::Transient(Box::new(e));
        let opened = async {
            let server = &self.server;
            let stream = tokio::net::TcpStream::connect((server.host.as_str(), server.port)).await.map_err(network)?;
            stream.set_nodelay(true).map_err(network)?;
            let mut connection =
                AsyncSmtpConnection::connect_with_transport(Box::new(stream), &server.hello).await.map_err(classify)?;
            if let Security::StartTls { parameters, required } = &server.security {
                if connection.can_starttls() {
                    connection.starttls(parameters.clone(), &server.hello).await.map_err(classify)?;
                } else if *required {
                    connection.abort().await;
                    return Err(network(std::io::Error::other("the SMTP server offers no STARTTLS, which tls=required needs")));
                }
            }
            if let Some(credentials) = &server.credentials {
                connection.auth(DEFAULT_MECHANISMS, credentials).await.map_err(classify)?;
            }
            Ok(connection)
        };
        match tokio::time::timeout(CONNECT_TIMEOUT, opened).await {
            Ok(result) => result,
            Err(_) => Err(network(std::io::Error::new(std::io::ErrorKind::TimedOut, "connecting to the SMTP server timed out"))),
        }
    }

    /// A pooled session young enough to trust, or a new one.
    async fn session(&self) -> Result<AsyncSmtpConnection, DeliveryError> {
        loop {
            let pooled = self.idle.lock().expect("smtp pool").pop();
            match pooled {
                Some((since, connection)) if since.elapsed() < IDLE_TIMEOUT && !connection.has_broken() => return Ok(connection),
                Some((_, mut stale)) => stale.abort().await,
                None => return self.connect().await,
            }
        }
    }

    async fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<(), DeliveryError> {
        let _slot = self.slots.acquire().await.expect("the semaphore is never closed");
        let mut connection = self.session().await?;
        match tokio::time::timeout(SEND_TIMEOUT, connection.send(envelope, message)).await {
            Ok(Ok(_)) => {
                self.idle.lock().expect("smtp pool").push((Instant::now(), connection));
                Ok(())
            }
            Ok(Err(error)) => {
                connection.abort().await;
                Err(classify(error))
            }
            // Dropped, not aborted: a server that does not answer would not answer QUIT.
            Err(_) => Err(DeliveryError::Transient("the SMTP server did not answer in time".into())),
        }
    }
}

/// A 5xx answer is final; anything else (4xx, a network failure) may pass. So may a
/// refused login (530, 534, 535, 538): that is the configuration's fault, not the
/// message's, and the message must wait until an operator fixes it.
fn classify(error: lettre::transport::smtp::Error) -> DeliveryError {
    let login_refused = error.status().is_some_and(|code| matches!(code.to_string().as_str(), "530" | "534" | "535" | "538"));
    if error.is_permanent() && !login_refused {
        DeliveryError::Permanent(Box::new(error))
    } else {
        DeliveryError::Transient(Box::new(error))
    }
}

/// `%XX` escapes of a URL's user and password, as lettre decodes them.
fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text).decode_utf8_lossy().into_owned()
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), DeliveryError> {
        let to: lettre::Address = mail.to.as_str().parse().map_err(|e| DeliveryError::Permanent(Box::new(e)))?;
        let envelope =
            Envelope::new(Some(self.envelope_from.clone()), vec![to]).map_err(|e| DeliveryError::Permanent(Box::new(e)))?;
        match &self.transport {
            Transport::Direct(pool) => pool.send(&envelope, &mail.rfc822).await,
            Transport::Lettre(transport) => transport.send_raw(&envelope, &mail.rfc822).await.map(|_| ()).map_err(classify),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from() -> lettre::Address {
        "veche@example.org".parse().unwrap()
    }

    fn server(url: &str) -> SmtpServer {
        SmtpServer::from_url(&reqwest::Url::parse(url).unwrap()).unwrap()
    }

    #[test]
    fn each_kind_of_url_has_its_default_port_and_security() {
        let plain = server("smtp://relay.example.org");
        assert_eq!((plain.host.as_str(), plain.port, plain.credentials.is_none()), ("relay.example.org", 25, true));
        assert!(matches!(plain.security, Security::Plain));
        let submission = server("smtp://ann:secret@mail.example.org?tls=required");
        assert_eq!(submission.port, 587);
        assert!(matches!(submission.security, Security::StartTls { required: true, .. }));
        assert!(submission.credentials.is_some());
        let opportunistic = server("smtp://127.0.0.1:2525?tls=opportunistic");
        assert_eq!(opportunistic.port, 2525);
        assert!(matches!(opportunistic.security, Security::StartTls { required: false, .. }));
        let wrapped = server("smtps://ann:secret@mail.example.org");
        assert_eq!(wrapped.port, 465);
        assert!(matches!(wrapped.security, Security::Wrapper(_)));
    }

    // lettre's pooled transport starts its pool's task as it is built: inside a runtime.
    #[tokio::test]
    async fn smtps_runs_on_lettres_transport_and_other_urls_are_refused_with_the_reason() {
        assert!(matches!(
            SmtpMailer::new("smtps://ann:secret@mail.example.org", from()).unwrap().transport,
            Transport::Lettre(_)
        ));
        assert!(matches!(SmtpMailer::new("smtp://mail.example.org", from()).unwrap().transport, Transport::Direct(_)));
        let refusal = |url: &str| SmtpMailer::new(url, from()).err().map(|e| e.to_string()).unwrap();
        assert!(refusal("smtp://host?tls=sometimes").contains("tls=sometimes"));
        assert!(refusal("smtps://host?tls=required").contains("TLS from the start"));
        assert!(refusal("smtp://host?tls=required&ca=/nonexistent/ca.pem").contains("ca=/nonexistent/ca.pem"));
        assert!(refusal("ftp://host").contains("scheme is ftp"));
        assert!(refusal("not a url").contains("not a URL"));
    }

    #[test]
    fn escaped_user_names_and_passwords_are_decoded() {
        assert_eq!(percent_decode("ann%40example.org"), "ann@example.org");
        assert_eq!(percent_decode("p%2Fw%3a%"), "p/w:%");
    }
}
