//! What the benchmark commands run veche over: a durable PostgreSQL cluster and a
//! nats-server in a temporary directory, stopped at the end (or at Ctrl-C).

use infrastructure::embedded_nats::{EmbeddedNats, EmbeddedNatsOptions};
use infrastructure::embedded_postgres::{EmbeddedPostgres, EmbeddedPostgresOptions};
use std::future::Future;

pub struct BenchServers {
    pub dir: tempfile::TempDir,
    pub cluster: EmbeddedPostgres,
    pub nats: EmbeddedNats,
}

impl BenchServers {
    /// Starts both under a new temporary directory named `prefix…`.
    pub async fn start(prefix: &str) -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new().prefix(prefix).tempdir()?;
        {
            use std::os::unix::fs::PermissionsExt;
            // PostgreSQL runs as `postgres` when we are root and must be able to enter it.
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))?;
        }
        let cluster =
            EmbeddedPostgres::start(EmbeddedPostgresOptions { data_dir: dir.path().join("pg"), port: None, durable: true })
                .await?;
        let nats = EmbeddedNats::start(EmbeddedNatsOptions { data_dir: dir.path().join("nats"), port: None }).await?;
        Ok(Self { dir, cluster, nats })
    }

    /// A veche node over the cluster on a free loopback port (its data under the directory),
    /// its settings changed by `configure` first; with its base URL.
    pub async fn veche(
        &self,
        configure: impl FnOnce(&mut api::settings::Settings),
    ) -> anyhow::Result<(api::server::RunningServer, String)> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let base = format!("http://127.0.0.1:{port}");
        let mut settings = crate::app::test_settings(&self.cluster.database_url());
        settings.listen = format!("127.0.0.1:{port}").parse()?;
        settings.public_url = Some(base.clone());
        settings.data_dir = Some(self.dir.path().join("veche"));
        configure(&mut settings);
        Ok((api::server::start(settings).await?, base))
    }

    /// Stops both servers, then prints the report `outcome` holds (or gives its error).
    pub async fn stop_and_print(self, outcome: anyhow::Result<String>) -> anyhow::Result<()> {
        self.nats.stop().await?;
        self.cluster.stop().await?;
        print!("{}", outcome?);
        Ok(())
    }
}

/// `work`'s outcome, or an error at Ctrl-C.
pub async fn until_interrupted(work: impl Future<Output = anyhow::Result<String>>) -> anyhow::Result<String> {
    tokio::select! {
        outcome = work => outcome,
        _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
    }
}
