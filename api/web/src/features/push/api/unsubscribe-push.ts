import { api, unwrap } from '../../../lib/api-client';

/** Stops reminders to this browser. */
export async function deleteSubscription(endpoint: string): Promise<void> {
  await unwrap(api.DELETE('/api/push/subscriptions', { body: { endpoint } }));
}
