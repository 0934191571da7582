//! The dead letters an operator reads and sends back (`veche dead-letters list|replay`).
//!
//! A dead letter is an event a reactor gave up on (see [`crate::nats_consumer`]). Once the
//! cause is mended (the SMTP server is back, a bug is fixed) the operator replays it: it is
//! published to `veche.replays.<reactor>`, where that reactor alone takes it up, on any
//! node, with the same idempotency as a first delivery; then the dead letter is deleted.
//! A crash between the two leaves both, and the replay's Msg-Id and the reactor's effect
//! ledger keep a second replay from doing anything twice.

use crate::nats::{replay_subject, Nats};
use crate::nats_consumer::{DEAD_LETTER_DELIVERIES, DEAD_LETTER_REACTOR, DEAD_LETTER_REASON, DEAD_LETTER_SUBJECT};
use async_nats::jetstream::message::{PublishMessage, StreamMessage};
use async_nats::jetstream::stream::{RawMessageErrorKind, Stream};

/// The most dead letters one call reads.
pub const MAX_LISTED: usize = 10_000;

/// One parked event.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DeadLetter {
    /// Its sequence in `VECHE_DEAD_LETTERS`, which names it for a replay.
    pub sequence: u64,
    pub reactor: String,
    pub reason: String,
    /// The subject the event was published on (`veche.events.meeting.<id>.<Type>`).
    pub original_subject: String,
    pub deliveries: String,
    pub parked_at: String,
    #[serde(skip)]
    payload: bytes::Bytes,
}

impl DeadLetter {
    fn from_message(message: StreamMessage) -> Self {
        let header = |name: &str| message.headers.get(name).map(|value| value.as_str().to_string()).unwrap_or_default();
        Self {
            sequence: message.sequence,
            reactor: header(DEAD_LETTER_REACTOR),
            reason: header(DEAD_LETTER_REASON),
            original_subject: header(DEAD_LETTER_SUBJECT),
            deliveries: header(DEAD_LETTER_DELIVERIES),
            parked_at: message.time.to_string(),
            payload: message.payload,
        }
    }
}

/// The dead letters, oldest first (at most [`MAX_LISTED`]), of `reactor` only if given.
pub async fn list(nats: &Nats, reactor: Option<&str>) -> Result<Vec<DeadLetter>, async_nats::Error> {
    let stream = nats.ensure_dead_letters_stream().await?;
    read(&stream, reactor).await
}

async fn read(stream: &Stream, reactor: Option<&str>) -> Result<Vec<DeadLetter>, async_nats::Error> {
    let state = stream.get_info().await?.state;
    let mut letters = Vec::new();
    if state.messages == 0 {
        return Ok(letters);
    }
    for sequence in state.first_sequence..=state.last_sequence {
        if letters.len() >= MAX_LISTED {
            break;
        }
        let letter = match stream.get_raw_message(sequence).await {
            Ok(message) => DeadLetter::from_message(message),
            // A replayed (deleted) letter leaves a hole.
            Err(error) if error.kind() == RawMessageErrorKind::NoMessageFound => continue,
            Err(error) => return Err(error.into()),
        };
        if reactor.is_none_or(|reactor| reactor == letter.reactor) {
            letters.push(letter);
        }
    }
    Ok(letters)
}

/// Sends the dead letters back to their reactors: those of `reactor` only if given, the one
/// at `sequence` only if given. Returns the letters replayed.
pub async fn replay(nats: &Nats, reactor: Option<&str>, sequence: Option<u64>) -> Result<Vec<DeadLetter>, async_nats::Error> {
    let stream = nats.ensure_dead_letters_stream().await?;
    nats.ensure_replays_stream().await?;
    let mut replayed = Vec::new();
    for letter in read(&stream, reactor).await? {
        if sequence.is_some_and(|sequence| sequence != letter.sequence) || letter.reactor.is_empty() {
            continue;
        }
        let message = PublishMessage::build()
            .payload(letter.payload.clone())
            .message_id(format!("replay/{}", letter.sequence))
            .header(DEAD_LETTER_SUBJECT, letter.original_subject.as_str());
        nats.jetstream().send_publish(replay_subject(&letter.reactor), message).await?.await?;
        stream.delete_message(letter.sequence).await?;
        replayed.push(letter);
    }
    Ok(replayed)
}
