import { QueryObserver } from '@tanstack/react-query';
import toast from 'react-hot-toast';
import { describe, expect, it, vi } from 'vitest';
import { setCsrfToken } from '../../../../lib/api-client';
import type { CalendarView } from '../../../../lib/api/types';
import { queryKeys } from '../../../../lib/query-keys';
import { aMeeting } from '../../../../testing/data';
import { json, mockApi, problem } from '../../../../testing/mock-api';
import { testQueryClient } from '../../../../testing/render';
import { calendarQueryOptions } from '../get-calendar';
import { moveMeeting } from '../move-meeting';

const from = new Date('2026-11-29T00:00:00Z');
const to = new Date('2026-12-06T00:00:00Z');
const berlin = aMeeting({
  time_zone: 'Europe/Berlin',
  start: '2026-12-01T11:00:00',
  end: '2026-12-01T12:00:00',
  starts_at: '2026-12-01T10:00:00Z',
  ends_at: '2026-12-01T11:00:00Z',
  version: 3,
});
const calendar = (meetings = [berlin]): CalendarView => ({ from: from.toISOString(), to: to.toISOString(), meetings });

/** A calendar on screen: a query with an observer, as the calendar view has. */
async function shownCalendar() {
  const queryClient = testQueryClient();
  const observer = new QueryObserver(queryClient, calendarQueryOptions(from, to));
  const unsubscribe = observer.subscribe(() => {});
  await vi.waitFor(() => expect(observer.getCurrentResult().isSuccess).toBe(true));
  const shown = () => queryClient.getQueryData<CalendarView>(queryKeys.calendar(from.toISOString(), to.toISOString()))!;
  return { queryClient, shown, unsubscribe };
}

describe('moving a meeting by dragging it', () => {
  it('sends PUT schedule with If-Match of the version shown, in the meeting’s own time zone', async () => {
    setCsrfToken('csrf-123');
    const moved = aMeeting({ ...berlin, starts_at: '2026-12-01T12:00:00Z', ends_at: '2026-12-01T13:30:00Z', version: 4 });
    const api = mockApi()
      .on('GET', '/api/calendar', json(200, calendar()))
      .on('PUT', `/api/meetings/${berlin.id}/schedule`, json(200, { meeting: moved, version: 4, position: 42 }));
    const { queryClient, shown, unsubscribe } = await shownCalendar();

    const result = await moveMeeting(queryClient, {
      meeting: berlin,
      start: new Date('2026-12-01T12:00:00Z'),
      end: new Date('2026-12-01T13:30:00Z'),
    });

    const [put] = api.sent('PUT', `/api/meetings/${berlin.id}/schedule`);
    expect(put?.headers.get('If-Match')).toBe('"3"');
    expect(put?.headers.get('X-CSRF-Token')).toBe('csrf-123');
    expect(put?.body).toEqual({ start: '2026-12-01T13:00:00', end: '2026-12-01T14:30:00', time_zone: 'Europe/Berlin' });
    expect(result?.version).toBe(4);
    expect(shown().meetings[0]?.starts_at).toBe('2026-12-01T12:00:00Z');
    unsubscribe();
  });

  it('shows the new time at once and takes it back when the server refuses', async () => {
    let release: (response: Response) => void = () => {};
    mockApi()
      .on('GET', '/api/calendar', json(200, calendar()))
      .on('PUT', `/api/meetings/${berlin.id}/schedule`, () => new Promise<Response>((resolve) => (release = resolve)));
    const { queryClient, shown, unsubscribe } = await shownCalendar();

    const moving = moveMeeting(queryClient, { meeting: berlin, start: new Date('2026-12-02T10:00:00Z'), end: new Date('2026-12-02T11:00:00Z') });
    await vi.waitFor(() => expect(shown().meetings[0]?.starts_at).toBe('2026-12-02T10:00:00.000Z'));
    release(problem(403, 'organizer-only', 'only the organizer'));
    await moving;

    expect(shown().meetings[0]?.starts_at).toBe('2026-12-01T10:00:00Z');
    unsubscribe();
  });

  it('on 412 says someone changed the meeting meanwhile and shows the latest, never overwriting it', async () => {
    const error = vi.spyOn(toast, 'error');
    const latest = aMeeting({ ...berlin, title: 'Planning (moved by Bob)', starts_at: '2026-12-03T09:00:00Z', ends_at: '2026-12-03T10:00:00Z', version: 5 });
    const api = mockApi()
      .on('GET', '/api/calendar', json(200, calendar()), json(200, calendar([latest])))
      .on('PUT', `/api/meetings/${berlin.id}/schedule`, problem(412, 'version-mismatch', 'at version 5', { current_version: 5 }));
    const { queryClient, shown, unsubscribe } = await shownCalendar();

    const result = await moveMeeting(queryClient, { meeting: berlin, start: new Date('2026-12-02T10:00:00Z'), end: new Date('2026-12-02T11:00:00Z') });

    expect(result).toBeNull();
    expect(error).toHaveBeenCalledWith('Someone changed this meeting meanwhile; showing the latest', expect.anything());
    await vi.waitFor(() => expect(api.sent('GET', '/api/calendar')).toHaveLength(2));
    await vi.waitFor(() => expect(shown().meetings[0]?.title).toBe('Planning (moved by Bob)'));
    expect(api.sent('PUT', `/api/meetings/${berlin.id}/schedule`)).toHaveLength(1);
    unsubscribe();
  });

  it('does nothing when the meeting is dropped where it was', async () => {
    const api = mockApi();
    const queryClient = testQueryClient();
    const result = await moveMeeting(queryClient, { meeting: berlin, start: new Date(berlin.starts_at), end: new Date(berlin.ends_at) });
    expect(result).toBeNull();
    expect(api.requests).toHaveLength(0);
  });
});
