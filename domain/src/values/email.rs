//! Email addresses: how people are invited, and matched as attendees.

use super::InvalidValue;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest email address (RFC 5321's path limit).
pub const MAX_EMAIL_CHARS: usize = 254;

/// An email address, normalised to lower case so that one person is one address.
///
/// The check is deliberately the practical subset of RFC 5322 that mail servers accept:
/// one `@`, a non-empty local part without spaces, a domain of dot-separated labels.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(input: &str) -> Result<Self, InvalidValue> {
        // Checked as stored: lower-casing can lengthen an address or leave a character that
        // is not a letter, and a stored address must parse again when its events are replayed.
        let candidate = input.trim().to_lowercase();
        let invalid = || InvalidValue::InvalidEmail(input.to_string());
        if candidate.len() > MAX_EMAIL_CHARS {
            return Err(invalid());
        }
        let (local, domain) = candidate.split_once('@').ok_or_else(invalid)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local.chars().all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        let domain_ok = domain.contains('.')
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if local_ok && domain_ok {
            Ok(Self(candidate))
        } else {
            Err(invalid())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = InvalidValue;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<EmailAddress> for String {
    fn from(value: EmailAddress) -> Self {
        value.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_addresses_are_lower_cased_and_trimmed() {
        let email = EmailAddress::parse("  Ann.Lee@Example.ORG ").unwrap();
        assert_eq!(email.as_str(), "ann.lee@example.org");
    }

    #[test]
    fn an_accepted_address_is_stored_in_a_form_that_is_accepted_again() {
        // Lower-casing can lengthen an address or make a character that is no longer a
        // letter ('İ' becomes 'i' and a combining dot): what is stored must parse again,
        // or the events holding it could not be replayed.
        let near_limit = format!("{}@example.org", "İ".repeat(30));
        for input in ["Ann.Lee@Example.ORG", "İ@example.org", "ZOË@EXÄMPLE.ORG", "STRAẞE@example.org", near_limit.as_str()] {
            if let Ok(email) = EmailAddress::parse(input) {
                assert_eq!(EmailAddress::parse(email.as_str()), Ok(email.clone()), "{input:?} was stored as {email}");
            }
        }
        assert_eq!(EmailAddress::parse("ZOË@EXÄMPLE.ORG").unwrap().as_str(), "zoë@exämple.org");
        // Its lower-case form has a combining dot, which an address may not hold.
        assert!(EmailAddress::parse("İ@example.org").is_err());
    }

    #[test]
    fn malformed_email_addresses_are_refused() {
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.org",
            "ann@example",
            "a b@example.org",
            "ann@exa mple.org",
            "ann..lee@example.org",
            "ann@-example.org",
            "ann@example.org\r\nBcc: x@y.z",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
