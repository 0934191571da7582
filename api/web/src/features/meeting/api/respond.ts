import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, notePosition, unwrap } from '../../../lib/api-client';
import type { Answer } from '../../../lib/api/types';
import { queryKeys } from '../../../lib/query-keys';

/**
 * The person's answer to the invitation. Sent without `If-Match`: an answer is the
 * person's own and does not depend on what else changed in the meeting.
 */
export async function respond(id: string, response: Answer) {
  const result = await unwrap(api.PUT('/api/meetings/{id}/response', { params: { path: { id } }, body: { response } }));
  notePosition(result.position);
  return result;
}

export function useRespond(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (response: Answer) => respond(id, response),
    onSuccess: (result) => {
      queryClient.setQueryData(queryKeys.meeting(id), result.meeting);
      void queryClient.invalidateQueries({ queryKey: queryKeys.calendars });
      void queryClient.invalidateQueries({ queryKey: queryKeys.history(id) });
    },
  });
}
