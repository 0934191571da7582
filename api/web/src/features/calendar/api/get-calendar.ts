import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api, readAfter, unwrap } from '../../../lib/api-client';
import { queryKeys } from '../../../lib/query-keys';

/** The meetings the person organises or attends that overlap `[from, to)` (RFC 3339). */
export function getCalendar(from: string, to: string) {
  return unwrap(api.GET('/api/calendar', { params: { query: { from, to, ...readAfter() } } }));
}

export function calendarQueryOptions(from: Date, to: Date) {
  const range = [from.toISOString(), to.toISOString()] as const;
  return {
    queryKey: queryKeys.calendar(...range),
    queryFn: () => getCalendar(...range),
  };
}

/** The visible range's meetings; the previous range stays shown while the next loads. */
export function useCalendar(from: Date, to: Date) {
  return useQuery({ ...calendarQueryOptions(from, to), placeholderData: keepPreviousData });
}
