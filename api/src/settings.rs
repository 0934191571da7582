//! Configuration: one `VECHE_*` environment variable per field, each with a default that
//! works on a developer's machine.

use clap::Args;
use secrecy::SecretString;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Address and port the HTTP API listens on.
    #[arg(long, env = "VECHE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Home of the embedded PostgreSQL cluster and of generated secrets. Defaults to
    /// /var/lib/veche for root (PostgreSQL runs as the `postgres` user and must be able
    /// to enter it) and ~/.local/share/veche otherwise.
    #[arg(long, env = "VECHE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,

    /// PostgreSQL URL. Unset: veche starts its own cluster under the data directory.
    #[arg(long, env = "VECHE_DATABASE_URL", hide_env_values = true, value_parser = secret)]
    pub database_url: Option<SecretString>,

    /// HS256 secret that signs and verifies bearer tokens. Unset: a random secret is
    /// generated once and kept in the data directory (`jwt-secret`).
    #[arg(long, env = "VECHE_JWT_SECRET", hide_env_values = true, value_parser = secret)]
    pub jwt_secret: Option<SecretString>,

    /// Public base URL of this veche, used in meeting links. Defaults to http://<listen>.
    #[arg(long, env = "VECHE_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// NATS URL (e.g. nats://127.0.0.1:4222), with JetStream enabled. Unset: veche starts
    /// its own nats-server (/usr/sbin/nats-server) with its store under
    /// `<data dir>/nats`, and stops it on exit.
    #[arg(long, env = "VECHE_NATS_URL", hide_env_values = true, value_parser = secret)]
    pub nats_url: Option<SecretString>,

    /// Runs this node without NATS: no event publishing, no reactors (a node that only
    /// serves HTTP, while others publish).
    #[arg(long, env = "VECHE_NATS_DISABLED", default_value_t = false)]
    pub nats_disabled: bool,

    /// Most database connections this node's requests and reactors use (the projector has
    /// three more of its own). Default: 8 per CPU core, at least 8 and at most 64.
    #[arg(long, env = "VECHE_DB_MAX_CONNECTIONS", default_value_t = default_db_max_connections())]
    pub db_max_connections: u32,

    /// Longest a query waits for projections to reach the position it asks for, in ms.
    #[arg(long, env = "VECHE_READ_WAIT_MS", default_value_t = 2000)]
    pub read_wait_ms: u64,

    /// Largest request body accepted, in bytes.
    #[arg(long, env = "VECHE_MAX_BODY_BYTES", default_value_t = 64 * 1024)]
    pub max_body_bytes: usize,

    /// Most requests handled at once; beyond it requests queue (bounded by the OS backlog).
    #[arg(long, env = "VECHE_MAX_CONCURRENT_REQUESTS", default_value_t = 1024)]
    pub max_concurrent_requests: usize,

    /// SMTP server for notification emails, in lettre's URL form: `smtp://host:25`,
    /// `smtp://user:password@host:587?tls=required` (STARTTLS), `smtps://user:password@host`
    /// (TLS); `&ca=/path/ca.pem` (or `?ca=`) trusts a private certificate authority too.
    /// Unset: emails go to a local outbox (`<data dir>/outbox`, served at /dev/outbox).
    #[arg(long, env = "VECHE_SMTP_URL", hide_env_values = true, value_parser = secret)]
    pub smtp_url: Option<SecretString>,

    /// The sender of notification emails (`Name <address>` or `address`).
    #[arg(long, env = "VECHE_MAIL_FROM", default_value = "veche <veche@localhost>")]
    pub mail_from: String,

    /// The language of emails when the scheduling request named none veche speaks (en, ru).
    #[arg(long, env = "VECHE_MAIL_LANGUAGE", default_value = "en")]
    pub mail_language: String,

    /// VAPID private key for Web Push: the P-256 private scalar, base64url (as the usual
    /// `generate-vapid-keys` tools print it). Unset: generated once and kept in the data
    /// directory (`vapid-private-key`).
    #[arg(long, env = "VECHE_VAPID_PRIVATE_KEY", hide_env_values = true, value_parser = secret)]
    pub vapid_private_key: Option<SecretString>,

    /// How long after an event a reactor still retries it when sending fails for a passing
    /// reason (SMTP down, a push service timing out); then it is parked for `veche dead-letters`.
    #[arg(long, env = "VECHE_REACTOR_RETRY_HORIZON_HOURS", default_value_t = 24)]
    pub reactor_retry_horizon_hours: u64,

    /// The longest wait between two tries of a failing event (the waits double up to it).
    #[arg(long, env = "VECHE_REACTOR_MAX_RETRY_DELAY_SECS", default_value_t = 60)]
    pub reactor_max_retry_delay_secs: u64,

    /// Commands one person may send per second on this node (bursts of ten times that); 0: no limit.
    #[arg(long, env = "VECHE_RATE_COMMANDS_PER_SECOND", default_value_t = 10.0)]
    pub rate_commands_per_second: f64,

    /// Emails one person's commands may cause per hour on this node (invitations, updates,
    /// cancellations; bursts of a quarter of that, at least 400); 0: no limit.
    #[arg(long, env = "VECHE_RATE_EMAILS_PER_HOUR", default_value_t = 2000.0)]
    pub rate_emails_per_hour: f64,

    /// Lets browsers subscribe push endpoints on private, loopback or link-local addresses,
    /// and plain http: for a push service inside the network. Off, veche posts only to
    /// https endpoints on public addresses and follows no redirect.
    #[arg(long, env = "VECHE_PUSH_ALLOW_PRIVATE", default_value_t = false)]
    pub push_allow_private: bool,

    /// The contact in VAPID tokens (`mailto:` or `https:`), which push services may use.
    #[arg(long, env = "VECHE_VAPID_SUBJECT", default_value = "mailto:veche@localhost")]
    pub vapid_subject: String,

    #[command(flatten)]
    pub rooms: RoomSettings,

    #[command(flatten)]
    pub sign_in: SignInSettings,

    /// Origins (scheme://host[:port]) whose web apps may call the API and the PeerJS
    /// endpoint from the browser, comma-separated. Unset: the same origin only.
    #[arg(long, env = "VECHE_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
}

