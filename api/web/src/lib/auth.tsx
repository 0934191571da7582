/**
 * The one session: who is signed in, read from `GET /api/session` (the cookie itself is
 * HttpOnly and never seen here). A 401 from any request sets it to "signed out", and the
 * app shows the sign-in page in place of whatever was shown.
 */

import { useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { api, onSignedOut, setCsrfToken, unwrap, ApiProblem } from './api-client';
import type { Session } from './api/types';
import { queryKeys } from './query-keys';

/** The session, or null when nobody is signed in. */
export async function getSession(): Promise<Session | null> {
  try {
    const session = await unwrap(api.GET('/api/session'));
    setCsrfToken(session.csrf_token ?? null);
    return session;
  } catch (error) {
    if (error instanceof ApiProblem && error.status === 401) {
      setCsrfToken(null);
      return null;
    }
    throw error;
  }
}

export function useSession() {
  return useQuery({
    queryKey: queryKeys.session,
    queryFn: getSession,
    staleTime: 5 * 60_000,
    retry: (failures, error) => failures < 2 && !(error instanceof ApiProblem && error.status !== 0 && error.status < 500),
  });
}

/** The signed-in person; only for components rendered inside the signed-in app. */
export function useCurrentUser(): Session {
  const { data } = useSession();
  if (!data) throw new Error('useCurrentUser outside a signed-in page');
  return data;
}

/** Forgets everything the signed-in person had loaded and shows the sign-in page. */
export function markSignedOut(queryClient: QueryClient): void {
  setCsrfToken(null);
  queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== queryKeys.session[0] });
  queryClient.setQueryData(queryKeys.session, null);
}

/** Listens for 401 answers anywhere and turns them into "signed out". */
export function useSignedOutListener(): void {
  const queryClient = useQueryClient();
  useEffect(() => onSignedOut(() => markSignedOut(queryClient)), [queryClient]);
}
