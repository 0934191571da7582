//! A real OpenID Provider for the sign-in tests (`tests/web/oidc-provider.mjs`: the npm
//! package `oidc-provider`, OpenID-certified) on a free loopback port, stopped when dropped
//! and by the watchdog if the test process dies first.

use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub struct OidcProvider {
    pub issuer: String,
    child: Child,
}

/// veche's client at the provider.
pub const CLIENT_ID: &str = "veche";
pub const CLIENT_SECRET: &str = "veche-test-secret";

impl OidcProvider {
    /// Starts the provider with veche's client registered for `redirect_uri`.
    pub async fn start(redirect_uri: &str) -> Self {
        crate::browser::ensure_packages().await;
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut child = Command::new("node")
            .arg("oidc-provider.mjs")
            .arg(port.to_string())
            .arg(redirect_uri)
            .current_dir(crate::browser::web_dir())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs (bash tests/install-deps.sh nodejs)");
        crate::process::watch_for_exit(child.id().expect("a running provider has a pid"));
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let issuer = tokio::time::timeout(Duration::from_secs(30), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(issuer) = line.strip_prefix("listening ") {
                    return issuer.to_string();
                }
            }
            panic!("the OpenID provider exited before it listened");
        })
        .await
        .expect("the OpenID provider listens within 30 s");
        // Its later notices must find the pipe open: a write to a closed one ends it (EPIPE).
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Self { issuer, child }
    }

    /// Points veche's settings at this provider.
    pub fn configure(&self, settings: &mut api::settings::Settings) {
        settings.sign_in.oidc_issuer = Some(self.issuer.clone());
        settings.sign_in.oidc_client_id = Some(CLIENT_ID.into());
        settings.sign_in.oidc_client_secret = Some(CLIENT_SECRET.into());
        settings.sign_in.oidc_name = "Test ID".into();
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}
