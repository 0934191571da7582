//! The nats-server veche runs for itself when no NATS URL is configured, and that the tests
//! start for each test that needs one.
//!
//! It is the system's `nats-server` (the Debian package `nats-server`, 2.9 on Debian 12)
//! with JetStream on, its store under `<dir>/jetstream`, listening on 127.0.0.1 only. The
//! server picks its own free port (`-p -1`) unless one is given, and reports it in a ports
//! file (`--ports_file_dir`), which is also how veche knows it accepts connections: the
//! server writes that file once its listeners are up (JetStream is enabled before them).
//! It runs in a process group of its own, so that a Ctrl-C in the terminal is veche's to
//! handle, and is stopped by PID: SIGTERM, then SIGKILL if it does not exit in time.
//! Clients must present a token generated for the data directory (`authorization { token }`
//! in a configuration file of mode 0600, never on the command line, which other local users
//! can read): another program on the machine cannot publish events or read them. The token
//! stays across restarts, so that connected clients reconnect with what they have.

use crate::process::{log_tail, terminate};
use anyhow::{bail, Context};
use serde::Deserialize;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian installs the server.
pub const NATS_SERVER: &str = "/usr/sbin/nats-server";
const STORE_DIR: &str = "jetstream";
const LOG_FILE: &str = "nats-server.log";
const PID_FILE: &str = "nats-server.pid";
const PORTS_DIR: &str = "ports";
/// The server's configuration (its token) and the token alone, for [`EmbeddedNats::running_url`].
const CONFIG_FILE: &str = "auth.conf";
const TOKEN_FILE: &str = "auth.token";
/// How long the server may take to open its listeners.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the server may take to exit after SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

pub struct EmbeddedNatsOptions {
    /// Directory of the server (created if missing): its JetStream store, log, PID file.
    pub data_dir: PathBuf,
    /// Port on 127.0.0.1; None = the server picks a free one.
    pub port: Option<u16>,
}

/// A running nats-server. Dropping it kills the server unless [`EmbeddedNats::stop`] did.
#[derive(Debug)]
pub struct EmbeddedNats {
    child: Child,
    port: u16,
    token: String,
    data_dir: PathBuf,
    stopped: bool,
}

/// What the server writes to its ports file.
#[derive(Debug, Deserialize)]
struct Ports {
    #[serde(default)]
    nats: Vec<String>,
}

