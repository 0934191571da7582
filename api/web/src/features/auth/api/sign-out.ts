import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';
import { markSignedOut } from '../../../lib/auth';

/** Ends the session on the server (the cookie goes with it). */
export function signOut() {
  return unwrap(api.POST('/api/auth/signout'));
}

export function useSignOut() {
  const queryClient = useQueryClient();
  return useMutation({ mutationFn: signOut, onSuccess: () => markSignedOut(queryClient) });
}