/// Signing in to the web app: email links, OpenID Connect, sessions.
#[derive(Debug, Clone, Args)]
pub struct SignInSettings {
    /// Email domains whose addresses may sign in with an emailed link, comma-separated;
    /// `*` for anyone. Unset: anyone while emails go to the local outbox (only someone at
    /// this machine reads them), otherwise only the people of `VECHE_SIGNIN_KNOWN_PEOPLE`.
    #[arg(long = "signin-domains", env = "VECHE_SIGNIN_DOMAINS", value_delimiter = ',')]
    pub domains: Vec<String>,

    /// Whether people invited to a meeting (or organising one) may sign in by email too,
    /// whatever their domain.
    #[arg(long = "signin-known-people", env = "VECHE_SIGNIN_KNOWN_PEOPLE", default_value_t = true, action = clap::ArgAction::Set)]
    pub known_people: bool,

    /// Whether email sign-in links are offered at all (with OpenID Connect, an organisation
    /// may want its provider only).
    #[arg(long = "signin-email", env = "VECHE_SIGNIN_EMAIL", default_value_t = true, action = clap::ArgAction::Set)]
    pub email_links: bool,

    /// Minutes a sign-in link works (once).
    #[arg(long = "signin-link-minutes", env = "VECHE_SIGNIN_LINK_MINUTES", default_value_t = 15)]
    pub link_minutes: i64,

    /// Sign-in links one address may be sent per hour (0: no limit).
    #[arg(long = "signin-links-per-address-per-hour", env = "VECHE_SIGNIN_LINKS_PER_ADDRESS_PER_HOUR", default_value_t = 5.0)]
    pub links_per_address_per_hour: f64,

    /// Sign-in links one client (IP address) may ask for per hour (0: no limit).
    #[arg(long = "signin-links-per-client-per-hour", env = "VECHE_SIGNIN_LINKS_PER_CLIENT_PER_HOUR", default_value_t = 30.0)]
    pub links_per_client_per_hour: f64,

    /// Days a browser session lasts.
    #[arg(long, env = "VECHE_SESSION_DAYS", default_value_t = 14)]
    pub session_days: i64,

    /// The OpenID Connect provider's issuer URL (discovery at
    /// `<issuer>/.well-known/openid-configuration`). Unset: no single sign-on.
    #[arg(long, env = "VECHE_OIDC_ISSUER")]
    pub oidc_issuer: Option<String>,

