// Two people use veche's web app in two browsers (Debian's Chromium), as the README
// promises: Ann signs in with her organisation's provider, Bob with an emailed link; Ann
// schedules a meeting with Bob (and a range selected in the week opens the editor there),
// Bob sees it appear and accepts, Ann drags it to another
// day, Bob sees it move, Ann cancels it with a reason, the history tells all of it, a
// reminder pushed to Bob's service worker shows as a notification, and the app speaks
// Russian on request. Every page is checked by axe-core (no serious or critical
// violation) and photographed at desktop and phone width.
//
//   node app-story.mjs <veche base URL> <Bob's Maildir> <screenshots dir> <Monday YYYY-MM-DD>
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DESKTOP, lookAt, openBrowser, run, WAIT_MS } from './lib.mjs';

const [base, maildir, shots, monday] = process.argv.slice(2);
const look = lookAt(shots);

/// Nothing leaves this machine: the provider's login page asks for a web font from Google.
async function loopbackOnly(page) {
  await page.route('**/*', (route) => {
    const host = new URL(route.request().url()).hostname;
    return host === '127.0.0.1' || host === 'localhost' ? route.continue() : route.abort();
  });
}

/// The sign-in link of the newest message in the Maildir (quoted-printable undone).
async function signInLink() {
  for (let waited = 0; waited < WAIT_MS; waited += 250) {
    const dir = join(maildir, 'new');
    const files = (() => { try { return readdirSync(dir); } catch { return []; } })();
    for (const file of files) {
      const text = readFileSync(join(dir, file), 'utf8').replace(/=\r?\n/g, '').replace(/=3D/g, '=');
      const link = text.match(/https?:\/\/[^\s"<>]*\/auth\/email\?token=[A-Za-z0-9_-]+/);
      if (link) return link[0];
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error('no sign-in link arrived');
}

async function weekOf(page) {
  await page.goto(`${base}/?view=week&date=${monday}`);
  await page.getByRole('button', { name: 'New meeting' }).first().waitFor();
}

/// The meeting's block in the calendar.
const meetingIn = (page, title) => page.locator('.rbc-event', { hasText: title }).first();

/// The meeting as the API has it, asked with the page's own session.
async function meetingSeenBy(page, id) {
  return page.evaluate(async (id) => (await fetch(`/api/meetings/${id}`)).json(), id);
}

run(async () => {
  // Ann signs in with her organisation's provider.
  const ann = await openBrowser('ann');
  await loopbackOnly(ann);
  await ann.setViewportSize(DESKTOP);
  await ann.goto(base);
  await ann.getByRole('heading', { name: 'Sign in to veche' }).waitFor();
  await look(ann, 'sign-in');
  await ann.getByRole('link', { name: 'Sign in with Test ID' }).click();
  await ann.locator('input[name=login]').fill('ann');
  await ann.locator('input[name=password]').fill('any');
  await ann.locator('button[type=submit]').click();
  await ann.getByRole('button', { name: 'Continue' }).click();
  await ann.getByRole('button', { name: 'New meeting' }).first().waitFor();
  console.log('Ann signed in with the provider');

  // Bob signs in with a link sent to his address.
  const bob = await openBrowser('bob');
  await loopbackOnly(bob);
  await bob.setViewportSize(DESKTOP);
  await bob.goto(base);
  await bob.getByLabel('Email address').fill('bob@example.org');
  await bob.getByRole('button', { name: 'Send me a sign-in link' }).click();
  await bob.getByRole('heading', { name: 'Check your mail' }).waitFor();
  await look(bob, 'sign-in-check-mail');
  await bob.goto(await signInLink());
  await bob.getByRole('button', { name: /Sign in/ }).click();
  await bob.getByRole('button', { name: 'New meeting' }).first().waitFor();
  console.log('Bob signed in with the emailed link');
  await weekOf(bob);
  await weekOf(ann);
  await look(ann, 'calendar-week-empty');

  // Ann schedules a meeting with Bob on Tuesday 10:00–11:00.
  await ann.getByRole('button', { name: 'New meeting' }).first().click();
  const editor = ann.getByRole('dialog');
  await editor.getByLabel('Title').fill('Quarterly planning');
  const tuesday = new Date(`${monday}T00:00:00Z`);
  tuesday.setUTCDate(tuesday.getUTCDate() + 1);
  const day = tuesday.toISOString().slice(0, 10);
  await editor.getByLabel('Starts').fill(`${day}T10:00`);
  await editor.getByLabel('Ends').fill(`${day}T11:00`);
  await editor.getByLabel('Guests').fill('bob@example.org');
  await editor.getByLabel('Guests').press('Enter');
  await editor.getByLabel('Description').fill('Goals for the next quarter.');
  await look(ann, 'editor');
  await editor.getByRole('button', { name: 'Save' }).click();
  await ann.getByText(/Meeting scheduled/).first().waitFor();
  await meetingIn(ann, 'Quarterly planning').waitFor();
  console.log('Ann scheduled the meeting');

  // Selecting a time range starts a meeting there: Wednesday, 14:00–15:00.
  const slots = ann.locator('.rbc-time-content .rbc-day-slot');
  const spans = await slots.evaluateAll((all) => all.map((c) => c.getBoundingClientRect().left));
  const tuesdayBlock = await meetingIn(ann, 'Quarterly planning').boundingBox();
  const wednesday = await slots.nth(spans.filter((left) => left <= tuesdayBlock.x).length).boundingBox();
  const hour = (await slots.first().locator('.rbc-timeslot-group').first().boundingBox()).height;
  // The column is the whole day, from midnight; its box already moved with the scrolling.
  const top = wednesday.y + 14 * hour;
  await ann.mouse.move(wednesday.x + 20, top + 2);
  await ann.mouse.down();
  await ann.mouse.move(wednesday.x + 20, top + hour / 2, { steps: 4 });
  await ann.mouse.move(wednesday.x + 20, top + hour - 2, { steps: 4 });
  await ann.mouse.up();
  const selected = ann.getByRole('dialog');
  const startsAt = await selected.getByLabel('Starts').inputValue();
  const endsAt = await selected.getByLabel('Ends').inputValue();
  const wednesdayDate = new Date(`${day}T00:00:00Z`);
  wednesdayDate.setUTCDate(wednesdayDate.getUTCDate() + 1);
  const expectedDay = wednesdayDate.toISOString().slice(0, 10);
  if (startsAt !== `${expectedDay}T14:00` || endsAt !== `${expectedDay}T15:00`) {
    throw new Error(`selecting Wednesday 14:00–15:00 opened the editor at ${startsAt} – ${endsAt}`);
  }
  await selected.getByRole('button', { name: 'Cancel' }).click();
  console.log('selecting a time range opens the editor at that time');

  // Bob sees it without reloading, opens it and accepts.
  await meetingIn(bob, 'Quarterly planning').waitFor();
  console.log('Bob sees the meeting appear live');
  await meetingIn(bob, 'Quarterly planning').click();
  await bob.getByRole('button', { name: 'Yes', exact: true }).click();
  await bob.getByText('You are going').waitFor();
  const id = bob.url().match(/meetings\/([0-9a-f-]+)/)[1];
  await look(bob, 'meeting-panel');
  await bob.goto(`${base}/?view=week&date=${monday}`);
  await meetingIn(bob, 'Quarterly planning').waitFor();

  // Ann sees the answer, then drags the meeting from Tuesday to Thursday.
  await meetingIn(ann, 'Quarterly planning').click();
  await ann.getByText('Accepted').first().waitFor();
  await ann.keyboard.press('Escape');
  await look(ann, 'calendar-week');
  const block = await meetingIn(ann, 'Quarterly planning').boundingBox();
  const columns = ann.locator('.rbc-time-content .rbc-day-slot');
  // The week starts on the locale's day: find Tuesday's column by where the block is.
  const boxes = await columns.evaluateAll((all) => all.map((c) => { const r = c.getBoundingClientRect(); return [r.left, r.right]; }));
  const from = boxes.findIndex(([left, right]) => block.x >= left && block.x < right);
  const thursday = await columns.nth(from + 2).boundingBox();
  const tuesdayColumn = await columns.nth(from).boundingBox();
  const grab = { x: block.x + block.width / 2, y: block.y + 8 };
  await ann.mouse.move(grab.x, grab.y);
  await ann.mouse.down();
  await ann.mouse.move(grab.x + 10, grab.y, { steps: 3 });
  await ann.mouse.move(grab.x + (thursday.x - tuesdayColumn.x), grab.y, { steps: 10 });
  await ann.mouse.up();
  await ann.getByText('Meeting moved').first().waitFor();
  const moved = await meetingSeenBy(bob, id);
  const startsOn = new Date(moved.starts_at).toISOString().slice(0, 10);
  const expected = new Date(`${day}T00:00:00Z`);
  expected.setUTCDate(expected.getUTCDate() + 2);
  if (startsOn !== expected.toISOString().slice(0, 10)) throw new Error(`the meeting moved to ${startsOn}`);
  console.log(`Ann dragged the meeting to ${startsOn}`);
  // Bob's calendar follows: his block is now in Thursday's column.
  await bob.waitForFunction(([title, column]) => {
    const columns = [...document.querySelectorAll('.rbc-time-content .rbc-day-slot')];
    return columns[column] && [...columns[column].querySelectorAll('.rbc-event')].some((e) => e.textContent.includes(title));
  }, ['Quarterly planning', from + 2]);
  console.log('Bob sees it move live');

  // Ann cancels it with a reason; Bob's calendar shows it cancelled.
  await meetingIn(ann, 'Quarterly planning').click();
  await ann.getByRole('button', { name: 'Cancel meeting' }).first().click();
  const confirm = ann.getByRole('dialog', { name: 'Cancel the meeting?' });
  await confirm.getByLabel(/Reason/).fill('We meet at the offsite instead.');
  await look(ann, 'cancel-dialog');
  await confirm.getByRole('button', { name: 'Cancel meeting' }).click();
  await ann.getByText(/Meeting cancelled/).first().waitFor();
  for (let waited = 0; (await meetingSeenBy(bob, id)).status !== 'cancelled'; waited += 200) {
    if (waited > WAIT_MS) throw new Error('Bob never saw the meeting cancelled');
    await bob.waitForTimeout(200);
  }
  console.log('Ann cancelled the meeting');

  // The history reads as what happened.
  await ann.goto(`${base}/meetings/${id}?view=week&date=${monday}`);
  await ann.getByRole('tab', { name: 'History' }).click();
  for (const line of ['Ann Lee scheduled the meeting', 'accepted', 'moved it to', 'Ann Lee cancelled the meeting', 'We meet at the offsite instead.']) {
    await ann.getByRole('tabpanel').getByText(line, { exact: false }).first().waitFor();
  }
  await look(ann, 'meeting-history');
  console.log('the history tells the story');

  // A reminder pushed to Bob's browser shows as a notification of the meeting.
  await bob.context().grantPermissions(['notifications'], { origin: base });
  const cdp = await bob.context().newCDPSession(bob);
  const registered = new Promise((resolve) => {
    cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
      const ours = registrations.find((r) => r.scopeURL.startsWith(base) && !r.isDeleted);
      if (ours) resolve(ours.registrationId);
    });
  });
  await cdp.send('ServiceWorker.enable');
  await bob.evaluate(() => navigator.serviceWorker.ready);
  const registrationId = await registered;
  const reminder = { title: 'Reminder: Quarterly planning', body: 'starts in 10 min', meeting_id: id, url: `${base}/rooms/x`, tag: `reminder-${id}` };
  await cdp.send('ServiceWorker.deliverPushMessage', { origin: base, registrationId, data: JSON.stringify(reminder) });
  let notification = null;
  for (let waited = 0; !notification && waited < WAIT_MS; waited += 200) {
    notification = await bob.evaluate(async () => {
      const registration = await navigator.serviceWorker.ready;
      const [shown] = await registration.getNotifications();
      return shown ? { title: shown.title, path: shown.data && shown.data.path } : null;
    });
    if (!notification) await bob.waitForTimeout(200);
  }
  if (!notification) throw new Error('the pushed reminder showed no notification');
  if (notification.title !== reminder.title || notification.path !== `/meetings/${id}`) {
    throw new Error(`unexpected notification ${JSON.stringify(notification)}`);
  }
  console.log('the pushed reminder shows as a notification that opens the meeting');

  // The app in Russian.
  await ann.goto(`${base}/?view=month&date=${monday}`);
  await ann.getByLabel('Language').selectOption('ru');
  await ann.getByRole('button', { name: 'Новая встреча' }).first().waitFor();
  await look(ann, 'calendar-month-ru');
  await ann.goto(`${base}/?view=agenda&date=${monday}`);
  await look(ann, 'calendar-agenda-ru');
  await ann.goto(`${base}/?view=day&date=${monday}`);
  await look(ann, 'calendar-day-ru');
  await ann.goto(`${base}/no/such/page`);
  await ann.getByRole('link', { name: 'Вернуться к календарю' }).waitFor();
  await look(ann, 'not-found-ru');
  console.log('the app speaks Russian');
});
