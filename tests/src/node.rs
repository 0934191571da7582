//! A veche node as a real process (the `veche` binary), for tests that need several nodes
//! sharing PostgreSQL and NATS, or a node that dies.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct VecheNode {
    pub base: String,
    pub node_id: String,
    child: Child,
    _dir: tempfile::TempDir,
}

/// A node as `veche serve` runs with no URLs: its own PostgreSQL and nats-server under its
/// data directory, which outlives the process (so that it can be started again on it).
pub struct EmbeddedNode {
    pub base: String,
    pub data_dir: std::path::PathBuf,
    child: Child,
    log: std::path::PathBuf,
}

/// `veche-node`: the veche binary's entry point built in this package (see its source),
/// which cargo builds before it runs this package's integration tests, next to them.
fn node_binary() -> std::path::PathBuf {
    let test = std::env::current_exe().expect("the test binary's path");
    let profile_dir = test.parent().and_then(|deps| deps.parent()).expect("target/<profile>/deps/<test>");
    profile_dir.join("veche-node")
}

impl EmbeddedNode {
    /// Starts `veche serve` with no database or NATS URL over `data_dir`, on a free port,
    /// and waits until it is ready (a first start creates the cluster: up to a minute).
    pub async fn start(data_dir: &std::path::Path) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let log = data_dir.join(format!("veche-{port}.log"));
        let child = Command::new(node_binary())
            .arg("serve")
            .env("VECHE_LISTEN", format!("127.0.0.1:{port}"))
            .env("VECHE_DATA_DIR", data_dir)
            .env_remove("VECHE_DATABASE_URL")
            .env_remove("VECHE_NATS_URL")
            .env("VECHE_JWT_SECRET", crate::app::TEST_JWT_SECRET)
            .env("VECHE_RATE_COMMANDS_PER_SECOND", "0")
            .env("VECHE_RATE_EMAILS_PER_HOUR", "0")
            .env("VECHE_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("veche starts");
        crate::process::run_after_exit(&format!("kill -9 {} 2>/dev/null", child.id()));
        let node = Self { base: format!("http://127.0.0.1:{port}"), data_dir: data_dir.to_path_buf(), child, log };
        wait_until_ready(&node.base, || node.log()).await;
        node
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Kills the process at once, as a crash or a power cut would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Asks the process to stop (SIGTERM) and waits until it has.
    pub async fn stop(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        for _ in 0..600 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("veche did not stop within a minute of SIGTERM:\n{}", self.log());
    }
}

impl Drop for EmbeddedNode {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Waits until `/readyz` answers 200, for at most a minute.
async fn wait_until_ready(base: &str, log: impl Fn() -> String) {
    let client = reqwest::Client::new();
    for _ in 0..600 {
        if let Ok(response) = client.get(format!("{base}/readyz")).send().await {
            if response.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("veche at {base} did not become ready:\n{}", log());
}

impl VecheNode {
    /// Starts `veche serve` on a free port and waits until it is ready.
    pub async fn start(node_id: &str, database_url: &str, nats_url: &str, extra_env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut command = Command::new(node_binary());
        command
            .arg("serve")
            .env("VECHE_LISTEN", format!("127.0.0.1:{port}"))
            .env("VECHE_DATA_DIR", dir.path())
            .env("VECHE_DATABASE_URL", database_url)
            .env("VECHE_NATS_URL", nats_url)
            .env("VECHE_JWT_SECRET", crate::app::TEST_JWT_SECRET)
            .env("VECHE_NODE_ID", node_id)
            .env("VECHE_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("veche.log")).unwrap());
        for (key, value) in extra_env {
            command.env(key, value);
        }
        let child = command.spawn().expect("veche starts");
        crate::process::run_after_exit(&format!("kill -9 {} 2>/dev/null", child.id()));
        let node = Self { base: format!("http://127.0.0.1:{port}"), node_id: node_id.into(), child, _dir: dir };
        wait_until_ready(&node.base, || node.log()).await;
        node
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("veche.log")).unwrap_or_default()
    }

    /// Kills the process at once, as a crash or a power cut would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for VecheNode {
    fn drop(&mut self) {
        self.kill();
    }
}
