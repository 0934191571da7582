//! The embedded PostgreSQL cluster, against the real server binaries
//! (`/usr/lib/postgresql/<version>/bin`, Debian package `postgresql`).

use sqlx::{Connection, PgConnection};
use std::os::unix::fs::PermissionsExt;
use veche_infrastructure::embedded_postgres::{EmbeddedPostgres, EmbeddedPostgresOptions};

/// Whether the process runs, waiting up to 5 s for it to go: the postmaster removes
/// `postmaster.pid` (which `pg_ctl stop -w` waits for) just before it exits. A zombie
/// (state Z, not reaped yet by its parent) counts as gone.
async fn still_running_after_a_while(pid: u32) -> bool {
    for _ in 0..50 {
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Err(_) => return false,
            Ok(stat) if stat.rsplit(')').next().unwrap_or("").trim_start().starts_with('Z') => return false,
            Ok(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
    true
}

async fn connect(url: &str) -> PgConnection {
    PgConnection::connect(url).await.expect("connect to the embedded cluster")
}

#[tokio::test]
async fn a_cluster_starts_in_an_empty_directory_and_restarts_with_its_data() {
    let dir = tempfile::Builder::new().prefix("veche-embedded-pg-").tempdir().unwrap();
    // tempfile may create the directory 0700 (depending on its version and the umask); the
    // server runs as `postgres` when the tests run as root, and must be able to enter it.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let data_dir = dir.path().join("data");
    let options = || EmbeddedPostgresOptions { data_dir: data_dir.clone(), port: None, durable: false };

    // First start: initdb, role and database `veche`.
    let cluster = EmbeddedPostgres::start(options()).await.expect("the cluster starts");
    let url = cluster.database_url();
    assert!(url.starts_with("postgres://veche:"), "{url}");
    assert!(url.ends_with(&format!("@127.0.0.1:{}/veche", cluster.port())), "{url}");
    assert!(cluster.pid().is_some(), "postmaster.pid names the server");
    assert_eq!(EmbeddedPostgres::running_url(&data_dir).as_deref(), Some(url.as_str()));

    let password_file = data_dir.join("postgres-password");
    let password = std::fs::read_to_string(&password_file).unwrap();
    assert_eq!(password.trim().len(), 32);
    assert_eq!(std::fs::metadata(&password_file).unwrap().permissions().mode() & 0o777, 0o600);

    let mut connection = connect(&url).await;
    let one: i32 = sqlx::query_scalar("select 1").fetch_one(&mut connection).await.unwrap();
    assert_eq!(one, 1);
    let (user, database): (String, String) =
        sqlx::query_as("select current_user::text, current_database()::text").fetch_one(&mut connection).await.unwrap();
    assert_eq!((user.as_str(), database.as_str()), ("veche", "veche"));
    sqlx::query("create table kept (note text)").execute(&mut connection).await.unwrap();
    sqlx::query("insert into kept values ('still here')").execute(&mut connection).await.unwrap();
    connection.close().await.unwrap();

    // The server is asked for the test-mode settings.
    let mut connection = connect(&cluster.url_for_database("postgres")).await;
    let fsync: String = sqlx::query_scalar("show fsync").fetch_one(&mut connection).await.unwrap();
    assert_eq!(fsync, "off");
    connection.close().await.unwrap();

    let pid = cluster.pid().unwrap();
    cluster.stop().await.expect("the cluster stops");
    assert!(!still_running_after_a_while(pid).await, "the postmaster is gone");
    assert_eq!(EmbeddedPostgres::running_url(&data_dir), None);

    // Second start: same password, same data.
    let cluster = EmbeddedPostgres::start(options()).await.expect("the cluster restarts");
    assert_eq!(std::fs::read_to_string(&password_file).unwrap(), password);
    let mut connection = connect(&cluster.database_url()).await;
    let note: String = sqlx::query_scalar("select note from kept").fetch_one(&mut connection).await.unwrap();
    assert_eq!(note, "still here");
    connection.close().await.unwrap();
    cluster.stop().await.expect("the cluster stops again");
}

#[tokio::test]
async fn a_dropped_cluster_stops_its_server() {
    let dir = tempfile::Builder::new().prefix("veche-embedded-pg-").tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let cluster =
        EmbeddedPostgres::start(EmbeddedPostgresOptions { data_dir: dir.path().join("data"), port: None, durable: false })
            .await
            .expect("the cluster starts");
    let pid = cluster.pid().unwrap();
    drop(cluster);
    assert!(!still_running_after_a_while(pid).await, "the postmaster is gone");
}

#[tokio::test]
async fn a_fresh_private_temp_directory_can_be_the_data_directory_itself() {
    // As the test harness does: the temp directory itself, here closed to others (0700).
    // When run as root, start() opens it to traversal (0711) so that the `postgres` user
    // reaches the cluster.
    let dir = tempfile::Builder::new().prefix("veche-embedded-pg-").tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let cluster =
        EmbeddedPostgres::start(EmbeddedPostgresOptions { data_dir: dir.path().to_path_buf(), port: None, durable: false })
            .await
            .expect("the cluster starts");
    let mut connection = connect(&cluster.database_url()).await;
    let one: i32 = sqlx::query_scalar("select 1").fetch_one(&mut connection).await.unwrap();
    assert_eq!(one, 1);
    connection.close().await.unwrap();
    cluster.stop().await.expect("the cluster stops");
}
