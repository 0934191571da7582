//! `initdb` and `pg_ctl`, run as the cluster's user with a clean environment.

use super::*;

/// Room for `/.s.PGSQL.<port>` in a Unix socket path (`sun_path` holds 108 bytes).
pub(super) const MAX_SOCKET_DIR_LEN: usize = 90;
/// Environment variables of libpq and the server tools that must not leak into ours.
pub(super) const PG_ENVIRONMENT: &[&str] = &[
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

/// Runs `initdb` with locale C.UTF-8, or C where C.UTF-8 is not available.
pub(super) async fn initdb(
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

pub(super) struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

pub(super) struct StartError {
    pub(super) message: String,
    /// The server could not bind its port.
    pub(super) port_taken: bool,
}

pub(super) async fn pg_ctl_start(
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

pub(super) fn pg_ctl_stop(pg_ctl: &Path, cluster_dir: &Path, mode: &str, run_as: Option<User>) -> Command {
    let mut command = tool(pg_ctl, run_as);
    command.args(["stop", "-w", "-t", "60", "-m", mode, "-D"]).arg(cluster_dir);
    command
}

/// `pg_ctl status`: exit code 0 when a server runs on the cluster, 3 when none does.
pub(super) async fn is_running(pg_ctl: &Path, cluster_dir: &Path, run_as: Option<User>) -> anyhow::Result<bool> {
    let mut command = tool(pg_ctl, run_as);
    command.arg("status").arg("-D").arg(cluster_dir);
    let output = run(command).await.context("running pg_ctl status")?;
    Ok(output.status.success())
}

/// A command for one of the PostgreSQL tools, as `run_as` when given, with none of the
/// caller's libpq settings, from `/` (the tools complain when they cannot read their
/// working directory, which `run_as` may not be able to).
pub(super) fn tool(program: &Path, run_as: Option<User>) -> Command {
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

pub(super) async fn run(command: Command) -> anyhow::Result<Output> {
    let program = command.get_program().to_string_lossy().into_owned();
    let mut command = tokio::process::Command::from(command);
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    command.output().await.with_context(|| format!("running {program}"))
}

pub(super) fn describe_output(output: &Output) -> String {
    let mut text = format!("exit status: {}", output.status);
    for (name, bytes) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
        let content = String::from_utf8_lossy(bytes);
        if !content.trim().is_empty() {
            text.push_str(&format!("\n{name}:\n{}", content.trim_end()));
        }
    }
    text
}

/// Quotes a word for the shell `pg_ctl` starts the server with.
pub(super) fn shell_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_word_with_quotes_and_spaces_is_quoted_for_the_shell() {
        assert_eq!(shell_quote("/tmp/a b/it's"), r"'/tmp/a b/it'\''s'");
    }
}
