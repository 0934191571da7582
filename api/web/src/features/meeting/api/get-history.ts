import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';
import { queryKeys } from '../../../lib/query-keys';

/** What happened to the meeting, in order, and who was in its call. */
export function getHistory(id: string) {
  return unwrap(api.GET('/api/meetings/{id}/history', { params: { path: { id } } }));
}

export function useHistory(id: string) {
  return useQuery({ queryKey: queryKeys.history(id), queryFn: () => getHistory(id) });
}
