import { api, unwrap } from '../../../lib/api-client';

/** Registers this browser's subscription (`PushSubscription.toJSON()`) for reminders. */
export async function postSubscription(subscription: PushSubscriptionJSON): Promise<void> {
  const { endpoint, keys } = subscription;
  if (!endpoint || !keys?.p256dh || !keys.auth) throw new Error('the browser gave an incomplete push subscription');
  await unwrap(
    api.POST('/api/push/subscriptions', {
      body: { endpoint, keys: { p256dh: keys.p256dh, auth: keys.auth }, expirationTime: subscription.expirationTime ?? null },
    }),
  );
}
