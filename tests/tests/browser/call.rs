//! The call page with everything a person does in a call, in three Chromiums with fake
//! devices (`tests/web/call-features.mjs`): the pre-join check, muting (the other side's
//! sound falls to nothing), the camera off and on, a shared screen seen as the large tile, a
//! raised hand, the chat both ways and for a late comer, Russian, leaving; axe-core on each
//! page and screenshots at desktop and phone width into `target/web-screenshots`.

use serde_json::json;
use veche_tests::app::{spawn_app, user};
use veche_tests::browser::run_script;

#[tokio::test]
async fn three_people_hold_a_call_with_mute_camera_screen_hand_chat_and_a_late_comer() {
    // Given a meeting of Ann with Bob and Cara
    let app = spawn_app().await;
    let (ann, bob, cara) = (user("ann"), user("bob"), user("cara"));
    let scheduled = app.schedule(&ann, &[&bob, &cara], json!({})).await;
    let room = scheduled["meeting"]["room_id"].as_str().unwrap();

    // When they use the call page in three browsers (the script does all of it)
    let shots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/web-screenshots");
    let args = [&app.base, room, shots.to_str().unwrap(), &ann.token, &bob.token, &cara.token];
    let run = run_script("call-features.mjs", &args).await;

    // Then every step was seen on the other side.
    run.assert_passed();
    // and nothing of the chat reached the room's log.
    let events = projections::global_log::stream_of(&app.pool, "Room", room, None).await.unwrap();
    let types: Vec<&str> = events.iter().map(|event| event.event_type.as_str()).collect();
    let presence =
        ["RoomOpened", "ParticipantJoined", "ParticipantResumed", "ParticipantLeft", "ParticipantExpired", "RoomEnded"];
    assert!(types.iter().all(|t| presence.contains(t)), "only presence is recorded: {types:?}");
    app.stop().await;
}
