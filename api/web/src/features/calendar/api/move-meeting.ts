/**
 * Moving or resizing a meeting by dragging it: `PUT /api/meetings/{id}/schedule` on the
 * condition that it is still at the version the calendar showed (`If-Match`). The
 * calendar shows the new time at once and takes it back if the server refuses; when
 * someone changed the meeting meanwhile (412) it says so and shows the latest, and never
 * writes over their change.
 */

import type { QueryClient } from '@tanstack/react-query';
import toast from 'react-hot-toast';
import { i18n } from '../../../i18n';
import { api, ifMatch, isApiProblem, notePosition, unwrap } from '../../../lib/api-client';
import type { CalendarView, MeetingView } from '../../../lib/api/types';
import { problemMessage } from '../../../lib/problem-message';
import { queryKeys } from '../../../lib/query-keys';
import { wallClockIn } from '../../../lib/time';

export interface MoveRequest {
  meeting: MeetingView;
  start: Date;
  end: Date;
}

/** The new times as wall-clock times in the meeting's own zone, which it keeps. */
export function rescheduleBody({ meeting, start, end }: MoveRequest) {
  return { start: wallClockIn(start, meeting.time_zone), end: wallClockIn(end, meeting.time_zone), time_zone: meeting.time_zone };
}

export function putSchedule(request: MoveRequest) {
  return unwrap(
    api.PUT('/api/meetings/{id}/schedule', {
      params: { path: { id: request.meeting.id } },
      headers: ifMatch(request.meeting.version),
      body: rescheduleBody(request),
    }),
  );
}

function replaceMeeting(queryClient: QueryClient, id: string, change: (meeting: MeetingView) => MeetingView) {
  queryClient.setQueriesData<CalendarView>({ queryKey: queryKeys.calendars }, (view) =>
    view ? { ...view, meetings: view.meetings.map((meeting) => (meeting.id === id ? change(meeting) : meeting)) } : view,
  );
}

/** Moves the meeting; resolves to the meeting as it now is, or null when it did not move. */
export async function moveMeeting(queryClient: QueryClient, request: MoveRequest): Promise<MeetingView | null> {
  const { meeting, start, end } = request;
  if (start.getTime() === Date.parse(meeting.starts_at) && end.getTime() === Date.parse(meeting.ends_at)) return null;
  const t = i18n.t.bind(i18n);
  await queryClient.cancelQueries({ queryKey: queryKeys.calendars });
  const before = queryClient.getQueriesData<CalendarView>({ queryKey: queryKeys.calendars });
  replaceMeeting(queryClient, meeting.id, (shown) => ({ ...shown, starts_at: start.toISOString(), ends_at: end.toISOString() }));
  try {
    const result = await putSchedule(request);
    notePosition(result.position);
    replaceMeeting(queryClient, meeting.id, () => result.meeting);
    queryClient.setQueryData(queryKeys.meeting(meeting.id), result.meeting);
    toast.success(t('calendar.moved'), { id: `moved-${meeting.id}` });
    return result.meeting;
  } catch (error) {
    for (const [key, data] of before) queryClient.setQueryData(key, data);
    if (isApiProblem(error) && error.isVersionMismatch) {
      toast.error(t('calendar.changedMeanwhile'), { id: `conflict-${meeting.id}` });
    } else {
      toast.error(problemMessage(error, t));
    }
    return null;
  } finally {
    void queryClient.invalidateQueries({ queryKey: queryKeys.calendars });
    void queryClient.invalidateQueries({ queryKey: queryKeys.meetingAll(meeting.id) });
  }
}
