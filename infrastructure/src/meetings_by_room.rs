//! The room access rule's port over the `meeting_details` read model.

use application::ports::PortError;
use application::room_access::MeetingsByRoom;
use domain::meeting::Meeting;
use domain::RoomId;
use projections::progress::ProjectionProgress;
use sqlx::PgPool;
use std::time::Duration;

pub struct PgMeetingsByRoom {
    pub pool: PgPool,
    pub progress: ProjectionProgress,
    /// The longest [`MeetingsByRoom::catch_up`] waits for the projector.
    pub wait: Duration,
}

impl MeetingsByRoom for PgMeetingsByRoom {
    async fn meeting_of_room(&self, room_id: RoomId) -> Result<Option<Meeting>, PortError> {
        Ok(projections::queries::meeting_of_room(&self.pool, room_id).await?)
    }

    async fn catch_up(&self) -> Result<(), PortError> {
        let head = projections::global_log::head(&self.pool).await?;
        self.progress.wait_for(head, self.wait).await;
        Ok(())
    }
}
