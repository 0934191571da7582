//! Ports: what the use cases need from the outside world, as traits.

use std::future::Future;

/// A failure of the storage behind a port, kept with its cause chain.
pub type PortError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The global event log, as far as command handling needs it.
pub trait EventLog: Send + Sync {
    /// The global position of one stored event; `None` if no such event is stored.
    fn position_of(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        sequence: u64,
    ) -> impl Future<Output = Result<Option<i64>, PortError>> + Send;

    /// Called after every commit that appended events, so that readers of the log on this
    /// node can be woken at once instead of at their next poll.
    fn appended(&self);

    /// The metadata the first event of an aggregate was stored with (used to recognise a
    /// retried creating request by its idempotency fingerprint).
    fn first_metadata(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> impl Future<Output = Result<Option<std::collections::HashMap<String, String>>, PortError>> + Send;
}
