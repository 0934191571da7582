//! The hub as the room use cases' doors ([`RoomDoors`]): closing a room and turning someone
//! away reach every node through the cross-node relay.

use super::dialect::Dialect;
use super::hub::Hub;
use super::protocol::{meeting_notice, room_namespace};
use application::rooms::RoomDoors;
use chrono::{DateTime, Utc};
use domain::RoomId;

impl RoomDoors for Hub {
    fn close(&self, room_id: RoomId) {
        self.close_room(&room_namespace(room_id));
    }

    fn turn_away(&self, room_id: RoomId, peer_id: &str) {
        self.remove_peer(&room_namespace(room_id), peer_id);
    }

    fn announce_schedule(&self, room_id: RoomId, starts_at: DateTime<Utc>, ends_at: DateTime<Utc>) {
        self.broadcast(&room_namespace(room_id), Dialect::Veche, None, meeting_notice("rescheduled", starts_at, ends_at));
    }
}
