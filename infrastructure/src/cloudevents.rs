//! Domain events as CloudEvents 1.0 (structured JSON mode), the shape integrators get on
//! `VECHE_EVENTS`, and back again for veche's own reactors.
//!
//! | attribute | value |
//! |---|---|
//! | `id` | `<aggregate_type>/<aggregate_id>/<sequence>`, also the `Nats-Msg-Id` |
//! | `source` | `urn:veche:<aggregate>:<aggregate_id>`, e.g. `urn:veche:meeting:0b6c…` |
//! | `type` | `org.veche.<aggregate>.<EventType>.v<major>`, e.g. `org.veche.meeting.MeetingScheduled.v1` |
//! | `subject` | the aggregate id |
//! | `time` | when the event was recorded (`recorded_at`) |
//! | `dataschema` | its schema in the AsyncAPI document served by veche |
//! | `data` | the event's fields (the stored payload without its variant wrapper) |
//! | extensions | `aggregatetype`, `sequence`, `position` (the global position, a string: CloudEvents integers are 32-bit), `eventversion`, `actor`, `actorname`, `actoremail` |

use application::meetings::metadata::{ACTOR_EMAIL, ACTOR_ID, ACTOR_NAME};
use chrono::{DateTime, Utc};
use projections::global_log::RecordedEvent;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub const SPEC_VERSION: &str = "1.0";
/// The content type of a structured-mode CloudEvent in JSON.
pub const CONTENT_TYPE: &str = "application/cloudevents+json";
/// Where the schema of each event type is, relative to veche's public URL.
pub const SCHEMA_PATH: &str = "/api/asyncapi.json#/components/schemas/";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CloudEvent {
    pub specversion: String,
    pub id: String,
    pub source: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub subject: String,
    pub time: DateTime<Utc>,
    pub datacontenttype: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataschema: Option<String>,
    pub aggregatetype: String,
    pub sequence: i64,
    pub position: String,
    pub eventversion: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actorname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actoremail: Option<String>,
    pub data: Value,
}

/// Why a message is not a veche CloudEvent.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("not a CloudEvent of veche: {0}")]
    Json(#[from] serde_json::Error),
    #[error("unsupported specversion {0}")]
    SpecVersion(String),
    #[error("type {0} is not org.veche.<aggregate>.<EventType>.v<major>")]
    Type(String),
    #[error("position {0} is not a number")]
    Position(String),
}

/// `org.veche.meeting.MeetingScheduled.v1` for a `Meeting` event `MeetingScheduled` 1.0.
pub fn type_name(aggregate_type: &str, event_type: &str, event_version: &str) -> String {
    let major = event_version.split('.').next().unwrap_or(event_version);
    format!("org.veche.{}.{event_type}.v{major}", aggregate_type.to_ascii_lowercase())
}

/// The `Nats-Msg-Id` and CloudEvent `id` of an event: unique, and the same every time the
/// event is published, so JetStream drops a second copy.
pub fn message_id(event: &RecordedEvent) -> String {
    format!("{}/{}/{}", event.aggregate_type, event.aggregate_id, event.sequence)
}

/// `veche.events.<aggregate>.<aggregate_id>.<EventType>`. Characters NATS gives a meaning
/// in subjects (`.`, `*`, `>`, white space) cannot occur in veche's ids and type names;
/// should one ever, it becomes `_` rather than a wrong subject.
pub fn subject(event: &RecordedEvent) -> String {
    format!(
        "veche.events.{}.{}.{}",
        subject_token(&event.aggregate_type.to_ascii_lowercase()),
        subject_token(&event.aggregate_id),
        subject_token(&event.event_type)
    )
}

fn subject_token(token: &str) -> String {
    if token.is_empty() {
        return "_".into();
    }
    token.chars().map(|c| if c == '.' || c == '*' || c == '>' || c.is_whitespace() { '_' } else { c }).collect()
}

impl CloudEvent {
    /// The CloudEvent of a stored event; `public_url` is where veche serves its AsyncAPI
    /// document.
    pub fn from_recorded(event: &RecordedEvent, public_url: &str) -> Self {
        let event_type = type_name(&event.aggregate_type, &event.event_type, &event.event_version);
        let metadata = |key: &str| event.metadata_str(key).map(str::to_string);
        Self {
            specversion: SPEC_VERSION.into(),
            id: message_id(event),
            source: format!("urn:veche:{}:{}", event.aggregate_type.to_ascii_lowercase(), event.aggregate_id),
            dataschema: Some(format!("{public_url}{SCHEMA_PATH}{event_type}")),
            event_type,
            subject: event.aggregate_id.clone(),
            time: event.recorded_at,
            datacontenttype: "application/json".into(),
            aggregatetype: event.aggregate_type.clone(),
            sequence: event.sequence,
            position: event.position.to_string(),
            eventversion: event.event_version.clone(),
            actor: metadata(ACTOR_ID),
            actorname: metadata(ACTOR_NAME),
            actoremail: metadata(ACTOR_EMAIL),
            data: unwrap_variant(&event.payload, &event.event_type),
        }
    }

    /// The stored event back, as the global log would return it (the metadata holds only
    /// the actor).
    pub fn into_recorded(self) -> Result<RecordedEvent, DecodeError> {
        if self.specversion != SPEC_VERSION {
            return Err(DecodeError::SpecVersion(self.specversion));
        }
        let event_type = event_type_of(&self.event_type).ok_or_else(|| DecodeError::Type(self.event_type.clone()))?;
        let position = self.position.parse().map_err(|_| DecodeError::Position(self.position.clone()))?;
        let mut metadata = Map::new();
        for (key, value) in [(ACTOR_ID, self.actor), (ACTOR_NAME, self.actorname), (ACTOR_EMAIL, self.actoremail)] {
            if let Some(value) = value {
                metadata.insert(key.into(), Value::String(value));
            }
        }
        Ok(RecordedEvent {
            position,
            // Consumers get events in the log's order; the writing transaction's id is in
            // the message's `Veche-Transaction` header, not in the CloudEvent.
            transaction: 0,
            aggregate_type: self.aggregatetype,
            aggregate_id: self.subject,
            sequence: self.sequence,
            payload: wrap_variant(self.data, &event_type),
            event_type,
            event_version: self.eventversion,
            metadata: Value::Object(metadata),
            recorded_at: self.time,
        })
    }

