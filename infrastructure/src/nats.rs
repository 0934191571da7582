//! The NATS connection veche shares between its publisher, its reactors and (later) the
//! signaling hubs, and the JetStream streams it owns.
//!
//! ## Streams and subjects (documented for integrators in `api/asyncapi.json`)
//! - `VECHE_EVENTS`, subjects `veche.events.<aggregate>.<aggregate_id>.<EventType>`, e.g.
//!   `veche.events.meeting.0b6c…e1.MeetingScheduled`: every domain event, once, as a
//!   CloudEvents 1.0 JSON message (see [`crate::cloudevents`]). The aggregate comes first
//!   so that `veche.events.meeting.>` follows every meeting and
//!   `veche.events.meeting.<id>.>` one meeting; `veche.events.*.*.MeetingCancelled` picks
//!   one event type. File storage, no size or age limit (the log in PostgreSQL is the
//!   source of truth, the stream is its replica for integrators), and a
//!   [`DUPLICATE_WINDOW`] in which a re-published `Nats-Msg-Id` is dropped.
//! - `VECHE_DEAD_LETTERS`, subjects `veche.dead_letters.<reactor>`: events a reactor could
//!   not handle, with the reason in headers.
//! - `VECHE_REPLAYS`, subjects `veche.replays.<reactor>`: dead letters an operator sent back
//!   (`veche dead-letters replay`), each to the one reactor that parked it. A work queue:
//!   a message goes once it is handled.

use async_nats::jetstream::{self, stream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub const EVENTS_STREAM: &str = "VECHE_EVENTS";
pub const EVENTS_SUBJECTS: &str = "veche.events.>";
pub const DEAD_LETTERS_STREAM: &str = "VECHE_DEAD_LETTERS";
pub const DEAD_LETTERS_SUBJECTS: &str = "veche.dead_letters.>";
pub const REPLAYS_STREAM: &str = "VECHE_REPLAYS";
pub const REPLAYS_SUBJECTS: &str = "veche.replays.>";

/// The subject of `reactor`'s dead letters.
pub fn dead_letter_subject(reactor: &str) -> String {
    format!("veche.dead_letters.{reactor}")
}

/// The subject on which `reactor` takes replayed dead letters.
pub fn replay_subject(reactor: &str) -> String {
    format!("veche.replays.{reactor}")
}
/// How long JetStream remembers a `Nats-Msg-Id` to drop a second copy. A relay that
/// crashed between the ack and its checkpoint re-publishes at most one batch, seconds
/// later; two minutes is JetStream's default and leaves room for a slow restart.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);
/// How long a JetStream request or publish may wait for its answer. Short, so that a
/// NATS that went away is noticed and retried instead of waited for.
const JETSTREAM_TIMEOUT: Duration = Duration::from_secs(5);
/// Reconnect attempts back off up to this delay (a restarted server is found within it).
const MAX_RECONNECT_DELAY: Duration = Duration::from_secs(1);

/// A NATS connection with its JetStream context. Cloning shares the connection.
#[derive(Clone, Debug)]
pub struct Nats {
    client: async_nats::Client,
    jetstream: jetstream::Context,
    /// Incremented on every (re)connection: a reader of a stream can tell that the server
    /// came back, perhaps without the tail of its store.
    connections: Arc<AtomicU64>,
}

impl Nats {
    /// Connects to `url` (e.g. `nats://127.0.0.1:4222`; `nats://<token>@host:port` or
    /// `nats://<user>:<password>@host:port`, percent-encoded, authenticate) and keeps
    /// reconnecting forever when the connection drops. Fails when the first connection
    /// cannot be made.
    pub async fn connect(url: &str) -> Result<Self, async_nats::ConnectError> {
        let connections = Arc::new(AtomicU64::new(0));
        let counter = connections.clone();
        let (address, credentials) = split_credentials(url);
        let options = match credentials {
            Some(Credentials::Token(token)) => async_nats::ConnectOptions::with_token(token),
            Some(Credentials::UserPassword(user, password)) => async_nats::ConnectOptions::with_user_and_password(user, password),
            None => async_nats::ConnectOptions::new(),
        };
        let client = options
            .name("veche")
            .max_reconnects(None)
            .request_timeout(Some(JETSTREAM_TIMEOUT))
            .reconnect_delay_callback(|attempts| {
                MAX_RECONNECT_DELAY.min(Duration::from_millis(50).saturating_mul(1 << attempts.min(8) as u32))
            })
            .event_callback(move |event| {
                let counter = counter.clone();
                async move {
                    match event {
                        async_nats::Event::Connected => {
                            counter.fetch_add(1, Ordering::SeqCst);
                            tracing::info!("connected to NATS");
                        }
                        async_nats::Event::Disconnected => tracing::warn!("disconnected from NATS; reconnecting"),
                        other => tracing::debug!(event = %other, "NATS connection event"),
                    }
                }
            })
            .connect(address.as_str())
            .await?;
        // The first connection happened before the callback could see it.
        connections.fetch_add(1, Ordering::SeqCst);
        let jetstream =
            jetstream::ContextBuilder::new().timeout(JETSTREAM_TIMEOUT).ack_timeout(JETSTREAM_TIMEOUT).build(client.clone());
        Ok(Self { client, jetstream, connections })
    }

    /// The core NATS client (for plain publish/subscribe, e.g. signaling between nodes).
    pub fn client(&self) -> &async_nats::Client {
        &self.client
    }

    pub fn jetstream(&self) -> &jetstream::Context {
        &self.jetstream
    }

    /// How many times the connection was made (1 after [`Nats::connect`]).
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::SeqCst)
    }

    /// Creates `VECHE_EVENTS`, or brings its configuration up to date.
    pub async fn ensure_events_stream(&self) -> Result<stream::Stream, async_nats::Error> {
        let description = "Every veche domain event, once, in the log's order, as CloudEvents 1.0 JSON";
        // Direct gets let integrators (and the publisher at start) read a message cheaply.
        self.ensure_stream(stream::Config { allow_direct: true, ..file_stream(EVENTS_STREAM, EVENTS_SUBJECTS, description) })
            .await
    }

    /// Creates `VECHE_DEAD_LETTERS`, or brings its configuration up to date.
    pub async fn ensure_dead_letters_stream(&self) -> Result<stream::Stream, async_nats::Error> {
        let description = "Events a veche reactor could not handle, with the reason";
        self.ensure_stream(file_stream(DEAD_LETTERS_STREAM, DEAD_LETTERS_SUBJECTS, description)).await
    }

    /// Creates `VECHE_REPLAYS`, or brings its configuration up to date.
    pub async fn ensure_replays_stream(&self) -> Result<stream::Stream, async_nats::Error> {
        let description = "Dead letters sent back by an operator, each to the reactor that parked it";
        self.ensure_stream(stream::Config {
            retention: stream::RetentionPolicy::WorkQueue,
            ..file_stream(REPLAYS_STREAM, REPLAYS_SUBJECTS, description)
        })
        .await
    }

    async fn ensure_stream(&self, config: stream::Config) -> Result<stream::Stream, async_nats::Error> {
        let name = config.name.clone();
        self.jetstream.create_or_update_stream(config).await?;
        Ok(self.jetstream.get_stream(name).await?)
    }
}

