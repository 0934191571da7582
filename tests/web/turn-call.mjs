// Two people whose browsers cannot reach each other (each in a network namespace of its
// own, both reaching only the host, where veche and coturn run) hold a call: it comes up
// through a TURN relay (the selected candidate pair has a relay candidate), the page asks
// for fresh credentials halfway through their life, and once the first ones have expired
// an ICE restart allocates a new relay with the fresh ones and the call goes on.
//
//   node turn-call.mjs <base-a> <base-b> <room> <token-a> <token-b> <chromium-a> <chromium-b> <ttl-s>
import { expectLiveVideo, joinCall, openBrowser, run } from './lib.mjs';

const [baseA, baseB, room, tokenA, tokenB, chromiumA, chromiumB, ttl] = process.argv.slice(2);
if (!ttl) {
  console.error('usage: node turn-call.mjs <base-a> <base-b> <room> <token-a> <token-b> <chromium-a> <chromium-b> <ttl-s>');
  process.exit(2);
}

/// The selected candidate pair of the page's connection to the other: each side's type and id.
async function selectedPair(page) {
  return page.evaluate(async () => {
    const [[, pc]] = window.veche.call.mesh.connections();
    const reports = new Map();
    (await pc.getStats()).forEach((report) => reports.set(report.id, report));
    const transport = [...reports.values()].find((report) => report.type === 'transport');
    const pair = reports.get(transport?.selectedCandidatePairId);
    if (!pair) return null;
    const [local, remote] = [reports.get(pair.localCandidateId), reports.get(pair.remoteCandidateId)];
    const relay = [local, remote].find((candidate) => candidate.candidateType === 'relay');
    return { id: pair.id, local: local.candidateType, remote: remote.candidateType, relay: relay && `${relay.address}:${relay.port}` };
  });
}

async function expectRelayed(page, label) {
  await page.waitForFunction(async () => {
    const [[, pc]] = window.veche.call.mesh.connections();
    let found = false;
    (await pc.getStats()).forEach((report) => { if (report.type === 'transport' && report.selectedCandidatePairId) found = true; });
    return found;
  });
  const pair = await selectedPair(page);
  console.log(`${label}: selected pair ${pair.local} ↔ ${pair.remote}, through the relay at ${pair.relay}`);
  if (!pair.relay) throw new Error(`${label}: the call is not relayed: ${JSON.stringify(pair)}`);
  return pair;
}

run(async () => {
  const secure = (base) => [`--unsafely-treat-insecure-origin-as-secure=${base}`];
  const ann = await openBrowser('ann', { executablePath: chromiumA, args: secure(baseA) });
  const bob = await openBrowser('bob', { executablePath: chromiumB, args: secure(baseB) });
  let asked = 0;
  ann.on('request', (request) => { if (request.url().includes('/ice-servers')) asked += 1; });
  const started = Date.now();
  await joinCall(ann, baseA, room, tokenA);
  await joinCall(bob, baseB, room, tokenB);
  await expectLiveVideo(ann, 'ann', 'figure.remote video');
  await expectLiveVideo(bob, 'bob', 'figure.remote video');
  const first = await expectRelayed(ann, 'ann');
  await expectRelayed(bob, 'bob');

  // Fresh credentials halfway through the first ones' life.
  for (let waited = 0; asked < 2 && waited < Number(ttl) * 1000; waited += 250) await ann.waitForTimeout(250);
  if (asked < 2) throw new Error(`the page asked for ICE servers ${asked} time(s) in ${ttl} s`);
  console.log(`the page asked for ICE servers again after ${((Date.now() - started) / 1000).toFixed(1)} s`);

  // Past the first credentials' expiry: a new allocation needs the fresh ones.
  const expired = started + Number(ttl) * 1000 + 2000 - Date.now();
  if (expired > 0) await ann.waitForTimeout(expired);
  await ann.evaluate(() => window.veche.call.mesh.connections()[0][1].restartIce());
  await ann.waitForFunction(async (old) => {
    const [[, pc]] = window.veche.call.mesh.connections();
    let now = null;
    const reports = new Map();
    (await pc.getStats()).forEach((report) => reports.set(report.id, report));
    const transport = [...reports.values()].find((report) => report.type === 'transport');
    const pair = reports.get(transport?.selectedCandidatePairId);
    if (pair?.state === 'succeeded') now = pair.id;
    return now && now !== old;
  }, first.id);
  await expectRelayed(ann, 'ann after the ICE restart');
  await expectLiveVideo(ann, 'ann after the ICE restart', 'figure.remote video');
  await expectLiveVideo(bob, 'bob after the ICE restart', 'figure.remote video');
});
