/**
 * What to tell a person about a failed request, in their language. The server's `detail`
 * is English and meant for developers; the slug (`type`) and, for validation, the rule's
 * `code` pick a translated sentence instead.
 */

import type { TFunction } from 'i18next';
import { ApiProblem } from './api-client';
import { formatWait } from './format';

/** Validation rules by the code the server names them with (`Problem.code`). */
const RULES: Record<string, string> = {
  'title-empty': 'problems.rules.titleEmpty',
  'title-too-long': 'problems.rules.titleTooLong',
  'description-too-long': 'problems.rules.descriptionTooLong',
  'control-characters': 'problems.rules.badCharacters',
  'direction-controls': 'problems.rules.badCharacters',
  'invalid-email': 'problems.rules.invalidEmail',
  'name-too-long': 'problems.rules.nameTooLong',
  'unknown-time-zone': 'problems.rules.unknownTimeZone',
  'end-not-after-start': 'problems.rules.endBeforeStart',
  'date-out-of-range': 'problems.rules.dateOutOfRange',
  'duration-too-long': 'problems.rules.tooLong',
  'nonexistent-local-time': 'problems.rules.skippedTime',
  'too-many-reminders': 'problems.rules.tooManyReminders',
  'reminder-too-early': 'problems.rules.reminderTooEarly',
  'duplicate-reminder': 'problems.rules.duplicateReminder',
};

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
  const rule = problem.code ? RULES[problem.code] : undefined;
  if (rule) return t(rule);
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
