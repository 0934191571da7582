/**
 * How one meeting looks in each view. The viewer's standing (organizer, accepted,
 * tentative, not answered, declined) and a cancellation show as a class for the colours
 * and as words for screen readers, never as colour alone.
 */

import type { EventProps } from 'react-big-calendar';
import { useTranslation } from 'react-i18next';
import { ResponseIcon } from '../../../components/response-status';
import type { MeetingView, ResponseStatus } from '../../../lib/api/types';
import { intlLocale } from '../../../lib/locale';
import { useLanguage } from '../../../lib/use-language';

export interface CalendarEvent {
  id: string;
  title: string;
  start: Date;
  end: Date;
  meeting: MeetingView;
}

export type Standing = 'organizer' | ResponseStatus;

export function standingOf(meeting: MeetingView): Standing {
  return meeting.my_role === 'organizer' ? 'organizer' : (meeting.my_response ?? 'needs_action');
}

export function isCancelled(meeting: MeetingView): boolean {
  return meeting.status === 'cancelled';
}

/** Only the organizer moves a meeting, and not once it is cancelled. */
export function canMove(meeting: MeetingView): boolean {
  return meeting.my_role === 'organizer' && !isCancelled(meeting);
}

export function toCalendarEvent(meeting: MeetingView): CalendarEvent {
  return { id: meeting.id, title: meeting.title, start: new Date(meeting.starts_at), end: new Date(meeting.ends_at), meeting };
}

export function eventClassName(meeting: MeetingView): string {
  return ['veche-event', `standing-${standingOf(meeting)}`, isCancelled(meeting) ? 'is-cancelled' : '', canMove(meeting) ? 'is-movable' : '']
    .filter(Boolean)
    .join(' ');
}

/** The words a screen reader adds after the title: "cancelled", "not answered yet"... */
function StandingWords({ meeting }: { meeting: MeetingView }) {
  const { t } = useTranslation();
  const standing = standingOf(meeting);
  const words = [isCancelled(meeting) ? t('calendar.standing.cancelled') : null, t(`calendar.standing.${standing}`)]
    .filter(Boolean)
    .join(', ');
  return <span className="visually-hidden">{`, ${words}`}</span>;
}

function StandingMark({ meeting }: { meeting: MeetingView }) {
  const standing = standingOf(meeting);
  if (standing === 'organizer' || standing === 'accepted') return null;
  return <ResponseIcon response={standing} size={13} />;
}

/** Week and day views: the calendar's own element is the button; this is its text. */
export function TimeGridEventContent({ event }: EventProps<CalendarEvent>) {
  return (
    <span className="veche-event-text">
      <StandingMark meeting={event.meeting} />
      <span className="veche-event-title">{event.title}</span>
      <StandingWords meeting={event.meeting} />
    </span>
  );
}

/** Month view: the row is not focusable, so the event is a button of its own. */
export function MonthEventContent({ event }: EventProps<CalendarEvent>) {
  const language = useLanguage();
  const time = new Intl.DateTimeFormat(intlLocale(language), { hour: 'numeric', minute: '2-digit' }).format(event.start);
  return (
    <button type="button" className="veche-event-button">
      <StandingMark meeting={event.meeting} />
      <span className="veche-event-time">{time}</span>
      <span className="veche-event-title">{event.title}</span>
      <StandingWords meeting={event.meeting} />
    </button>
  );
}

/** Agenda view: a button in the row, with the answer in words. */
export function AgendaEventContent({ event }: EventProps<CalendarEvent>) {
  const { t } = useTranslation();
  const standing = standingOf(event.meeting);
  return (
    <button type="button" className={`veche-agenda-event ${eventClassName(event.meeting)}`}>
      <span className="veche-event-title">{event.title}</span>
      <span className="veche-agenda-standing">
        {standing !== 'organizer' && <ResponseIcon response={standing} size={14} />}
        {isCancelled(event.meeting) ? t('calendar.standing.cancelled') : t(`calendar.standing.${standing}`)}
      </span>
    </button>
  );
}
