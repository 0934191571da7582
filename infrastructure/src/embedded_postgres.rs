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

use anyhow::{bail, Context};
use std::fmt;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{chown, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Where Debian installs the server binaries, one folder per major version.
const POSTGRESQL_LIB: &str = "/usr/lib/postgresql";
/// The role veche connects as, and the database it uses.
const ROLE: &str = "veche";
const DATABASE: &str = "veche";
/// Files and folders inside the data directory.
const CLUSTER_DIR: &str = "postgres";
const PASSWORD_FILE: &str = "postgres-password";
const LOG_FILE: &str = "postgres.log";
/// How long the server may take to accept a connection once `pg_ctl` says it started.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// Room for `/.s.PGSQL.<port>` in a Unix socket path (`sun_path` holds 108 bytes).
const MAX_SOCKET_DIR_LEN: usize = 90;
/// Environment variables of libpq and the server tools that must not leak into ours.
const PG_ENVIRONMENT: &[&str] = &[
    "PGDATA",
    "PGHOST",
    "PGHOSTADDR",
    "PGPORT",
    "PGUSER",
    "PGPASSWORD",
    "PGPASSFILE",
    "PGDATABASE",
    "PGOPTIONS",
    "PGSERVICE",
    "PGSERVICEFILE",
    "PGSSLMODE",
    "PGTZ",
    "PGCLIENTENCODING",
];

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

/// The system user the PostgreSQL tools run as when veche is root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct User {
    uid: u32,
    gid: u32,
}

/// `initdb`, `pg_ctl` and `postgres` of one PostgreSQL version.
#[derive(Debug)]
struct Binaries {
    version: String,
    initdb: PathBuf,
    pg_ctl: PathBuf,
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

/// The major version in `PG_VERSION`, or None when there is no cluster yet.
fn read_cluster_version(cluster_dir: &Path) -> anyhow::Result<Option<String>> {
    let path = cluster_dir.join("PG_VERSION");
    match std::fs::read_to_string(&path) {
        Ok(version) => Ok(Some(version.trim().to_string())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error).with_context(|| format!("reading {}", path.display())),
    }
}

/// The binaries of the cluster's version if it exists, else of the newest version installed.
fn find_binaries(cluster_version: Option<&str>) -> anyhow::Result<Binaries> {
    let mut installed: Vec<(Vec<u32>, String, PathBuf)> = Vec::new();
    if let Ok(entries) = std::fs::read_dir(POSTGRESQL_LIB) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(key) = name.split('.').map(str::parse::<u32>).collect::<Result<Vec<_>, _>>() else {
                continue;
            };
            let bin = entry.path().join("bin");
            if ["initdb", "pg_ctl", "postgres"].iter().all(|tool| bin.join(tool).is_file()) {
                installed.push((key, name, bin));
            }
        }
    }
    installed.sort();
    let chosen = match cluster_version {
        Some(version) => match installed.iter().find(|(_, name, _)| name == version) {
            Some(found) => found,
            None => bail!(
                "the embedded cluster was created by PostgreSQL {version}, whose server binaries are not under \
                 {POSTGRESQL_LIB}/{version}/bin (installed: {}); install postgresql-{version} or upgrade the cluster",
                installed.iter().map(|(_, name, _)| name.as_str()).collect::<Vec<_>>().join(", ")
            ),
        },
        None => match installed.last() {
            Some(found) => found,
            None => bail!(
                "no PostgreSQL server binaries found under {POSTGRESQL_LIB}/<version>/bin; install the Debian \
                 package `postgresql` (apt-get install postgresql), or set VECHE_DATABASE_URL to use another server"
            ),
        },
    };
    let (_, version, bin) = chosen;
    Ok(Binaries { version: version.clone(), initdb: bin.join("initdb"), pg_ctl: bin.join("pg_ctl") })
}

fn current_uid() -> anyhow::Result<u32> {
    Ok(std::fs::metadata("/proc/self").context("reading /proc/self to learn the current user")?.uid())
}

