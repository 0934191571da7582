// The original plan's frontend, served from an origin of its own, runs its call flow against
// veche unchanged but for the servers' address: socket.io-client for the room, the PeerJS
// client for the media, in two Chromiums with fake cameras; each must see the other's video.
//
//   node plan-call.mjs <veche base URL> <the page's port> <room id> <room pass a> <room pass b>
import { expectLiveVideo, openBrowser, run, serveFiles } from './lib.mjs';

const [base, pagePort, room, ...passes] = process.argv.slice(2);

const FILES = {
  '/plan-call.html': ['fixtures/plan-call.html', 'text/html; charset=utf-8'],
  '/peerjs.min.js': ['node_modules/peerjs/dist/peerjs.min.js', 'text/javascript'],
  '/socket.io.min.js': ['node_modules/socket.io-client/dist/socket.io.min.js', 'text/javascript'],
};

run(async () => {
  const origin = await serveFiles(FILES, Number(pagePort));
  const veche = new URL(base);
  const pageUrl = (pass) => `${origin}/plan-call.html?${new URLSearchParams({ host: veche.hostname, port: veche.port, room, token: pass })}`;
  const [first, second] = await Promise.all([openBrowser('plan-a'), openBrowser('plan-b')]);
  await first.goto(pageUrl(passes[0]));
  await first.waitForFunction(() => document.getElementById('status').textContent.startsWith('joined as'));
  await second.goto(pageUrl(passes[1]));
  await Promise.all([
    expectLiveVideo(first, 'plan-a (in the room first)', '#remote'),
    expectLiveVideo(second, 'plan-b (joined second)', '#remote'),
  ]);
});
