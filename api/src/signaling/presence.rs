//! Presence in a meeting's room, for both dialects: entering is a `Join` command on the
//! Room aggregate (so the room's lifecycle is in the event log), leaving is `Leave`, and a
//! connection that drops is given a grace period to come back before it is `Expire`d.

use super::connection::{Ending, Session};
use super::dialect::Dialect;
use super::hub::{Announcement, Hub};
use super::local_room::LocalRoom;
use super::mailbox::{PeerHandle, PeerInbox};
use super::protocol::{close_code, room_namespace, Namespace};
use super::upgrade::Socket;
use super::SignalSettings;
use crate::state::AppState;
use application::executor::CommandError;
use application::room_access::RoomAccess;
use application::rooms::Rooms;
use chrono::Utc;
use domain::room::{Participant, RoomError};
use domain::values::EmailAddress;
use domain::{Actor, RoomId};
use futures::SinkExt;
use infrastructure::event_store::{PgEventLog, RoomStore};
use serde::Serialize;
use std::future::Future;
use std::sync::Arc;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

/// A participant as the others see them.
#[derive(Debug, Clone, Serialize)]
pub struct PeerInfo {
    pub peer_id: String,
    pub name: String,
    pub email: String,
}

impl From<&Participant> for PeerInfo {
    fn from(p: &Participant) -> Self {
        Self { peer_id: p.peer_id.clone(), name: p.display_name.clone(), email: p.email.to_string() }
    }
}

/// A connection that is in the room.
pub struct Entered {
    pub room: Arc<LocalRoom>,
    pub peer_id: Arc<str>,
}

/// What presence needs of the node, one per node (`AppState::presence`): every connection
/// keeps a pointer to it for its whole life.
pub struct Presence {
    pub hub: Arc<Hub>,
    pub rooms: Arc<Rooms<RoomStore, PgEventLog>>,
    pub signal: Arc<SignalSettings>,
}

/// A signaling dialect as a meeting's room speaks it: how a participant is greeted and
/// refused, and the session that reads their messages.
pub trait RoomDialect: Session + Sized {
    const DIALECT: Dialect;
    /// The first message, given everyone else in the room and whether this is a resumption.
    fn greeting(peer_id: &str, others: &[PeerInfo], resumed: bool, capacity: usize, access: &RoomAccess) -> Utf8Bytes;
    /// The message telling a refused participant why (the close code is the refusal's).
    fn refusal(refusal: &Refusal) -> Utf8Bytes;
    fn session(hub: Arc<Hub>, entered: Entered, access: &RoomAccess) -> Self;
    /// Where the session's participant is.
    fn entered(&self) -> &Entered;
}

/// A participant's connection to a meeting's room, in either dialect, as its task holds it:
/// what the connection needs for its whole life, and until it is in the room, what entering
/// needs (the meeting's details, the peer id asked for), which is let go of once it is in.
pub struct RoomConnection {
    pub presence: Arc<Presence>,
    /// Leaving names who left.
    actor: PackedActor,
    entering: Option<Box<Entering>>,
}

/// What entering the room needs, and the connection no longer does once in.
struct Entering {
    access: RoomAccess,
    /// The peer id asked for; once in, the hub's room map and the session share it.
    peer_id: Arc<str>,
}

impl RoomConnection {
    pub fn new(presence: Arc<Presence>, access: RoomAccess, peer_id: Arc<str>) -> Self {
        let actor = PackedActor::pack(&access.actor);
        Self { presence, actor, entering: Some(Box::new(Entering { access, peer_id })) }
    }
}

/// An [`Actor`] in one allocation instead of three strings: a connection keeps its
/// participant's for its whole life, and needs it as an `Actor` only to leave.
struct PackedActor {
    /// The user id, the email and the name, one after the other.
    text: Box<str>,
    email_at: u32,
    name_at: u32,
}

impl PackedActor {
    fn pack(actor: &Actor) -> Self {
        let text: Box<str> = [actor.user_id.as_str(), actor.email.as_str(), actor.name.as_str()].concat().into();
        // A token's claims arrive in a request's headers, which are kilobytes at most.
        let at = |len: usize| u32::try_from(len).expect("a token's claims are kilobytes");
        let email_at = at(actor.user_id.len());
        Self { name_at: at(email_at as usize + actor.email.as_str().len()), email_at, text }
    }

