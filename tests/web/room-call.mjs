// Two people in one meeting's call through the web app's call page (`/rooms/{id}`): each in
// a Chromium of their own with a fake camera joins from the pre-join check, and each must
// receive the other's video.
// Then, if asked:
// - `reconnect`: the second person's signaling connection drops; the page must come back
//   with the same peer id (resuming its place) and the call must carry video again;
// - `cancel:<meeting-id>`: the first person (the organizer) cancels the meeting; both pages
//   must say that the room is closed, end the call, and not try to reconnect.
//
//   node room-call.mjs <base-url> <room-id> <token-a> <token-b> [reconnect | cancel:<meeting-id>]
import { expectLiveVideo, joinCall, openBrowser, run, statusOf } from './lib.mjs';

const [base, room, tokenA, tokenB, then = ''] = process.argv.slice(2);
const tokens = [tokenA, tokenB];
if (!base || !room || !tokenA || !tokenB || !/^(|reconnect|cancel:.+)$/.test(then)) {
  console.error('usage: node room-call.mjs <base-url> <room-id> <token-a> <token-b> [reconnect | cancel:<meeting-id>]');
  process.exit(2);
}

/// The display name a token carries (its `name` claim), which the other's tile shows.
function nameIn(token) {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).name;
}

run(async () => {
  const people = tokens.map((token) => ({ token, name: nameIn(token) }));
  const pages = await Promise.all(people.map((person) => openBrowser(person.name)));
  // One after the other, so that the second is the newcomer who offers to the first.
  for (const [i, person] of people.entries()) await joinCall(pages[i], base, room, person.token);
  await expectEachSeesTheOther(pages, people);
  // The token came in the link: the page took it out of its address.
  for (const page of pages) {
    if (page.url().includes('access_token')) throw new Error(`the token stayed in the address: ${page.url()}`);
  }
  if (then === 'reconnect') await dropAndExpectResumedCall(pages, people);
  if (then.startsWith('cancel:')) await cancelAndExpectClosedRooms(pages, then.slice('cancel:'.length), tokenA);
});

/// The remote tile of `name`.
const tileOf = (name) => `figure.remote[data-name=${JSON.stringify(name)}]`;

async function expectEachSeesTheOther(pages, people) {
  await Promise.all(people.map((person, i) => expectLiveVideo(pages[i], person.name, `${tileOf(people[1 - i].name)} video`)));
}

async function dropAndExpectResumedCall(pages, people) {
  const peerIdOf = (page) => page.evaluate((key) => sessionStorage.getItem(key), `veche-peer:${room}`);
  const peerBefore = await peerIdOf(pages[1]);
  // Mark the streams shown now, so that only those of the renewed connections count after.
  const mark = (page) => page.evaluate(() => document.querySelectorAll('figure.remote video').forEach((v) => { if (v.srcObject) v.srcObject.before = true; }));
  await Promise.all(pages.map(mark));
  // Close the page's WebSocket as a network drop would (any code but the final ones): the
  // page says it is reconnecting, then is back in the call.
  await pages[1].evaluate(() => window.veche.call.dropConnection());
  await pages[1].waitForFunction(() => document.querySelector('[role=status]')?.dataset.phase === 'reconnecting');
  console.log(`while reconnecting the page says: ${await statusOf(pages[1])}`);
  await pages[1].waitForFunction(() => document.querySelector('[role=status]')?.dataset.phase === 'in-call');
  await Promise.all(pages.map((page) => page.waitForFunction(
    () => [...document.querySelectorAll('figure.remote video')].some((v) => v.srcObject && !v.srcObject.before),
  )));
  const peerAfter = await peerIdOf(pages[1]);
  if (peerAfter !== peerBefore) throw new Error(`the page came back as ${peerAfter}, not as ${peerBefore}`);
  await expectEachSeesTheOther(pages, people);
  for (const [i, page] of pages.entries()) {
    const tiles = await page.locator('figure.remote').count();
    if (tiles !== 1) throw new Error(`${people[i].name} shows ${tiles} remote tiles after the reconnect`);
  }
}

async function cancelAndExpectClosedRooms(pages, meeting, organizerToken) {
  const response = await fetch(`${base}/api/meetings/${meeting}/cancel`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${organizerToken}` },
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`cancelling failed: ${response.status} ${await response.text()}`);
  await Promise.all(pages.map(async (page) => {
    await page.waitForFunction(() => document.querySelector('[role=alert] h1')?.textContent.includes('room is closed')
      && document.querySelectorAll('figure.remote').length === 0);
    // and it stays so: a closed room is not a dropped connection to come back to.
    await page.waitForTimeout(2_000);
    if (await page.locator('[role=status]').count()) throw new Error(`after the room closed the page says: ${await statusOf(page)}`);
    console.log(`the page says: ${await page.textContent('[role=alert] h1')}`);
  }));
}
