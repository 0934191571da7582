/**
 * The calendar's live stream (`GET /api/calendar/stream`, Server-Sent Events): each
 * `change` names a meeting, and what shows it is fetched again; `resync` (changes were
 * missed) fetches everything shown again. The browser reconnects by itself and resumes
 * with `Last-Event-ID`; nothing is shown while it does.
 */

import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { CALENDAR_STREAM_URL, type CalendarChange } from './api/auth-types';
import { queryKeys } from './query-keys';

/** Changes that come close together are fetched once. */
const SETTLE_MS = 250;

export function useLiveUpdates(enabled: boolean): void {
  const queryClient = useQueryClient();
  useEffect(() => {
    if (!enabled || typeof EventSource === 'undefined') return;
    const source = new EventSource(CALENDAR_STREAM_URL);
    const meetings = new Set<string>();
    let timer: ReturnType<typeof setTimeout> | null = null;

    const flush = () => {
      timer = null;
      void queryClient.invalidateQueries({ queryKey: queryKeys.calendars });
      for (const id of meetings) void queryClient.invalidateQueries({ queryKey: queryKeys.meetingAll(id) });
      meetings.clear();
    };

    const onChange = (event: MessageEvent<string>) => {
      try {
        const change = JSON.parse(event.data) as CalendarChange;
        if (typeof change.meeting_id === 'string') meetings.add(change.meeting_id);
      } catch {
        // A change without a readable meeting still means the calendar changed.
      }
      timer ??= setTimeout(flush, SETTLE_MS);
    };

    const onResync = () => {
      void queryClient.invalidateQueries({ queryKey: queryKeys.calendars });
      void queryClient.invalidateQueries({ queryKey: queryKeys.meetings });
    };

    let interrupted = false;
    const onError = () => {
      interrupted = true;
      // Closed for good (the server refused, e.g. the session ended): ask who is signed in.
      if (source.readyState === EventSource.CLOSED) void queryClient.invalidateQueries({ queryKey: queryKeys.session });
    };
    const onOpen = () => {
      // Back after a break: should the server not have replayed what was missed, refetch.
      if (interrupted) void queryClient.invalidateQueries({ queryKey: queryKeys.calendars });
      interrupted = false;
    };

    source.addEventListener('change', onChange as EventListener);
    source.addEventListener('error', onError);
    source.addEventListener('open', onOpen);
    source.addEventListener('resync', onResync);
    return () => {
      if (timer) clearTimeout(timer);
      source.close();
    };
  }, [enabled, queryClient]);
}
