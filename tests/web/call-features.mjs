// Three people in a call on the web app's call page, each in a Chromium of their own with a
// fake camera and microphone: Ann and Bob join from the pre-join check; Bob mutes (Ann hears
// his sound fall to nothing and sees him muted), Ann turns her camera off and on and changes
// her microphone (Bob still hears her), Bob
// shares his screen (Ann sees it as the large tile) and raises his hand; they write in the
// chat both ways (text stays text); Cara joins late and reads the chat, sees the shared
// screen and the raised hand, and reads the page in Russian; Bob leaves. Every page is
// checked by axe-core and photographed at desktop and phone width.
//
//   node call-features.mjs <base-url> <room-id> <screenshots dir> <token-ann> <token-bob> <token-cara>
import { accessible, expectLiveVideo, joinCall, lookAt, openBrowser, run, statusOf } from './lib.mjs';

const [base, room, shots, ...tokens] = process.argv.slice(2);
if (!base || !room || !shots || tokens.length !== 3) {
  console.error('usage: node call-features.mjs <base-url> <room-id> <screenshots dir> <token-ann> <token-bob> <token-cara>');
  process.exit(2);
}
const look = lookAt(shots);
const nameIn = (token) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).name;
const [annName, bobName] = tokens.map(nameIn);
const tile = (name) => `figure.remote[data-name=${JSON.stringify(name)}]`;

/// The audio energy `page` received from `name` over a second and a half (WebRTC stats).
async function loudness(page, name) {
  const energy = () => page.evaluate(async (who) => {
    const call = window.veche.call;
    const person = call.getSnapshot().participants.find((p) => p.name === who);
    let total = 0;
    (await call.mesh.peers.get(person.id).pc.getStats()).forEach((report) => {
      if (report.type === 'inbound-rtp' && report.kind === 'audio') total += report.totalAudioEnergy || 0;
    });
    return total;
  }, name);
  const before = await energy();
  await page.waitForTimeout(1500);
  return (await energy()) - before;
}

