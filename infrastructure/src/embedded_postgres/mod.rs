//! The PostgreSQL cluster veche runs for itself when no database URL is configured, and
//! that the test harness starts once per test binary.
//!
//! The cluster lives in `<data_dir>/postgres`. It uses the server binaries of the newest
//! PostgreSQL under `/usr/lib/postgresql/<version>/bin` (the Debian package `postgresql`),
//! listens on 127.0.0.1 only, and lets in the role `veche` with a generated password
//! (scram-sha-256) kept in `<data_dir>/postgres-password`, outside the cluster.
//!
//! PostgreSQL refuses to run as root. When veche is root, `initdb` and `pg_ctl` run as the
//! owner of an existing cluster, or else as the `postgres` system user, which then owns the
//! cluster directory and its log file and must be able to reach them.
//!
//! - [`binaries`]: which PostgreSQL's server binaries to run.
//! - [`unix_user`]: the system user the tools run as, and the directories it must reach.
//! - [`pg_ctl`]: `initdb`, `pg_ctl start|stop|status`, run as that user.

mod binaries;
mod pg_ctl;
mod unix_user;

use crate::process::{log_tail, process_alive};
use anyhow::{bail, Context};
use binaries::*;
use pg_ctl::*;
use std::fmt;
use std::io::Write;
use std::os::unix::fs::{chown, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use unix_user::*;

/// The role veche connects as, and the database it uses.
const ROLE: &str = "veche";
const DATABASE: &str = "veche";
/// Files and folders inside the data directory.
const CLUSTER_DIR: &str = "postgres";
const PASSWORD_FILE: &str = "postgres-password";
const LOG_FILE: &str = "postgres.log";
/// How long the server may take to accept a connection once `pg_ctl` says it started.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

pub struct EmbeddedPostgresOptions {
    /// Directory holding the cluster (created if missing); the cluster lives in `<data_dir>/postgres`.
    pub data_dir: PathBuf,
    /// Port on 127.0.0.1; None = pick a free port (bind 127.0.0.1:0, read the port, drop the listener).
    pub port: Option<u16>,
    /// false = test mode: fsync=off, synchronous_commit=off, full_page_writes=off (fast, throwaway).
    pub durable: bool,
}

/// A running cluster. Dropping it stops the server (`-m immediate`) unless [`stop`] did.
///
/// [`stop`]: EmbeddedPostgres::stop
pub struct EmbeddedPostgres {
    data_dir: PathBuf,
    cluster_dir: PathBuf,
    port: u16,
    password: String,
    pg_ctl: PathBuf,
    run_as: Option<User>,
    stopped: bool,
}

impl fmt::Debug for EmbeddedPostgres {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmbeddedPostgres")
            .field("cluster_dir", &self.cluster_dir)
            .field("port", &self.port)
            .field("run_as", &self.run_as)
            .field("stopped", &self.stopped)
            .finish_non_exhaustive()
    }
}