    /// veche's client id at the provider (redirect URI: `<public url>/auth/oidc/callback`).
    #[arg(long, env = "VECHE_OIDC_CLIENT_ID")]
    pub oidc_client_id: Option<String>,

    /// veche's client secret at the provider (unset for a public client: PKCE alone).
    #[arg(long, env = "VECHE_OIDC_CLIENT_SECRET", hide_env_values = true, value_parser = secret)]
    pub oidc_client_secret: Option<SecretString>,

    /// The provider's name on the sign-in button.
    #[arg(long, env = "VECHE_OIDC_NAME", default_value = "single sign-on")]
    pub oidc_name: String,
}

/// Video rooms: the signaling hub, PeerJS compatibility, ICE servers, node leases.
#[derive(Debug, Clone, Args)]
pub struct RoomSettings {
    /// This node's name in the rooms' events (which node holds a participant). Defaults to
    /// the host name and a random suffix, new at every start.
    #[arg(long, env = "VECHE_NODE_ID")]
    pub node_id: Option<String>,

    /// The most participants a room's full mesh holds; the next one is refused.
    #[arg(long, env = "VECHE_ROOM_CAPACITY", default_value_t = 8)]
    pub room_capacity: usize,

    /// The most places one person may hold in a room at once (their devices); the next is refused (4011).
    #[arg(long, env = "VECHE_ROOM_SEATS_PER_PERSON", default_value_t = 3)]
    pub room_seats_per_person: usize,

    /// Largest signaling message (and frame), in bytes.
    #[arg(long, env = "VECHE_SIGNAL_MAX_MESSAGE_BYTES", default_value_t = 64 * 1024)]
    pub signal_max_message_bytes: usize,

    /// Messages a connection may send per second on average (bursts up to twice that).
    #[arg(long, env = "VECHE_SIGNAL_RATE", default_value_t = 1000)]
    pub signal_rate: u32,

    /// Messages queued to one connection before it counts as a slow consumer and is closed.
    #[arg(long, env = "VECHE_SIGNAL_QUEUE", default_value_t = 256)]
    pub signal_queue: usize,

    /// Seconds between pings of a signaling connection; one that has not answered a ping
    /// by the next is closed (4013).
    #[arg(long, env = "VECHE_SIGNAL_PING_SECS", default_value_t = 20)]
    pub signal_ping_secs: u64,

    /// Most signaling connections one node holds.
    #[arg(long, env = "VECHE_SIGNAL_MAX_CONNECTIONS", default_value_t = 100_000)]
    pub signal_max_connections: usize,

    /// Microseconds a worker thread that has just relayed signaling messages waits before it
    /// sleeps, so that what arrives meanwhile goes out in one pass (`signaling::coalesce`);
    /// 0 sleeps at once. A message that arrives during the wait waits up to this long more:
    /// a longer wait trades a lone message's latency for less CPU per message under load
    /// (README, Signaling). At most 10 ms: the thread does nothing else meanwhile.
    #[arg(long, env = "VECHE_SIGNAL_COALESCE_MICROS", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(0..=10_000))]
    pub signal_coalesce_micros: u64,

    /// Seconds a dropped participant has to reconnect and resume before they expire.
    #[arg(long, env = "VECHE_SIGNAL_RECONNECT_GRACE_SECS", default_value_t = 20)]
    pub reconnect_grace_secs: u64,

    /// Seconds a node's lease lasts; a node that stops renewing it for that long has its
    /// participants expired by the others.
    #[arg(long, env = "VECHE_NODE_LEASE_SECS", default_value_t = 15)]
    pub node_lease_secs: u64,

    /// The Socket.io endpoint with the original plan's events: `off`, `rooms` (veche's rooms,
    /// entered with a token or room pass in the handshake) or `open` (also rooms named by
    /// their clients, no account: the room id is the secret, as with the plan's server).
    #[arg(long, env = "VECHE_SOCKETIO", value_enum, default_value_t = EndpointMode::Rooms)]
    pub socketio: EndpointMode,

    /// Path of the Socket.io endpoint (the client's `path` option).
    #[arg(long, env = "VECHE_SOCKETIO_PATH", default_value = "/socket.io")]
    pub socketio_path: String,

