// Two people in one meeting's room through veche's own web page (api/web/room.html):
// each in a Chromium of their own with a fake camera, each must receive the other's video.
// With a meeting id, the first person (its organizer) then cancels the meeting, and both
// pages must say that the room is closed and stop the call.
//
//   node room-call.mjs <base-url> <room-id> <token-a> <token-b> [<meeting-id>]
import { expectLiveVideo, openBrowser, run } from './lib.mjs';

const [base, room, tokenA, tokenB, meetingToCancel] = process.argv.slice(2);
const tokens = [tokenA, tokenB];
if (!base || !room || !tokenA || !tokenB) {
  console.error('usage: node room-call.mjs <base-url> <room-id> <token-a> <token-b> [<meeting-id>]');
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
  for (const [i, person] of people.entries()) {
    await pages[i].goto(`${base}/rooms/${room}?access_token=${encodeURIComponent(person.token)}`);
    await pages[i].waitForFunction(() => document.getElementById('status').textContent.startsWith('In the room'));
  }
  await Promise.all(people.map((person, i) => {
    const other = people[1 - i].name;
    return expectLiveVideo(pages[i], person.name, `figure.remote[data-name=${JSON.stringify(other)}] video`);
  }));
  // The token came in the link: the page took it out of its address.
  for (const page of pages) {
    if (page.url().includes('access_token')) throw new Error(`the token stayed in the address: ${page.url()}`);
  }
  if (meetingToCancel) await cancelAndExpectClosedRooms(pages, meetingToCancel, tokenA);
});

async function cancelAndExpectClosedRooms(pages, meeting, organizerToken) {
  const response = await fetch(`${base}/api/meetings/${meeting}/cancel`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${organizerToken}` },
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`cancelling failed: ${response.status} ${await response.text()}`);
  await Promise.all(pages.map(async (page) => {
    await page.waitForFunction(() => document.getElementById('notice').textContent.includes('room is closed')
      && document.querySelectorAll('figure.remote').length === 0);
    // and it stays so: a closed room is not a dropped connection to come back to.
    await page.waitForTimeout(2_000);
    const status = await page.textContent('#status');
    if (status !== 'Not connected.') throw new Error(`after the room closed the page says: ${status}`);
    console.log(`the page says: ${await page.textContent('#notice')} ${status}`);
  }));
}
