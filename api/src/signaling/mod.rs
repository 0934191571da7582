//! The signaling hub: WebSocket endpoints through which the participants of a meeting's
//! room find each other and exchange WebRTC offers, answers and ICE candidates.
//!
//! Signaling messages are ephemeral and never stored; presence is (joins, leaves and
//! expiries are commands on the `Room` aggregate). Every node serves every room: peers on
//! different nodes reach each other through NATS core subjects (the cross-node relay, `relay.rs`).
//!
//! # veche's protocol: `GET /api/rooms/{room_id}/signal?access_token=<jwt>[&peer_id=<id>]`
//!
//! Before the switch, refusals are problem+json: 401 (no or bad token), 404 (no such room, or
//! not yours), 400 (bad `peer_id`), 426 (not a WebSocket handshake: RFC 6455 §4.2.1, version
//! 13), 503 (the node holds its maximum of connections).
//!
//! JSON text frames. The server sends first:
//!
//! | message | when |
//! |---|---|
//! | `{"type":"welcome","peer_id","room_id","meeting_id","starts_at","ends_at","resumed","capacity","participants":[{"peer_id","name","email"}]}` | on entering; `participants` are the others |
//! | `{"type":"joined","peer":{"peer_id","name","email"},"resumed"}` | someone entered (or came back) |
//! | `{"type":"left","peer_id","reason":"left"\|"expired"}` | someone left, or dropped and did not come back in time |
//! | `{"type":"signal","kind":"offer"\|"answer"\|"candidate","from","data"}` | a message addressed to you |
//! | `{"type":"chat","from","name","text","at"}` | someone (you too) wrote in the chat |
//! | `{"type":"state","peer_id","muted","camera","sharing","hand"}` | someone's microphone, camera, screen sharing or raised hand changed |
//! | `{"type":"recent","messages":[...]}` | right after `welcome`, if there is any: the room's recent `chat` messages (the last 300), then each other participant's last `state` |
//! | `{"type":"room-closed"}` | the meeting was cancelled; the connection closes with 4001 |
//! | `{"type":"removed"}` | the organizer took you off the meeting; the connection closes with 4003 and the room stays shut to you |
//! | `{"type":"meeting","status":"started"\|"ended"\|"rescheduled","starts_at","ends_at"}` | the scheduled start or end came, or the meeting moved (the call goes on either way) |
//! | `{"type":"pong"}` | answer to `ping` |
//! | `{"type":"error","code","message"}` | the previous message was refused (codes: `malformed-message`, `unknown-type`, `no-such-peer`, `rate-limited`; on entering: `room-full`, `too-many-seats`, `room-closed`, `peer-id-taken`, `internal`) |
//!
//! The client sends `{"type":"signal","to":"<peer_id>","kind":"offer"|"answer"|"candidate","data":{...}}`
//! (relayed only to that participant of this room), `{"type":"chat","text"}` (1–2,000
//! characters, no control characters but newlines and tabs, a message a second with bursts of
//! five; text, which clients show as text), `{"type":"state","muted","camera","sharing","hand"}`
//! (each true or false), `{"type":"leave"}`, `{"type":"ping"}`. The chat and the states are
//! kept in memory by each node holding the room, for as long as it does, and never written.
//!
//! Reconnecting with the same `peer_id` within the grace period (`VECHE_SIGNAL_RECONNECT_GRACE_SECS`)
//! resumes the place (`welcome.resumed = true`; the others get `joined` with `resumed`) and
//! closes the older connection with 4012.
//!
//! Close codes: 4001 room closed, 4003 removed from the meeting, 4008 slow consumer (its
//! queue overflowed), 4009 room full, 4010 peer id taken, 4011 too many places held by one
//! person, 4012 replaced by a newer connection, 4013 no pong in time, 4014 the token or pass
//! entered with expired (enter again with a fresh one within the reconnect grace to resume),
//! 1001 node shutting down (reconnect to resume), 1009 message too big, 1011 server error.
//!
//! Limits (`VECHE_SIGNAL_*`): message size, messages per second, outbound queue length,
//! connections per node; a ping every `VECHE_SIGNAL_PING_SECS` (20 s), and a connection that has
//! not answered one by the next is closed with 4013. A client that stops reading altogether
//! (the server's writes to it wait a whole ping period without it taking a byte) is dropped
//! without a close frame, since none can reach it; that counts as a drop (reconnect grace).
//!
//! # PeerJS: see [`dialect::peerjs`]. Socket.io (the original plan's events): see [`dialect::socketio`].

pub mod access;
pub mod clock;
pub mod coalesce;
pub mod connection;
pub mod dialect;
pub mod doors;
pub mod holders;
pub mod hub;
pub mod local_room;
pub mod locks;
pub mod mailbox;
pub mod presence;
pub mod protocol;
pub mod rate;
pub mod recent;
pub mod relay;
pub mod upgrade;

use crate::state::AppState;
use std::time::Duration;

/// The hub's settings, from `VECHE_SIGNAL_*` and `VECHE_PEERJS_*`.
#[derive(Debug, Clone)]
pub struct SignalSettings {
    pub limits: connection::ConnectionLimits,
    /// How often each connection is pinged ([`run_pinger`]).
    pub ping_every: Duration,
    pub max_message_bytes: usize,
    pub max_connections: usize,
    pub reconnect_grace: Duration,
    pub peerjs: crate::settings::EndpointMode,
    pub peerjs_key: String,
}

/// Rounds of the pinger per ping period: each pings the connections of one slice.
const PING_SLICES: u64 = 16;

/// Pings every connection of the hub once per `every`, a slice of them at a time, until
/// shutdown. One task for the node instead of a timer per connection.
pub async fn run_pinger(hub: std::sync::Arc<hub::Hub>, every: Duration, shutdown: tokio_util::sync::CancellationToken) {
    let round = (every / PING_SLICES as u32).max(Duration::from_millis(1));
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + round, round);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    for slice in (0..PING_SLICES).cycle() {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => hub.ping_slice(slice, PING_SLICES),
        }
    }
}

/// Renews this node's lease and expires the participants of dead nodes, until shutdown.
pub async fn run_presence_keeper(
    state: AppState,
    lease: infrastructure::presence::NodeLease,
    shutdown: tokio_util::sync::CancellationToken,
) {
    let mut tick = tokio::time::interval(lease.renew_every());
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tick.tick() => {}
        }
        if let Err(error) = lease.renew().await {
            tracing::warn!(%error, "could not renew the node lease");
            continue;
        }
        match presence::sweep_orphans(&state).await {
            Ok(0) => {}
            Ok(expired) => tracing::info!(expired, "expired participants of nodes that are gone"),
            Err(error) => tracing::warn!(%error, "could not look for orphaned participants"),
        }
    }
}