/// What a NATS URL carries to authenticate with (async-nats reads nothing from the URL).
#[derive(Debug, PartialEq, Eq)]
enum Credentials {
    Token(String),
    UserPassword(String, String),
}

/// The URL without its credentials, and the credentials.
fn split_credentials(url: &str) -> (String, Option<Credentials>) {
    let Ok(mut parsed) = reqwest::Url::parse(url) else { return (url.to_string(), None) };
    let decode = |text: &str| percent_encoding::percent_decode_str(text).decode_utf8_lossy().into_owned();
    let credentials = match (parsed.username(), parsed.password()) {
        ("", _) => None,
        (token, None) => Some(Credentials::Token(decode(token))),
        (user, Some(password)) => Some(Credentials::UserPassword(decode(user), decode(password))),
    };
    if credentials.is_some() {
        let _ = parsed.set_username("");
        let _ = parsed.set_password(None);
    }
    (parsed.to_string(), credentials)
}

/// A stream kept on disk, with no size or age limit, deduplicating within [`DUPLICATE_WINDOW`].
fn file_stream(name: &str, subjects: &str, description: &str) -> stream::Config {
    stream::Config {
        name: name.into(),
        description: Some(description.into()),
        subjects: vec![subjects.into()],
        storage: stream::StorageType::File,
        retention: stream::RetentionPolicy::Limits,
        duplicate_window: DUPLICATE_WINDOW,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_come_out_of_the_url_decoded() {
        assert_eq!(split_credentials("nats://127.0.0.1:4222"), ("nats://127.0.0.1:4222".into(), None));
        assert_eq!(
            split_credentials("nats://s3cr%40t@127.0.0.1:4222"),
            ("nats://127.0.0.1:4222".into(), Some(Credentials::Token("s3cr@t".into())))
        );
        assert_eq!(
            split_credentials("nats://ann:p%3Ass@nats.example.org:4222"),
            ("nats://nats.example.org:4222".into(), Some(Credentials::UserPassword("ann".into(), "p:ss".into())))
        );
    }
}
