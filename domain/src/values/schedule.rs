//! When a meeting takes place: its IANA time zone and its wall-clock start and end.

use super::InvalidValue;
use chrono::{DateTime, Datelike as _, Duration, LocalResult, NaiveDateTime, TimeZone as _, Utc};
use serde::{Deserialize, Serialize};

/// Longest meeting: anything longer is an all-week event, not a meeting with a room.
pub const MAX_DURATION_HOURS: i64 = 7 * 24;
/// The first year a meeting may start or end in (wall-clock, in its zone). Far-off dates are
/// typing mistakes, and every reader (PostgreSQL's timestamps, iCalendar, the reminders
/// computed weeks before a start) handles this range.
pub const EARLIEST_YEAR: i32 = 1970;
/// The last year a meeting may start or end in.
pub const LATEST_YEAR: i32 = 2199;

/// An IANA time zone (`Europe/Berlin`). Meetings keep their zone, and every instant is
/// computed in it, so a weekly 09:00 stays at 09:00 across a DST change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TimeZone(chrono_tz::Tz);

impl TimeZone {
    pub fn parse(input: &str) -> Result<Self, InvalidValue> {
        input.trim().parse::<chrono_tz::Tz>().map(Self).map_err(|_| InvalidValue::UnknownTimeZone(input.to_string()))
    }
    pub fn tz(&self) -> chrono_tz::Tz {
        self.0
    }
    pub fn name(&self) -> &'static str {
        self.0.name()
    }
}

impl TryFrom<String> for TimeZone {
    type Error = InvalidValue;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<TimeZone> for String {
    fn from(value: TimeZone) -> Self {
        value.name().to_string()
    }
}

/// When a meeting takes place: wall-clock start and end in an IANA zone, plus the UTC
/// instants they denote (computed once, when the schedule is parsed, and stored with it so
/// that readers never depend on the tz database of the day they read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
    pub time_zone: TimeZone,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

impl Schedule {
    /// Builds a schedule from local wall-clock times. A time the clocks skip (spring
    /// forward) is refused; a time that happens twice (fall back) means its first occurrence,
    /// as calendar applications do. Both times lie within [`EARLIEST_YEAR`]–[`LATEST_YEAR`].
    pub fn parse(start: NaiveDateTime, end: NaiveDateTime, time_zone: TimeZone) -> Result<Self, InvalidValue> {
        for local in [start, end] {
            if !(EARLIEST_YEAR..=LATEST_YEAR).contains(&local.year()) {
                return Err(InvalidValue::DateOutOfRange { local, earliest: EARLIEST_YEAR, latest: LATEST_YEAR });
            }
        }
        let starts_at = Self::to_utc(start, time_zone)?;
        let ends_at = Self::to_utc(end, time_zone)?;
        if ends_at <= starts_at {
            return Err(InvalidValue::EndNotAfterStart { start, end });
        }
        if ends_at - starts_at > Duration::hours(MAX_DURATION_HOURS) {
            return Err(InvalidValue::DurationTooLong { max_hours: MAX_DURATION_HOURS });
        }
        Ok(Self { start, end, time_zone, starts_at, ends_at })
    }

    fn to_utc(local: NaiveDateTime, time_zone: TimeZone) -> Result<DateTime<Utc>, InvalidValue> {
        match time_zone.tz().from_local_datetime(&local) {
            LocalResult::Single(at) => Ok(at.with_timezone(&Utc)),
            LocalResult::Ambiguous(first, _) => Ok(first.with_timezone(&Utc)),
            LocalResult::None => Err(InvalidValue::NonexistentLocalTime { local, time_zone: time_zone.name().to_string() }),
        }
    }

    /// True when both schedules denote the same wall-clock times in the same zone.
    pub fn same_as(&self, other: &Schedule) -> bool {
        self.start == other.start && self.end == other.end && self.time_zone == other.time_zone
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").unwrap()
    }

    #[test]
    fn unknown_time_zones_are_refused() {
        assert_eq!(TimeZone::parse("Mars/Olympus"), Err(InvalidValue::UnknownTimeZone("Mars/Olympus".into())));
        assert_eq!(TimeZone::parse("Europe/Moscow").unwrap().name(), "Europe/Moscow");
    }

    #[test]
    fn a_schedule_is_computed_in_its_zone_across_dst() {
        let berlin = TimeZone::parse("Europe/Berlin").unwrap();
        // Summer time ends on 2026-10-25: 09:00 is UTC+2 on the 24th, UTC+1 on the 26th.
        let before = Schedule::parse(local("2026-10-24T09:00"), local("2026-10-24T10:00"), berlin).unwrap();
        let after = Schedule::parse(local("2026-10-26T09:00"), local("2026-10-26T10:00"), berlin).unwrap();
        assert_eq!(before.starts_at.to_rfc3339(), "2026-10-24T07:00:00+00:00");
        assert_eq!(after.starts_at.to_rfc3339(), "2026-10-26T08:00:00+00:00");
    }

    #[test]
    fn a_skipped_local_time_is_refused_and_a_repeated_one_means_the_first() {
        let berlin = TimeZone::parse("Europe/Berlin").unwrap();
        // 2026-03-29 02:30 does not exist in Berlin; 2026-10-25 02:30 happens twice.
        assert!(matches!(
            Schedule::parse(local("2026-03-29T02:30"), local("2026-03-29T04:00"), berlin),
            Err(InvalidValue::NonexistentLocalTime { .. })
        ));
        let twice = Schedule::parse(local("2026-10-25T02:30"), local("2026-10-25T04:00"), berlin).unwrap();
        assert_eq!(twice.starts_at.to_rfc3339(), "2026-10-25T00:30:00+00:00");
    }

    #[test]
    fn a_schedule_must_end_after_it_starts_and_not_last_too_long() {
        let utc = TimeZone::parse("UTC").unwrap();
        assert!(matches!(
            Schedule::parse(local("2026-12-01T10:00"), local("2026-12-01T10:00"), utc),
            Err(InvalidValue::EndNotAfterStart { .. })
        ));
        assert_eq!(
            Schedule::parse(local("2026-12-01T10:00"), local("2026-12-09T10:00"), utc),
            Err(InvalidValue::DurationTooLong { max_hours: MAX_DURATION_HOURS })
        );
    }

    #[test]
    fn a_schedule_outside_the_supported_years_is_refused() {
        let utc = TimeZone::parse("UTC").unwrap();
        let far = NaiveDateTime::parse_from_str("-5000-01-01T10:00", "%Y-%m-%dT%H:%M").unwrap();
        assert_eq!(
            Schedule::parse(far, far + Duration::hours(1), utc),
            Err(InvalidValue::DateOutOfRange { local: far, earliest: EARLIEST_YEAR, latest: LATEST_YEAR })
        );
        assert!(matches!(
            Schedule::parse(local("2199-12-31T23:00"), local("2200-01-01T00:30"), utc),
            Err(InvalidValue::DateOutOfRange { .. })
        ));
        assert!(Schedule::parse(local("1970-01-01T00:00"), local("1970-01-01T01:00"), utc).is_ok());
        assert!(Schedule::parse(local("2199-12-31T22:00"), local("2199-12-31T23:59"), utc).is_ok());
    }
}