impl EmbeddedNats {
    /// Starts the server and waits until it accepts connections. A server left running on
    /// the same directory by a process that did not stop it is stopped first.
    pub async fn start(options: EmbeddedNatsOptions) -> anyhow::Result<Self> {
        let data_dir = std::path::absolute(&options.data_dir)
            .with_context(|| format!("resolving the NATS data directory {}", options.data_dir.display()))?;
        let ports_dir = data_dir.join(PORTS_DIR);
        std::fs::create_dir_all(&ports_dir)
            .with_context(|| format!("creating the NATS data directory {}", data_dir.display()))?;
        if !Path::new(NATS_SERVER).is_file() {
            bail!(
                "{NATS_SERVER} is missing; install the Debian package `nats-server` (apt-get install nats-server), \
                 or set VECHE_NATS_URL to use another server"
            );
        }
        stop_leftover(&data_dir).await;
        // Ports files of earlier runs would be mistaken for this one's.
        for entry in std::fs::read_dir(&ports_dir)?.flatten() {
            let _ = std::fs::remove_file(entry.path());
        }
        let log_file = data_dir.join(LOG_FILE);
        let log_offset = std::fs::metadata(&log_file).map(|m| m.len()).unwrap_or(0);
        let port_argument = options.port.map_or_else(|| "-1".to_string(), |port| port.to_string());
        let token = write_token(&data_dir)?;
        let mut command = Command::new(NATS_SERVER);
        command
            .arg("-c")
            .arg(data_dir.join(CONFIG_FILE))
            .args(["-js", "-a", "127.0.0.1", "-p", &port_argument, "-n", "veche"])
            .arg("-sd")
            .arg(data_dir.join(STORE_DIR))
            .arg("-l")
            .arg(&log_file)
            .arg("-P")
            .arg(data_dir.join(PID_FILE))
            .arg("--ports_file_dir")
            .arg(&ports_dir)
            .current_dir(&data_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        let child = command.spawn().with_context(|| format!("starting {NATS_SERVER}"))?;
        // From here on, dropping `server` (on an error below too) kills the process.
        let mut server = Self { child, port: 0, token, data_dir, stopped: false };
        let deadline = Instant::now() + START_TIMEOUT;
        server.port = loop {
            if let Some(status) = server.child.try_wait()? {
                server.stopped = true;
                bail!("nats-server exited at start ({status})\n{}", log_tail(&server.data_dir.join(LOG_FILE), log_offset));
            }
            if let Some(port) = read_port(&ports_dir, server.child.id()) {
                break port;
            }
            if Instant::now() >= deadline {
                bail!(
                    "nats-server did not open its port within {} s\n{}",
                    START_TIMEOUT.as_secs(),
                    log_tail(&server.data_dir.join(LOG_FILE), log_offset)
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        tracing::debug!(port = server.port, pid = server.pid(), dir = %server.data_dir.display(), "embedded nats-server ready");
        Ok(server)
    }

    /// `nats://<token>@127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        url(&self.token, self.port)
    }

    /// The URL of the server already running on `data_dir` (started by another veche
    /// process on the same data directory), if one is running and accepts connections.
    /// Such a server is shared, not taken over: it belongs to the process that started it.
    pub fn running_url(data_dir: &Path) -> Option<String> {
        let data_dir = std::path::absolute(data_dir).ok()?;
        let pid = running_pid(&data_dir)?;
        let port = read_port(&data_dir.join(PORTS_DIR), pid)?;
        let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        std::net::TcpStream::connect_timeout(&address, Duration::from_secs(1)).ok()?;
        let token = std::fs::read_to_string(data_dir.join(TOKEN_FILE)).ok()?;
        Some(url(token.trim(), port))
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The directory the server keeps its store, log and PID file in.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Stops the server: SIGTERM (it closes its store cleanly), SIGKILL after
    /// [`STOP_TIMEOUT`].
    pub async fn stop(mut self) -> anyhow::Result<()> {
        terminate(self.child.id());
        let deadline = Instant::now() + STOP_TIMEOUT;
        while self.child.try_wait()?.is_none() {
            if Instant::now() >= deadline {
                tracing::warn!(pid = self.child.id(), "nats-server did not stop on SIGTERM; killing it");
                self.child.kill()?;
                self.child.wait()?;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.stopped = true;
        Ok(())
    }
}

impl Drop for EmbeddedNats {
    /// Best effort: a server nobody stops would outlive veche and keep its port.
    fn drop(&mut self) {
        if !self.stopped {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The PID of the nats-server running on this directory (its PID file names a live
/// process that is a nats-server), if there is one.
fn running_pid(data_dir: &Path) -> Option<u32> {
    let pid = std::fs::read_to_string(data_dir.join(PID_FILE)).ok()?.trim().parse::<u32>().ok()?;
    let is_nats_server = std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|cmdline| cmdline.split(|b| *b == 0).next().is_some_and(|program| program.ends_with(b"nats-server")))
        .unwrap_or(false);
    is_nats_server.then_some(pid)
}

/// Stops a nats-server that an earlier veche left running on this directory (killed,
/// crashed) without a usable port: it holds the store's lock, so a new server could not
/// use the store.
async fn stop_leftover(data_dir: &Path) {
    let Some(pid) = running_pid(data_dir) else {
        return;
    };
    tracing::warn!(pid, dir = %data_dir.display(), "a nats-server that does not answer is running on the data directory; stopping it");
    terminate(pid);
    let deadline = Instant::now() + STOP_TIMEOUT;
    while Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn url(token: &str, port: u16) -> String {
    format!("nats://{token}@127.0.0.1:{port}")
}

/// The data directory's token (made on first use), and the server's configuration with it,
/// both written with mode 0600.
fn write_token(data_dir: &Path) -> anyhow::Result<String> {
    use rand::distributions::{Alphanumeric, DistString};
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let kept = std::fs::read_to_string(data_dir.join(TOKEN_FILE)).ok().map(|token| token.trim().to_string());
    let token = kept
        .filter(|token| token.len() >= 32 && token.chars().all(|c| c.is_ascii_alphanumeric()))
        .unwrap_or_else(|| Alphanumeric.sample_string(&mut rand::thread_rng(), 48));
    let config =
        format!("# Written by veche at each start of its embedded nats-server.\nauthorization {{ token: \"{token}\" }}\n");
    for (file, content) in [(CONFIG_FILE, config.as_str()), (TOKEN_FILE, token.as_str())] {
        let path = data_dir.join(file);
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&path)
            .with_context(|| format!("writing {}", path.display()))?;
        f.write_all(content.as_bytes())?;
    }
    Ok(token)
}

/// The client port from the ports file the server with `pid` wrote, once it exists.
fn read_port(ports_dir: &Path, pid: u32) -> Option<u16> {
    let content = std::fs::read_to_string(ports_dir.join(format!("nats-server_{pid}.ports"))).ok()?;
    let ports: Ports = serde_json::from_str(&content).ok()?;
    let url = ports.nats.first()?;
    url.rsplit(':').next()?.trim_end_matches('/').parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_port_is_read_from_the_servers_ports_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("nats-server_42.ports"), r#"{"nats":["nats://127.0.0.1:40123"],"monitoring":null}"#)
            .unwrap();
        assert_eq!(read_port(dir.path(), 42), Some(40123));
        assert_eq!(read_port(dir.path(), 43), None);
    }
}
