//! The email that carries a single-use sign-in link.

use super::compose::{address, message_id, Body, ComposeError, Language};
use application::notifications::OutgoingMail;
use domain::values::EmailAddress;
use lettre::message::Mailbox;
use lettre::Message;

/// The message to `to` with `link`, which works once within `minutes`.
pub fn compose_sign_in(
    to: &EmailAddress,
    link: &str,
    minutes: i64,
    language: Language,
    from: &Mailbox,
) -> Result<OutgoingMail, ComposeError> {
    let (subject, intro, button, ignore) = match language {
        Language::En => (
            "Sign in to veche",
            format!("Someone (hopefully you) asked to sign in to veche as {to}. The link works once, for {minutes} minutes."),
            "Sign in",
            "If it was not you, ignore this email: nobody can sign in without the link.",
        ),
        Language::Ru => (
            "Вход в veche",
            format!("Кто-то (надеемся, вы) хочет войти в veche как {to}. Ссылка действует один раз, {minutes} мин."),
            "Войти",
            "Если это были не вы, просто не обращайте внимания на письмо: без ссылки войти нельзя.",
        ),
    };
    let mut body = Body::default();
    body.paragraph(&intro);
    body.link(button, link);
    body.paragraph(ignore);
    // Each link is its own message: the secret in it is random, so is the id.
    let id = message_id(&format!("sign-in:{}", crate::web_sessions::new_secret()));
    let message = Message::builder()
        .from(Mailbox::new(Some("veche".into()), from.email.clone()))
        .to(Mailbox::new(None, address(to)?))
        .subject(subject)
        .message_id(Some(id.clone()))
        .multipart(body.into_parts())
        .map_err(ComposeError::Build)?;
    Ok(OutgoingMail { message_id: id, to: to.clone(), rfc822: message.formatted() })
}
