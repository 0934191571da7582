//! `/dev/outbox`: the emails veche would have sent, when no SMTP server is configured.
//! A list page, and each message as an `.eml` file a mail program opens. Only served
//! while the outbox is in use (otherwise 404).

use super::links::{escape, page};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use infrastructure::notify::mailer::{list_outbox, read_outbox};

/// The most messages the list shows.
const LISTED: usize = 200;

pub fn router() -> Router<AppState> {
    Router::new().route("/dev/outbox", get(list)).route("/dev/outbox/{file}", get(download))
}

async fn list(State(state): State<AppState>) -> Response {
    let Some(dir) = state.notifications.outbox_dir.as_deref() else {
        return page(StatusCode::NOT_FOUND, "No outbox", "veche sends email through SMTP (VECHE_SMTP_URL).", None);
    };
    let entries = match list_outbox(dir, LISTED).await {
        Ok(entries) => entries,
        Err(error) => {
            tracing::error!(error = %error, "reading the outbox failed");
            return page(StatusCode::INTERNAL_SERVER_ERROR, "Outbox unreadable", "See the server's log.", None);
        }
    };
    let rows: String = entries
        .iter()
        .map(|e| {
            format!(
                "<tr><td>{}</td><td>{}</td><td><a href=\"/dev/outbox/{}.eml\">{}</a></td></tr>",
                e.sent_at.format("%Y-%m-%d %H:%M:%S"),
                escape(&e.to),
                e.id,
                escape(&e.subject)
            )
        })
        .collect();
    let table = format!("<table cellpadding=\"4\"><tr><th>sent (UTC)</th><th>to</th><th>subject</th></tr>{rows}</table>");
    page(StatusCode::OK, "Outbox", &format!("{} messages, newest first ({}).", entries.len(), dir.display()), Some(&table))
}

async fn download(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let (Some(dir), Some(id)) = (state.notifications.outbox_dir.as_deref(), file.strip_suffix(".eml")) else {
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