    fn unpack(&self) -> Actor {
        let (email_at, name_at) = (self.email_at as usize, self.name_at as usize);
        let email = EmailAddress::parse(&self.text[email_at..name_at]).expect("packed from a parsed address");
        Actor { user_id: self.text[..email_at].to_string(), email, name: self.text[name_at..].to_string() }
    }
}

/// A participant's connection to a meeting's room, in dialect `D`: enter (a `Join`),
/// relay until the connection ends, depart. Everything is borrowed from the connection's
/// task, which owns it: an async function keeps its own copy of what it takes by value.
/// Not an `async fn`, which would keep a second copy of its arguments.
#[allow(clippy::manual_async_fn)]
pub fn serve<'a, D: RoomDialect>(room: &'a mut RoomConnection, socket: &'a mut Socket) -> impl Future<Output = ()> + Send + 'a {
    async move {
        // Entering and ending are boxed: their futures are large (database commands) and
        // the connection's task would otherwise carry them for its whole life. The participant
        // is used where the match keeps it (`ref mut`): moved out, it would be kept twice.
        if let Some(ref mut participant) = Box::pin(admit::<D>(&room.presence, room.entering.take(), socket)).await {
            let limits = &room.presence.signal.limits;
            let ending = super::connection::run(socket, &participant.inbox, &mut participant.session, limits).await;
            Box::pin(end(room, socket, participant, ending)).await;
        }
        room.presence.hub.connection_closed();
    }
}

/// A participant let into the room: what their connection needs while it runs.
struct Admitted<D> {
    inbox: PeerInbox,
    /// Holds where the participant is ([`RoomDialect::entered`]).
    session: D,
}

/// After the connection ran: the server's goodbye if it ended the connection, then leaving
/// the room. One future with the goodbye, so that `ending` is not kept in every connection's
/// task while it runs.
async fn end<D: RoomDialect>(room: &RoomConnection, socket: &mut Socket, participant: &mut Admitted<D>, ending: Ending) {
    super::connection::finish(socket, &participant.inbox, ending).await;
    let entered = participant.session.entered();
    room.presence.depart(&room.actor, entered, participant.inbox.connection(), ending).await;
}

/// Opens the connection in the hub and enters the room; a refused participant is told
/// why and the socket closed with the refusal's code.
async fn admit<D: RoomDialect>(presence: &Presence, entering: Option<Box<Entering>>, socket: &mut Socket) -> Option<Admitted<D>> {
    let entering = entering?;
    let (access, peer_id) = (&entering.access, entering.peer_id.clone());
    let (handle, inbox) = presence.hub.open_connection(D::DIALECT, None);
    let capacity = presence.rooms.capacity();
    let greeted = peer_id.clone();
    let greeting = move |others: &[PeerInfo], resumed: bool| Some(D::greeting(&greeted, others, resumed, capacity, access));
    match presence.enter(access, peer_id, handle, greeting, None).await {
        Ok(entered) => Some(Admitted { inbox, session: D::session(presence.hub.clone(), entered, access) }),
        Err(refusal) => {
            let close_code = refusal.close_code();
            let _ = socket.send(Message::Text(D::refusal(&refusal))).await;
            let _ = socket.send(Message::Close(Some(super::protocol::close_frame(close_code)))).await;
            None
        }
    }
}

/// Why a connection was not let in; each has its close code.
#[derive(Debug)]
pub enum Refusal {
    Closed,
    Full { capacity: usize },
    TooManySeats { max: usize },
    PeerIdTaken,
    Failed,
}

impl Refusal {
    pub fn close_code(&self) -> u16 {
        match self {
            Self::Closed => close_code::ROOM_CLOSED,
            Self::Full { .. } => close_code::ROOM_FULL,
            Self::TooManySeats { .. } => close_code::TOO_MANY_SEATS,
            Self::PeerIdTaken => close_code::PEER_ID_TAKEN,
            Self::Failed => close_code::INTERNAL,
        }
    }