run(async () => {
  const [ann, bob, cara] = await Promise.all(['ann', 'bob', 'cara'].map(openBrowser));

  // The pre-join check: one's own camera, the microphone meter, the devices.
  await ann.goto(`${base}/rooms/${room}?access_token=${encodeURIComponent(tokens[0])}`);
  await ann.getByRole('button', { name: 'Join now' }).waitFor();
  await expectLiveVideo(ann, 'ann (preview)', 'video[aria-label="Your camera"]');
  await ann.waitForFunction(() => Number(document.querySelector('[role=meter]')?.getAttribute('aria-valuenow')) > 0);
  await look(ann, 'call-pre-join');
  await ann.getByRole('button', { name: 'Join now' }).click();
  await ann.waitForFunction(() => document.querySelector('[role=status]')?.dataset.phase === 'in-call');
  await joinCall(bob, base, room, tokens[1]);
  await expectLiveVideo(ann, 'ann', `${tile(bobName)} video`);
  await expectLiveVideo(bob, 'bob', `${tile(annName)} video`);
  console.log(`ann's page says: ${await statusOf(ann)}`);

  // Bob mutes with Ctrl+D: his sound at Ann's falls to nothing, and she sees him muted.
  const loud = await loudness(ann, bobName);
  await bob.keyboard.press('Control+d');
  await bob.getByRole('button', { name: 'Turn off microphone' }).and(bob.locator('[aria-pressed=true]')).waitFor();
  await ann.locator(`${tile(bobName)}[data-muted]`).waitFor();
  await ann.waitForTimeout(500);
  const quiet = await loudness(ann, bobName);
  console.log(`Bob's audio energy at Ann's over 1.5 s: ${loud.toExponential(2)} before muting, ${quiet.toExponential(2)} after`);
  if (!(loud > 0 && quiet < loud / 20)) throw new Error(`muting did not silence Bob: ${loud} then ${quiet}`);

  // Ann turns her camera off (Bob sees her initials) and on again (her video again).
  await ann.keyboard.press('Control+e');
  await bob.locator(`${tile(annName)}[data-camera-off]`).waitFor();
  await ann.keyboard.press('Control+e');
  await bob.locator(`${tile(annName)}:not([data-camera-off])`).waitFor();
  await expectLiveVideo(bob, 'bob (ann back on camera)', `${tile(annName)} video`);

  // Ann changes her microphone mid-call: Bob goes on hearing her, from the new one.
  await ann.getByRole('button', { name: 'Devices' }).click();
  const microphones = ann.getByRole('combobox', { name: 'Microphone' });
  const other = await microphones.locator('option').nth(2).getAttribute('value');
  await microphones.selectOption(other);
  await ann.waitForFunction((id) => window.veche.call.local.getAudioTracks()[0]?.getSettings().deviceId === id, other);
  const heard = await loudness(bob, annName);
  console.log(`after Ann changed her microphone Bob hears her with energy ${heard.toExponential(2)}`);
  if (!(heard > 0)) throw new Error('Bob hears nothing of Ann after she changed her microphone');
  await look(ann, 'call-devices');

  // Bob shares his screen: Ann sees it large; Bob raises his hand.
  await bob.getByRole('button', { name: 'Share your screen' }).click();
  await ann.locator(`${tile(bobName)}[data-large][data-sharing]`).waitFor();
  await expectLiveVideo(ann, 'ann (bob sharing)', `${tile(bobName)}[data-large] video`);
  await bob.getByRole('button', { name: 'Raise hand' }).click();
  await ann.locator(`${tile(bobName)}[data-hand]`).waitFor();

  // The chat, both ways; what looks like HTML stays text.
  await ann.getByRole('button', { name: 'Chat' }).click();
  await ann.getByRole('textbox', { name: 'Message' }).fill('Hello <b>Bob</b>, see the plan?');
  await ann.keyboard.press('Enter');
  await bob.getByText(`${annName}: Hello <b>Bob</b>, see the plan?`).waitFor();
  await bob.getByRole('button', { name: 'Chat' }).click();
  await bob.getByRole('textbox', { name: 'Message' }).fill('Yes, on my screen');
  await bob.getByRole('button', { name: 'Send' }).click();
  await ann.getByText('Yes, on my screen').waitFor();
  if (await ann.locator('b', { hasText: 'Bob' }).count()) throw new Error('a chat message was rendered as HTML');
  await look(ann, 'call-sharing-chat');

  // Cara comes late: the chat so far, the shared screen large, the raised hand.
  await cara.goto(`${base}/rooms/${room}?access_token=${encodeURIComponent(tokens[2])}`);
  await cara.getByLabel('Language').selectOption('ru');
  await cara.getByRole('button', { name: 'Присоединиться' }).click();
  await cara.waitForFunction(() => document.querySelector('[role=status]')?.dataset.phase === 'in-call');
  await cara.locator(`${tile(bobName)}[data-large][data-hand]`).waitFor();
  await cara.getByRole('button', { name: 'Чат' }).click();
  await cara.getByText('Hello <b>Bob</b>, see the plan?').waitFor();
  await cara.getByText('Yes, on my screen').waitFor();
  await cara.getByRole('button', { name: 'Участники' }).click();
  await cara.getByRole('heading', { name: '3 участника' }).waitFor();
  console.log(`cara's page says: ${await statusOf(cara)}`);
  await look(cara, 'call-participants-ru');

  // Bob leaves: the others no longer show him; his page says so and offers to come back.
  await bob.getByRole('button', { name: 'Leave call' }).click();
  await bob.getByRole('heading', { name: 'You left the call.' }).waitFor();
  await accessible(bob, 'call-left');
  await ann.waitForFunction((selector) => !document.querySelector(selector), tile(bobName));
  console.log(`after Bob left ann's page says: ${await statusOf(ann)}`);
});
