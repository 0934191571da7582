//! A meeting's texts (title, description) and the character rules every text is held to.

use super::InvalidValue;
use serde::{Deserialize, Serialize};

/// A text value is stored as its string and read back under the rules of the day it was
/// stored ([`Rules::Stored`]): an event in the log must always be readable.
macro_rules! stored_as_text {
    ($type:ty) => {
        impl TryFrom<String> for $type {
            type Error = InvalidValue;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::checked(&value, Rules::Stored)
            }
        }

        impl From<$type> for String {
            fn from(value: $type) -> Self {
                value.0
            }
        }
    };
}
pub(super) use stored_as_text;

/// Longest title, in characters (Google Calendar cuts at about the same length).
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest description, in characters: enough for an agenda, small enough for an email.
pub const MAX_DESCRIPTION_CHARS: usize = 8_000;

/// Which rules a text is held to. Input meets today's rules; a value read back from the
/// event log met the rules of the day it was stored, so rules added since (the direction
/// controls) do not apply to it: an event in the log must always be readable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Rules {
    Input,
    Stored,
}

/// Rejects characters that would break a mail header, an iCalendar line or a terminal
/// (newlines in a title, escape sequences), and in input the bidirectional overrides and
/// isolates (U+202A–U+202E, U+2066–U+2069) that make text display otherwise than it reads.
/// Tabs and newlines are allowed where `multiline` says so; one-line text also refuses the
/// Unicode line and paragraph separators.
pub(super) fn reject_unsafe_characters(
    value: &str,
    field: &'static str,
    multiline: bool,
    rules: Rules,
) -> Result<(), InvalidValue> {
    let allowed = |c: char| multiline && (c == '\n' || c == '\r' || c == '\t');
    if value.chars().any(|c| (c.is_control() || (!multiline && is_line_separator(c))) && !allowed(c)) {
        return Err(InvalidValue::ControlCharacters { field });
    }
    if rules == Rules::Input && value.chars().any(is_direction_control) {
        return Err(InvalidValue::DirectionControls { field });
    }
    Ok(())
}

pub(super) fn is_line_separator(c: char) -> bool {
    matches!(c, '\u{2028}' | '\u{2029}')
}

/// The explicit direction overrides, embeddings and isolates. The marks (U+200E, U+200F)
/// stay allowed: right-to-left text needs them and they cannot reorder other characters.
pub(super) fn is_direction_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A meeting's title: trimmed, non-empty, one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Title(String);

impl Title {
    pub fn parse(input: &str) -> Result<Self, InvalidValue> {
        Self::checked(input, Rules::Input)
    }

    fn checked(input: &str, rules: Rules) -> Result<Self, InvalidValue> {
        let title = input.trim();
        if title.is_empty() {
            return Err(InvalidValue::EmptyTitle);
        }
        if title.chars().count() > MAX_TITLE_CHARS {
            return Err(InvalidValue::TitleTooLong { max: MAX_TITLE_CHARS });
        }
        reject_unsafe_characters(title, "the title", false, rules)?;
        Ok(Self(title.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

stored_as_text!(Title);

/// A meeting's description: free text, possibly empty, several lines.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Description(String);

impl Description {
    pub fn parse(input: &str) -> Result<Self, InvalidValue> {
        Self::checked(input, Rules::Input)
    }

    fn checked(input: &str, rules: Rules) -> Result<Self, InvalidValue> {
        if input.chars().count() > MAX_DESCRIPTION_CHARS {
            return Err(InvalidValue::DescriptionTooLong { max: MAX_DESCRIPTION_CHARS });
        }
        reject_unsafe_characters(input, "the description", true, rules)?;
        Ok(Self(input.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

stored_as_text!(Description);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::DisplayName;

    #[test]
    fn a_title_must_be_one_non_empty_line_within_the_limit() {
        assert_eq!(Title::parse("   "), Err(InvalidValue::EmptyTitle));
        assert!(matches!(Title::parse("a\nb"), Err(InvalidValue::ControlCharacters { .. })));
        let long = "x".repeat(MAX_TITLE_CHARS + 1);
        assert_eq!(Title::parse(&long), Err(InvalidValue::TitleTooLong { max: MAX_TITLE_CHARS }));
        assert_eq!(Title::parse(" Weekly sync ").unwrap().as_str(), "Weekly sync");
    }

    #[test]
    fn direction_overrides_are_refused_in_input_but_read_back_from_the_log() {
        // "Pay \u{202E}gnp.exe" displays as "Pay exe.png".
        let tricky = "Pay \u{202E}gnp.exe";
        assert_eq!(Title::parse(tricky), Err(InvalidValue::DirectionControls { field: "the title" }));
        assert!(matches!(Description::parse("a\u{2066}b"), Err(InvalidValue::DirectionControls { .. })));
        assert!(matches!(DisplayName::parse("Ann\u{202D}"), Err(InvalidValue::DirectionControls { .. })));
        // Right-to-left text and its marks stay welcome.
        assert!(Title::parse("\u{5e9}\u{5dc}\u{5d5}\u{5dd} \u{200F}sync").is_ok());
        // A value stored before the rule must still be read back.
        let stored: Title = serde_json::from_value(serde_json::json!(tricky)).unwrap();
        assert_eq!(stored.as_str(), tricky);
    }

    #[test]
    fn a_one_line_text_refuses_unicode_line_separators() {
        assert!(matches!(Title::parse("a\u{2028}b"), Err(InvalidValue::ControlCharacters { .. })));
        assert!(Description::parse("a\u{2028}b\nc").is_ok());
    }
}