    /// The PeerJS-compatible endpoint: `off`, `rooms` (room passes as keys) or `open`
    /// (also the stock server's shared key, no account).
    #[arg(long, env = "VECHE_PEERJS", value_enum, default_value_t = EndpointMode::Rooms)]
    pub peerjs: EndpointMode,

    /// Path of the PeerJS endpoint (the client library's `path` option).
    #[arg(long, env = "VECHE_PEERJS_PATH", default_value = "/peerjs/")]
    pub peerjs_path: String,

    /// The shared key accepted in `open` mode.
    #[arg(long, env = "VECHE_PEERJS_KEY", default_value = "peerjs")]
    pub peerjs_key: String,

    /// STUN servers to give clients, comma-separated (none by default: no public STUN).
    #[arg(long, env = "VECHE_STUN_URLS", value_delimiter = ',')]
    pub stun_urls: Vec<String>,

    /// TURN servers, comma-separated, e.g. `turn:turn.example.org:3478?transport=udp`.
    #[arg(long, env = "VECHE_TURN_URLS", value_delimiter = ',')]
    pub turn_urls: Vec<String>,

    /// coturn's `static-auth-secret` (its `use-auth-secret` scheme).
    #[arg(long, env = "VECHE_TURN_SECRET", hide_env_values = true, value_parser = secret)]
    pub turn_secret: Option<SecretString>,

    /// Seconds TURN credentials stay valid; clients refresh them halfway.
    #[arg(long, env = "VECHE_TURN_TTL_SECS", default_value_t = 6 * 3600)]
    pub turn_ttl_secs: u64,
}

/// How a compatibility endpoint (PeerJS, Socket.io) lets clients in: not at all, into veche's
/// rooms with a token or room pass, or also into rooms of its own with no account (open).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EndpointMode {
    Off,
    Rooms,
    Open,
}

impl RoomSettings {
    /// The PeerJS path, starting and ending with `/`.
    pub fn peerjs_path(&self) -> String {
        let trimmed = self.peerjs_path.trim_matches('/');
        if trimmed.is_empty() {
            "/".into()
        } else {
            format!("/{trimmed}/")
        }
    }

    pub fn node_id(&self) -> String {
        self.node_id.clone().unwrap_or_else(|| {
            let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
            let host: String = host.trim().chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
            let suffix = &uuid::Uuid::new_v4().simple().to_string()[..8];
            format!("{}-{suffix}", if host.is_empty() { "node" } else { &host })
        })
    }
}

/// Parses nothing but the environment, for [`Settings::from_env`].
#[derive(clap::Parser)]
struct EnvOnly {
    #[command(flatten)]
    settings: Settings,
}

/// PostgreSQL does best with a few busy connections per core; more of them only queue
/// inside the server and starve its background work. On 2 cores, 16 connections gave
/// more commands per second and a third of the projection lag of 64 (`bench`).
pub fn default_db_max_connections() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get) as u32;
    (cores * 8).clamp(8, 64)
}

impl Settings {
    /// The defaults, with the `VECHE_*` variables of the environment applied.
    pub fn from_env() -> Result<Self, clap::Error> {
        use clap::Parser;
        EnvOnly::try_parse_from(["veche"]).map(|parsed| parsed.settings)
    }

    pub fn data_dir(&self) -> PathBuf {
        self.data_dir.clone().unwrap_or_else(default_data_dir)
    }

    /// Where emails go when no SMTP server is configured.
    pub fn outbox_dir(&self) -> PathBuf {
        self.data_dir().join("outbox")
    }

    pub fn public_url(&self) -> String {
        self.public_url.clone().unwrap_or_else(|| format!("http://{}", self.listen)).trim_end_matches('/').to_string()
    }
}

fn default_data_dir() -> PathBuf {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    match home {
        Some(home) if !is_root() => home.join(".local/share/veche"),
        _ => PathBuf::from("/var/lib/veche"),
    }
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false)
}

/// Reads a secret kept in the data directory, creating it (mode 0600) on first use.
/// A setting that holds a secret (a password in a URL, a key): kept in a type that never
/// shows it in `Debug` output or logs, and read only where it is used (`expose_secret`).
fn secret(value: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(value.into())
}

