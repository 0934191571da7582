//! iCalendar (RFC 5545) objects for iTIP (RFC 5546) invitations, updates and cancellations,
//! built with the `icalendar` crate.
//!
//! - `UID` is stable per meeting (`<meeting id>@veche`), `SEQUENCE` is the meeting's
//!   `ical_sequence` (bumped by every organizer change attendees must see), `DTSTAMP` is the
//!   instant the event was recorded, so a message rendered again is the same message.
//! - `DTSTART`/`DTEND` are wall-clock times with `TZID`, and a `VTIMEZONE` with the zone's
//!   real transitions (from chrono-tz) around the meeting is included: a client need not
//!   know the zone, and a meeting after a DST change stays at its wall-clock time.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Offset, TimeZone as _, Utc};
use chrono_tz::{OffsetComponents, OffsetName, Tz};
use domain::meeting::{Attendee, MeetingState, Partstat};
use domain::MeetingId;
use hashlink::LruCache;
use icalendar::{Calendar, CalendarDateTime, Component, EventLike, EventStatus, Property};
use std::sync::{Arc, LazyLock, Mutex};

/// The iTIP method of a message; it must match the MIME part's `method=` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItipMethod {
    Request,
    Cancel,
    /// An attendee's answer, for the organizer's calendar (RFC 5546 §3.2.3).
    Reply,
}

impl ItipMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Request => "REQUEST",
            Self::Cancel => "CANCEL",
            Self::Reply => "REPLY",
        }
    }
}

/// What one iCalendar object says.
pub struct CalendarMessage<'a> {
    pub method: ItipMethod,
    pub meeting: &'a MeetingState,
    /// The attendees listed: everyone for a request or a cancellation of the meeting, only
    /// the removed person when one attendee is taken off (RFC 5546 §3.2.5), only the one who
    /// answered in a reply (§3.2.3).
    pub attendees: &'a [Attendee],
    /// True when the whole meeting is called off (`STATUS:CANCELLED`).
    pub meeting_cancelled: bool,
    pub sequence: u32,
    pub stamp: DateTime<Utc>,
    pub meeting_link: &'a str,
    /// The description's line that introduces the link, in the message's language.
    pub join_label: &'a str,
}

/// The stable iCalendar UID of a meeting.
pub fn uid(meeting_id: MeetingId) -> String {
    format!("{meeting_id}@veche")
}

/// Renders the VCALENDAR text (CRLF line endings, folded at 75 octets).
pub fn render(message: &CalendarMessage<'_>) -> String {
    let meeting = message.meeting;
    let schedule = &meeting.schedule;
    let zone = schedule.time_zone.tz();
    let tzid = schedule.time_zone.name();
    let description = if meeting.description.as_str().is_empty() {
        format!("{}: {}", message.join_label, message.meeting_link)
    } else {
        format!("{}\n\n{}: {}", meeting.description.as_str(), message.join_label, message.meeting_link)
    };

    let mut event = icalendar::Event::new();
    event
        .uid(&uid(meeting.id))
        .sequence(message.sequence)
        .timestamp(message.stamp)
        .starts(CalendarDateTime::WithTimezone { date_time: schedule.start, tzid: tzid.to_string() })
        .ends(CalendarDateTime::WithTimezone { date_time: schedule.end, tzid: tzid.to_string() })
        .summary(meeting.title.as_str())
        .description(&description)
        .location(message.meeting_link)
        .url(message.meeting_link)
        .status(if message.meeting_cancelled { EventStatus::Cancelled } else { EventStatus::Confirmed });
    event.append_property(
        Property::new("ORGANIZER", format!("mailto:{}", meeting.organizer.email))
            .add_parameter("CN", &parameter_text(&meeting.organizer.name))
            .done(),
    );
    for attendee in message.attendees {
        let mut property = icalendar::Attendee::new(format!("mailto:{}", attendee.email))
            .role(icalendar::Role::ReqParticipant)
            .partstat(partstat(attendee.response))
            .rsvp(message.method == ItipMethod::Request);
        if let Some(name) = &attendee.name {
            property = property.cn(parameter_text(name.as_str()));
        }
        event.attendee(property);
    }

    let mut calendar = Calendar::empty();
    calendar
        .append_property(Property::new("PRODID", "-//veche//veche meetings//EN"))
        .append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new("CALSCALE", "GREGORIAN"))
        .append_property(Property::new("METHOD", message.method.as_str()));
    let years = schedule.start.year()..=schedule.end.year();
    calendar.push(event.done());
    // The VTIMEZONE goes before the VEVENT that refers to it.
    let text = folded(&calendar.to_string());
    let event_at = text.find("BEGIN:VEVENT\r\n").expect("the calendar has its event");
    format!("{}{}{}", &text[..event_at], vtimezone(zone, *years.start(), *years.end()), &text[event_at..])
}

