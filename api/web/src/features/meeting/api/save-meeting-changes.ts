/**
 * Saving the editor over an existing meeting: one request per kind of change, each on the
 * version the previous one produced, so that a change by someone else in between is
 * refused (412) rather than overwritten.
 */

import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { MeetingView } from '../../../lib/api/types';
import { queryKeys } from '../../../lib/query-keys';
import type { MeetingChanges } from '../components/meeting-form';
import { inviteAttendees } from './invite-attendees';
import { removeAttendee } from './remove-attendee';
import { rescheduleMeeting } from './reschedule-meeting';
import { updateMeeting } from './update-meeting';

export async function saveMeetingChanges(meeting: MeetingView, changes: MeetingChanges): Promise<MeetingView> {
  let latest = meeting;
  if (changes.details) latest = (await updateMeeting(latest.id, latest.version, changes.details)).meeting;
  if (changes.schedule) latest = (await rescheduleMeeting(latest.id, latest.version, changes.schedule)).meeting;
  if (changes.invite.length) latest = (await inviteAttendees(latest.id, latest.version, changes.invite)).meeting;
  for (const email of changes.remove) latest = (await removeAttendee(latest.id, latest.version, email)).meeting;
  return latest;
}

export function useSaveMeetingChanges(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ meeting, changes }: { meeting: MeetingView; changes: MeetingChanges }) => saveMeetingChanges(meeting, changes),
    onSuccess: (meeting) => {
      queryClient.setQueryData(queryKeys.meeting(id), meeting);
    },
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: queryKeys.calendars });
      void queryClient.invalidateQueries({ queryKey: queryKeys.meetingAll(id) });
    },
  });
}