impl EmbeddedPostgres {
    /// Creates the cluster on first use, starts it and waits until it accepts connections;
    /// creates the database `veche` if it is missing.
    pub async fn start(options: EmbeddedPostgresOptions) -> anyhow::Result<Self> {
        let data_dir = std::path::absolute(&options.data_dir)
            .with_context(|| format!("resolving the data directory {}", options.data_dir.display()))?;
        let cluster_dir = data_dir.join(CLUSTER_DIR);
        let cluster_version = read_cluster_version(&cluster_dir)?;
        let binaries = find_binaries(cluster_version.as_deref())?;

        let created = !data_dir.exists();
        std::fs::create_dir_all(&data_dir).with_context(|| format!("creating the data directory {}", data_dir.display()))?;
        let run_as = if current_uid()? == 0 {
            let user = user_for_root(&cluster_dir, cluster_version.is_some())?;
            make_reachable(&data_dir, created, user)?;
            Some(user)
        } else {
            None
        };

        let password = load_or_create_password(&data_dir, cluster_version.is_some())?;
        if cluster_version.is_none() {
            initdb(&binaries, &data_dir, &cluster_dir, &password, run_as).await?;
        }
        let log_file = data_dir.join(LOG_FILE);
        if let Some(user) = run_as {
            give_to(&cluster_dir, user)?;
            prepare_log_file(&log_file, user)?;
        }

        if is_running(&binaries.pg_ctl, &cluster_dir, run_as).await? {
            // A server left behind by a process that did not stop it (killed, crashed).
            // It may listen elsewhere or with other settings, so it is restarted.
            tracing::warn!(cluster = %cluster_dir.display(), "a PostgreSQL server is already running on the cluster; stopping it");
            let output = run(pg_ctl_stop(&binaries.pg_ctl, &cluster_dir, "fast", run_as))
                .await
                .context("stopping the PostgreSQL server already running on the cluster")?;
            if !output.status.success() {
                bail!(
                    "a PostgreSQL server is already running on {} and `pg_ctl stop` failed; stop it by hand\n{}",
                    cluster_dir.display(),
                    describe_output(&output)
                );
            }
        }

        let mut attempt = 0;
        let port = loop {
            attempt += 1;
            let port = match options.port {
                Some(port) => port,
                None => free_port()?,
            };
            match pg_ctl_start(&binaries, &cluster_dir, &log_file, port, options.durable, run_as).await {
                Ok(()) => break port,
                // Another process may have taken the free port between our check and the
                // server's bind; pick another.
                Err(StartError { message, port_taken: true }) if options.port.is_none() && attempt < 4 => {
                    tracing::warn!(port, "the port picked for PostgreSQL was taken; retrying: {message}");
                }
                Err(StartError { message, .. }) => bail!(message),
            }
        };

        // From here on, dropping `cluster` (on an error below too) stops the server.
        let cluster = Self { data_dir, cluster_dir, port, password, pg_ctl: binaries.pg_ctl, run_as, stopped: false };
        cluster.create_database().await?;
        tracing::debug!(port, cluster = %cluster.cluster_dir.display(), version = %binaries.version, "embedded PostgreSQL ready");
        Ok(cluster)
    }

    /// The URL of the server already running on the cluster of `data_dir` (started by
    /// another veche process), if one is running and accepts connections on its port.
    pub fn running_url(data_dir: &Path) -> Option<String> {
        let data_dir = std::path::absolute(data_dir).ok()?;
        let pid_file = std::fs::read_to_string(data_dir.join(CLUSTER_DIR).join("postmaster.pid")).ok()?;
        let lines: Vec<&str> = pid_file.lines().collect();
        let pid: u32 = lines.first()?.trim().parse().ok()?;
        let port: u16 = lines.get(3)?.trim().parse().ok()?;
        if let Some(status) = lines.get(7) {
            if status.trim() != "ready" {
                return None;
            }
        }
        if !process_alive(pid) {
            return None;
        }
        let password = std::fs::read_to_string(data_dir.join(PASSWORD_FILE)).ok()?;
        let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        std::net::TcpStream::connect_timeout(&address, Duration::from_secs(1)).ok()?;
        Some(url(password.trim(), port, DATABASE))
    }

    /// URL of database `veche` as role `veche`, e.g. `postgres://veche:<pw>@127.0.0.1:<port>/veche`.
    pub fn database_url(&self) -> String {
        self.url_for_database(DATABASE)
    }

    /// URL of the same server for database `name` (same role).
    pub fn url_for_database(&self, name: &str) -> String {
        url(&self.password, self.port, name)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The postmaster's PID, read from `postmaster.pid` (None when the server is not running).
    pub fn pid(&self) -> Option<u32> {
        let pid_file = std::fs::read_to_string(self.cluster_dir.join("postmaster.pid")).ok()?;
        pid_file.lines().next()?.trim().parse().ok()
    }

    /// Stops the server (`pg_ctl stop -m fast`: sessions are ended, the server shuts down
    /// cleanly). A server that is already gone counts as stopped.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let output =
            run(pg_ctl_stop(&self.pg_ctl, &self.cluster_dir, "fast", self.run_as)).await.context("running pg_ctl stop")?;
        if !output.status.success() && is_running(&self.pg_ctl, &self.cluster_dir, self.run_as).await? {
            bail!(
                "pg_ctl stop failed for {}\n{}\n{}",
                self.cluster_dir.display(),
                describe_output(&output),
                log_tail(&self.data_dir.join(LOG_FILE), 0)
            );
        }
        self.stopped = true;
        Ok(())
    }

