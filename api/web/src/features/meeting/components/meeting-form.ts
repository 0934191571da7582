/**
 * The meeting editor's form, apart from how it looks: what it starts with, what it sends
 * when creating, which changes it makes to an existing meeting, and which fields a
 * refusal from the server points at.
 */

import type { TFunction } from 'i18next';
import type { AttendeeInput, MeetingView, ScheduleMeetingRequest, UpdateMeetingRequest } from '../../../lib/api/types';
import { ApiProblem } from '../../../lib/api-client';
import { fieldProblemMessage } from '../../../lib/problem-message';
import { fromInputValue, instantOf, localWallClock, toInputValue } from '../../../lib/time';

export interface Attendee {
  email: string;
  /** The name to show, when known (from suggestions or "Name <address>"). */
  name: string | null;
}

export interface MeetingForm {
  title: string;
  description: string;
  /** `YYYY-MM-DDTHH:mm`, wall-clock in `timeZone`. */
  start: string;
  end: string;
  timeZone: string;
  attendees: Attendee[];
  /** Minutes before the start. */
  reminders: number[];
}

export type FormField = 'title' | 'description' | 'start' | 'end' | 'time_zone' | 'attendees' | 'reminders';
export type FieldErrors = Partial<Record<FormField, string>>;

/** The presets offered for reminders, in minutes before the start. */
export const REMINDER_PRESETS = [0, 5, 10, 15, 30, 60, 1440];
export const MAX_REMINDERS = 5;
/** The server's default for a meeting created without reminders. */
export const DEFAULT_REMINDERS = [10];
/** The longest a meeting may last. */
export const MAX_DURATION_HOURS = 168;

const EMAIL = /^[^\s@<>,;"]+@[^\s@<>,;"]+\.[^\s@<>,;"]+$/;

export function isEmail(text: string): boolean {
  return EMAIL.test(text.trim());
}

/** "bob@example.org" or "Bob Smith <bob@example.org>" as an attendee, or null. */
export function parseAttendee(text: string): Attendee | null {
  const trimmed = text.trim();
  const named = /^"?([^"<]*?)"?\s*<([^>]+)>$/.exec(trimmed);
  if (named) {
    const email = named[2]!.trim();
    return isEmail(email) ? { email, name: named[1]!.trim() || null } : null;
  }
  return isEmail(trimmed) ? { email: trimmed, name: null } : null;
}

/** Splits pasted text ("a@x.org, Bob <b@y.org>; c@z.org") into addresses. */
export function splitAddresses(text: string): string[] {
  return text
    .split(/[,;\n]+/)
    .map((part) => part.trim())
    .filter(Boolean);
}

export function formForNewMeeting(start: Date, end: Date, timeZone: string): MeetingForm {
  return {
    title: '',
    description: '',
    start: toInputValue(localWallClock(start)),
    end: toInputValue(localWallClock(end)),
    timeZone,
    attendees: [],
    reminders: [...DEFAULT_REMINDERS],
  };
}

export function formForMeeting(meeting: MeetingView): MeetingForm {
  return {
    title: meeting.title,
    description: meeting.description,
    start: toInputValue(meeting.start),
    end: toInputValue(meeting.end),
    timeZone: meeting.time_zone,
    attendees: meeting.attendees.map((attendee) => ({ email: attendee.email, name: attendee.name ?? null })),
    reminders: [...meeting.reminders].sort((a, b) => a - b),
  };
}

function attendeeInput(attendee: Attendee): AttendeeInput {
  return attendee.name ? { email: attendee.email, name: attendee.name } : { email: attendee.email };
}

/** The body of `POST /api/meetings`. */
export function scheduleRequest(form: MeetingForm): ScheduleMeetingRequest {
  return {
    title: form.title.trim(),
    description: form.description,
    start: fromInputValue(form.start),
    end: fromInputValue(form.end),
    time_zone: form.timeZone,
    attendees: form.attendees.map(attendeeInput),
    reminders: [...form.reminders].sort((a, b) => a - b),
  };
}

export interface MeetingChanges {
  details: UpdateMeetingRequest | null;
  schedule: { start: string; end: string; time_zone: string } | null;
  invite: AttendeeInput[];
  remove: string[];
}

const sameAddress = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/** What saving the form changes in `meeting`, one request per kind of change. */
export function changesOf(meeting: MeetingView, form: MeetingForm): MeetingChanges {
  const details: UpdateMeetingRequest = {};
  if (form.title.trim() !== meeting.title) details.title = form.title.trim();
  if (form.description !== meeting.description) details.description = form.description;
  const reminders = [...form.reminders].sort((a, b) => a - b);
  const before = [...meeting.reminders].sort((a, b) => a - b);
  if (reminders.join(',') !== before.join(',')) details.reminders = reminders;
  const start = fromInputValue(form.start);
  const end = fromInputValue(form.end);
  const moved = start !== meeting.start || end !== meeting.end || form.timeZone !== meeting.time_zone;
  return {
    details: Object.keys(details).length ? details : null,
    schedule: moved ? { start, end, time_zone: form.timeZone } : null,
    invite: form.attendees
      .filter((attendee) => !meeting.attendees.some((existing) => sameAddress(existing.email, attendee.email)))
      .map(attendeeInput),
    remove: meeting.attendees
      .filter((existing) => !form.attendees.some((attendee) => sameAddress(existing.email, attendee.email)))
      .map((existing) => existing.email),
  };
}

export function hasChanges(changes: MeetingChanges): boolean {
  return Boolean(changes.details || changes.schedule || changes.invite.length || changes.remove.length);
}

/** What the browser can tell before asking the server. */
export function validate(form: MeetingForm, t: TFunction): FieldErrors {
  const errors: FieldErrors = {};
  if (!form.title.trim()) errors.title = t('problems.rules.titleEmpty');
  const start = instantOf(fromInputValue(form.start), form.timeZone);
  const end = instantOf(fromInputValue(form.end), form.timeZone);
  if (Number.isNaN(start.getTime())) errors.start = t('editor.errors.noStart');
  if (Number.isNaN(end.getTime())) errors.end = t('editor.errors.noEnd');
  else if (!errors.start && end <= start) errors.end = t('problems.rules.endBeforeStart');
  else if (!errors.start && end.getTime() - start.getTime() > MAX_DURATION_HOURS * 3_600_000) errors.end = t('problems.rules.tooLong');
  return errors;
}

/** The form field a server refusal names (`attendees[2].email` → attendees). */
export function fieldOfProblem(problem: ApiProblem): FormField | null {
  const field = problem.field ?? '';
  if (field === 'start') return /not after the start|lasts longer/.test(problem.detail) ? 'end' : 'start';
  if (field.startsWith('attendees') || field === 'email') return 'attendees';
  if (['title', 'description', 'end', 'time_zone', 'reminders'].includes(field)) return field as FormField;
  if (['duplicate-attendee', 'organizer-invited', 'too-many-attendees', 'already-invited', 'not-invited'].includes(problem.slug)) {
    return 'attendees';
  }
  return null;
}

/** The message for a refusal that names a field, as `FieldErrors`; null when none does. */
export function fieldErrorsOf(error: unknown, t: TFunction): FieldErrors | null {
  if (!(error instanceof ApiProblem)) return null;
  const field = fieldOfProblem(error);
  return field ? { [field]: fieldProblemMessage(error, t) } : null;
}
