//! # veche-infrastructure
//!
//! Adapters between veche's ports and the outside world.
//!
//! ## Layout (one line per module)
//! - [`database`]: the connection pool and the embedded migrations.
//! - [`event_store`]: the `Meeting` and `Room` event stores and the [`EventLog`] port over them.
//! - [`embedded_postgres`]: the PostgreSQL cluster `veche serve` starts when none is configured.
//! - [`embedded_nats`]: the nats-server `veche serve` starts when none is configured.
//! - `process`: whether a process runs, stopping one, the tail of its log.
//! - [`nats`]: the NATS connection and the streams veche owns.
//! - [`cloudevents`]: domain events as CloudEvents 1.0 JSON, and back.
//! - [`publisher`]: the transactional-outbox relay from the global log to JetStream.
//! - [`reactor`]: the contract between the consumers and the reactors (side effects).
//! - [`nats_consumer`]: a reactor as a durable pull consumer, with dead letters and replays.
//! - [`dead_letters`]: what `veche dead-letters list|replay` reads and sends back.
//! - [`notify`]: the notification reactors, the reminder scheduler, iCalendar, email, Web Push.
//! - [`room_status`]: the reactor that closes cancelled meetings' rooms and turns away the removed.
//! - [`meetings_by_room`]: the room access rule's port over the meeting read model.
//! - [`links`]: signed per-attendee links (guest tokens) to answer and to join.
//! - [`presence`]: node leases, and the participants of nodes whose lease ran out.
//! - [`signal_bus`]: signaling between nodes over NATS core subjects.
//! - [`turn`]: time-limited TURN credentials in coturn's `use-auth-secret` scheme.
//! - [`web_sessions`]: browser sessions, single-use sign-in links, OpenID Connect logins in flight.
//! - [`known_people`]: whether an address is anyone's attendee or organizer (who may sign in).
//!
//! [`EventLog`]: application::ports::EventLog
#![forbid(unsafe_code)]

pub mod cloudevents;
pub mod database;
pub mod dead_letters;
pub mod embedded_nats;
pub mod embedded_postgres;
pub mod event_store;
pub mod known_people;
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
pub mod web_sessions;
