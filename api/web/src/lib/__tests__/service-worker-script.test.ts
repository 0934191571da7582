/**
 * The service worker itself (`public/sw.js`), run in a fake worker global: what a push
 * shows, and where a click on the notification leads.
 */

import { describe, expect, it, vi } from 'vitest';
import source from '../../../public/sw.js?raw';

const ORIGIN = 'https://veche.example';
const MEETING = '6f1c2b9e-0c1d-4a53-9a51-3f7d2a8b1c40';

interface FakeWindow {
  url: string;
  focus: ReturnType<typeof vi.fn>;
  postMessage: ReturnType<typeof vi.fn>;
}

function aWindow(url: string): FakeWindow {
  const client: FakeWindow = { url, focus: vi.fn(), postMessage: vi.fn() };
  client.focus.mockImplementation(async () => client);
  return client;
}

/** Resolves on a later turn, as a browser's would: a test that does not wait sees nothing. */
const later = <T>(value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), 0));

/** Loads the worker script into a fresh fake `self` with the given language and open windows. */
function startWorker({ language = 'en-US', windows = [] as FakeWindow[] } = {}) {
  const listeners = new Map<string, ((event: object) => void)[]>();
  const shown: { title: string; options: NotificationOptions & { actions?: unknown[] } }[] = [];
  const self = {
    addEventListener: (type: string, listener: (event: object) => void) => {
      listeners.set(type, [...(listeners.get(type) ?? []), listener]);
    },
    skipWaiting: vi.fn(),
    registration: {
      showNotification: vi.fn((title: string, options: NotificationOptions) =>
        later(undefined).then(() => {
          shown.push({ title, options });
        }),
      ),
    },
    clients: {
      matchAll: vi.fn(() => later(windows)),
      openWindow: vi.fn(() => later(null)),
      claim: vi.fn(() => later(undefined)),
    },
    location: { origin: ORIGIN },
    navigator: { language },
  };
  new Function('self', source)(self);

  /** Dispatches an event and waits for what the worker handed to `waitUntil`. */
  async function dispatch(type: string, event: object) {
    const extended: Promise<unknown>[] = [];
    const handlers = listeners.get(type) ?? [];
    expect(handlers).not.toHaveLength(0);
    for (const handler of handlers) handler({ ...event, waitUntil: (promise: Promise<unknown>) => extended.push(promise) });
    expect(extended).toHaveLength(1);
    await Promise.all(extended);
  }

  async function push(payload: object) {
    await dispatch('push', { data: { json: () => payload, text: () => JSON.stringify(payload) } });
    expect(shown).toHaveLength(1);
    return shown[0]!;
  }

  async function click(data: unknown, action = '') {
    const close = vi.fn();
    await dispatch('notificationclick', { notification: { data, close }, action });
    expect(close).toHaveBeenCalled();
  }

  return { self, push, click };
}

const reminder = (url = `${ORIGIN}/rooms/${MEETING}`) => ({
  title: 'Design review in 10 minutes',
  body: 'Starts at 10:00',
  url,
  meeting_id: MEETING,
  tag: `reminder-${MEETING}`,
});

describe('the service worker', () => {
  it('shows a pushed reminder with its title, body and tag, leading to the meeting, with a "Join call" action', async () => {
    const { title, options } = await startWorker().push(reminder());

    expect(title).toBe('Design review in 10 minutes');
    expect(options).toMatchObject({
      body: 'Starts at 10:00',
      tag: `reminder-${MEETING}`,
      data: { path: `/meetings/${MEETING}`, join: `/rooms/${MEETING}` },
    });
    expect(options.actions).toEqual([{ action: 'join', title: 'Join call' }]);
  });

  it('labels the join action in Russian when the browser speaks Russian', async () => {
    const { options } = await startWorker({ language: 'ru-RU' }).push(reminder());

    expect(options.actions).toEqual([{ action: 'join', title: 'Войти в звонок' }]);
  });

  it('offers no join action when the payload’s link is on another origin', async () => {
    const { options } = await startWorker().push(reminder(`https://elsewhere.example/rooms/${MEETING}`));

    expect(options.actions).toEqual([]);
    expect(options.data).toEqual({ path: `/meetings/${MEETING}`, join: null });
  });

  it('brings an open window of the app forward and tells it to show the meeting', async () => {
    const other = aWindow('https://elsewhere.example/');
    const app = aWindow(`${ORIGIN}/?view=week`);
    const worker = startWorker({ windows: [other, app] });
    const { options } = await worker.push(reminder());

    await worker.click(options.data);

    expect(app.focus).toHaveBeenCalled();
    expect(app.postMessage).toHaveBeenCalledWith({ type: 'veche:open', path: `/meetings/${MEETING}` });
    expect(other.focus).not.toHaveBeenCalled();
    expect(other.postMessage).not.toHaveBeenCalled();
    expect(worker.self.clients.openWindow).not.toHaveBeenCalled();
  });

  it('opens the meeting in a new window when no window of the app is open', async () => {
    const other = aWindow('https://elsewhere.example/');
    const worker = startWorker({ windows: [other] });
    const { options } = await worker.push(reminder());

    await worker.click(options.data);

    expect(worker.self.clients.openWindow).toHaveBeenCalledWith(`/meetings/${MEETING}`);
    expect(other.focus).not.toHaveBeenCalled();
  });

  it('opens the call’s room when "Join call" is clicked, even with the app open', async () => {
    const app = aWindow(`${ORIGIN}/`);
    const worker = startWorker({ windows: [app] });
    const { options } = await worker.push(reminder());

    await worker.click(options.data, 'join');

    expect(worker.self.clients.openWindow).toHaveBeenCalledWith(`/rooms/${MEETING}`);
    expect(app.postMessage).not.toHaveBeenCalled();
  });
});
