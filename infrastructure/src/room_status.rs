//! The room-status reactor: a meeting's cancellation, delivered by JetStream to one node,
//! closes its room in the log (`Close` on the Room aggregate) and on every node (the hub's
//! cross-node relay carries the closure), so connected participants are told and let out.
//! An attendee taken off the meeting is let out of its room at once, on every node (their
//! connection's end records their `Leave`), and cannot enter again. A reschedule is
//! announced to the participants connected to any node; the scheduled start and end are
//! announced by each node's meeting clock.
//!
//! The API does the same at once when it takes the command; this reactor is what makes it
//! certain: it runs again after a crash between the command and the closing, and on every
//! node's behalf. Both are idempotent (`Close` of a closed room records nothing).

use crate::event_store::{PgEventLog, RoomStore};
use crate::notify::{meeting_at, HistoryError};
use crate::reactor::{Reactor, ReactorError};
use application::rooms::{RoomDoors, Rooms};
use async_trait::async_trait;
use cqrs_es::Aggregate;
use domain::meeting::{Meeting, MeetingEvent};
use domain::Actor;
use projections::RecordedEvent;
use sqlx::PgPool;
use std::sync::Arc;

pub const NAME: &str = "room-status";

pub struct RoomStatusReactor {
    pub pool: PgPool,
    pub rooms: Arc<Rooms<RoomStore, PgEventLog>>,
    pub doors: Arc<dyn RoomDoors>,
    /// Who the closings are recorded as: the node.
    pub actor: Actor,
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
        match &at.event {
            MeetingEvent::AttendeeRemoved { email, .. } => self
                .rooms
                .turn_away(room_id, email, self.doors.as_ref())
                .await
                .map_err(|e| ReactorError::Retry(anyhow::anyhow!("loading room {room_id}: {e}"))),
            MeetingEvent::MeetingRescheduled { .. } => {
                self.doors.announce_schedule(room_id, at.after.schedule.starts_at, at.after.schedule.ends_at);
                Ok(())
            }
            _ => self
                .rooms
                .close_cancelled(room_id, &self.actor, event.recorded_at, self.doors.as_ref())
                .await
                .map(drop)
                .map_err(|e| ReactorError::Retry(anyhow::anyhow!("closing room {room_id}: {e}"))),
        }
    }
}
