import { useQuery } from '@tanstack/react-query';
import { api, readAfter, unwrap } from '../../../lib/api-client';
import { queryKeys } from '../../../lib/query-keys';

/** One meeting as the person sees it (organizer or attendee). */
export function getMeeting(id: string) {
  return unwrap(api.GET('/api/meetings/{id}', { params: { path: { id }, query: readAfter() } }));
}

export function useMeeting(id: string) {
  return useQuery({ queryKey: queryKeys.meeting(id), queryFn: () => getMeeting(id) });
}
