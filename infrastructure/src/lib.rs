//! # veche-infrastructure
//!
//! Adapters between veche's ports and the outside world.
//!
//! ## Layout
//! - [`database`]: the connection pool and the migrations (the `migrations/` folder,
//!   embedded at compile time), applied at start-up and by `veche migrate`.
//! - [`event_store`]: the postgres-es event stores of `Meeting` and `Room`, and the
//!   [`EventLog`] port over the same table (global positions, first metadata).
//! - [`embedded_postgres`]: the PostgreSQL cluster `veche serve` starts for itself when
//!   no database URL is configured, and the test harness uses too.
//! - [`nats`]: the NATS connection (core client and JetStream context, reconnecting
//!   forever) and the streams veche owns, `VECHE_EVENTS`, `VECHE_DEAD_LETTERS` and `VECHE_REPLAYS`.
//! - `process`: whether a process runs, stopping one, the tail of its log (for the two above).
//! - [`embedded_nats`]: the nats-server `veche serve` starts for itself when no NATS URL
//!   is configured, and the tests start too.
//! - [`cloudevents`]: domain events as CloudEvents 1.0 JSON, and back.
//! - [`publisher`]: the transactional-outbox relay from the global log to `VECHE_EVENTS`,
//!   one leader across nodes.
//! - [`reactor`]: the contract between the consumers and the reactors (side effects).
//! - [`nats_consumer`]: runs a reactor as a JetStream durable pull consumer, with
//!   redelivery, dead letters and the replays an operator sends back.
//! - [`dead_letters`]: what `veche dead-letters list|replay` reads and sends back.
//! - [`notify`]: the notification reactors and the reminder scheduler, their effect
//!   ledger, iCalendar, email and Web Push.
//! - [`links`]: signed per-attendee links (guest tokens) to answer and to join.
//! - [`meetings_by_room`]: the room access rule's port over the meeting read model.
//! - [`room_status`]: the reactor that closes a cancelled meeting's room and lets out people
//!   taken off a meeting, on every node.
//! - [`presence`]: node leases, and the participants of nodes whose lease ran out.
//! - [`signal_bus`]: signaling between nodes over NATS core subjects.
//! - [`turn`]: time-limited TURN credentials in coturn's `use-auth-secret` scheme.
//!
//! [`EventLog`]: application::ports::EventLog
#![forbid(unsafe_code)]

pub mod cloudevents;
pub mod database;
pub mod dead_letters;
pub mod embedded_nats;
pub mod embedded_postgres;
pub mod event_store;
pub mod links;
pub mod meetings_by_room;
pub mod nats;
pub mod nats_consumer;
pub mod notify;
pub mod presence;
mod process;
pub mod publisher;
pub mod reactor;
pub mod room_status;
pub mod signal_bus;
pub mod turn;