/// As root, the tools run as the owner of an existing cluster, or else as `postgres`.
fn user_for_root(cluster_dir: &Path, cluster_exists: bool) -> anyhow::Result<User> {
    if cluster_exists {
        let metadata = std::fs::metadata(cluster_dir)?;
        if metadata.uid() != 0 {
            return Ok(User { uid: metadata.uid(), gid: metadata.gid() });
        }
    }
    system_user("postgres")?.with_context(|| {
        "PostgreSQL refuses to run as root and there is no `postgres` system user; install the Debian \
         package `postgresql` (it creates the user) or run veche as an ordinary user"
            .to_string()
    })
}

/// The uid and gid of a user in /etc/passwd.
fn system_user(name: &str) -> anyhow::Result<Option<User>> {
    let passwd = std::fs::read_to_string("/etc/passwd").context("reading /etc/passwd")?;
    for line in passwd.lines() {
        let fields: Vec<&str> = line.split(':').collect();
        if fields.len() >= 4 && fields[0] == name {
            let uid = fields[2].parse().with_context(|| format!("the uid of {name} in /etc/passwd"))?;
            let gid = fields[3].parse().with_context(|| format!("the gid of {name} in /etc/passwd"))?;
            return Ok(Some(User { uid, gid }));
        }
    }
    Ok(None)
}

/// Whether `user` may enter a directory with this metadata (mode bits only; supplementary
/// groups and ACLs are not considered).
fn traversable_by(metadata: &std::fs::Metadata, user: User) -> bool {
    let mode = metadata.mode();
    if user.uid == 0 {
        true
    } else if metadata.uid() == user.uid {
        mode & 0o100 != 0
    } else if metadata.gid() == user.gid {
        mode & 0o010 != 0
    } else {
        mode & 0o001 != 0
    }
}

/// Makes sure `user` can reach the cluster directory: the data directory is opened to
/// traversal (0755 if we created it; +x for group and others if it is ours but closed,
/// e.g. a fresh temp dir), and every directory above it must already be traversable.
fn make_reachable(data_dir: &Path, created: bool, user: User) -> anyhow::Result<()> {
    let metadata = std::fs::metadata(data_dir)?;
    if created {
        std::fs::set_permissions(data_dir, std::fs::Permissions::from_mode(0o755))
            .with_context(|| format!("chmod 0755 {}", data_dir.display()))?;
    } else if !traversable_by(&metadata, user) {
        if metadata.uid() != current_uid()? {
            bail!(
                "the PostgreSQL server runs as uid {} (PostgreSQL refuses root) and cannot enter the data \
                 directory {}; choose another VECHE_DATA_DIR or make it traversable (chmod o+x)",
                user.uid,
                data_dir.display()
            );
        }
        let mode = (metadata.mode() & 0o7777) | 0o011;
        std::fs::set_permissions(data_dir, std::fs::Permissions::from_mode(mode))
            .with_context(|| format!("chmod {mode:o} {}", data_dir.display()))?;
    }
    for ancestor in data_dir.ancestors().skip(1) {
        let metadata = std::fs::metadata(ancestor).with_context(|| format!("reading {}", ancestor.display()))?;
        if !traversable_by(&metadata, user) {
            bail!(
                "the PostgreSQL server runs as uid {} (PostgreSQL refuses root) and cannot reach the data \
                 directory {}: {} is not traversable by it; choose another VECHE_DATA_DIR (e.g. under /var/lib)",
                user.uid,
                data_dir.display(),
                ancestor.display()
            );
        }
    }
    Ok(())
}

/// Creates `path` (0700) if missing and makes `user` its owner.
fn give_to(path: &Path, user: User) -> anyhow::Result<()> {
    if !path.exists() {
        std::fs::create_dir(path).with_context(|| format!("creating {}", path.display()))?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))?;
    }
    let metadata = std::fs::metadata(path)?;
    if metadata.uid() != user.uid || metadata.gid() != user.gid {
        chown(path, Some(user.uid), Some(user.gid))
            .with_context(|| format!("chown {}:{} {}", user.uid, user.gid, path.display()))?;
    }
    Ok(())
}

