//! The AsyncAPI document cannot drift from the domain: it names every event type the
//! domain has, and the events the publisher really sends have the shape it declares; the
//! signaling messages the hub sends have the members it requires.

use domain::meeting::MeetingEvent;
use domain::room::RoomEvent;
use serde_json::Value;

fn document() -> Value {
    serde_json::from_str(api::http::asyncapi::DOCUMENT).expect("api/asyncapi.json is JSON")
}

/// Every meeting event type. The match has no wildcard, so adding a variant to the domain
/// fails to compile here until the document (and this list) says what it is.
fn meeting_event_types() -> Vec<&'static str> {
    let name = |event: &MeetingEvent| match event {
        MeetingEvent::MeetingScheduled { .. } => "MeetingScheduled",
        MeetingEvent::MeetingDetailsChanged { .. } => "MeetingDetailsChanged",
        MeetingEvent::RemindersChanged { .. } => "RemindersChanged",
        MeetingEvent::MeetingRescheduled { .. } => "MeetingRescheduled",
        MeetingEvent::AttendeesInvited { .. } => "AttendeesInvited",
        MeetingEvent::AttendeeRemoved { .. } => "AttendeeRemoved",
        MeetingEvent::AttendeeResponded { .. } => "AttendeeResponded",
        MeetingEvent::MeetingCancelled { .. } => "MeetingCancelled",
    };
    let _ = name;
    vec![
        "MeetingScheduled",
        "MeetingDetailsChanged",
        "RemindersChanged",
        "MeetingRescheduled",
        "AttendeesInvited",
        "AttendeeRemoved",
        "AttendeeResponded",
        "MeetingCancelled",
    ]
}

/// Every room event type, checked by the compiler the same way.
fn room_event_types() -> Vec<&'static str> {
    let name = |event: &RoomEvent| match event {
        RoomEvent::RoomOpened { .. } => "RoomOpened",
        RoomEvent::ParticipantJoined { .. } => "ParticipantJoined",
        RoomEvent::ParticipantResumed { .. } => "ParticipantResumed",
        RoomEvent::ParticipantLeft { .. } => "ParticipantLeft",
        RoomEvent::ParticipantExpired { .. } => "ParticipantExpired",
        RoomEvent::RoomEnded { .. } => "RoomEnded",
        RoomEvent::RoomClosed { .. } => "RoomClosed",
    };
    let _ = name;
    vec![
        "RoomOpened",
        "ParticipantJoined",
        "ParticipantResumed",
        "ParticipantLeft",
        "ParticipantExpired",
        "RoomEnded",
        "RoomClosed",
    ]
}

/// Follows a local `$ref` (`#/components/schemas/X`).
fn resolve<'a>(document: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let target = document.pointer(reference.trim_start_matches('#')).unwrap_or_else(|| panic!("{reference} resolves"));
            resolve(document, target)
        }
        None => schema,
    }
}

/// The data of a published CloudEvent has every property its schema requires and none it
/// does not declare.
pub fn assert_matches_its_schema(cloud_event: &Value) {
    let document = document();
    let event_type = cloud_event["type"].as_str().expect("a type");
    let schema =
        document["components"]["schemas"].get(event_type).unwrap_or_else(|| panic!("the document has a schema for {event_type}"));
    let data = cloud_event["data"].as_object().expect("data is an object");
    let declared = schema["properties"].as_object().expect("the schema declares properties");
    for required in schema["required"].as_array().expect("the schema lists required properties") {
        assert!(data.contains_key(required.as_str().unwrap()), "{event_type}: data lacks {required}");
    }
    for key in data.keys() {
        assert!(declared.contains_key(key), "{event_type}: data has {key}, which the document does not declare");
    }
    let envelope = resolve(&document, &document["components"]["schemas"]["CloudEvent"]);
    for required in envelope["required"].as_array().unwrap() {
        assert!(cloud_event.get(required.as_str().unwrap()).is_some(), "the CloudEvent lacks {required}");
    }
}

#[test]
fn the_asyncapi_document_describes_every_event_type_of_the_domain_with_a_versioned_schema() {
    let document = document();
    assert_eq!(document["asyncapi"], "3.0.0");
    for (aggregate, types) in [("meeting", meeting_event_types()), ("room", room_event_types())] {
        let channel = &document["channels"][format!("{aggregate}Events")];
        assert_eq!(channel["address"], format!("veche.events.{aggregate}.{{aggregateId}}.{{eventType}}"));
        for event_type in types {
            let versioned = format!("org.veche.{aggregate}.{event_type}.v1");
            let schema = &document["components"]["schemas"][&versioned];
            assert_eq!(schema["type"], "object", "{versioned} has a data schema");
            let message = &document["components"]["messages"][&versioned];
            assert_eq!(message["name"], event_type, "{versioned} has a message");
            assert_eq!(message["payload"]["allOf"][1]["properties"]["type"]["const"], versioned.as_str());
            assert!(channel["messages"].get(event_type).is_some(), "the {aggregate} channel carries {event_type}");
        }
    }
}

#[test]
fn every_reference_in_the_asyncapi_document_resolves() {
    fn walk(document: &Value, value: &Value) {
        match value {
            Value::Object(object) => {
                if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
                    assert!(document.pointer(reference.trim_start_matches('#')).is_some(), "{reference} resolves");
                }
                object.values().for_each(|v| walk(document, v));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(document, v)),
            _ => {}
        }
    }
    let document = document();
    walk(&document, &document);
}

#[tokio::test]
async fn veche_serves_the_asyncapi_document() {
    let app = veche_tests::app::spawn_app().await;
    let response = app.client.get(format!("{}/api/asyncapi.json", app.base)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let served: Value = response.json().await.unwrap();
    assert_eq!(served, document());
    app.stop().await;
}

/// The `required` members of a signaling message's payload in the document.
fn required_of(document: &Value, message: &str) -> Vec<String> {
    let payload = &document["components"]["messages"][message]["payload"];
    payload["required"]
        .as_array()
        .unwrap_or_else(|| panic!("{message} has a payload"))
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_signaling_messages_the_hub_sends_have_the_members_the_document_requires() {
    let app = veche_tests::app::spawn_app().await;
    let (ann, bob) = (veche_tests::app::user("ann"), veche_tests::app::user("bob"));
    let scheduled = app.schedule(&ann, &[&bob], serde_json::json!({})).await;
    let room = scheduled["meeting"]["room_id"].as_str().unwrap();
    let mut ann_client = veche_tests::signal::SignalClient::join(&app.base, room, &ann.token, None).await.unwrap();
    let welcome = ann_client.next_of_type("welcome").await;
    let mut bob_client = veche_tests::signal::SignalClient::join(&app.base, room, &bob.token, None).await.unwrap();
    bob_client.next_of_type("welcome").await;
    let joined = ann_client.next_of_type("joined").await;
    bob_client.send_json(serde_json::json!({"type": "dance"})).await;
    let error = bob_client.next_of_type("error").await;
    bob_client.send_json(serde_json::json!({"type": "ping"})).await;
    let pong = bob_client.next_of_type("pong").await;

    let document = document();
    for (name, sent) in [("signal.welcome", welcome), ("signal.joined", joined), ("signal.error", error), ("signal.pong", pong)] {
        for member in required_of(&document, name) {
            assert!(sent.get(&member).is_some(), "{name} as sent lacks {member}: {sent}");
        }
        let declared = &document["components"]["messages"][name]["payload"]["properties"]["type"]["const"];
        assert_eq!(&sent["type"], declared, "{name}");
    }
    app.stop().await;
}