    pub fn decode(bytes: &[u8]) -> Result<RecordedEvent, DecodeError> {
        serde_json::from_slice::<Self>(bytes)?.into_recorded()
    }
}

/// `MeetingScheduled` from `org.veche.meeting.MeetingScheduled.v1`.
fn event_type_of(type_name: &str) -> Option<String> {
    let mut parts = type_name.rsplit('.');
    let version = parts.next()?;
    let event_type = parts.next()?;
    (version.starts_with('v') && type_name.starts_with("org.veche.") && !event_type.is_empty()).then(|| event_type.to_string())
}

/// Stored payloads are serde's externally tagged enums, `{"MeetingScheduled": {..}}`; the
/// type already says which, so `data` holds only the fields.
fn unwrap_variant(payload: &Value, event_type: &str) -> Value {
    match payload.as_object() {
        Some(object) if object.len() == 1 => object.get(event_type).cloned().unwrap_or_else(|| payload.clone()),
        _ => payload.clone(),
    }
}

fn wrap_variant(data: Value, event_type: &str) -> Value {
    match data.as_object() {
        Some(object) if object.len() == 1 && object.contains_key(event_type) => data,
        _ => Value::Object(Map::from_iter([(event_type.to_string(), data)])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn recorded() -> RecordedEvent {
        RecordedEvent {
            position: 4_000_000_123,
            transaction: 0,
            aggregate_type: "Meeting".into(),
            aggregate_id: "0b6c5d2e-8f1a-4c3b-9d7e-2a1f0e9d8c7b".into(),
            sequence: 3,
            event_type: "MeetingRescheduled".into(),
            event_version: "1.0".into(),
            payload: json!({"MeetingRescheduled": {"ical_sequence": 2, "schedule": {"time_zone": "Europe/Berlin"}}}),
            metadata: json!({"actor_id": "user-ann", "actor_name": "Ann", "actor_email": "ann@example.org", "request_id": "r1"}),
            recorded_at: "2026-11-24T10:00:00.123456Z".parse().unwrap(),
        }
    }

    #[test]
    fn an_event_becomes_a_cloudevent_with_versioned_type_and_its_fields_as_data() {
        let event = CloudEvent::from_recorded(&recorded(), "https://meet.example.org");
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["specversion"], "1.0");
        assert_eq!(json["id"], "Meeting/0b6c5d2e-8f1a-4c3b-9d7e-2a1f0e9d8c7b/3");
        assert_eq!(json["type"], "org.veche.meeting.MeetingRescheduled.v1");
        assert_eq!(json["source"], "urn:veche:meeting:0b6c5d2e-8f1a-4c3b-9d7e-2a1f0e9d8c7b");
        assert_eq!(json["time"], "2026-11-24T10:00:00.123456Z");
        assert_eq!(json["position"], "4000000123");
        assert_eq!(json["data"], json!({"ical_sequence": 2, "schedule": {"time_zone": "Europe/Berlin"}}));
        assert_eq!(
            json["dataschema"],
            "https://meet.example.org/api/asyncapi.json#/components/schemas/org.veche.meeting.MeetingRescheduled.v1"
        );
        assert_eq!(json["actor"], "user-ann");
    }

    #[test]
    fn a_cloudevent_decodes_back_to_the_stored_event_with_the_actor_as_metadata() {
        let original = recorded();
        let bytes = serde_json::to_vec(&CloudEvent::from_recorded(&original, "http://x")).unwrap();
        let decoded = CloudEvent::decode(&bytes).unwrap();
        assert_eq!(decoded.position, original.position);
        assert_eq!(decoded.aggregate_type, original.aggregate_type);
        assert_eq!(decoded.aggregate_id, original.aggregate_id);
        assert_eq!(decoded.sequence, original.sequence);
        assert_eq!(decoded.event_type, original.event_type);
        assert_eq!(decoded.event_version, original.event_version);
        assert_eq!(decoded.payload, original.payload);
        assert_eq!(decoded.recorded_at, original.recorded_at);
        assert_eq!(decoded.metadata, json!({"actor_id": "user-ann", "actor_name": "Ann", "actor_email": "ann@example.org"}));
    }

    #[test]
    fn a_message_that_is_not_a_veche_cloudevent_is_refused() {
        assert!(matches!(CloudEvent::decode(b"{\"hello\": 1}"), Err(DecodeError::Json(_))));
        let mut event = serde_json::to_value(CloudEvent::from_recorded(&recorded(), "http://x")).unwrap();
        event["type"] = json!("com.example.Other");
        assert!(matches!(CloudEvent::decode(event.to_string().as_bytes()), Err(DecodeError::Type(_))));
    }

    #[test]
    fn subjects_name_the_aggregate_its_id_and_the_event_type_and_never_hold_wildcards() {
        assert_eq!(subject(&recorded()), "veche.events.meeting.0b6c5d2e-8f1a-4c3b-9d7e-2a1f0e9d8c7b.MeetingRescheduled");
        let mut odd = recorded();
        odd.aggregate_id = "a.b *>".into();
        assert_eq!(subject(&odd), "veche.events.meeting.a_b___.MeetingRescheduled");
    }
}
