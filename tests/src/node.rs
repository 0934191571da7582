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

/// `veche-node`: the veche binary's entry point built in this package (see its source),
/// which cargo builds before it runs this package's integration tests, next to them.
fn node_binary() -> std::path::PathBuf {
    let test = std::env::current_exe().expect("the test binary's path");
    let profile_dir = test.parent().and_then(|deps| deps.parent()).expect("target/<profile>/deps/<test>");
    profile_dir.join("veche-node")
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
        let client = reqwest::Client::new();
        for _ in 0..300 {
            if let Ok(response) = client.get(format!("{}/readyz", node.base)).send().await {
                if response.status().is_success() {
                    return node;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("veche node {node_id} did not become ready:\n{}", node.log());
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
