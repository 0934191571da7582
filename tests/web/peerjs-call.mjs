// Two PeerJS clients (the `peerjs` npm package's browser bundle, unchanged) call each other
// through veche's PeerJS-compatible endpoint, each in a Chromium of its own with a fake
// camera; each must receive the other's video. The page is served from a loopback port of
// our own, as a frontend would be served from its own origin.
//
//   node peerjs-call.mjs <veche-base-url> <room-pass-a> <room-pass-b>
import { expectLiveVideo, openBrowser, run, serveFiles } from './lib.mjs';

const [base, ...passes] = process.argv.slice(2);
if (!base || passes.length !== 2) {
  console.error('usage: node peerjs-call.mjs <veche-base-url> <room-pass-a> <room-pass-b>');
  process.exit(2);
}

/// The only files the page needs, by the paths it asks for.
const FILES = {
  '/peerjs-call.html': ['fixtures/peerjs-call.html', 'text/html; charset=utf-8'],
  '/peerjs.min.js': ['node_modules/peerjs/dist/peerjs.min.js', 'text/javascript'],
};

run(async () => {
  const origin = await serveFiles(FILES, 0);
  const veche = new URL(base);
  const pageUrl = (pass, id, callee) => {
    const query = new URLSearchParams({ host: veche.hostname, port: veche.port, key: pass, id });
    if (callee) query.set('call', callee);
    return `${origin}/peerjs-call.html?${query}`;
  };
  const [callee, caller] = await Promise.all([openBrowser('peerjs-b'), openBrowser('peerjs-a')]);
  // The callee must be connected before it can be called.
  await callee.goto(pageUrl(passes[1], 'bob-cam'));
  await callee.waitForFunction(() => document.getElementById('status').textContent === 'open as bob-cam');
  await caller.goto(pageUrl(passes[0], 'ann-cam', 'bob-cam'));
  await Promise.all([
    expectLiveVideo(caller, 'peerjs-a (caller)', '#remote'),
    expectLiveVideo(callee, 'peerjs-b (callee)', '#remote'),
  ]);
});
