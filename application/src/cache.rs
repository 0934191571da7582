//! Aggregates as this node's own commits left them, so that the next command on one (a
//! reschedule right after scheduling) is decided without replaying its events from the store.
//!
//! A cached state is a guess, never the truth: it may be stale when another node, or
//! another executor, appended since. The executor trusts it only for a decision that the
//! store then accepts: the append names the sequence after the cached one, and the primary
//! key refuses it if anyone appended in between. Every other outcome decided on a cached
//! state (a rejection, a command that changes nothing, an `If-Match` that does not match)
//! is decided again on the state loaded from the store, because on a stale state it may be
//! wrong and nothing would catch it.

use cqrs_es::persist::{EventStoreAggregateContext, PersistedEventRepository, PersistedEventStore};
use cqrs_es::{Aggregate, EventStore};
use hashlink::LruCache;
use std::sync::Mutex;

/// How many aggregates an executor keeps by default: the meetings changed on one node in the
/// last minutes, a few hundred bytes to a few KiB each.
pub const DEFAULT_CACHED_AGGREGATES: usize = 10_000;

/// An aggregate's state and the sequence of the last event it contains.
#[derive(Debug, Clone)]
pub struct Cached<A> {
    pub aggregate: A,
    pub sequence: usize,
}

/// A bounded map from aggregate id to its state after this node's latest commit to it;
/// the least recently used entry goes when it is full.
pub struct AggregateCache<A> {
    entries: Option<Mutex<LruCache<String, Cached<A>>>>,
}

impl<A: Clone> AggregateCache<A> {
    /// A cache of up to `capacity` aggregates; 0 turns caching off.
    pub fn new(capacity: usize) -> Self {
        Self { entries: (capacity > 0).then(|| Mutex::new(LruCache::new(capacity))) }
    }

    pub fn get(&self, aggregate_id: &str) -> Option<Cached<A>> {
        self.entries.as_ref()?.lock().expect("the aggregate cache's lock is never poisoned").get(aggregate_id).cloned()
    }

    pub fn put(&self, aggregate_id: &str, cached: Cached<A>) {
        if let Some(entries) = &self.entries {
            entries.lock().expect("the aggregate cache's lock is never poisoned").insert(aggregate_id.to_string(), cached);
        }
    }

    pub fn forget(&self, aggregate_id: &str) {
        if let Some(entries) = &self.entries {
            entries.lock().expect("the aggregate cache's lock is never poisoned").remove(aggregate_id);
        }
    }
}

/// An event store that can resume an aggregate from a state held elsewhere, as if it had
/// just loaded it: the commit that follows appends after `sequence`.
pub trait ResumableStore<A: Aggregate>: EventStore<A> {
    fn resume(&self, aggregate_id: &str, cached: Cached<A>) -> Self::AC;
}

impl<R, A> ResumableStore<A> for PersistedEventStore<R, A>
where
    R: PersistedEventRepository,
    A: Aggregate,
{
    fn resume(&self, aggregate_id: &str, cached: Cached<A>) -> EventStoreAggregateContext<A> {
        EventStoreAggregateContext {
            aggregate_id: aggregate_id.to_string(),
            aggregate: cached.aggregate,
            current_sequence: cached.sequence,
            current_snapshot: None,
        }
    }
}
