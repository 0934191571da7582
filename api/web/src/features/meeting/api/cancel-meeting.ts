import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, ifMatch, notePosition, unwrap } from '../../../lib/api-client';
import { queryKeys } from '../../../lib/query-keys';

/** Calls the meeting off (organizer only), with an optional reason the attendees read. */
export async function cancelMeeting(id: string, version: number, reason: string) {
  const body = reason.trim() ? { reason: reason.trim() } : {};
  const result = await unwrap(api.POST('/api/meetings/{id}/cancel', { params: { path: { id } }, headers: ifMatch(version), body }));
  notePosition(result.position);
  return result;
}

export function useCancelMeeting(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ version, reason }: { version: number; reason: string }) => cancelMeeting(id, version, reason),
    onSuccess: (result) => {
      queryClient.setQueryData(queryKeys.meeting(id), result.meeting);
    },
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: queryKeys.calendars });
      void queryClient.invalidateQueries({ queryKey: queryKeys.meetingAll(id) });
    },
  });
}