/// The text with its content lines folded at 75 octets on character boundaries (RFC 5545
/// §3.1). The `icalendar` crate folds some lines past 75 octets when they hold multi-byte
/// characters (a name of emoji), so its folding is undone and done again here.
fn folded(text: &str) -> String {
    const LIMIT: usize = 75;
    let unfolded = text.replace("\r\n ", "").replace("\r\n\t", "");
    let mut out = String::with_capacity(unfolded.len() + unfolded.len() / 32);
    for line in unfolded.split_terminator("\r\n") {
        let mut width = 0;
        for c in line.chars() {
            if width + c.len_utf8() > LIMIT {
                out.push_str("\r\n ");
                width = 1;
            }
            out.push(c);
            width += c.len_utf8();
        }
        out.push_str("\r\n");
    }
    out
}

fn partstat(response: Partstat) -> icalendar::PartStat {
    match response {
        Partstat::NeedsAction => icalendar::PartStat::NeedsAction,
        Partstat::Accepted => icalendar::PartStat::Accepted,
        Partstat::Declined => icalendar::PartStat::Declined,
        Partstat::Tentative => icalendar::PartStat::Tentative,
    }
}

/// A parameter value cannot hold a double quote (RFC 5545 §3.1: `param-value` is quoted
/// with them); the crate quotes values with `:;,` itself.
fn parameter_text(text: &str) -> String {
    text.replace('"', "'")
}

/// A VTIMEZONE component, written line by line with the crate's [`Property`] (which
/// escapes and folds). The crate has no VTIMEZONE type, and its generic components always
/// get a `DTSTAMP` and a `UID`, which RFC 5545 does not allow in a VTIMEZONE.
#[derive(Default)]
struct TimezoneText(String);

impl TimezoneText {
    fn line(&mut self, name: &str, value: &str) {
        let line: String = Property::new(name, value).try_into().expect("writing to a String cannot fail");
        self.0.push_str(&line);
    }
}

/// One change of a zone's offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The instant it happens.
    pub at: DateTime<Utc>,
    /// The offsets before and after, in seconds east of UTC.
    pub from: i32,
    pub to: i32,
    /// Whether the new offset is daylight saving time.
    pub daylight: bool,
    pub name: Option<String>,
}

/// The zone's transitions from `from` (inclusive) to `until` (exclusive).
pub fn transitions(zone: Tz, from: DateTime<Utc>, until: DateTime<Utc>) -> Vec<Transition> {
    let offset_at = |at: DateTime<Utc>| zone.offset_from_utc_datetime(&at.naive_utc()).fix().local_minus_utc();
    let mut found = Vec::new();
    let step = Duration::hours(1);
    let mut at = from;
    while at < until {
        let next = (at + step).min(until);
        if offset_at(at) != offset_at(next) {
            // The change lies in (at, next]: find its first second.
            let (mut low, mut high) = (at, next);
            while high - low > Duration::seconds(1) {
                let middle = low + (high - low) / 2;
                if offset_at(middle) == offset_at(low) {
                    low = middle;
                } else {
                    high = middle;
                }
            }
            let after = zone.offset_from_utc_datetime(&high.naive_utc());
            found.push(Transition {
                at: high,
                from: offset_at(low),
                to: after.fix().local_minus_utc(),
                daylight: !after.dst_offset().is_zero(),
                name: after.abbreviation().map(str::to_string),
            });
        }
        at = next;
    }
    found
}

/// Rendered VTIMEZONEs by (zone, first year, last year), the most recently used kept:
/// finding the transitions probes every hour of the years, which dominated the cost of an
/// invitation before this cache.
static VTIMEZONES: LazyLock<Mutex<VtimezoneCache>> = LazyLock::new(|| Mutex::new(LruCache::new(VTIMEZONE_CACHE_LIMIT)));
type VtimezoneCache = LruCache<(Tz, i32, i32), Arc<str>>;
/// Distinct (zone, years) kept.
const VTIMEZONE_CACHE_LIMIT: usize = 4096;

/// A VTIMEZONE for `zone` valid for the years `first..=last`: the observance in force at
/// the start of `first` and every transition until the end of `last`, each as an
/// explicit onset (no RRULE, so nothing depends on the client's rules for the zone).
pub fn vtimezone(zone: Tz, first: i32, last: i32) -> Arc<str> {
    let key = (zone, first, last);
    // The lock guards a cache no code path leaves half-changed.
    let cache = || VTIMEZONES.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(found) = cache().get(&key) {
        return found.clone();
    }
    let rendered: Arc<str> = render_vtimezone(zone, first, last).into();
    cache().insert(key, rendered.clone());
    rendered
}

