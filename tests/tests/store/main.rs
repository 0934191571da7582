//! The event store, the global log and the projector, against a real PostgreSQL.

mod executor;
mod followers;
mod global_log;
mod projections;
mod quarantine;
mod totality;
