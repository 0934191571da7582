//! When to remind a meeting's people.

use super::InvalidValue;
use serde::{Deserialize, Serialize};

/// Most reminders per meeting.
pub const MAX_REMINDERS: usize = 5;
/// Earliest reminder, in minutes before the start (four weeks).
pub const MAX_REMINDER_MINUTES: u32 = 4 * 7 * 24 * 60;
/// The reminder a meeting gets when none are given.
pub const DEFAULT_REMINDER_MINUTES: u32 = 10;

/// When to remind attendees, in minutes before the start, sorted and unique.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Reminders(Vec<u32>);

impl Reminders {
    pub fn parse(minutes: &[u32]) -> Result<Self, InvalidValue> {
        if minutes.len() > MAX_REMINDERS {
            return Err(InvalidValue::TooManyReminders { max: MAX_REMINDERS });
        }
        let mut sorted = minutes.to_vec();
        sorted.sort_unstable();
        for pair in sorted.windows(2) {
            if pair[0] == pair[1] {
                return Err(InvalidValue::DuplicateReminder(pair[0]));
            }
        }
        if let Some(&minutes) = sorted.iter().find(|&&m| m > MAX_REMINDER_MINUTES) {
            return Err(InvalidValue::ReminderTooEarly { minutes, max: MAX_REMINDER_MINUTES });
        }
        Ok(Self(sorted))
    }

    pub fn minutes(&self) -> &[u32] {
        &self.0
    }
}

impl Default for Reminders {
    fn default() -> Self {
        Self(vec![DEFAULT_REMINDER_MINUTES])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reminders_are_sorted_unique_and_bounded() {
        assert_eq!(Reminders::parse(&[30, 10]).unwrap().minutes(), &[10, 30]);
        assert_eq!(Reminders::parse(&[10, 10]), Err(InvalidValue::DuplicateReminder(10)));
        assert_eq!(Reminders::parse(&[1, 2, 3, 4, 5, 6]), Err(InvalidValue::TooManyReminders { max: MAX_REMINDERS }));
        assert!(matches!(Reminders::parse(&[MAX_REMINDER_MINUTES + 1]), Err(InvalidValue::ReminderTooEarly { .. })));
    }
}
