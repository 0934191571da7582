//! Runs the browser scripts of `tests/web` (Node.js + playwright-core driving Debian's
//! `/usr/bin/chromium`; never a downloaded browser) and reports how they ended.
//!
//! The scripts' packages are installed with `npm ci --ignore-scripts` (so no install
//! script can fetch a browser) when `node_modules` is missing or does not match the
//! lock file. Every run is bounded: past [`SCRIPT_LIMIT`] the script is asked to stop
//! (SIGTERM: Playwright then closes its browsers), and killed a little later.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};
use tokio::sync::{Mutex, OnceCell};

/// Longer than the scripts' own deadline (150 s), so they normally report their failure
/// themselves.
pub const SCRIPT_LIMIT: Duration = Duration::from_secs(180);
/// How long `npm ci` may take (a cold npm cache downloads a few megabytes).
const INSTALL_LIMIT: Duration = Duration::from_secs(300);
/// Between SIGTERM and SIGKILL: time for Playwright to close its browsers.
const GRACE: Duration = Duration::from_secs(15);

/// One browser script at a time: two of them would run four Chromiums, which on a
/// two-core machine starve each other's video pipelines.
static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());
static INSTALLED: OnceCell<Result<(), String>> = OnceCell::const_new();

/// `tests/web`.
pub fn web_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("web")
}

/// How a script ended, with everything it printed.
#[derive(Debug)]
pub struct ScriptRun {
    pub script: String,
    pub success: bool,
    pub output: String,
}

impl ScriptRun {
    /// Panics with the script's output unless it exited 0.
    pub fn assert_passed(&self) {
        assert!(self.success, "{} failed; its output:\n{}", self.script, self.output);
    }
}

/// Runs `node tests/web/<script> <args...>` (installing its packages first if needed).
pub async fn run_script(script: &str, args: &[&str]) -> ScriptRun {
    run_script_with_env(script, args, &[]).await
}

/// [`run_script`] with these environment variables set for the script.
pub async fn run_script_with_env(script: &str, args: &[&str], env: &[(&str, &str)]) -> ScriptRun {
    ensure_packages().await;
    for (program, hint) in [("/usr/bin/chromium", "chromium"), ("node", "nodejs")] {
        let found = std::process::Command::new(program).arg("--version").output().is_ok_and(|o| o.status.success());
        assert!(found, "{program} is needed by the browser tests: bash tests/install-deps.sh {hint}");
    }
    let _turn = ONE_AT_A_TIME.lock().await;
    let mut command = Command::new("node");
    command.arg(script).args(args).envs(env.iter().copied()).current_dir(web_dir());
    let (success, output) = run_bounded(command, SCRIPT_LIMIT).await;
    if success {
        // Shown with `cargo test -- --nocapture`; a failure shows it in its panic message.
        println!("{script}:\n{output}");
    }
    ScriptRun { script: script.to_string(), success, output }
}

/// Installs the scripts' npm packages if they are missing (once per test binary).
pub async fn ensure_packages() {
    if let Err(problem) = INSTALLED.get_or_init(install_packages).await {
        panic!("{problem}");
    }
}

async fn install_packages() -> Result<(), String> {
    let dir = web_dir();
    if packages_match_lock(&dir) {
        return Ok(());
    }
    let mut command = Command::new("npm");
    command.args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"]).current_dir(&dir);
    match run_bounded(command, INSTALL_LIMIT).await {
        (true, _) => Ok(()),
        (false, output) => {
            Err(format!("npm ci in {} failed (is npm installed? bash tests/install-deps.sh npm):\n{output}", dir.display()))
        }
    }
}

/// Whether `node_modules` holds what `package-lock.json` pins: npm records what it
/// installed in `node_modules/.package-lock.json`, the lock's `packages` without the root.
fn packages_match_lock(dir: &Path) -> bool {
    let packages = |path: PathBuf| -> Option<Value> {
        let mut lock: Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
        let mut packages = lock.get_mut("packages")?.take();
        packages.as_object_mut()?.remove("");
        Some(packages)
    };
    let installed = packages(dir.join("node_modules/.package-lock.json"));
    installed.is_some() && installed == packages(dir.join("package-lock.json"))
}

/// Runs `command` to its end or to `limit`, whichever comes first; returns whether it
/// exited 0, and its stdout and stderr.
async fn run_bounded(mut command: Command, limit: Duration) -> (bool, String) {
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(error) => return (false, format!("could not start {:?}: {error}", command.as_std().get_program())),
    };
    let stdout = tokio::spawn(read_all(child.stdout.take()));
    let stderr = tokio::spawn(read_all(child.stderr.take()));
    let status = match tokio::time::timeout(limit, child.wait()).await {
        Ok(status) => status.ok(),
        Err(_) => {
            stop(&mut child).await;
            None
        }
    };
    // Bounded too: a grandchild that kept the pipes open must not hold the test.
    let collect = |reader: tokio::task::JoinHandle<String>| async move {
        tokio::time::timeout(GRACE, reader).await.ok().and_then(Result::ok).unwrap_or_default()
    };
    let mut output = collect(stdout).await;
    output.push_str(&collect(stderr).await);
    if status.is_none() {
        output.push_str(&format!("\n(stopped: still running after {} s)", limit.as_secs()));
    }
    (status.is_some_and(|s| s.success()), output)
}

/// SIGTERM, then SIGKILL if it is still there after [`GRACE`].
async fn stop(child: &mut Child) {
    if let Some(pid) = child.id() {
        let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status().await;
        if tokio::time::timeout(GRACE, child.wait()).await.is_ok() {
            return;
        }
    }
    let _ = child.kill().await;
}

async fn read_all(pipe: Option<impl tokio::io::AsyncRead + Unpin>) -> String {
    let mut text = Vec::new();
    if let Some(mut pipe) = pipe {
        let _ = pipe.read_to_end(&mut text).await;
    }
    String::from_utf8_lossy(&text).into_owned()
}
