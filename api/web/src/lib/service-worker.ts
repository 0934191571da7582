/**
 * The service worker (`/sw.js`, scope `/`) that shows reminders pushed by the server and
 * brings the app to a meeting when one is clicked.
 */

const SCRIPT = '/sw.js';

let registering: Promise<ServiceWorkerRegistration | null> | null = null;

function supported(): boolean {
  return typeof navigator !== 'undefined' && 'serviceWorker' in navigator;
}

/** Registers the worker once; resolves to null where browsers have none. */
export function registerServiceWorker(): Promise<ServiceWorkerRegistration | null> {
  if (!supported()) return Promise.resolve(null);
  registering ??= navigator.serviceWorker.register(SCRIPT, { scope: '/' }).catch(() => {
    registering = null;
    return null;
  });
  return registering;
}

/** The worker's registration; with `register`, registers it first if need be. */
export async function serviceWorkerRegistration(register = false): Promise<ServiceWorkerRegistration | null> {
  if (!supported()) return null;
  const existing = await navigator.serviceWorker.getRegistration('/');
  if (existing || !register) return existing ?? null;
  return registerServiceWorker();
}

/** Listens for the worker asking an open page to show a path (a clicked notification). */
export function onOpenRequest(open: (path: string) => void): () => void {
  if (!supported()) return () => {};
  const listener = (event: MessageEvent) => {
    const data = event.data as { type?: string; path?: string } | null;
    if (data?.type === 'veche:open' && typeof data.path === 'string' && data.path.startsWith('/')) open(data.path);
  };
  navigator.serviceWorker.addEventListener('message', listener);
  return () => navigator.serviceWorker.removeEventListener('message', listener);
}
