import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, notePosition, unwrap } from '../../../lib/api-client';
import type { ScheduleMeetingRequest } from '../../../lib/api/types';
import { queryKeys } from '../../../lib/query-keys';

/**
 * Creates a meeting. The `Idempotency-Key` makes a retry of the same request (a lost
 * answer, a double click) return the first result instead of creating a second meeting.
 */
export function scheduleMeeting(body: ScheduleMeetingRequest, idempotencyKey: string) {
  return unwrap(api.POST('/api/meetings', { body, headers: { 'Idempotency-Key': idempotencyKey } }));
}

export function useScheduleMeeting() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ body, idempotencyKey }: { body: ScheduleMeetingRequest; idempotencyKey: string }) =>
      scheduleMeeting(body, idempotencyKey),
    onSuccess: (result) => {
      notePosition(result.position);
      queryClient.setQueryData(queryKeys.meeting(result.meeting.id), result.meeting);
      return queryClient.invalidateQueries({ queryKey: queryKeys.calendars });
    },
  });
}
