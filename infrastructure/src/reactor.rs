//! The contract between the JetStream consumers (which deliver events) and the reactors
//! (which turn an event into a side effect: an email, a push, a message to the hubs).

use async_trait::async_trait;
use projections::global_log::RecordedEvent;

/// What a reactor says about one delivered event.
#[derive(Debug, thiserror::Error)]
pub enum ReactorError {
    /// A passing failure (SMTP down, database busy): deliver the event again later.
    #[error("retry later: {0}")]
    Retry(#[source] anyhow::Error),
    /// The event can never be handled (undecodable, refers to nothing): dead-letter it now.
    #[error("poison: {0}")]
    Poison(#[source] anyhow::Error),
}

/// A side-effect handler fed by a durable JetStream consumer. Every node runs the same
/// reactors; JetStream gives each event to one of them. An event may arrive more than once,
/// so `react` must make each side effect idempotent (the effect ledger does that).
#[async_trait]
pub trait Reactor: Send + Sync + 'static {
    /// Durable consumer name; stable forever, since JetStream keeps the position under it.
    fn name(&self) -> &'static str;
    /// Whether this reactor cares about events of this aggregate and event type. Others are
    /// acknowledged without being handed over.
    fn wants(&self, aggregate_type: &str, event_type: &str) -> bool;
    /// Handles one event. `Ok` acknowledges it.
    async fn react(&self, event: &RecordedEvent) -> Result<(), ReactorError>;
}
