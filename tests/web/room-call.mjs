// Two people in one meeting's room through veche's own web page (api/web/room.html):
// each in a Chromium of their own with a fake camera, each must receive the other's video.
//
//   node room-call.mjs <base-url> <room-id> <token-a> <token-b>
import { expectLiveVideo, openBrowser, run } from './lib.mjs';

const [base, room, ...tokens] = process.argv.slice(2);
if (!base || !room || tokens.length !== 2) {
  console.error('usage: node room-call.mjs <base-url> <room-id> <token-a> <token-b>');
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
});
