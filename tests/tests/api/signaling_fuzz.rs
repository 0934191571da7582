//! Both signaling dialects fed what no client library sends, from a seeded generator and
//! bounded in count: no frame stops the hub, and each refused one gets the close code the
//! protocol documents (mod.rs of `api::signaling`), delivered before the connection goes.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::Method;
use serde_json::json;
use std::time::Duration;
use veche_tests::app::{spawn_app_with, user, TestApp};
use veche_tests::raw_ws::{frame, Outcome, RawSocket};
use veche_tests::signal::SignalClient;

/// The largest message the hub takes in these tests.
const LIMIT: usize = 4096;

#[derive(Debug, Clone, Copy)]
enum Abuse {
    NotJson,
    Binary,
    FragmentedWithinTheLimit,
    FragmentedPastTheLimit,
    LoneContinuation,
    ReservedOpcode,
    ReservedBits,
    TooLong,
    LongControlFrame,
    Unmasked,
    NotUtf8,
    Garbage,
}

const ABUSES: [Abuse; 12] = [
    Abuse::NotJson,
    Abuse::Binary,
    Abuse::FragmentedWithinTheLimit,
    Abuse::FragmentedPastTheLimit,
    Abuse::LoneContinuation,
    Abuse::ReservedOpcode,
    Abuse::ReservedBits,
    Abuse::TooLong,
    Abuse::LongControlFrame,
    Abuse::Unmasked,
    Abuse::NotUtf8,
    Abuse::Garbage,
];

impl Abuse {
    /// What the hub does: answers with an error and stays open, or closes with a code.
    fn expected(self) -> Outcome {
        match self {
            Self::NotJson | Self::Binary | Self::FragmentedWithinTheLimit => Outcome::Open,
            Self::FragmentedPastTheLimit | Self::TooLong => Outcome::Closed(Some(1009)),
            Self::NotUtf8 => Outcome::Closed(Some(1007)),
            _ => Outcome::Closed(Some(1002)),
        }
    }

    /// The bytes of this abuse, sized by `rng`.
    fn bytes(self, rng: &mut StdRng) -> Vec<u8> {
        let text = |n: usize| "x".repeat(n).into_bytes();
        match self {
            Self::NotJson => frame(true, 0, 0x1, b"{not json", true),
            Self::Binary => frame(true, 0, 0x2, &[0, 159, 146, 150], true),
            Self::FragmentedWithinTheLimit => {
                let parts = rng.gen_range(2..6);
                let mut out = Vec::new();
                for part in 0..parts {
                    let opcode = if part == 0 { 0x1 } else { 0x0 };
                    let payload = if part == 0 {
                        b"{\"type\":\"ping\"".to_vec()
                    } else if part == parts - 1 {
                        b"}".to_vec()
                    } else {
                        b" ".to_vec()
                    };
                    out.extend(frame(part == parts - 1, 0, opcode, &payload, true));
                }
                out
            }
            Self::FragmentedPastTheLimit => {
                let (parts, size) = (rng.gen_range(2..8), LIMIT / 2 + 1);
                (0..parts)
                    .flat_map(|part| frame(part == parts - 1, 0, if part == 0 { 0x1 } else { 0x0 }, &text(size), true))
                    .collect()
            }
            Self::LoneContinuation => frame(true, 0, 0x0, &text(rng.gen_range(1..64)), true),
            Self::ReservedOpcode => {
                frame(true, 0, [0x3, 0x4, 0x5, 0x6, 0x7, 0xb, 0xc, 0xd, 0xe, 0xf][rng.gen_range(0..10)], b"{}", true)
            }
            Self::ReservedBits => frame(true, rng.gen_range(1..8), 0x1, b"{}", true),
            Self::TooLong => frame(true, 0, 0x1, &text(LIMIT + rng.gen_range(1..64 * 1024)), true),
            Self::LongControlFrame => frame(true, 0, 0x9, &text(rng.gen_range(126..1000)), true),
            Self::Unmasked => frame(true, 0, 0x1, b"{\"type\":\"ping\"}", false),
            Self::NotUtf8 => frame(true, 0, 0x1, &[b'{', 0xff, 0xfe, b'}'], true),
            Self::Garbage => {
                // A whole frame of noise: any opcode, fin and mask, with reserved bits set.
                let noise: Vec<u8> = (0..rng.gen_range(0..256)).map(|_| rng.gen::<u8>()).collect();
                frame(rng.gen(), rng.gen_range(1..8), rng.gen_range(0..16), &noise, rng.gen())
            }
        }
    }
}

#[tokio::test]
async fn malformed_oversized_binary_fragmented_and_out_of_order_frames_get_their_close_code_and_stop_nothing() {
    // Every case is one of Bob's connections, and a dropped one keeps its place for a while.
    let app = spawn_app_with(|s| {
        s.rooms.signal_max_message_bytes = LIMIT;
        s.rooms.room_capacity = 100;
        s.rooms.room_seats_per_person = 100;
    })
    .await;
    let (ann, bob) = (user("ann"), user("bob"));
    // Two people calling in a room of their own, beside the abuse.
    let bystanders = app.schedule(&ann, &[&bob], json!({})).await["meeting"]["room_id"].as_str().unwrap().to_string();
    let mut ann_client = SignalClient::join(&app.base, &bystanders, &ann.token, Some("ann-1")).await.unwrap();
    ann_client.next_of_type("welcome").await;
    let mut bob_client = SignalClient::join(&app.base, &bystanders, &bob.token, Some("bob-1")).await.unwrap();
    bob_client.next_of_type("welcome").await;

    let room = app.schedule(&ann, &[&bob], json!({})).await["meeting"]["room_id"].as_str().unwrap().to_string();
    let (_, pass) =
        TestApp::json(app.request(Method::POST, &format!("/api/rooms/{room}/pass"), &bob).send().await.unwrap()).await;
    let pass = pass["pass"].as_str().unwrap().to_string();
    let mut rng = StdRng::seed_from_u64(20261207);
    let mut wrong = Vec::new();
    for case in 0..48 {
        let abuse = ABUSES[rng.gen_range(0..ABUSES.len())];
        let (dialect, path) = if case % 2 == 0 {
            ("veche", format!("/api/rooms/{room}/signal?access_token={}&peer_id=fuzz-{case}", bob.token))
        } else {
            ("peerjs", format!("/peerjs/peerjs?key={pass}&id=fuzz-{case}&token=t{case}&version=1.5.4"))
        };
        let mut socket = RawSocket::open(&app.base, &path).await.unwrap_or_else(|| panic!("{dialect} opens"));
        socket.next(Duration::from_secs(10)).await.expect("the greeting");
        socket.send(&abuse.bytes(&mut rng)).await;
        let wait = if abuse.expected() == Outcome::Open { Duration::from_millis(300) } else { Duration::from_secs(10) };
        let outcome = socket.outcome(wait).await;
        if outcome != abuse.expected() {
            wrong.push(format!("case {case}, {dialect}, {abuse:?}: {outcome:?}, expected {:?}", abuse.expected()));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    // The hub serves the other room as before.
    let offer = json!({ "type": "offer", "sdp": "v=0" });
    ann_client.send_json(json!({ "type": "signal", "to": "bob-1", "kind": "offer", "data": offer })).await;
    assert_eq!(bob_client.next_of_type("signal").await["from"], "ann-1");
    let (_, ready) = TestApp::json(app.client.get(format!("{}/readyz", app.base)).send().await.unwrap()).await;
    assert_eq!(ready["tasks_down"], json!([]));
    app.stop().await;
}
