/** Which days each view shows, and where "previous" and "next" lead. */

import { addDays, addMonths, addWeeks, endOfMonth, endOfWeek, format, startOfDay, startOfMonth, startOfWeek } from 'date-fns';

export type CalendarViewName = 'month' | 'week' | 'day' | 'agenda';
export const VIEWS: readonly CalendarViewName[] = ['month', 'week', 'day', 'agenda'];

/** How many days the agenda lists from its date. */
export const AGENDA_DAYS = 30;

type WeekStart = 0 | 1 | 2 | 3 | 4 | 5 | 6;

export function isView(value: unknown): value is CalendarViewName {
  return typeof value === 'string' && (VIEWS as readonly string[]).includes(value);
}

/** The instants `[from, to)` a view of `date` covers, as the calendar lays it out. */
export function visibleRange(view: CalendarViewName, date: Date, weekStartsOn: WeekStart): { from: Date; to: Date } {
  switch (view) {
    case 'month': {
      const from = startOfWeek(startOfMonth(date), { weekStartsOn });
      const to = addDays(startOfDay(endOfWeek(endOfMonth(date), { weekStartsOn })), 1);
      return { from, to };
    }
    case 'week': {
      const from = startOfWeek(date, { weekStartsOn });
      return { from, to: addDays(from, 7) };
    }
    case 'day': {
      const from = startOfDay(date);
      return { from, to: addDays(from, 1) };
    }
    case 'agenda': {
      const from = startOfDay(date);
      return { from, to: addDays(from, AGENDA_DAYS) };
    }
  }
}

/** The date one step back or forward in a view. */
export function step(view: CalendarViewName, date: Date, direction: 1 | -1): Date {
  switch (view) {
    case 'month':
      return addMonths(date, direction);
    case 'week':
      return addWeeks(date, direction);
    case 'day':
      return addDays(date, direction);
    case 'agenda':
      return addDays(date, direction * AGENDA_DAYS);
  }
}

/** `2026-12-01`, the date in the page's address. */
export function dateParam(date: Date): string {
  return format(date, 'yyyy-MM-dd');
}

export function parseDateParam(value: string | null): Date | null {
  const match = value ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(value) : null;
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]) - 1, Number(match[3])];
  const date = new Date(year, month, day);
  // 2026-02-31 is no date.
  return date.getFullYear() === year && date.getMonth() === month && date.getDate() === day ? date : null;
}