/// `pg_ctl` appends the server's output to the log as `user`, so the file must be theirs.
fn prepare_log_file(log_file: &Path, user: User) -> anyhow::Result<()> {
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(log_file)
        .with_context(|| format!("creating {}", log_file.display()))?;
    chown(log_file, Some(user.uid), Some(user.gid))
        .with_context(|| format!("chown {}:{} {}", user.uid, user.gid, log_file.display()))
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

/// Runs `initdb` with locale C.UTF-8, or C where C.UTF-8 is not available.
async fn initdb(
    binaries: &Binaries,
    data_dir: &Path,
    cluster_dir: &Path,
    password: &str,
    run_as: Option<User>,
) -> anyhow::Result<()> {
    if let Some(user) = run_as {
        give_to(cluster_dir, user)?;
    }
    // initdb reads the password from a file, which `user` must be able to read; it is
    // removed as soon as initdb is done.
    let pwfile = data_dir.join(format!(".initdb-password-{}", random_password()));
    let _remove_pwfile = RemoveOnDrop(pwfile.clone());
    {
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&pwfile)?;
        file.write_all(password.as_bytes())?;
        file.write_all(b"\n")?;
    }
    if let Some(user) = run_as {
        chown(&pwfile, Some(user.uid), Some(user.gid))?;
    }
    let mut failures = Vec::new();
    for locale in ["C.UTF-8", "C"] {
        let mut command = tool(&binaries.initdb, run_as);
        command
            .arg("-D")
            .arg(cluster_dir)
            .args(["-U", ROLE, "--auth=scram-sha-256", "-E", "UTF8"])
            .arg(format!("--pwfile={}", pwfile.display()))
            .arg(format!("--locale={locale}"));
        let output = run(command).await.context("running initdb")?;
        if output.status.success() {
            tracing::info!(cluster = %cluster_dir.display(), version = %binaries.version, locale, "PostgreSQL cluster created");
            return Ok(());
        }
        failures.push(format!("with --locale={locale}:\n{}", describe_output(&output)));
        // initdb cleans up after itself, but leaves a directory it did not create; make
        // sure the next attempt starts from an empty one.
        if let Ok(entries) = std::fs::read_dir(cluster_dir) {
            for entry in entries.flatten() {
                let path = entry.path();
                let _ = if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
            }
        }
        if let Some(user) = run_as {
            give_to(cluster_dir, user)?;
        }
    }
    bail!("initdb failed for {}\n{}", cluster_dir.display(), failures.join("\n"))
}

struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

struct StartError {
    message: String,
    /// The server could not bind its port.
    port_taken: bool,
}

async fn pg_ctl_start(
    binaries: &Binaries,
    cluster_dir: &Path,
    log_file: &Path,
    port: u16,
    durable: bool,
    run_as: Option<User>,
) -> Result<(), StartError> {
    let log_offset = std::fs::metadata(log_file).map(|m| m.len()).unwrap_or(0);
    // The socket lives in the cluster directory, unless that path is too long for a Unix
    // socket; then there is none (veche connects over TCP anyway).
    let socket_dir = cluster_dir.to_string_lossy();
    let socket_dir = if socket_dir.len() <= MAX_SOCKET_DIR_LEN { shell_quote(&socket_dir) } else { "''".to_string() };
    let mut server_options = format!("-p {port} -c listen_addresses=127.0.0.1 -k {socket_dir} -c max_connections=200");
    if !durable {
        server_options.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
    }
    let mut command = tool(&binaries.pg_ctl, run_as);
    command
        .args(["start", "-w", "-t", "60", "-D"])
        .arg(cluster_dir)
        .arg("-l")
        .arg(log_file)
        .arg("-o")
        .arg(server_options)
        // The server must not share veche's process group: a Ctrl-C in the terminal is
        // veche's to handle, and veche stops the server cleanly.
        .process_group(0);
    let output = match run(command).await {
        Ok(output) => output,
        Err(error) => return Err(StartError { message: format!("running pg_ctl start: {error:#}"), port_taken: false }),
    };
    if output.status.success() {
        return Ok(());
    }
    let log = log_tail(log_file, log_offset);
    Err(StartError {
        port_taken: log.contains("could not bind") || log.contains("Address already in use"),
        message: format!("pg_ctl start failed for {} on port {port}\n{}\n{log}", cluster_dir.display(), describe_output(&output)),
    })
}

