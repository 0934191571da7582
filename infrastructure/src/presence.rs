//! Node leases: how the nodes learn that one of them died with participants in its rooms.
//!
//! Every node renews a row in `node_lease` while it runs. A participant is held by the node
//! whose hub has their connection (the `node` recorded in the Room's events); when that
//! node's lease has run out, any other node expires them through the Room aggregate, so the
//! room's events say so and the other participants are told.

use chrono::{DateTime, Utc};
use domain::RoomId;
use sqlx::PgPool;
use std::time::Duration;
use uuid::Uuid;

/// This node's lease.
#[derive(Clone)]
pub struct NodeLease {
    pool: PgPool,
    node_id: String,
    ttl: Duration,
}

impl NodeLease {
    pub fn new(pool: PgPool, node_id: String, ttl: Duration) -> Self {
        Self { pool, node_id, ttl }
    }

    pub fn node_id(&self) -> &str {
        &self.node_id
    }

    /// How often to renew: three chances before the lease runs out.
    pub fn renew_every(&self) -> Duration {
        self.ttl / 3
    }

    /// Takes or extends the lease to `now + ttl`.
    pub async fn renew(&self) -> Result<(), sqlx::Error> {
        sqlx::query(
            "insert into node_lease (node_id, expires_at) values ($1, now() + $2) \
             on conflict (node_id) do update set expires_at = excluded.expires_at",
        )
        .bind(&self.node_id)
        .bind(self.ttl)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Gives the lease up on a clean shutdown, so that others expire our participants now
    /// rather than after the lease would have run out.
    pub async fn release(&self) -> Result<(), sqlx::Error> {
        sqlx::query("delete from node_lease where node_id = $1").bind(&self.node_id).execute(&self.pool).await?;
        Ok(())
    }
}

/// A participant still in a room according to the read model, held by a node that is gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Orphan {
    pub room_id: RoomId,
    pub peer_id: String,
    pub node: String,
}

/// Participants held by nodes without a live lease (never leased, released, or run out).
pub async fn orphaned_participants(pool: &PgPool, limit: i64) -> Result<Vec<Orphan>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct OrphanRow {
        room_id: Uuid,
        peer_id: String,
        node: String,
    }
    let rows: Vec<OrphanRow> = sqlx::query_as(
        "select r.room_id, p ->> 'peer_id' as peer_id, p ->> 'node' as node \
         from room_view r cross join lateral jsonb_array_elements(r.participants) p \
         where r.open and not exists ( \
             select 1 from node_lease l where l.node_id = p ->> 'node' and l.expires_at > now()) \
         limit $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|row| Orphan { room_id: RoomId(row.room_id), peer_id: row.peer_id, node: row.node }).collect())
}

/// When a node's lease runs out, if it has one.
pub async fn lease_expiry(pool: &PgPool, node_id: &str) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    sqlx::query_scalar("select expires_at from node_lease where node_id = $1").bind(node_id).fetch_optional(pool).await
}