    /// A stable code and a sentence for the client.
    pub fn describe(&self) -> (&'static str, String) {
        match self {
            Self::Closed => ("room-closed", "the meeting was cancelled; its room is closed".into()),
            Self::Full { capacity } => {
                ("room-full", format!("the room is full: a mesh call holds at most {capacity} participants"))
            }
            Self::TooManySeats { max } => {
                ("too-many-seats", format!("you already hold {max} places in this room; leave one to join from here"))
            }
            Self::PeerIdTaken => ("peer-id-taken", "this peer id belongs to someone else in the room".into()),
            Self::Failed => ("internal", "the server could not record the join; try again".into()),
        }
    }
}

impl Presence {
    /// Records the join and puts the connection in the hub. A reconnect of the same person
    /// with the same peer id resumes their place and replaces their older connection.
    /// `greeting` is the first message the connection gets, if its protocol has one (given
    /// everyone else and whether this is a resumption); it is queued before anything else.
    /// `announcement` is what the peers of its dialect in the room are told, if its protocol
    /// tells them (veche's own peers are told by a presence notice).
    pub async fn enter(
        &self,
        access: &RoomAccess,
        peer_id: Arc<str>,
        handle: PeerHandle,
        greeting: impl FnOnce(&[PeerInfo], bool) -> Option<Utf8Bytes>,
        announcement: Option<Announcement>,
    ) -> Result<Entered, Refusal> {
        if access.cancelled {
            return Err(Refusal::Closed);
        }
        let participant = Participant {
            peer_id: peer_id.to_string(),
            email: access.actor.email.clone(),
            display_name: access.actor.name.clone(),
            node: self.hub.node_id.clone(),
        };
        let outcome = self.rooms.join(access.room_id, access.meeting_id, participant, &access.actor, Utc::now()).await.map_err(
            |error| match error {
                CommandError::Rejected(RoomError::Closed) => Refusal::Closed,
                CommandError::Rejected(RoomError::Full { capacity }) => Refusal::Full { capacity },
                CommandError::Rejected(RoomError::TooManySeats { max, .. }) => Refusal::TooManySeats { max },
                CommandError::Rejected(RoomError::PeerIdTaken(_)) => Refusal::PeerIdTaken,
                other => {
                    tracing::error!(error = %other, room = %access.room_id, "join failed");
                    Refusal::Failed
                }
            },
        )?;
        let resumed = outcome.event_types.iter().any(|t| t == "ParticipantResumed");
        let others: Vec<PeerInfo> =
            outcome.aggregate.participants().iter().filter(|p| *p.peer_id != *peer_id).map(PeerInfo::from).collect();
        if let Some(greeting) = greeting(&others, resumed) {
            handle.push(greeting);
        }
        handle.expire_at(access.expires_at.clamp(1, u32::MAX as i64) as u32);
        let namespace = room_namespace(access.room_id);
        let (room, replaced) = self.hub.attach_announced(&namespace, peer_id.clone(), handle, announcement.as_ref());
        if let Some(older) = replaced {
            older.disconnect(close_code::REPLACED);
        }
        self.hub.remote_ready().await;
        if let Some(Announcement { dialect, text }) = &announcement {
            self.hub.broadcast_to_other_nodes(&namespace, *dialect, Some(&peer_id), text);
        }
        let me =
            PeerInfo { peer_id: peer_id.to_string(), name: access.actor.name.clone(), email: access.actor.email.to_string() };
        self.hub.broadcast(&namespace, Dialect::Veche, Some(&peer_id), presence_joined(&me, resumed));
        Ok(Entered { room, peer_id })
    }

    /// Takes the connection out of the hub and records why it went: a goodbye is `Leave`; a
    /// drop gets the reconnect grace before `Expire`; a replaced connection records nothing
    /// (its successor holds the place).
    async fn depart(self: &Arc<Self>, actor: &PackedActor, entered: &Entered, connection: u64, ending: Ending) {
        if !self.hub.detach(&entered.room, &entered.peer_id, connection) {
            return;
        }
        // A meeting's room is the namespace of its id.
        let Namespace::Room(room_id) = entered.room.namespace else { return };
        let namespace = entered.room.namespace.clone();
        match ending {
            Ending::Left | Ending::Ended(close_code::ROOM_CLOSED | close_code::REMOVED) => {
                self.record_leave(&actor.unpack(), entered).await;
            }
            Ending::Dropped | Ending::Ended(_) | Ending::Suspended => {
                let presence = self.clone();
                let peer_id = entered.peer_id.to_string();
                tokio::spawn(async move {
                    tokio::time::sleep(presence.signal.reconnect_grace).await;
                    presence.expire_unless_back(namespace, room_id, peer_id).await;
                });
            }
        }
    }