fn render_vtimezone(zone: Tz, first: i32, last: i32) -> String {
    let year_start = |year: i32| {
        NaiveDate::from_ymd_opt(year, 1, 1).expect("1 January exists").and_hms_opt(0, 0, 0).expect("midnight").and_utc()
    };
    let start = year_start(first);
    let in_force = transitions(zone, year_start(first - 1), start).pop();
    let changes = transitions(zone, start, year_start(last + 1));

    let mut timezone = TimezoneText::default();
    timezone.line("BEGIN", "VTIMEZONE");
    timezone.line("TZID", zone.name());
    match in_force {
        Some(previous) => {
            observance(&mut timezone, &previous);
        }
        None => {
            // No change for a year before: the offset of the start holds since long ago.
            let offset = zone.offset_from_utc_datetime(&start.naive_utc());
            let steady = Transition {
                at: DateTime::UNIX_EPOCH,
                from: offset.fix().local_minus_utc(),
                to: offset.fix().local_minus_utc(),
                daylight: !offset.dst_offset().is_zero(),
                name: offset.abbreviation().map(str::to_string),
            };
            observance(&mut timezone, &steady);
        }
    }
    for change in &changes {
        observance(&mut timezone, change);
    }
    timezone.line("END", "VTIMEZONE");
    timezone.0
}

fn observance(timezone: &mut TimezoneText, change: &Transition) {
    let kind = if change.daylight { "DAYLIGHT" } else { "STANDARD" };
    timezone.line("BEGIN", kind);
    // DTSTART of an observance is the local time of the onset in the offset before it.
    let onset: NaiveDateTime = change.at.naive_utc() + Duration::seconds(change.from.into());
    timezone.line("DTSTART", &onset.format("%Y%m%dT%H%M%S").to_string());
    timezone.line("TZOFFSETFROM", &utc_offset(change.from));
    timezone.line("TZOFFSETTO", &utc_offset(change.to));
    if let Some(name) = &change.name {
        timezone.line("TZNAME", name);
    }
    timezone.line("END", kind);
}

/// An RFC 5545 UTC-OFFSET: `+HHMM`, or `+HHMMSS` when seconds are not zero.
fn utc_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let seconds = seconds.unsigned_abs();
    let (hours, minutes, rest) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    if rest == 0 {
        format!("{sign}{hours:02}{minutes:02}")
    } else {
        format!("{sign}{hours:02}{minutes:02}{rest:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn berlin_changes_twice_in_2026_at_one_in_the_morning_utc() {
        let found = transitions(chrono_tz::Europe::Berlin, utc("2026-01-01T00:00:00Z"), utc("2027-01-01T00:00:00Z"));
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].at, utc("2026-03-29T01:00:00Z"));
        assert_eq!((found[0].from, found[0].to, found[0].daylight), (3600, 7200, true));
        assert_eq!(found[0].name.as_deref(), Some("CEST"));
        assert_eq!(found[1].at, utc("2026-10-25T01:00:00Z"));
        assert_eq!((found[1].from, found[1].to, found[1].daylight), (7200, 3600, false));
    }

    #[test]
    fn an_observance_starts_at_the_local_time_before_the_change() {
        let text = named_timezone_text(chrono_tz::Europe::Berlin, 2026);
        assert!(text.contains("BEGIN:DAYLIGHT\r\nDTSTART:20260329T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nEND:DAYLIGHT"), "{text}");
        assert!(text.contains("BEGIN:STANDARD\r\nDTSTART:20261025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nEND:STANDARD"), "{text}");
        // The observance in force on 1 January 2026 began in October 2025, and only it.
        assert!(text.contains("DTSTART:20251026T030000"), "{text}");
        assert_eq!(text.matches("BEGIN:").count(), 4, "{text}");
    }

    #[test]
    fn a_zone_without_changes_has_one_steady_observance() {
        let text = named_timezone_text(chrono_tz::Asia::Kolkata, 2026);
        assert_eq!(text.matches("BEGIN:STANDARD").count(), 1, "{text}");
        assert!(text.contains("TZOFFSETFROM:+0530\r\nTZOFFSETTO:+0530"), "{text}");
        assert!(!text.contains("DAYLIGHT"));
    }

    fn named_timezone_text(zone: Tz, year: i32) -> String {
        let text = vtimezone(zone, year, year).to_string();
        assert!(!text.contains("DTSTAMP") && !text.contains("UID"), "{text}");
        text
    }

    #[test]
    fn utc_offsets_are_signed_hours_and_minutes() {
        assert_eq!(utc_offset(3600), "+0100");
        assert_eq!(utc_offset(-12600), "-0330");
        assert_eq!(utc_offset(0), "+0000");
        assert_eq!(utc_offset(-(3600 + 61)), "-010101");
    }
}
