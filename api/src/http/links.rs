//! `/links/respond`: the answer links of invitation emails, for guests without an account.
//!
//! A GET only shows a confirmation page: mail scanners and link previews fetch every link
//! of a message, and must not answer for the recipient. The page's form POSTs the token
//! and the answer, which runs the `Respond` command as the attendee the token names.
//! These are pages for a person, so every outcome, refusals included, is an HTML page
//! with the matching status code.

use crate::state::AppState;
use application::meetings::CommandMeta;
use application::CommandError;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use domain::meeting::{MeetingCommand, MeetingError, Response as Answer};
use domain::Actor;
use infrastructure::links::{GuestClaims, GuestScope, GuestTokenError};
use maud::{html, Markup, DOCTYPE};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/links/respond", get(confirm_page).post(record_answer))
}

/// The query of the GET and the form of the POST.
#[derive(Debug, Deserialize)]
pub struct AnswerLink {
    token: String,
    answer: String,
}

fn parse_answer(answer: &str) -> Option<(Answer, &'static str)> {
    match answer {
        "accepted" => Some((Answer::Accepted, "accepted")),
        "declined" => Some((Answer::Declined, "declined")),
        "tentative" => Some((Answer::Tentative, "tentative")),
        _ => None,
    }
}

fn label(answer: Answer) -> &'static str {
    match answer {
        Answer::Accepted => "Yes, I will come / Да, приду",
        Answer::Declined => "No, I will not come / Нет, не приду",
        Answer::Tentative => "Maybe / Возможно",
    }
}

/// Checks the link; on failure, the page that says why.
/// The refusal is a whole page; boxed, since a response is large beside the claims.
fn check(state: &AppState, link: &AnswerLink) -> Result<(GuestClaims, Answer, &'static str), Box<Response>> {
    let Some((answer, slug)) = parse_answer(&link.answer) else {
        return Err(Box::new(page(
            StatusCode::BAD_REQUEST,
            "Unknown answer / Неизвестный ответ",
            "The answer must be accepted, declined or tentative.",
            None,
        )));
    };
    if link.token.len() > 4096 {
        return Err(Box::new(page(StatusCode::BAD_REQUEST, "Invalid link / Неверная ссылка", "The link is too long.", None)));
    }
    let refusal = match state.notifications.links.verify(&link.token, GuestScope::Respond) {
        Ok(claims) => return Ok((claims, answer, slug)),
        Err(GuestTokenError::Expired) => page(
            StatusCode::GONE,
            "This link has expired / Ссылка устарела",
            "The meeting is over, or a newer email about it has fresher links.",
            None,
        ),
        Err(GuestTokenError::Invalid | GuestTokenError::WrongScope) => page(
            StatusCode::BAD_REQUEST,
            "Invalid link / Неверная ссылка",
            "This link was not issued by this server, or it was changed on the way.",
            None,
        ),
    };
    Err(Box::new(refusal))
}

async fn confirm_page(State(state): State<AppState>, Query(link): Query<AnswerLink>) -> Response {
    let (claims, answer, slug) = match check(&state, &link) {
        Ok(checked) => checked,
        Err(refusal) => return *refusal,
    };
    let form = html! {
        form method="post" action="/links/respond" {
            input type="hidden" name="token" value=(link.token);
            input type="hidden" name="answer" value=(slug);
            button type="submit" { (label(answer)) }
        }
    };
    page(
        StatusCode::OK,
        "Confirm your answer / Подтвердите ответ",
        &format!("Answer for {} — {}", claims.email, label(answer)),
        Some(form),
    )
}

async fn record_answer(State(state): State<AppState>, Form(link): Form<AnswerLink>) -> Response {
    let (claims, answer, _) = match check(&state, &link) {
        Ok(checked) => checked,
        Err(refusal) => return *refusal,
    };
    let Ok(actor) = Actor::from_claims(&claims.sub, &claims.email, &claims.name) else {
        return page(StatusCode::BAD_REQUEST, "Invalid link / Неверная ссылка", "The link names no valid address.", None);
    };
    let command = MeetingCommand::Respond { actor, response: answer };
    match state.meetings.execute(claims.meeting_id, command, CommandMeta::default()).await {
        Ok(_) => {
            metrics::counter!("veche_guest_answers_total").increment(1);
            page(
                StatusCode::OK,
                "Thank you / Спасибо",
                &format!("Your answer is recorded: {}. The organizer will be told.", label(answer)),
                None,
            )
        }
        Err(CommandError::Rejected(MeetingError::Cancelled)) => page(
            StatusCode::CONFLICT,
            "The meeting is cancelled / Встреча отменена",
            "There is nothing to answer any more.",
            None,
        ),
        Err(CommandError::Rejected(MeetingError::NotFound | MeetingError::AttendeesOnly)) => {
            page(StatusCode::NOT_FOUND, "Not invited / Нет приглашения", "You are no longer invited to this meeting.", None)
        }
        Err(error) => {
            tracing::error!(error = %error, cause = ?error, "recording a guest's answer failed");
            page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Try again / Попробуйте ещё раз",
                "The answer could not be recorded just now.",
                None,
            )
        }
    }
}

/// A small self-contained HTML page.
pub(crate) fn page(status: StatusCode, title: &str, message: &str, extra: Option<Markup>) -> Response {
    let body = html! {
        (DOCTYPE)
        html {
            head { meta charset="utf-8"; title { (title) } meta name="viewport" content="width=device-width"; }
            body style="font-family:sans-serif;max-width:40em;margin:3em auto;padding:0 1em" {
                h1 { (title) }
                p { (message) }
                @if let Some(extra) = extra { (extra) }
            }
        }
    };
    (status, Html(body.into_string())).into_response()
}
