//! Helpers for the servers veche starts itself (PostgreSQL, nats-server): whether a
//! process runs, stopping one by PID, and what its log said last.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

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
pub(crate) fn process_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name, which is in parentheses and may hold any byte.
        Ok(stat) => !stat.rsplit(')').next().unwrap_or("").trim_start().starts_with('Z'),
        Err(_) => false,
    }
}

/// Sends SIGTERM to `pid`.
pub(crate) fn terminate(pid: u32) {
    let Ok(raw) = i32::try_from(pid) else { return };
    if let Err(error) = nix::sys::signal::kill(nix::unistd::Pid::from_raw(raw), nix::sys::signal::Signal::SIGTERM) {
        tracing::warn!(%error, pid, "could not send SIGTERM");
    }
}