pub fn persistent_secret(data_dir: &std::path::Path, file: &str) -> std::io::Result<String> {
    let secret = persistent_file(data_dir, file, || {
        use rand::distributions::{Alphanumeric, DistString};
        Alphanumeric.sample_string(&mut rand::thread_rng(), SECRET_CHARS)
    })?;
    if secret.len() < MIN_SECRET_CHARS {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "{} holds {} characters, fewer than the {MIN_SECRET_CHARS} a secret needs: set a longer one, or remove the \
                 file to have a new one made (what was signed with the old one stops working)",
                data_dir.join(file).display(),
                secret.len()
            ),
        ));
    }
    Ok(secret)
}

/// The length of a generated secret, and the least a stored one may have.
const SECRET_CHARS: usize = 48;
const MIN_SECRET_CHARS: usize = 32;

/// Reads a value kept in the data directory, creating it with `generate` on first use. The
/// file is written whole or not at all (a temporary file, synced, then linked into place,
/// mode 0600), so a crash can leave no half-written secret; linking fails if the name
/// exists, so concurrent first starts agree: the loser reads the winner's file. An empty
/// file (left by an earlier release that crashed mid-write) was never used, and is replaced.
pub fn persistent_file(data_dir: &std::path::Path, file: &str, generate: impl FnOnce() -> String) -> std::io::Result<String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let path = data_dir.join(file);
    match std::fs::read_to_string(&path) {
        Ok(value) if !value.trim().is_empty() => return Ok(value.trim().to_string()),
        Ok(_) => std::fs::remove_file(&path)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    std::fs::create_dir_all(data_dir)?;
    let value = generate();
    let temporary = data_dir.join(format!(".{file}.{}.partial", std::process::id()));
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&temporary)?;
    f.write_all(value.as_bytes())?;
    f.sync_all()?;
    drop(f);
    let linked = std::fs::hard_link(&temporary, &path);
    std::fs::remove_file(&temporary)?;
    match linked {
        Ok(()) => {
            std::fs::File::open(data_dir)?.sync_all()?;
            Ok(value)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(std::fs::read_to_string(&path)?.trim().to_string()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn secrets_never_show_in_debug_output() {
        let settings = parse(&[
            "--jwt-secret",
            "a-jwt-secret-of-some-length",
            "--smtp-url",
            "smtp://user:hunter2@mail.example.org:587",
            "--database-url",
            "postgres://veche:pg-password@db/veche",
        ])
        .unwrap();
        let shown = format!("{settings:?}");
        for secret in ["a-jwt-secret-of-some-length", "hunter2", "pg-password"] {
            assert!(!shown.contains(secret), "{secret} shows in {shown}");
        }
    }

    #[test]
    fn a_generated_secret_is_kept_whole_private_and_checked_for_length_when_read() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let first = persistent_secret(dir.path(), "jwt-secret").unwrap();
        assert_eq!(first.len(), SECRET_CHARS);
        assert_eq!(persistent_secret(dir.path(), "jwt-secret").unwrap(), first, "read back, not made again");
        let mode = std::fs::metadata(dir.path().join("jwt-secret")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from("jwt-secret")], "no temporary file stays");
        // A secret cut short is refused, not used.
        std::fs::write(dir.path().join("short"), "abc").unwrap();
        assert!(persistent_secret(dir.path(), "short").unwrap_err().to_string().contains("fewer than the 32"));
        // An empty one (a crash mid-write by an earlier release) was never used: replaced.
        std::fs::write(dir.path().join("empty"), "").unwrap();
        assert_eq!(persistent_secret(dir.path(), "empty").unwrap().len(), SECRET_CHARS);
    }

    fn parse(args: &[&str]) -> Result<Settings, clap::Error> {
        EnvOnly::try_parse_from(std::iter::once("veche").chain(args.iter().copied())).map(|parsed| parsed.settings)
    }

    #[test]
    fn the_hub_waits_at_most_ten_milliseconds_before_sleeping() {
        assert_eq!(parse(&["--signal-coalesce-micros", "0"]).unwrap().rooms.signal_coalesce_micros, 0);
        assert_eq!(parse(&["--signal-coalesce-micros", "10000"]).unwrap().rooms.signal_coalesce_micros, 10_000);
        let refused = parse(&["--signal-coalesce-micros", "10001"]).unwrap_err().to_string();
        assert!(refused.contains("10001") && refused.contains("0..=10000"), "{refused}");
    }
}
