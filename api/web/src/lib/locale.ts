/**
 * Which conventions dates follow for the app's language: the locale for `Intl` and
 * date-fns, and the first day of the week (Monday in Russian and British English,
 * Sunday in American English).
 */

import type { Locale } from 'date-fns';
import { enGB } from 'date-fns/locale/en-GB';
import { enUS } from 'date-fns/locale/en-US';
import { ru } from 'date-fns/locale/ru';

export type Language = 'en' | 'ru';
export const LANGUAGES: readonly Language[] = ['ru', 'en'];

/** English speakers whose weeks start on Sunday and who write dates month first. */
const SUNDAY_ENGLISH = new Set(['en', 'en-US', 'en-CA', 'en-PH']);

function browserLanguages(): readonly string[] {
  if (typeof navigator === 'undefined') return [];
  return navigator.languages?.length ? navigator.languages : [navigator.language];
}

/** The English the browser asks for (`en-GB`, `en-US`...), or American English. */
function browserEnglish(): string {
  return browserLanguages().find((tag) => tag.toLowerCase().startsWith('en')) ?? 'en-US';
}

/** The BCP 47 tag `Intl` formats with. */
export function intlLocale(language: Language): string {
  return language === 'ru' ? 'ru-RU' : browserEnglish();
}

/** The culture name the calendar's localizer knows the locale by. */
export function calendarCulture(language: Language): string {
  if (language === 'ru') return 'ru';
  return SUNDAY_ENGLISH.has(browserEnglish()) ? 'en-US' : 'en-GB';
}

export const dateFnsLocales: Record<string, Locale> = { ru, 'en-US': enUS, 'en-GB': enGB };

export function dateFnsLocale(language: Language): Locale {
  return dateFnsLocales[calendarCulture(language)] ?? enUS;
}

/** 0 = Sunday, 1 = Monday. */
export function weekStartsOn(language: Language): 0 | 1 | 2 | 3 | 4 | 5 | 6 {
  return dateFnsLocale(language).options?.weekStartsOn ?? 0;
}

/** The language a newcomer sees: Russian for Russian browsers, English otherwise. */
export function browserLanguage(): Language {
  return browserLanguages().some((tag) => tag.toLowerCase().startsWith('ru')) ? 'ru' : 'en';
}

export function isLanguage(value: unknown): value is Language {
  return value === 'en' || value === 'ru';
}
