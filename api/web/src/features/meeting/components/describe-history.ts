/**
 * A meeting's history as sentences: "Ann scheduled the meeting", "Ann moved it to
 * Tue 10:00–11:00", "Bob accepted", "Bob joined the call". The meeting's events and its
 * call's events are merged by the time they were recorded.
 */

import type { TFunction } from 'i18next';
import type { HistoryEntry, HistoryView } from '../../../lib/api/types';
import { formatList, formatRange, formatReminders } from '../../../lib/format';
import type { Language } from '../../../lib/locale';

export interface TimelineItem {
  key: string;
  /** When it was recorded (RFC 3339). */
  at: string;
  kind: 'meeting' | 'call';
  type: string;
  text: string;
  /** A second line: the reason of a cancellation, the new title... */
  detail?: string;
}

type Fields = Record<string, unknown>;

const text = (value: unknown): string | null => (typeof value === 'string' && value.trim() ? value : null);

function field(changes: Fields, key: string): Fields {
  const value = changes[key];
  return typeof value === 'object' && value !== null ? (value as Fields) : {};
}

function person(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    const fields = value as Fields;
    return text(fields.name) ?? text(fields.display_name) ?? text(fields.email);
  }
  return null;
}

function actorOf(entry: HistoryEntry, t: TFunction): string {
  return text(entry.actor.name) ?? text(entry.actor.email) ?? t('history.someone');
}

function describeSchedule(schedule: Fields, language: Language): string | null {
  const startsAt = text(schedule.starts_at);
  const endsAt = text(schedule.ends_at);
  if (!startsAt || !endsAt) return null;
  return formatRange(new Date(startsAt), new Date(endsAt), language);
}

function describeMeetingEvent(entry: HistoryEntry, t: TFunction, language: Language): Omit<TimelineItem, 'key' | 'at' | 'kind'> {
  const actor = actorOf(entry, t);
  const changes = entry.changes as Fields;
  const type = entry.event_type;
  switch (type) {
    case 'MeetingScheduled': {
      const when = describeSchedule(field(changes, 'schedule'), language);
      const invited = Array.isArray(changes.attendees) ? changes.attendees.length : 0;
      return {
        type,
        text: when ? t('history.scheduledFor', { actor, when }) : t('history.scheduled', { actor }),
        detail: invited ? t('history.invitedCount', { count: invited }) : undefined,
      };
    }
    case 'MeetingRescheduled': {
      const when = describeSchedule(field(changes, 'schedule'), language);
      return { type, text: when ? t('history.moved', { actor, when }) : t('history.movedSomewhere', { actor }) };
    }
    case 'MeetingDetailsChanged': {
      const title = text(changes.title);
      const described = typeof changes.description === 'string';
      if (title && described) return { type, text: t('history.renamedAndDescribed', { actor, title }) };
      if (title) return { type, text: t('history.renamed', { actor, title }) };
      return { type, text: t('history.described', { actor }) };
    }
    case 'RemindersChanged': {
      const minutes = Array.isArray(changes.reminders) ? (changes.reminders as number[]) : [];
      if (!minutes.length) return { type, text: t('history.remindersOff', { actor }) };
      const list = formatReminders(minutes, t, language).toLocaleLowerCase();
      return { type, text: t('history.reminders', { actor, reminders: list }) };
    }
    case 'AttendeesInvited': {
      const people = (Array.isArray(changes.attendees) ? changes.attendees : []).map(person).filter((p): p is string => !!p);
      return { type, text: t('history.invited', { actor, people: formatList(people, language), count: people.length }) };
    }
    case 'AttendeeRemoved':
      return { type, text: t('history.removed', { actor, person: person(changes.email) ?? t('history.someone') }) };
    case 'AttendeeResponded': {
      const who = text(entry.actor.name) ?? person(changes.email) ?? actor;
      const response = text(changes.response);
      const key = response === 'accepted' || response === 'declined' || response === 'tentative' ? response : 'answered';
      return { type, text: t(`history.responded.${key}`, { actor: who }) };
    }
    case 'MeetingCancelled': {
      const reason = text(changes.reason);
      return { type, text: t('history.cancelled', { actor }), detail: reason ? t('history.reason', { reason }) : undefined };
    }
    default:
      return { type, text: t('history.other', { actor, event: type }) };
  }
}

function describeCallEvent(entry: HistoryEntry, names: Map<string, string>, t: TFunction): Omit<TimelineItem, 'key' | 'at' | 'kind'> {
  const changes = entry.changes as Fields;
  const type = entry.event_type;
  const peer = text(changes.peer_id);
  const participant = field(changes, 'participant');
  const who =
    person(participant) ?? (peer ? names.get(peer) : undefined) ?? text(entry.actor.name) ?? text(entry.actor.email) ?? t('history.someone');
  switch (type) {
    case 'RoomOpened':
      return { type, text: t('history.call.opened') };
    case 'ParticipantJoined':
      return { type, text: t('history.call.joined', { person: who }) };
    case 'ParticipantResumed':
      return { type, text: t('history.call.resumed', { person: who }) };
    case 'ParticipantLeft':
      return { type, text: t('history.call.left', { person: who }) };
    case 'ParticipantExpired':
      return { type, text: t('history.call.expired', { person: who }) };
    case 'RoomEnded':
      return { type, text: t('history.call.ended') };
    case 'RoomClosed':
      return { type, text: t('history.call.closed') };
    default:
      return { type, text: t('history.call.other', { event: type }) };
  }
}

/** Every event of the meeting and its call, oldest first, as sentences. */
export function describeHistory(history: HistoryView, t: TFunction, language: Language): TimelineItem[] {
  const names = new Map<string, string>();
  const items: TimelineItem[] = [];
  for (const entry of history.events) {
    items.push({ key: `m${entry.sequence}`, at: entry.recorded_at, kind: 'meeting', ...describeMeetingEvent(entry, t, language) });
  }
  for (const entry of history.call) {
    const participant = field(entry.changes as Fields, 'participant');
    const peer = text(participant.peer_id);
    const name = person(participant);
    if (peer && name) names.set(peer, name);
    items.push({ key: `c${entry.sequence}`, at: entry.recorded_at, kind: 'call', ...describeCallEvent(entry, names, t) });
  }
  return items.sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.key.localeCompare(b.key));
}
