//! Child processes of the tests outlive nothing: a watchdog kills them by PID when the
//! test process is gone (test binaries exit without running destructors of statics).

/// Kills `child_pid` once this process has exited.
pub fn watch_for_exit(child_pid: u32) {
    run_after_exit(&format!("kill {child_pid} 2>/dev/null"));
}

/// Runs the shell command `cleanup` once this process has exited.
// The watchdog must outlive this process, so it is deliberately never waited for.
#[allow(clippy::zombie_processes)]
pub fn run_after_exit(cleanup: &str) {
    let script = format!("while kill -0 {parent} 2>/dev/null; do sleep 0.5; done; {cleanup}", parent = std::process::id());
    std::process::Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the watchdog starts");
}
