//! Aggregates set aside because the projections could not apply one of their events.
//!
//! An event in the log is there for ever, so a projection that cannot apply it (a bug, an
//! event stored before a rule that would have refused it) must not retry it for ever: every
//! later change by anyone would stay out of the read models. The projector finds the one
//! event (it takes a failing batch again one event at a time), records its aggregate here,
//! marks the aggregate's read-model rows, and goes on. The aggregate's later events are
//! passed over as well, since applying them to a state that lacks an earlier one would be
//! wrong. `veche projections retry` asks the projector to replay the aggregate from its first
//! event once the cause is fixed; if the replay works the row goes, otherwise it stays with
//! the new error.

use crate::global_log::RecordedEvent;
use crate::ProjectionError;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// The longest error text kept for an operator to read.
const MAX_ERROR_CHARS: usize = 2000;

/// An aggregate the projections passed over.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct QuarantinedAggregate {
    pub aggregate_type: String,
    pub aggregate_id: String,
    /// The event that could not be applied.
    pub position: i64,
    pub event_type: String,
    pub error: String,
    pub quarantined_at: DateTime<Utc>,
    /// A replay has been asked for and not yet tried.
    pub retry_requested: bool,
}

impl QuarantinedAggregate {
    /// `<aggregate_type>/<aggregate_id>`, as the log, the metrics and `/readyz` name it.
    pub fn key(&self) -> String {
        key(&self.aggregate_type, &self.aggregate_id)
    }
}

pub(crate) fn key(aggregate_type: &str, aggregate_id: &str) -> String {
    format!("{aggregate_type}/{aggregate_id}")
}

/// Every quarantined aggregate, oldest first.
pub async fn list(pool: &PgPool) -> Result<Vec<QuarantinedAggregate>, sqlx::Error> {
    sqlx::query_as(
        "select aggregate_type, aggregate_id, position, event_type, error, quarantined_at, retry_requested \
         from projection_quarantine order by quarantined_at, aggregate_type, aggregate_id",
    )
    .fetch_all(pool)
    .await
}

/// Asks the projector to replay the quarantined aggregate `aggregate_id` (of any type), or
/// all of them when `None`, and wakes it. Returns how many replays were asked for.
pub async fn request_retry(pool: &PgPool, aggregate_id: Option<&str>) -> Result<u64, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let asked =
        sqlx::query("update projection_quarantine set retry_requested = true where $1::text is null or aggregate_id = $1")
            .bind(aggregate_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    sqlx::query("select pg_notify($1, 'retry')").bind(crate::global_log::EVENTS_CHANNEL).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(asked)
}

/// Sets aside the aggregate of `event`, which could not be applied for `error`, and marks
/// its read-model rows.
pub(crate) async fn set_aside(pool: &PgPool, event: &RecordedEvent, error: &ProjectionError) -> Result<(), sqlx::Error> {
    let reason: String = chain_of(error).chars().take(MAX_ERROR_CHARS).collect();
    let mut tx = pool.begin().await?;
    sqlx::query(
        "insert into projection_quarantine (aggregate_type, aggregate_id, position, event_type, error) \
         values ($1, $2, $3, $4, $5) \
         on conflict (aggregate_type, aggregate_id) do update set position = excluded.position, \
           event_type = excluded.event_type, error = excluded.error, quarantined_at = now(), retry_requested = false",
    )
    .bind(&event.aggregate_type)
    .bind(&event.aggregate_id)
    .bind(event.position)
    .bind(&event.event_type)
    .bind(&reason)
    .execute(&mut *tx)
    .await?;
    mark_rows(&mut tx, &event.aggregate_type, &event.aggregate_id, true).await?;
    tx.commit().await?;
    tracing::error!(aggregate = %key(&event.aggregate_type, &event.aggregate_id), position = event.position,
        event_type = %event.event_type, error = %reason, "projections set an aggregate aside: its event cannot be applied");
    metrics::counter!("veche_projection_quarantines_total").increment(1);
    Ok(())
}

/// Records that the replay of a quarantined aggregate failed again.
pub(crate) async fn retry_failed(pool: &PgPool, aggregate: &AggregateKey, error: &ProjectionError) -> Result<(), sqlx::Error> {
    let reason: String = chain_of(error).chars().take(MAX_ERROR_CHARS).collect();
    tracing::error!(aggregate = %key(&aggregate.0, &aggregate.1), error = %reason, "the replay of a quarantined aggregate failed");
    sqlx::query(
        "update projection_quarantine set retry_requested = false, error = $3 where aggregate_type = $1 and aggregate_id = $2",
    )
    .bind(&aggregate.0)
    .bind(&aggregate.1)
    .bind(&reason)
    .execute(pool)
    .await?;
    Ok(())
}

/// An aggregate's type and id.
pub(crate) type AggregateKey = (String, String);

/// The tables of each aggregate type's rows, and the column naming the aggregate.
fn tables_of(aggregate_type: &str) -> &'static [(&'static str, &'static str)] {
    match aggregate_type {
        "Meeting" => &[("meeting_view", "meeting_id"), ("calendar_entry", "meeting_id"), ("reminder_due", "meeting_id")],
        "Room" => &[("room_view", "room_id")],
        _ => &[],
    }
}

/// Marks (or unmarks) the aggregate's row in the tables that have a `quarantined` column.
async fn mark_rows(conn: &mut PgConnection, aggregate_type: &str, aggregate_id: &str, marked: bool) -> Result<(), sqlx::Error> {
    let Ok(id) = aggregate_id.parse::<Uuid>() else { return Ok(()) };
    let table = match aggregate_type {
        "Meeting" => "meeting_view set quarantined = $2 where meeting_id = $1",
        "Room" => "room_view set quarantined = $2 where room_id = $1",
        _ => return Ok(()),
    };
    sqlx::query(&format!("update {table}")).bind(id).bind(marked).execute(&mut *conn).await?;
    Ok(())
}

/// Deletes the aggregate's read-model rows, before a replay builds them again from its
/// first event.
pub(crate) async fn delete_rows(conn: &mut PgConnection, aggregate_type: &str, aggregate_id: &str) -> Result<(), sqlx::Error> {
    let Ok(id) = aggregate_id.parse::<Uuid>() else { return Ok(()) };
    for (table, column) in tables_of(aggregate_type) {
        sqlx::query(&format!("delete from {table} where {column} = $1")).bind(id).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Ends the quarantine of a replayed aggregate (within the replay's transaction).
pub(crate) async fn release(conn: &mut PgConnection, aggregate: &AggregateKey) -> Result<(), sqlx::Error> {
    sqlx::query("delete from projection_quarantine where aggregate_type = $1 and aggregate_id = $2")
        .bind(&aggregate.0)
        .bind(&aggregate.1)
        .execute(&mut *conn)
        .await?;
    tracing::info!(aggregate = %key(&aggregate.0, &aggregate.1), "a quarantined aggregate was replayed and is back in the read models");
    Ok(())
}

/// The error with its causes, for the operator.
fn chain_of(error: &ProjectionError) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