fn pg_ctl_stop(pg_ctl: &Path, cluster_dir: &Path, mode: &str, run_as: Option<User>) -> Command {
    let mut command = tool(pg_ctl, run_as);
    command.args(["stop", "-w", "-t", "60", "-m", mode, "-D"]).arg(cluster_dir);
    command
}

/// `pg_ctl status`: exit code 0 when a server runs on the cluster, 3 when none does.
async fn is_running(pg_ctl: &Path, cluster_dir: &Path, run_as: Option<User>) -> anyhow::Result<bool> {
    let mut command = tool(pg_ctl, run_as);
    command.arg("status").arg("-D").arg(cluster_dir);
    let output = run(command).await.context("running pg_ctl status")?;
    Ok(output.status.success())
}

/// A command for one of the PostgreSQL tools, as `run_as` when given, with none of the
/// caller's libpq settings, from `/` (the tools complain when they cannot read their
/// working directory, which `run_as` may not be able to).
fn tool(program: &Path, run_as: Option<User>) -> Command {
    let mut command = Command::new(program);
    command.current_dir("/").stdin(Stdio::null());
    for variable in PG_ENVIRONMENT {
        command.env_remove(variable);
    }
    if let Some(user) = run_as {
        command.uid(user.uid).gid(user.gid);
    }
    command
}

async fn run(command: Command) -> anyhow::Result<Output> {
    let program = command.get_program().to_string_lossy().into_owned();
    let mut command = tokio::process::Command::from(command);
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    command.output().await.with_context(|| format!("running {program}"))
}

fn describe_output(output: &Output) -> String {
    let mut text = format!("exit status: {}", output.status);
    for (name, bytes) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
        let content = String::from_utf8_lossy(bytes);
        if !content.trim().is_empty() {
            text.push_str(&format!("\n{name}:\n{}", content.trim_end()));
        }
    }
    text
}

/// The last lines a server wrote to its log since `offset` (nats-server's log too).
pub(crate) fn log_tail(log_file: &Path, offset: u64) -> String {
    const LINES: usize = 30;
    let mut content = String::new();
    let read = std::fs::File::open(log_file).and_then(|mut file| {
        let len = file.metadata()?.len();
        // At most the last 64 KiB are of interest.
        file.seek(SeekFrom::Start(offset.max(len.saturating_sub(64 * 1024))))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        content = String::from_utf8_lossy(&bytes).into_owned();
        Ok(())
    });
    if let Err(error) = read {
        return format!("({} could not be read: {error})", log_file.display());
    }
    let lines: Vec<&str> = content.lines().collect();
    if lines.is_empty() {
        return format!("({} has nothing new)", log_file.display());
    }
    let tail = &lines[lines.len().saturating_sub(LINES)..];
    format!("last lines of {}:\n{}", log_file.display(), tail.join("\n"))
}

/// Whether a process with this PID exists and is not a zombie.
fn process_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name, which is in parentheses and may hold any byte.
        Ok(stat) => !stat.rsplit(')').next().unwrap_or("").trim_start().starts_with('Z'),
        Err(_) => false,
    }
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("looking for a free port on 127.0.0.1")?;
    Ok(listener.local_addr()?.port())
}

/// Quotes a word for the shell `pg_ctl` starts the server with.
fn shell_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_word_with_quotes_and_spaces_is_quoted_for_the_shell() {
        assert_eq!(shell_quote("/tmp/a b/it's"), r"'/tmp/a b/it'\''s'");
    }

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