    /// Waits until the server accepts connections, then creates the database `veche` if
    /// it is missing.
    async fn create_database(&self) -> anyhow::Result<()> {
        use sqlx::Connection;
        let admin_url = self.url_for_database("postgres");
        let deadline = Instant::now() + CONNECT_TIMEOUT;
        let mut connection = loop {
            match sqlx::PgConnection::connect(&admin_url).await {
                Ok(connection) => break connection,
                Err(error) if Instant::now() < deadline => {
                    tracing::debug!(%error, "waiting for the embedded PostgreSQL to accept connections");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(error) => bail!(
                    "the embedded PostgreSQL on port {} does not accept connections after {} s: {error}\n{}",
                    self.port,
                    CONNECT_TIMEOUT.as_secs(),
                    log_tail(&self.data_dir.join(LOG_FILE), 0)
                ),
            }
        };
        let exists: bool = sqlx::query_scalar("select exists (select 1 from pg_database where datname = $1)")
            .bind(DATABASE)
            .fetch_one(&mut connection)
            .await
            .context("looking for the database veche")?;
        if !exists {
            match sqlx::query(&format!("create database {DATABASE}")).execute(&mut connection).await {
                Ok(_) => {}
                // Created concurrently by someone else: fine.
                Err(sqlx::Error::Database(error)) if error.code().as_deref() == Some("42P04") => {}
                Err(error) => return Err(error).context("creating the database veche"),
            }
        }
        let _ = connection.close().await;
        Ok(())
    }
}

impl Drop for EmbeddedPostgres {
    /// Best effort: a server nobody stops would outlive veche and keep its port.
    fn drop(&mut self) {
        if self.stopped {
            return;
        }
        let mut command = pg_ctl_stop(&self.pg_ctl, &self.cluster_dir, "immediate", self.run_as);
        command.stdout(Stdio::null()).stderr(Stdio::null());
        if let Err(error) = command.status() {
            tracing::warn!(%error, cluster = %self.cluster_dir.display(), "could not stop the embedded PostgreSQL");
        }
    }
}

fn url(password: &str, port: u16, database: &str) -> String {
    // The password is alphanumeric, so it needs no escaping in a URL.
    format!("postgres://{ROLE}:{password}@127.0.0.1:{port}/{database}")
}

/// The password of role `veche`: generated before `initdb`, read back on later starts.
fn load_or_create_password(data_dir: &Path, cluster_exists: bool) -> anyhow::Result<String> {
    let path = data_dir.join(PASSWORD_FILE);
    match std::fs::read_to_string(&path) {
        Ok(password) if !password.trim().is_empty() => return Ok(password.trim().to_string()),
        Ok(_) | Err(_) if cluster_exists => bail!(
            "the embedded cluster {} exists but its password file {} is missing or empty; restore the \
             file, or delete the cluster directory to start afresh (its data is lost)",
            data_dir.join(CLUSTER_DIR).display(),
            path.display()
        ),
        Ok(_) => std::fs::remove_file(&path)?,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
    }
    let password = random_password();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(password.as_bytes())?;
    file.sync_all()?;
    Ok(password)
}

fn random_password() -> String {
    use rand::distributions::{Alphanumeric, DistString};
    Alphanumeric.sample_string(&mut rand::thread_rng(), 32)
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("looking for a free port on 127.0.0.1")?;
    Ok(listener.local_addr()?.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_names_the_role_the_password_the_port_and_the_database() {
        assert_eq!(url("secret", 5433, "veche"), "postgres://veche:secret@127.0.0.1:5433/veche");
    }

    #[test]
    fn passwords_are_32_alphanumeric_characters() {
        let password = random_password();
        assert_eq!(password.len(), 32);
        assert!(password.chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
