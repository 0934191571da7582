//! `/dev/outbox`: the emails veche would have sent, when no SMTP server is configured.
//! A list page, and each message as an `.eml` file a mail program opens. Only served
//! while the outbox is in use, and only on a developer's machine: the messages hold answer,
//! join and sign-in links, so the outbox is 404 unless veche listens on a loopback address,
//! its public URL is a loopback one, and the request came through no proxy.

use super::links::page;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use infrastructure::notify::outbox::{list_outbox, read_outbox};
use maud::html;

/// The most messages the list shows.
const LISTED: usize = 200;

pub fn router() -> Router<AppState> {
    Router::new().route("/dev/outbox", get(list)).route("/dev/outbox/{file}", get(download))
}

/// Whether this request may read the outbox (see the module's doc).
fn served_here(state: &AppState, headers: &HeaderMap) -> bool {
    let host = state.public_url.parse::<axum::http::Uri>().ok().and_then(|uri| uri.host().map(str::to_string));
    let local_url = host.is_some_and(|host| {
        host == "localhost" || host.trim_matches(['[', ']']).parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
    });
    let proxied = ["forwarded", "x-forwarded-for", "x-real-ip"].iter().any(|name| headers.contains_key(*name));
    state.settings.listen.ip().is_loopback() && local_url && !proxied
}

async fn list(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(dir) = state.notifications.outbox_dir.as_deref().filter(|_| served_here(&state, &headers)) else {
        return page(
            StatusCode::NOT_FOUND,
            "No outbox",
            "veche sends email through SMTP (VECHE_SMTP_URL), or the outbox is only shown on the machine veche runs on.",
            None,
        );
    };
    let entries = match list_outbox(dir, LISTED).await {
        Ok(entries) => entries,
        Err(error) => {
            tracing::error!(error = %error, "reading the outbox failed");
            return page(StatusCode::INTERNAL_SERVER_ERROR, "Outbox unreadable", "See the server's log.", None);
        }
    };
    let table = html! {
        table cellpadding="4" {
            tr { th { "sent (UTC)" } th { "to" } th { "subject" } }
            @for entry in &entries {
                tr {
                    td { (entry.sent_at.format("%Y-%m-%d %H:%M:%S")) }
                    td { (entry.to) }
                    td { a href={ "/dev/outbox/" (entry.id) ".eml" } { (entry.subject) } }
                }
            }
        }
    };
    page(StatusCode::OK, "Outbox", &format!("{} messages, newest first ({}).", entries.len(), dir.display()), Some(table))
}

async fn download(State(state): State<AppState>, headers: HeaderMap, Path(file): Path<String>) -> Response {
    let dir = state.notifications.outbox_dir.as_deref().filter(|_| served_here(&state, &headers));
    let (Some(dir), Some(id)) = (dir, file.strip_suffix(".eml")) else {
        return crate::error::ApiError::NoRoute.into_response();
    };
    match read_outbox(dir, id).await {
        Ok(Some(bytes)) => (
            [
                (header::CONTENT_TYPE, "message/rfc822".to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{id}.eml\"")),
            ],
            bytes,
        )
            .into_response(),
        Ok(None) => crate::error::ApiError::NoRoute.into_response(),
        Err(error) => crate::error::ApiError::Internal(error.into()).into_response(),
    }
}
