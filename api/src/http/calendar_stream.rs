//! `GET /api/calendar/stream`: the person's calendar changes as Server-Sent Events, fed by
//! the projections (`calendar_feed`) through the node's [`crate::live::LiveFeed`]. Each event
//! names a meeting to look at again; `Last-Event-ID` (sent by `EventSource` when it
//! reconnects) resumes after the last one seen, within the day the feed keeps.

use crate::auth::AuthUser;
use crate::error::{ApiError, Problem, Result};
use crate::state::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::stream::{self, Stream, StreamExt};
use projections::calendar_feed::{self, CalendarChange};
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Streams one person may hold open on a node (browser tabs).
const STREAMS_PER_PERSON: usize = 10;
/// Changes replayed on a resume; further behind, the browser is told to reload instead.
const MOST_REPLAYED: i64 = 500;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(calendar_stream))
}

fn change_event(change: &CalendarChange) -> Event {
    Event::default().event("change").id(change.id.to_string()).data(format!(r#"{{"meeting_id":"{}"}}"#, change.meeting_id))
}

/// Your calendar's changes, live
///
/// A `text/event-stream`: `ready` once (its id is where the stream starts), then a `change`
/// (`{"meeting_id"}`) whenever a meeting in the person's calendar changes, `resync` when
/// changes were missed (reload what is shown). Send `Last-Event-ID` to resume.
#[utoipa::path(get, path = "/api/calendar/stream", tag = "calendar",
    params(("Last-Event-ID" = Option<i64>, Header, description = "The id of the last event seen")),
    responses(
        (status = 200, content_type = "text/event-stream", description = "Server-Sent Events"),
        (status = 429, body = Problem, description = "Too many streams open for this person")),
    security(("bearer" = [])))]
async fn calendar_stream(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let email = user.actor.email.to_string();
    let last_seen = headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<i64>().ok());
    let subscription = state.live.subscribe(&email);
    if state.live.streams_of(&email) > STREAMS_PER_PERSON {
        return Err(ApiError::TooManyRequests(Duration::from_secs(10)));
    }
    let from = subscription.from;
    // What happened between the last event seen and now, from the table.
    let mut first: Vec<Event> =
        vec![Event::default().event("ready").id(from.to_string()).retry(Duration::from_secs(3)).data("{}")];
    if let Some(last_seen) = last_seen.filter(|&last| last < from) {
        let missed = calendar_feed::changes_after(&state.pool, last_seen, Some(&email), MOST_REPLAYED + 1).await?;
        let missed: Vec<_> = missed.into_iter().filter(|change| change.id <= from).collect();
        if missed.len() as i64 > MOST_REPLAYED || (missed.is_empty() && last_seen < from && oldest_kept(&state, last_seen).await)
        {
            first.push(Event::default().event("resync").data("{}"));
        } else {
            first.extend(missed.iter().map(change_event));
        }
    }
    let live = stream::unfold((subscription.changes, from), |(mut changes, mut sent)| async move {
        loop {
            match changes.recv().await {
                Ok(change) if change.id <= sent => continue,
                Ok(change) => {
                    sent = change.id;
                    return Some((change_event(&change), (changes, sent)));
                }
                Err(RecvError::Lagged(_)) => return Some((Event::default().event("resync").data("{}"), (changes, sent))),
                Err(RecvError::Closed) => return None,
            }
        }
    });
    let events = stream::iter(first).chain(live).map(Ok);
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(20))))
}

/// Whether changes after `last_seen` may have been pruned (the id is older than the oldest
/// change kept): the browser must reload rather than trust an empty replay.
async fn oldest_kept(state: &AppState, last_seen: i64) -> bool {
    let oldest = calendar_feed::changes_after(&state.pool, 0, None, 1).await.ok().and_then(|c| c.first().map(|c| c.id));
    oldest.is_some_and(|oldest| oldest > last_seen + 1)
}
