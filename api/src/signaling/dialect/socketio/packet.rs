//! Engine.IO 4 and Socket.IO 4 packets in their text encoding, as socket.io-client 4 sends
//! and reads them (binary attachments are refused: the plan's events are JSON).
//!
//! An Engine.IO packet is a digit and its data (`4` a message, `2` / `3` ping and pong);
//! a message carries a Socket.IO packet: a digit, `/namespace,` unless the default, an
//! acknowledgement id, JSON (`42["offer",{...},"room-1"]`).

use serde_json::value::RawValue;
use tokio_tungstenite::tungstenite::Utf8Bytes;

/// The separator of packets in one long-polling body.
pub const SEPARATOR: char = '\u{1e}';
/// The server's ping (Engine.IO 4: the server pings, the client answers `3`).
pub const PING: &str = "2";
/// What a long poll returns when the client moves to WebSocket (nothing).
pub const NOOP: &str = "6";
/// The server closes the session.
pub const CLOSE: &str = "1";

/// An Engine.IO packet from a client.
#[derive(Debug, PartialEq, Eq)]
pub enum Engine<'a> {
    Open,
    Close,
    /// A ping (`2probe` while a transport is being upgraded), with its data.
    Ping(&'a str),
    Pong(&'a str),
    /// A Socket.IO packet.
    Message(&'a str),
    Upgrade,
    Noop,
}

pub fn engine(text: &str) -> Option<Engine<'_>> {
    let data = text.get(1..)?;
    Some(match text.as_bytes().first()? {
        b'0' => Engine::Open,
        b'1' => Engine::Close,
        b'2' => Engine::Ping(data),
        b'3' => Engine::Pong(data),
        b'4' => Engine::Message(data),
        b'5' => Engine::Upgrade,
        b'6' => Engine::Noop,
        _ => return None,
    })
}

/// A Socket.IO packet from a client.
#[derive(Debug, PartialEq, Eq)]
pub enum Socket<'a> {
    /// Entering a namespace, with the handshake's `auth` (JSON) if any.
    Connect {
        namespace: &'a str,
        auth: Option<&'a str>,
    },
    Disconnect {
        namespace: &'a str,
    },
    /// An event: its name and arguments as one JSON array.
    Event {
        namespace: &'a str,
        args: &'a str,
    },
    /// An acknowledgement, or an event or acknowledgement with binary attachments.
    Unsupported,
}

pub fn socket(text: &str) -> Option<Socket<'_>> {
    let kind = *text.as_bytes().first()?;
    let rest = &text[1..];
    let (namespace, rest) = match rest.strip_prefix('/') {
        Some(_) => rest.split_once(',').unwrap_or((rest, "")),
        None => ("/", rest),
    };
    Some(match kind {
        b'0' => Socket::Connect { namespace, auth: (!rest.is_empty()).then_some(rest) },
        b'1' => Socket::Disconnect { namespace },
        // The acknowledgement id an event may carry: the plan's events ask for none, and none
        // is sent.
        b'2' => Socket::Event { namespace, args: rest.trim_start_matches(|c: char| c.is_ascii_digit()) },
        b'3'..=b'6' => Socket::Unsupported,
        _ => return None,
    })
}

/// An event's name and arguments, borrowed from its JSON array; `None` unless the array
/// starts with a name.
pub fn event(args: &str) -> Option<(String, Vec<&RawValue>)> {
    let mut args: Vec<&RawValue> = serde_json::from_str(args).ok()?;
    if args.is_empty() {
        return None;
    }
    let name: String = serde_json::from_str(args.remove(0).get()).ok()?;
    Some((name, args))
}

/// The Engine.IO handshake: the session id, the transports it may move to, the heartbeat and
/// the largest body or message the server takes.
pub fn open(sid: &str, upgrades: &[&str], ping_interval_ms: u128, max_payload: usize) -> Utf8Bytes {
    let handshake = serde_json::json!({
        "sid": sid,
        "upgrades": upgrades,
        "pingInterval": ping_interval_ms as u64,
        // The client gives up once a ping is this late; the server's own check is two
        // unanswered rounds, so the same period again.
        "pingTimeout": ping_interval_ms as u64,
        "maxPayload": max_payload,
    });
    format!("0{handshake}").into()
}

