/** Dates, durations and lists as people read them, in the app's language. */

import type { TFunction } from 'i18next';
import { intlLocale, type Language } from './locale';

/** "10 minutes", "1 hour", "2 days": a reminder offset or a wait. */
export function formatMinutes(minutes: number, t: TFunction): string {
  if (minutes > 0 && minutes % 1440 === 0) return t('duration.days', { count: minutes / 1440 });
  if (minutes > 0 && minutes % 60 === 0) return t('duration.hours', { count: minutes / 60 });
  return t('duration.minutes', { count: minutes });
}

/** "At the start and 10 minutes before": several reminders as one phrase. */
export function formatReminders(minutes: number[], t: TFunction, language: Language): string {
  const phrases = [...minutes].sort((a, b) => a - b).map((m) => formatReminder(m, t).toLocaleLowerCase());
  const text = formatList(phrases, language);
  return text.charAt(0).toLocaleUpperCase() + text.slice(1);
}

/** How long to wait before trying again: seconds under two minutes, minutes above. */
export function formatWait(seconds: number, t: TFunction): string {
  if (seconds < 120) return t('duration.seconds', { count: Math.max(1, Math.ceil(seconds)) });
  return t('duration.minutes', { count: Math.ceil(seconds / 60) });
}

/** "10 minutes before", "At the start". */
export function formatReminder(minutes: number, t: TFunction): string {
  return minutes === 0 ? t('reminders.atStart') : t('reminders.before', { duration: formatMinutes(minutes, t) });
}

function sameDay(a: Date, b: Date, timeZone?: string): boolean {
  const day = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
  return day.format(a) === day.format(b);
}

/**
 * "Tue, 1 Dec 2026, 10:00 – 11:00" (one day) or "1 Dec, 22:00 – 2 Dec, 01:00", in
 * `timeZone` (the browser's when absent).
 */
export function formatRange(start: Date, end: Date, language: Language, timeZone?: string): string {
  const locale = intlLocale(language);
  const time: Intl.DateTimeFormatOptions = { hour: 'numeric', minute: '2-digit', timeZone };
  const dateTime = new Intl.DateTimeFormat(locale, {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: start.getFullYear() === new Date().getFullYear() ? undefined : 'numeric',
    ...time,
  });
  if (sameDay(start, end, timeZone)) {
    return `${dateTime.format(start)} – ${new Intl.DateTimeFormat(locale, time).format(end)}`;
  }
  return `${dateTime.format(start)} – ${dateTime.format(end)}`;
}

/** "10:00 – 11:00" in a zone, without the date. */
export function formatTimeRange(start: Date, end: Date, language: Language, timeZone?: string): string {
  const time = new Intl.DateTimeFormat(intlLocale(language), { hour: 'numeric', minute: '2-digit', timeZone });
  return `${time.format(start)} – ${time.format(end)}`;
}

/** "Tue, 1 Dec, 10:32": when something happened. */
export function formatMoment(instant: Date, language: Language): string {
  return new Intl.DateTimeFormat(intlLocale(language), {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: instant.getFullYear() === new Date().getFullYear() ? undefined : 'numeric',
    hour: 'numeric',
    minute: '2-digit',
  }).format(instant);
}

/** "Ann, Bob and Carol" / "Анна, Боб и Кэрол". */
export function formatList(items: string[], language: Language): string {
  if (typeof Intl.ListFormat !== 'function') return items.join(', ');
  return new Intl.ListFormat(intlLocale(language), { style: 'long', type: 'conjunction' }).format(items);
}

/** A zone's name as people say it: "Europe/Berlin" → "Berlin". */
export function zoneLabel(timeZone: string): string {
  return timeZone.split('/').pop()!.replace(/_/g, ' ');
}
