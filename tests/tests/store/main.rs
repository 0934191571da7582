//! The event store, the global log and the projector, against a real PostgreSQL.

mod global_log;
mod projections;
