//! Upcasting: stored events are never rewritten, so when an event's shape changes, the new
//! shape gets a new `event_version` and an upcaster turns the old payload into the new one
//! as it is read. Both readers of the store go through [`upcast`]: the event store (when an
//! aggregate is loaded) and the global log (projections, history, publishing).
//!
//! To introduce `MeetingScheduled` 2.0: write the event with version "2.0", and add to
//! [`meeting_upcasters`] a `SemanticVersionEventUpcaster::new("MeetingScheduled", "2.0",
//! Box::new(|v1| ...))`, which rewrites every stored payload of a lower version.

use cqrs_es::persist::{EventUpcaster, SerializedEvent};

/// The upcasters of the `Meeting` aggregate's events, oldest first. Every event type is
/// still at 1.0, so there are none yet.
pub fn meeting_upcasters() -> Vec<Box<dyn EventUpcaster>> {
    Vec::new()
}

/// Applies each upcaster that accepts the event, in order.
pub fn upcast(event: SerializedEvent, upcasters: &[Box<dyn EventUpcaster>]) -> SerializedEvent {
    upcasters.iter().fold(event, |event, upcaster| {
        if upcaster.can_upcast(&event.event_type, &event.event_version) {
            upcaster.upcast(event)
        } else {
            event
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use cqrs_es::persist::SemanticVersionEventUpcaster;
    use serde_json::json;

    #[test]
    fn an_old_payload_is_brought_to_the_new_version_on_read() {
        // A hypothetical 2.0 that renamed `title` to `summary`.
        let rename: Box<dyn EventUpcaster> = Box::new(SemanticVersionEventUpcaster::new(
            "MeetingDetailsChanged",
            "2.0",
            Box::new(|mut payload| {
                let body = &mut payload["MeetingDetailsChanged"];
                if let Some(title) = body.as_object_mut().and_then(|b| b.remove("title")) {
                    body["summary"] = title;
                }
                payload
            }),
        ));
        let stored = SerializedEvent::new(
            "m1".into(),
            2,
            "Meeting".into(),
            "MeetingDetailsChanged".into(),
            "1.0".into(),
            json!({"MeetingDetailsChanged": {"title": "Q1", "description": null, "ical_sequence": 1}}),
            json!({}),
        );
        let read = upcast(stored, &[rename]);
        assert_eq!(read.event_version, "2.0.0");
        assert_eq!(read.payload["MeetingDetailsChanged"]["summary"], "Q1");
    }

    #[test]
    fn the_current_events_need_no_upcasting() {
        assert!(meeting_upcasters().is_empty());
    }
}
