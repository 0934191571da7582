import { useMutation } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';

export interface SignInLinkRequest {
  email: string;
  /** Where the link lands after signing in. */
  returnTo?: string;
}

/** Asks the server to email a single-use sign-in link (the same answer for any address). */
export function sendSignInLink({ email, returnTo }: SignInLinkRequest) {
  return unwrap(api.POST('/api/auth/email', { body: returnTo ? { email, return_to: returnTo } : { email } }));
}

export function useSendSignInLink() {
  return useMutation({ mutationFn: sendSignInLink });
}
