/**
 * What to tell a person about a failed request, in their language. The server's `detail`
 * is English and meant for developers; the slug (`type`) and, for validation, the rule
 * named in `detail` pick a translated sentence instead.
 */

import type { TFunction } from 'i18next';
import { ApiProblem } from './api-client';
import { formatWait } from './format';

/** Validation rules by the words the server's detail uses for them. */
const RULES: [RegExp, string][] = [
  [/title is empty/, 'problems.rules.titleEmpty'],
  [/title is longer/, 'problems.rules.titleTooLong'],
  [/description is longer/, 'problems.rules.descriptionTooLong'],
  [/control characters|bidirectional/, 'problems.rules.badCharacters'],
  [/not a valid email address/, 'problems.rules.invalidEmail'],
  [/display name is longer/, 'problems.rules.nameTooLong'],
  [/not a known IANA time zone/, 'problems.rules.unknownTimeZone'],
  [/is not after the start/, 'problems.rules.endBeforeStart'],
  [/outside the years/, 'problems.rules.dateOutOfRange'],
  [/lasts longer than/, 'problems.rules.tooLong'],
  [/does not exist in/, 'problems.rules.skippedTime'],
  [/more than \d+ reminders/, 'problems.rules.tooManyReminders'],
  [/minutes before the start/, 'problems.rules.reminderTooEarly'],
  [/given twice/, 'problems.rules.duplicateReminder'],
];

const SLUGS: Record<string, string> = {
  'organizer-only': 'problems.organizerOnly',
  'attendees-only': 'problems.attendeesOnly',
  'meeting-cancelled': 'problems.meetingCancelled',
  'already-invited': 'problems.alreadyInvited',
  'not-invited': 'problems.notInvited',
  'duplicate-attendee': 'problems.duplicateAttendee',
  'organizer-invited': 'problems.organizerInvited',
  'too-many-attendees': 'problems.tooManyAttendees',
  'nobody-to-invite': 'problems.nobodyToInvite',
  'version-mismatch': 'problems.versionMismatch',
  contention: 'problems.contention',
  'meeting-not-found': 'problems.meetingNotFound',
  'too-many-subscriptions': 'problems.tooManySubscriptions',
  unavailable: 'problems.unavailable',
  'not-caught-up': 'problems.unavailable',
  network: 'problems.network',
};

/** The sentence for a field the server refused (a 422 with `field`). */
export function fieldProblemMessage(problem: ApiProblem, t: TFunction): string {
  const rule = RULES.find(([pattern]) => pattern.test(problem.detail));
  if (rule) return t(rule[1]);
  const slug = SLUGS[problem.slug];
  return slug ? t(slug) : t('problems.invalidField');
}

/** The sentence for any failure. */
export function problemMessage(error: unknown, t: TFunction): string {
  if (!(error instanceof ApiProblem)) return t('problems.unexpected');
  if (error.status === 429) {
    return error.retryAfter ? t('problems.rateLimitedFor', { wait: formatWait(error.retryAfter, t) }) : t('problems.rateLimited');
  }
  const slug = SLUGS[error.slug];
  if (slug) return t(slug);
  if (error.status === 422) return fieldProblemMessage(error, t);
  if (error.status === 404) return t('problems.notFound');
  if (error.status === 0) return t('problems.network');
  if (error.status >= 500) return t('problems.server');
  return t('problems.unexpected');
}
