/*
 * veche's service worker: shows the reminders and invitations the server pushes, and
 * brings the app to the meeting when one is clicked.
 *
 * The server's payload (infrastructure/src/notify/delivery.rs, PushMessage):
 *   { "title": "...", "body": "...", "url": "<the meeting's room>", "meeting_id": "<uuid>", "tag": "reminder-<id>" }
 * Title and body are already in the person's language.
 */

self.addEventListener('install', () => {
  self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim());
});

const JOIN_LABEL = { ru: 'Войти в звонок', en: 'Join call' };

function joinLabel() {
  const language = (self.navigator && self.navigator.language) || 'en';
  return language.toLowerCase().startsWith('ru') ? JOIN_LABEL.ru : JOIN_LABEL.en;
}

function sameOriginPath(url) {
  try {
    const parsed = new URL(url, self.location.origin);
    return parsed.origin === self.location.origin ? parsed.pathname + parsed.search : null;
  } catch {
    return null;
  }
}

self.addEventListener('push', (event) => {
  let message = {};
  if (event.data) {
    try {
      message = event.data.json();
    } catch {
      message = { body: event.data.text() };
    }
  }
  const meetingId = typeof message.meeting_id === 'string' ? message.meeting_id : null;
  const join = typeof message.url === 'string' ? sameOriginPath(message.url) : null;
  const options = {
    body: message.body || '',
    tag: message.tag || undefined,
    renotify: Boolean(message.tag),
    icon: '/favicon.svg',
    badge: '/favicon.svg',
    data: { path: meetingId ? `/meetings/${meetingId}` : '/', join },
    actions: join ? [{ action: 'join', title: joinLabel() }] : [],
  };
  event.waitUntil(self.registration.showNotification(message.title || 'veche', options));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const data = event.notification.data || {};
  const joining = event.action === 'join' && data.join;
  const path = joining ? data.join : data.path || '/';
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      const open = windows.find((client) => new URL(client.url).origin === self.location.origin);
      if (open && !joining) {
        // The app is open: bring it forward and let it show the meeting without a reload.
        await open.focus();
        open.postMessage({ type: 'veche:open', path });
        return;
      }
      await self.clients.openWindow(path);
    })(),
  );
});
