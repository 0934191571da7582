/**
 * Whether this browser gets reminders as notifications, and turning that on and off:
 * permission, then `PushManager.subscribe` with the server's VAPID key, then the
 * subscription sent to the server (and the reverse).
 */

import { useCallback, useEffect, useState } from 'react';
import { ApiProblem } from '../../../lib/api-client';
import { serviceWorkerRegistration } from '../../../lib/service-worker';
import { getVapidKey } from '../api/get-vapid-key';
import { postSubscription } from '../api/subscribe-push';
import { deleteSubscription } from '../api/unsubscribe-push';

export type PushState = 'checking' | 'unsupported' | 'blocked' | 'off' | 'on';

export function pushSupported(): boolean {
  return (
    typeof window !== 'undefined' &&
    'serviceWorker' in navigator &&
    'PushManager' in window &&
    'Notification' in window &&
    window.isSecureContext !== false
  );
}

/** A base64url key as the bytes `applicationServerKey` takes. */
export function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const base64 = (base64url + '='.repeat((4 - (base64url.length % 4)) % 4)).replace(/-/g, '+').replace(/_/g, '/');
  const raw = atob(base64);
  const bytes = new Uint8Array(new ArrayBuffer(raw.length));
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

async function currentState(): Promise<PushState> {
  if (!pushSupported()) return 'unsupported';
  if (Notification.permission === 'denied') return 'blocked';
  const registration = await serviceWorkerRegistration();
  const subscription = await registration?.pushManager.getSubscription();
  return subscription && Notification.permission === 'granted' ? 'on' : 'off';
}

export function usePush() {
  const [state, setState] = useState<PushState>('checking');
  const [working, setWorking] = useState(false);

  useEffect(() => {
    let live = true;
    currentState()
      .then((found) => live && setState(found))
      .catch(() => live && setState('off'));
    return () => {
      live = false;
    };
  }, []);

  const turnOn = useCallback(async () => {
    setWorking(true);
    try {
      const permission = await Notification.requestPermission();
      if (permission !== 'granted') {
        setState(permission === 'denied' ? 'blocked' : 'off');
        return;
      }
      const registration = await serviceWorkerRegistration(true);
      if (!registration) throw new Error('the service worker could not be registered');
      const applicationServerKey = keyBytes(await getVapidKey());
      let subscription = await registration.pushManager.getSubscription();
      if (!subscription) subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey });
      await postSubscription(subscription.toJSON());
      setState('on');
    } finally {
      setWorking(false);
    }
  }, []);

  const turnOff = useCallback(async () => {
    setWorking(true);
    try {
      const registration = await serviceWorkerRegistration();
      const subscription = await registration?.pushManager.getSubscription();
      if (subscription) {
        try {
          await deleteSubscription(subscription.endpoint);
        } catch (error) {
          // Already gone on the server: unsubscribing here is all that is left to do.
          if (!(error instanceof ApiProblem && error.status === 404)) throw error;
        }
        await subscription.unsubscribe();
      }
      setState('off');
    } finally {
      setWorking(false);
    }
  }, []);

  return { state, working, turnOn, turnOff };
}
