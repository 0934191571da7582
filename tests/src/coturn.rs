//! A real coturn TURN server for the tests, in coturn's `use-auth-secret` mode (the scheme
//! veche issues credentials for), on a free loopback port, stopped by PID when dropped and
//! by a watchdog if the test process dies first.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Coturn {
    pub port: u16,
    pub secret: String,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Coturn {
    /// Starts `turnserver` on loopback and waits until it answers on its port.
    pub async fn start(secret: &str) -> Self {
        Self::start_on(secret, &["127.0.0.1"], "127.0.0.1").await
    }

    /// Starts `turnserver` listening on `listening` addresses, relaying from `relay`.
    pub async fn start_on(secret: &str, listening: &[&str], relay: &str) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let port = free_udp_and_tcp_port();
        let log = std::fs::File::create(dir.path().join("turnserver.log")).unwrap();
        let child = Command::new("turnserver")
            .args(["-n", "--no-cli", "--no-tls", "--no-dtls", "--simple-log", "--log-file=stdout", "--verbose"])
            .args(listening.iter().map(|address| format!("--listening-ip={address}")))
            .arg(format!("--relay-ip={relay}"))
            .arg(format!("--listening-port={port}"))
            .arg("--min-port=49152")
            .arg("--max-port=65535")
            .arg("--use-auth-secret")
            .arg(format!("--static-auth-secret={secret}"))
            .arg("--realm=veche.test")
            // The relay's peers are on loopback in the tests.
            .arg("--allow-loopback-peers")
            .arg(format!("--pidfile={}", dir.path().join("turnserver.pid").display()))
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(Stdio::null())
            .spawn()
            .expect("turnserver starts (Debian's coturn; tests/install-deps.sh installs it)");
        crate::process::run_after_exit(&format!("kill -9 {} 2>/dev/null", child.id()));
        let server = Self { port, secret: secret.to_string(), child, _dir: dir };
        for _ in 0..100 {
            if std::net::TcpStream::connect((listening[0], port)).is_ok() {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("turnserver did not listen on {port}: {}", server.log());
    }

    pub fn url(&self) -> String {
        format!("turn:127.0.0.1:{}?transport=udp", self.port)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn log_path(&self) -> PathBuf {
        self._dir.path().join("turnserver.log")
    }

    /// Allocates a relay with these credentials and sends a few packets through it
    /// (coturn's own client, `turnutils_uclient`); `Ok(output)` when the allocation
    /// succeeded and data came back through the relay.
    pub async fn allocate(&self, username: &str, password: &str) -> Result<String, String> {
        let output = tokio::time::timeout(
            Duration::from_secs(30),
            tokio::process::Command::new("turnutils_uclient")
                .args(["-p", &self.port.to_string(), "-u", username, "-w", password])
                // one client, one message, echoed back through the relay, no RTCP
                .args(["-n", "1", "-m", "1", "-y", "-c", "127.0.0.1"])
                .kill_on_drop(true)
                .output(),
        )
        .await
        .map_err(|_| "turnutils_uclient took over 30 s".to_string())?
        .map_err(|e| format!("turnutils_uclient did not run: {e}"))?;
        let text = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
        // The last progress line counts what came back through the relay in all.
        let received = text
            .lines()
            .rev()
            .find_map(|line| line.split("tot_recv_bytes ~ ").nth(1))
            .and_then(|n| n.trim().parse::<u64>().ok())
            .unwrap_or(0);
        let echoed = received > 0;
        if output.status.success() && echoed {
            Ok(text)
        } else {
            Err(text)
        }
    }
}

impl Drop for Coturn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port free for both TCP and UDP on 127.0.0.1 (TURN listens on both).
fn free_udp_and_tcp_port() -> u16 {
    loop {
        let tcp = std::net::TcpListener::bind("127.0.0.1:0").expect("a free TCP port");
        let port = tcp.local_addr().unwrap().port();
        if std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}
