//! A throwaway nats-server per test: a temporary directory, a free loopback port, JetStream
//! on. It can be stopped and started again on the same port and store (NATS down for a
//! while), and its store can be put back as it was (NATS lost its tail). A watchdog kills
//! the server and deletes the directory when the test process is gone.

use infrastructure::embedded_nats::{EmbeddedNats, EmbeddedNatsOptions};
use infrastructure::nats::Nats;
use std::path::{Path, PathBuf};

pub struct TestNats {
    server: Option<EmbeddedNats>,
    dir: PathBuf,
    port: u16,
    /// With the server's token, which stays across restarts.
    url: String,
}

impl TestNats {
    pub async fn start() -> Self {
        let dir = tempfile::Builder::new().prefix("veche-test-nats-").tempdir().expect("a temp dir").keep();
        let server = EmbeddedNats::start(EmbeddedNatsOptions { data_dir: dir.clone(), port: None })
            .await
            .expect("the test nats-server starts (is the `nats-server` package installed?)");
        watch_for_exit(&dir);
        let (port, url) = (server.port(), server.url());
        Self { server: Some(server), dir, port, url }
    }

    /// The URL (with the token) stays the same across restarts.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The server's address without its token.
    pub fn address(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    pub async fn connect(&self) -> Nats {
        Nats::connect(&self.url()).await.expect("connects to the test nats-server")
    }

    /// Stops the server (SIGTERM); its store stays.
    pub async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await.expect("the test nats-server stops");
        }
    }

    /// Starts the server again on the same port and store.
    pub async fn restart(&mut self) {
        self.stop().await;
        let server = EmbeddedNats::start(EmbeddedNatsOptions { data_dir: self.dir.clone(), port: Some(self.port) })
            .await
            .expect("the test nats-server starts again on its port");
        self.server = Some(server);
    }

    /// A copy of the JetStream store as it is now (stop the server first, so that it is
    /// consistent).
    pub fn copy_store(&self) -> PathBuf {
        let copy = self.dir.join(format!("store-copy-{}", uuid::Uuid::new_v4().simple()));
        copy_dir(&self.dir.join("jetstream"), &copy);
        copy
    }

    /// Puts back a store copied earlier: what a server that lost the tail of its store
    /// after a crash finds when it starts (the server must be stopped).
    pub fn restore_store(&self, copy: &Path) {
        assert!(self.server.is_none(), "stop the server before replacing its store");
        let store = self.dir.join("jetstream");
        std::fs::remove_dir_all(&store).expect("removes the store");
        copy_dir(copy, &store);
    }
}

fn copy_dir(from: &Path, to: &Path) {
    let status = std::process::Command::new("cp").arg("-a").arg(from).arg(to).status().expect("cp runs");
    assert!(status.success(), "copying {} to {}", from.display(), to.display());
}

impl Drop for TestNats {
    fn drop(&mut self) {
        drop(self.server.take());
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Kills the server (whatever its PID after restarts: read from its PID file) and deletes
/// the directory once this process is gone; a test that panics or is killed leaves nothing.
fn watch_for_exit(dir: &Path) {
    crate::process::run_after_exit(&format!(
        "kill -9 \"$(cat '{dir}/nats-server.pid' 2>/dev/null)\" 2>/dev/null; rm -rf '{dir}'",
        dir = dir.display(),
    ));
}
