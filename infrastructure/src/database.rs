//! The connection pool and the schema.

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgPool};
use std::str::FromStr;
use std::time::Duration;

/// Every migration in `migrations/`, compiled into the binary so that a deployed `veche`
/// always carries the schema it expects.
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

/// A pooled connection idle for longer than this is tested with a round trip before it is
/// handed out. sqlx's default tests every one, every time: under load that is a round trip
/// per query for a connection that answered moments ago (and sqlx 0.8 tests it again when it
/// is released, which also catches one the server dropped). A connection idle for longer may
/// have been cut (a PostgreSQL restart, a proxy's idle timeout), so it is still tested, and
/// a dead one is replaced before any query sees it.
const TEST_CONNECTIONS_IDLE_FOR: Duration = Duration::from_secs(1);

/// Connects a pool. `max_connections` bounds what one node asks of PostgreSQL.
pub async fn connect(url: &str, max_connections: u32) -> Result<PgPool, sqlx::Error> {
    let options = PgConnectOptions::from_str(url)?.application_name("veche");
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .test_before_acquire(false)
        .before_acquire(|connection, metadata| {
            Box::pin(async move {
                if metadata.idle_for > TEST_CONNECTIONS_IDLE_FOR {
                    connection.ping().await?;
                }
                Ok(true)
            })
        })
        .connect_with(options)
        .await
}

/// Applies the migrations that are not applied yet. Concurrent nodes are safe: sqlx takes
/// an advisory lock for the duration.
pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await
}

/// True when every migration this binary knows is applied (for `/readyz`).
pub async fn migrations_applied(pool: &PgPool) -> Result<bool, sqlx::Error> {
    let applied: i64 = sqlx::query_scalar("select count(*) from _sqlx_migrations where success").fetch_one(pool).await?;
    Ok(applied as usize >= MIGRATOR.iter().count())
}
