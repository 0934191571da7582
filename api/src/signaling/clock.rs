//! The meeting clock: tells the participants connected to a node when their meeting's
//! scheduled start and end come (`{"type":"meeting","status":"started"|"ended",...}`).
//!
//! Every node announces to the participants it holds, at the instant, from the meeting
//! read model: a time has no event to carry through NATS, and a schedule that moves is in
//! the read model by the time it matters (the room-status reactor also announces the move
//! itself, to every node). Each tick looks at the meetings of the rooms this node holds and
//! announces what fell between the previous tick and this one, so nothing is announced
//! twice by one node and nothing is skipped while it runs.

use super::dialect::Dialect;
use super::hub::Hub;
use super::protocol::meeting_notice;
use chrono::{DateTime, Utc};
use projections::queries::RoomSchedule;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// How often the clock looks.
pub const TICK: Duration = Duration::from_secs(1);

/// The announcements due in `(since, now]` for a meeting scheduled `starts_at`–`ends_at`.
pub fn due_announcements(
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Vec<&'static str> {
    let mut due = Vec::new();
    if since < starts_at && starts_at <= now {
        due.push("started");
    }
    if since < ends_at && ends_at <= now {
        due.push("ended");
    }
    due
}

/// Runs until `shutdown`.
pub async fn run(pool: PgPool, hub: Arc<Hub>, shutdown: CancellationToken) {
    let mut since = Utc::now();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        let now = Utc::now();
        match announce(&pool, &hub, since, now).await {
            Ok(()) => since = now,
            // The next tick covers this one's window too.
            Err(error) => tracing::warn!(%error, "the meeting clock could not read the schedules"),
        }
    }
}

async fn announce(pool: &PgPool, hub: &Hub, since: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let rooms: Vec<Uuid> = hub.room_ids();
    if rooms.is_empty() {
        return Ok(());
    }
    for RoomSchedule { room_id, starts_at, ends_at } in projections::queries::schedules_due(pool, &rooms, since, now).await? {
        let Some(room) = hub.room(&super::protocol::room_namespace(domain::RoomId(room_id))) else { continue };
        for status in due_announcements(starts_at, ends_at, since, now) {
            room.broadcast_local(Dialect::Veche, None, &meeting_notice(status, starts_at, ends_at));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_start_inside_the_window_is_announced_once_and_its_edges_belong_to_one_window() {
        let (start, end) = (at("2026-12-01T09:00:00Z"), at("2026-12-01T10:00:00Z"));
        assert_eq!(due_announcements(start, end, at("2026-12-01T08:59:59Z"), at("2026-12-01T09:00:00Z")), ["started"]);
        assert!(due_announcements(start, end, at("2026-12-01T09:00:00Z"), at("2026-12-01T09:00:01Z")).is_empty());
        assert_eq!(due_announcements(start, end, at("2026-12-01T09:59:30Z"), at("2026-12-01T10:00:30Z")), ["ended"]);
    }

    #[test]
    fn a_window_spanning_the_whole_meeting_announces_both_in_order() {
        let (start, end) = (at("2026-12-01T09:00:00Z"), at("2026-12-01T09:00:01Z"));
        assert_eq!(due_announcements(start, end, at("2026-12-01T08:00:00Z"), at("2026-12-01T10:00:00Z")), ["started", "ended"]);
    }
}