    /// Records that a participant, already out of the hub, left the room, and tells the
    /// others.
    pub async fn record_leave(&self, actor: &Actor, entered: &Entered) {
        let Namespace::Room(room_id) = entered.room.namespace else { return };
        let left = self.rooms.leave(room_id, entered.peer_id.to_string(), actor, Utc::now()).await;
        if left.is_ok_and(|outcome| outcome.events > 0) {
            self.hub.broadcast(&entered.room.namespace, Dialect::Veche, None, presence_left(&entered.peer_id, "left"));
        }
    }

    /// Expires a peer that did not come back to this node within the grace period (if they
    /// came back to another node, the aggregate knows and records nothing).
    async fn expire_unless_back(&self, namespace: Namespace, room_id: RoomId, peer_id: String) {
        if self.hub.holds(&namespace, &peer_id) {
            return;
        }
        let node = self.hub.node_id.clone();
        match self.rooms.expire(room_id, peer_id.clone(), node, &system_actor_of(&self.hub), Utc::now()).await {
            Ok(outcome) if outcome.events > 0 => {
                self.hub.broadcast(&namespace, Dialect::Veche, None, presence_left(&peer_id, "expired"))
            }
            Ok(_) | Err(CommandError::Rejected(RoomError::NotInRoom(_))) => {}
            Err(error) => tracing::warn!(%error, %room_id, peer_id, "could not expire a dropped participant"),
        }
    }
}

fn presence_joined(peer: &PeerInfo, resumed: bool) -> Utf8Bytes {
    serde_json::json!({ "type": "joined", "peer": peer, "resumed": resumed }).to_string().into()
}

fn presence_left(peer_id: &str, reason: &str) -> Utf8Bytes {
    serde_json::json!({ "type": "left", "peer_id": peer_id, "reason": reason }).to_string().into()
}

/// The actor recorded for what a node does by itself (expiries, closing rooms).
pub fn system_actor(state: &AppState) -> Actor {
    system_actor_of(&state.hub)
}

pub fn system_actor_of(hub: &super::hub::Hub) -> Actor {
    Actor {
        user_id: format!("node:{}", hub.node_id),
        email: domain::values::EmailAddress::parse("system@veche.invalid").expect("a valid address"),
        name: "veche".into(),
    }
}

/// Expires participants held by nodes whose lease ran out; every node runs this.
pub async fn sweep_orphans(state: &AppState) -> Result<usize, sqlx::Error> {
    let orphans = infrastructure::presence::orphaned_participants(&state.pool, 500).await?;
    let actor = system_actor(state);
    let mut expired = 0;
    for orphan in orphans {
        let namespace = room_namespace(orphan.room_id);
        match state.rooms.expire(orphan.room_id, orphan.peer_id.clone(), orphan.node, &actor, Utc::now()).await {
            Ok(outcome) if outcome.events > 0 => {
                expired += 1;
                state.hub.broadcast(&namespace, Dialect::Veche, None, presence_left(&orphan.peer_id, "expired"));
            }
            Ok(_) | Err(CommandError::Rejected(RoomError::NotInRoom(_))) => {}
            Err(error) => tracing::warn!(%error, room = %orphan.room_id, "could not expire an orphaned participant"),
        }
    }
    Ok(expired)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packed_actor_unpacks_to_the_actor_it_was_packed_from() {
        let actors = [
            Actor { user_id: "u-1".into(), email: EmailAddress::parse("ana@example.org").unwrap(), name: "Ana".into() },
            // Multi-byte characters, an empty name and a user id that looks like an address.
            Actor { user_id: "zoë@idp".into(), email: EmailAddress::parse("zoë@exämple.org").unwrap(), name: String::new() },
            Actor {
                user_id: "x".into(), email: EmailAddress::parse("b@c.de").unwrap(), name: "Ярослава Мудрая".into()
            },
        ];
        for actor in actors {
            assert_eq!(PackedActor::pack(&actor).unpack(), actor);
        }
    }
}
