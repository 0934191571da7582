//! # veche-infrastructure
//!
//! Adapters between veche's ports and the outside world.
//!
//! ## Layout
//! - [`database`]: the connection pool and the migrations (the `migrations/` folder,
//!   embedded at compile time), applied at start-up and by `veche migrate`.
//! - [`event_store`]: the postgres-es event store of `Meeting`, and the [`EventLog`]
//!   port over the same table (global positions, first metadata).
//! - [`embedded_postgres`]: the PostgreSQL cluster `veche serve` starts for itself when
//!   no database URL is configured, and the test harness uses too.
//!
//! - [`reactor`]: the contract between the JetStream consumers and the reactors.
//! - [`notify`]: the notification reactors and the reminder scheduler, their effect
//!   ledger, iCalendar, email and Web Push.
//! - [`links`]: signed per-attendee links (guest tokens) to answer and to join.
//!
//! [`EventLog`]: application::ports::EventLog
#![forbid(unsafe_code)]

pub mod database;
pub mod embedded_postgres;
pub mod event_store;
pub mod links;
pub mod notify;
pub mod reactor;
