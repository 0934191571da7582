//! The embedded PostgreSQL cluster, against the real server binaries
//! (`/usr/lib/postgresql/<version>/bin`, Debian package `postgresql`).

use infrastructure::embedded_postgres::{EmbeddedPostgres, EmbeddedPostgresOptions};
use sqlx::{Connection, PgConnection};
use std::os::unix::fs::PermissionsExt;

async fn connect(url: &str) -> PgConnection {
    PgConnection::connect(url).await.expect("connect to the embedded cluster")
}

#[tokio::test]
async fn a_cluster_starts_in_an_empty_directory_and_restarts_with_its_data() {
    let dir = tempfile::Builder::new().prefix("veche-embedded-pg-").tempdir().unwrap();
    // tempfile creates the directory 0700; the server runs as `postgres` when the tests
    // run as root, and must be able to enter it.
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
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists(), "the postmaster is gone");
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
    let cluster = EmbeddedPostgres::start(EmbeddedPostgresOptions {
        data_dir: dir.path().join("data"),
        port: None,
        durable: false,
    })
    .await
    .expect("the cluster starts");
    let pid = cluster.pid().unwrap();
    drop(cluster);
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists(), "the postmaster is gone");
}
