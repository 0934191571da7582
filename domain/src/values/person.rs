//! People: a display name, someone invited, and what a token says of its holder.

use super::text::{is_direction_control, reject_unsafe_characters, stored_as_text, Rules};
use super::{EmailAddress, InvalidValue};
use serde::{Deserialize, Serialize};

/// Longest display name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest user id (`sub`) taken from a token: OpenID Connect allows 255 ASCII characters.
pub const MAX_USER_ID_CHARS: usize = 255;

/// A name taken from a token (an external issuer's `name` claim is input like any other):
/// never refused, since the person did not choose what their identity provider sends, but
/// made safe: control characters, line separators and direction controls dropped, runs of
/// white space made one space, cut to [`MAX_NAME_CHARS`]. It can break no mail header and
/// no iCalendar line, and the same text is what readers make of a stored name.
pub fn clean_name(raw: &str) -> String {
    let mut name = String::with_capacity(raw.len().min(MAX_NAME_CHARS * 4));
    let (mut kept, mut gap) = (0, false);
    for c in raw.chars() {
        if is_direction_control(c) {
            continue;
        }
        if c.is_whitespace() || c.is_control() {
            gap = true;
            continue;
        }
        let needed = if gap && kept > 0 { 2 } else { 1 };
        if kept + needed > MAX_NAME_CHARS {
            break;
        }
        if needed == 2 {
            name.push(' ');
        }
        name.push(c);
        kept += needed;
        gap = false;
    }
    name
}

/// A user id (`sub`) taken from a token: it is the organizer's identity in the log, so it is
/// refused, not changed, when it is empty, too long or holds control characters.
pub fn parse_user_id(raw: &str) -> Result<String, InvalidValue> {
    if raw.is_empty() || raw.chars().count() > MAX_USER_ID_CHARS || raw.chars().any(|c| c.is_control()) {
        return Err(InvalidValue::InvalidUserId { max: MAX_USER_ID_CHARS });
    }
    Ok(raw.to_string())
}

/// A person's display name (optional wherever it appears).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(input: &str) -> Result<Self, InvalidValue> {
        Self::checked(input, Rules::Input)
    }

    fn checked(input: &str, rules: Rules) -> Result<Self, InvalidValue> {
        let name = input.trim();
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(InvalidValue::NameTooLong { max: MAX_NAME_CHARS });
        }
        reject_unsafe_characters(name, "the display name", false, rules)?;
        Ok(Self(name.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

stored_as_text!(DisplayName);

/// Someone invited by email, with the name to show if the organizer gave one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitee {
    pub email: EmailAddress,
    pub name: Option<DisplayName>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_from_a_token_is_cleaned_never_refused() {
        assert_eq!(clean_name("  Ann\r\nBcc: x@y.z  "), "Ann Bcc: x@y.z");
        assert_eq!(clean_name("Ann\u{202E}eeL"), "AnneeL");
        assert_eq!(clean_name("\u{1b}[31mRed\tTeam"), "[31mRed Team");
        assert_eq!(clean_name(&"я".repeat(500)).chars().count(), MAX_NAME_CHARS);
        assert_eq!(clean_name(&format!("{} b", "a".repeat(MAX_NAME_CHARS - 1))), "a".repeat(MAX_NAME_CHARS - 1));
        assert_eq!(clean_name(" \n "), "");
    }

    #[test]
    fn a_user_id_from_a_token_is_bounded() {
        assert_eq!(parse_user_id("user-1"), Ok("user-1".to_string()));
        for bad in ["", "a\nb", &"x".repeat(MAX_USER_ID_CHARS + 1)] {
            assert_eq!(parse_user_id(bad), Err(InvalidValue::InvalidUserId { max: MAX_USER_ID_CHARS }), "{bad:?}");
        }
    }
}
