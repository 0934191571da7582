/**
 * `/`: the calendar, with a meeting's panel over it (`/meetings/:id`, the child route)
 * and the editor for a new meeting, which loads on first use.
 */

import { lazy, Suspense, useCallback, useState } from 'react';
import { Outlet, useLocation, useNavigate } from 'react-router-dom';
import { MeetingCalendar, type NewMeetingRange } from '../../features/calendar/components/meeting-calendar';
import { useCurrentUser } from '../../lib/auth';

const MeetingEditor = lazy(() =>
  import('../../features/meeting/components/meeting-editor').then((module) => ({ default: module.MeetingEditor })),
);

export function CalendarRoute() {
  const navigate = useNavigate();
  const { search } = useLocation();
  const me = useCurrentUser();
  const [creating, setCreating] = useState<NewMeetingRange | null>(null);

  const openMeeting = useCallback((id: string) => navigate({ pathname: `/meetings/${id}`, search }), [navigate, search]);

  return (
    <>
      <MeetingCalendar onOpenMeeting={openMeeting} onCreate={setCreating} />
      <Outlet />
      {creating && (
        <Suspense fallback={null}>
          <MeetingEditor
            target={{ kind: 'new', start: creating.start, end: creating.end }}
            organizer={me.email}
            onClose={() => setCreating(null)}
          />
        </Suspense>
      )}
    </>
  );
}
