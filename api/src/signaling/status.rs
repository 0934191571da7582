//! The room-status reactor: a meeting's cancellation, delivered by JetStream to one node,
//! closes its room in the log (`Close` on the Room aggregate) and on every node's hub (the
//! remote relay carries the closure), so connected participants are told and let out. An
//! attendee taken off the meeting is disconnected from its room at once, on every node
//! (4003; their connection's end records their `Leave`), and cannot enter again. A
//! reschedule is announced to the participants connected to any node
//! (`{"type":"meeting","status":"rescheduled",...}`); the scheduled start and end are
//! announced by each node's meeting clock ([`super::clock`]).
//!
//! The cancel handler closes the room at once as well; this reactor is what makes it
//! certain: it runs again after a crash between the cancellation and the closing, and on
//! every node's behalf. Both are idempotent (`Close` of a closed room records nothing).

use super::clock::meeting_notice;
use super::hub::Hub;
use super::presence::system_actor_of;
use super::protocol::room_namespace;
use application::rooms::Rooms;
use application::CommandError;
use async_trait::async_trait;
use cqrs_es::Aggregate;
use domain::meeting::{Meeting, MeetingEvent};
use domain::room::RoomError;
use domain::values::EmailAddress;
use domain::RoomId;
use infrastructure::event_store::{PgEventLog, RoomStore};
use infrastructure::notify::{meeting_at, HistoryError};
use infrastructure::reactor::{Reactor, ReactorError};
use projections::RecordedEvent;
use sqlx::PgPool;
use std::sync::Arc;

pub const NAME: &str = "room-status";

/// Disconnects, on every node, the connections of a person taken off the meeting (4003).
pub async fn disconnect_removed(
    rooms: &Rooms<RoomStore, PgEventLog>,
    hub: &Hub,
    room_id: RoomId,
    email: &EmailAddress,
) -> Result<(), CommandError<RoomError>> {
    let room = rooms.load(room_id).await?;
    let namespace = room_namespace(room_id);
    for participant in room.participants().iter().filter(|p| &p.email == email) {
        hub.remove_peer(&namespace, &participant.peer_id);
    }
    Ok(())
}

pub struct RoomStatusReactor {
    pub pool: PgPool,
    pub rooms: Arc<Rooms<RoomStore, PgEventLog>>,
    pub hub: Arc<Hub>,
}

#[async_trait]
impl Reactor for RoomStatusReactor {
    fn name(&self) -> &'static str {
        NAME
    }

    fn wants(&self, aggregate_type: &str, event_type: &str) -> bool {
        aggregate_type == Meeting::TYPE && matches!(event_type, "MeetingCancelled" | "MeetingRescheduled" | "AttendeeRemoved")
    }

    async fn react(&self, event: &RecordedEvent) -> Result<(), ReactorError> {
        let upcasters = domain::upcasting::meeting_upcasters();
        let at = meeting_at(&self.pool, &event.aggregate_id, event.sequence, &upcasters).await.map_err(|e| match e {
            HistoryError::Database(e) => ReactorError::Retry(e.into()),
            other => ReactorError::Poison(other.into()),
        })?;
        let room_id = at.after.room_id;
        if let MeetingEvent::AttendeeRemoved { email, .. } = &at.event {
            return disconnect_removed(&self.rooms, &self.hub, room_id, email)
                .await
                .map_err(|e| ReactorError::Retry(anyhow::anyhow!("loading room {room_id}: {e}")));
        }
        if let MeetingEvent::MeetingRescheduled { .. } = at.event {
            let schedule = &at.after.schedule;
            let notice = meeting_notice("rescheduled", schedule.starts_at, schedule.ends_at);
            self.hub.broadcast(&room_namespace(room_id), None, notice);
            return Ok(());
        }
        let actor = system_actor_of(&self.hub);
        self.rooms
            .close(room_id, &actor, event.recorded_at)
            .await
            .map_err(|e| ReactorError::Retry(anyhow::anyhow!("closing room {room_id}: {e}")))?;
        self.hub.close_room(&room_namespace(room_id));
        Ok(())
    }
}
