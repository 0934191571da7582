import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';
import { queryKeys } from '../../../lib/query-keys';

export const PEOPLE_LIMIT = 10;

/** People the person has met in meetings whose name or address starts with `q`. */
export async function searchPeople(q: string, signal?: AbortSignal) {
  const answer = await unwrap(api.GET('/api/people', { params: { query: { q, limit: PEOPLE_LIMIT } }, signal }));
  return answer.people;
}

export function usePeopleSuggestions(q: string) {
  const query = q.trim();
  return useQuery({
    queryKey: queryKeys.people(query.toLowerCase()),
    queryFn: ({ signal }) => searchPeople(query, signal),
    enabled: query.length > 0,
    staleTime: 60_000,
    placeholderData: keepPreviousData,
    retry: false,
  });
}
