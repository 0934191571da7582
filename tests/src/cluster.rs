//! A throwaway PostgreSQL cluster per test binary, and a database per test.

use infrastructure::embedded_postgres::{EmbeddedPostgres, EmbeddedPostgresOptions};
use sqlx::{Connection, PgConnection, PgPool};
use std::path::PathBuf;
use std::sync::OnceLock;

struct SharedCluster {
    cluster: EmbeddedPostgres,
    _dir: PathBuf,
}

static CLUSTER: OnceLock<SharedCluster> = OnceLock::new();
static TEMPLATE_READY: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
/// CREATE DATABASE from one template is serialised: PostgreSQL refuses to copy a template
/// that another session is copying from.
static CREATE_LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const TEMPLATE: &str = "veche_template";

/// Starts the cluster on first use. It runs on a thread of its own because each
/// `#[tokio::test]` has its own runtime, and the cluster outlives all of them.
fn shared() -> &'static SharedCluster {
    CLUSTER.get_or_init(|| {
        std::thread::spawn(|| {
            let dir = tempfile::Builder::new().prefix("veche-test-pg-").tempdir().expect("a temp dir").keep();
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            let cluster = runtime
                .block_on(EmbeddedPostgres::start(EmbeddedPostgresOptions { data_dir: dir.clone(), port: None, durable: false }))
                .expect("the test PostgreSQL cluster starts (is the `postgresql` package installed?)");
            watch_for_exit(&dir);
            SharedCluster { cluster, _dir: dir }
        })
        .join()
        .expect("the cluster thread does not panic")
    })
}

/// Test binaries exit without running destructors of statics, so a small watchdog stops
/// the cluster by its data directory and deletes it once this process is gone.
fn watch_for_exit(dir: &std::path::Path) {
    crate::process::run_after_exit(&format!(
        "pg_ctl=$(ls -d /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -n1); \
         if [ \"$(id -u)\" = 0 ]; then runuser -u postgres -- \"$pg_ctl\" stop -D '{cluster}' -m immediate; \
         else \"$pg_ctl\" stop -D '{cluster}' -m immediate; fi >/dev/null 2>&1; rm -rf '{dir}'",
        cluster = dir.join("postgres").display(),
        dir = dir.display(),
    ));
}

/// A database of its own for one test, with every migration applied.
pub struct TestDatabase {
    pub name: String,
    pub url: String,
}

impl TestDatabase {
    pub async fn create() -> Self {
        let shared = shared();
        TEMPLATE_READY
            .get_or_init(|| async {
                let url = shared.cluster.database_url();
                let mut admin = PgConnection::connect(&url).await.expect("connect to the test cluster");
                sqlx::query(&format!("create database {TEMPLATE}")).execute(&mut admin).await.unwrap();
                let pool = PgPool::connect(&shared.cluster.url_for_database(TEMPLATE)).await.unwrap();
                infrastructure::database::migrate(&pool).await.expect("migrations apply");
                pool.close().await;
            })
            .await;
        let name = format!("test_{}", uuid::Uuid::new_v4().simple());
        {
            let _guard = CREATE_LOCK.lock().await;
            let mut admin = PgConnection::connect(&shared.cluster.database_url()).await.unwrap();
            sqlx::query(&format!("create database {name} template {TEMPLATE}")).execute(&mut admin).await.unwrap();
        }
        let url = shared.cluster.url_for_database(&name);
        Self { name, url }
    }

    pub async fn pool(&self, max_connections: u32) -> PgPool {
        infrastructure::database::connect(&self.url, max_connections).await.unwrap()
    }

    /// Drops the database (every connection to it must be closed).
    pub async fn drop_database(self) {
        let mut admin = PgConnection::connect(&shared().cluster.database_url()).await.unwrap();
        let _ = sqlx::query(&format!("drop database if exists {} with (force)", self.name)).execute(&mut admin).await;
    }
}
