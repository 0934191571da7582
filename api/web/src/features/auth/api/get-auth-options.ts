import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';
import { queryKeys } from '../../../lib/query-keys';

/** Which ways of signing in the server offers (email link, an identity provider). */
export function getAuthOptions() {
  return unwrap(api.GET('/api/auth/options'));
}

export function useAuthOptions() {
  return useQuery({ queryKey: queryKeys.authOptions, queryFn: getAuthOptions, staleTime: Infinity, retry: 1 });
}