/// The answer to entering the default namespace: the socket's id.
pub fn connected(socket_id: &str) -> Utf8Bytes {
    format!("40{}", serde_json::json!({ "sid": socket_id })).into()
}

/// The answer to entering any other namespace.
pub fn invalid_namespace(namespace: &str) -> Utf8Bytes {
    let namespace = namespace.trim_end_matches(',');
    format!("44{namespace},{}", serde_json::json!({ "message": "Invalid namespace" })).into()
}

/// An event with arguments already in JSON, one after another with commas between
/// (`"ann"`, or `{...},"socket-id"`).
pub fn event_frame(name: &str, args: &str) -> Utf8Bytes {
    ["42[\"", name, "\",", args, "]"].concat().into()
}

/// The `error({code, message})` event veche answers a refused message with.
pub fn error_frame(code: &str, message: &str) -> Utf8Bytes {
    event_frame("error", &serde_json::json!({ "code": code, "message": message }).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_packets_are_told_apart_by_their_first_digit() {
        assert_eq!(engine("3"), Some(Engine::Pong("")));
        assert_eq!(engine("2probe"), Some(Engine::Ping("probe")));
        assert_eq!(engine("42[\"x\"]"), Some(Engine::Message("2[\"x\"]")));
        assert_eq!(engine("5"), Some(Engine::Upgrade));
        assert_eq!(engine(""), None);
        assert_eq!(engine("9"), None);
    }

    #[test]
    fn socket_packets_carry_their_namespace_auth_and_arguments() {
        assert_eq!(socket("0"), Some(Socket::Connect { namespace: "/", auth: None }));
        assert_eq!(socket(r#"0{"token":"t"}"#), Some(Socket::Connect { namespace: "/", auth: Some(r#"{"token":"t"}"#) }));
        assert_eq!(socket("0/admin,"), Some(Socket::Connect { namespace: "/admin", auth: None }));
        assert_eq!(socket(r#"2["offer",{},"r"]"#), Some(Socket::Event { namespace: "/", args: r#"["offer",{},"r"]"# }));
        assert_eq!(socket(r#"212["offer",1]"#), Some(Socket::Event { namespace: "/", args: r#"["offer",1]"# }), "an ack id");
        assert_eq!(socket(r#"2/chat,["hi"]"#), Some(Socket::Event { namespace: "/chat", args: r#"["hi"]"# }));
        assert_eq!(socket(r#"51-["offer",{"_placeholder":true,"num":0}]"#), Some(Socket::Unsupported));
        assert_eq!(socket("1"), Some(Socket::Disconnect { namespace: "/" }));
        assert_eq!(socket("x"), None);
    }

    #[test]
    fn an_event_is_a_name_and_its_arguments_untouched() {
        let (name, args) = event(r#"["offer",{"sdp":"v=0\r\n"},"room-1"]"#).unwrap();
        assert_eq!(name, "offer");
        assert_eq!(args.iter().map(|a| a.get()).collect::<Vec<_>>(), [r#"{"sdp":"v=0\r\n"}"#, r#""room-1""#]);
        assert!(event("[]").is_none());
        assert!(event("[1,2]").is_none(), "a name first");
        assert!(event("not json").is_none());
    }

    #[test]
    fn the_servers_frames_are_what_socket_io_client_reads() {
        assert_eq!(event_frame("user-connected", r#""ann""#).as_str(), r#"42["user-connected","ann"]"#);
        assert_eq!(connected("abc").as_str(), r#"40{"sid":"abc"}"#);
        assert_eq!(invalid_namespace("/admin").as_str(), r#"44/admin,{"message":"Invalid namespace"}"#);
        let open = open("s1", &["websocket"], 20_000, 65_536);
        let handshake: serde_json::Value = serde_json::from_str(&open.as_str()[1..]).unwrap();
        assert_eq!(handshake["sid"], "s1");
        assert_eq!(handshake["upgrades"][0], "websocket");
        assert_eq!(handshake["pingInterval"], 20_000);
        assert_eq!(handshake["maxPayload"], 65_536);
    }
}
