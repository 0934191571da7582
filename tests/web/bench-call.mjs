// The call benchmark's browser side: from clicking Join to seeing the others' video, on the
// web app's call page and on the PeerJS client page (`fixtures/peerjs-call.html`, against
// veche's PeerJS endpoint), one to one and into a mesh of four, `runs` joins each; then the
// CPU each of four browsers spends in a four-person call over ten seconds, on each page.
// Prints one JSON line of figures (milliseconds; CPU as ms per second).
//
//   node bench-call.mjs <veche-base-url> <room> <runs> <token x4> <room pass x4>
import { joinCall, openBrowser, run, serveFiles } from './lib.mjs';

const [base, room, runsArg, ...credentials] = process.argv.slice(2);
const [tokens, passes] = [credentials.slice(0, 4), credentials.slice(4, 8)];
if (passes.length !== 4) {
  console.error('usage: node bench-call.mjs <veche-base-url> <room> <runs> <token x4> <room pass x4>');
  process.exit(2);
}
const runs = Number(runsArg);
const CPU_WINDOW_MS = 10_000;

/// Until `count` remote videos show frames.
const framesFrom = (page, count) =>
  page.waitForFunction((n) => [...document.querySelectorAll('video.remote, figure.remote video')].filter((v) => v.videoWidth > 0).length >= n, count, { polling: 'raf' });

/// CPU seconds of every process of the page's browser (the DevTools protocol's view).
async function cpuSeconds(page) {
  const session = await page.context().browser().newBrowserCDPSession();
  const { processInfo } = await session.send('SystemInfo.getProcessInfo');
  await session.detach();
  return processInfo.reduce((sum, process) => sum + process.cpuTime, 0);
}

/// Each browser's CPU over the window, in ms per second.
async function cpuOver(pages) {
  const before = await Promise.all(pages.map(cpuSeconds));
  await new Promise((resolve) => setTimeout(resolve, CPU_WINDOW_MS));
  const after = await Promise.all(pages.map(cpuSeconds));
  return after.map((seconds, i) => ((seconds - before[i]) * 1000) / (CPU_WINDOW_MS / 1000));
}

async function vecheJoins(page, token, others) {
  const times = [];
  for (let i = 0; i < runs; i += 1) {
    await page.goto(`${base}/rooms/${room}?access_token=${encodeURIComponent(token)}`);
    await page.waitForFunction(() => [...document.querySelectorAll('button')].some((b) => b.textContent === 'Join now' && !b.disabled));
    const started = Date.now();
    await page.getByRole('button', { name: 'Join now' }).click();
    await framesFrom(page, others);
    times.push(Date.now() - started);
    await page.getByRole('button', { name: 'Leave call' }).click();
    await page.getByRole('heading', { name: 'You left the call.' }).waitFor();
  }
  return times;
}

async function peerjsJoins(page, url, others) {
  const times = [];
  for (let i = 0; i < runs; i += 1) {
    await page.goto(url(`joiner-${i}`, true));
    await page.waitForFunction(() => document.getElementById('status').textContent === 'ready');
    const started = Date.now();
    await page.evaluate(() => window.join());
    await framesFrom(page, others);
    times.push(Date.now() - started);
    await page.goto('about:blank');
  }
  return times;
}

run(async () => {
  const pages = [];
  for (const label of ['a', 'b', 'c', 'd']) pages.push(await openBrowser(label));
  const [a, b, c, d] = pages;
  const figures = { runs, veche: {}, peerjs: {} };

  await joinCall(a, base, room, tokens[0]);
  figures.veche.one = await vecheJoins(b, tokens[1], 1);
  await joinCall(b, base, room, tokens[1]);
  await joinCall(c, base, room, tokens[2]);
  figures.veche.mesh = await vecheJoins(d, tokens[3], 3);
  await joinCall(d, base, room, tokens[3]);
  await Promise.all(pages.map((page) => framesFrom(page, 3)));
  figures.veche.cpu = await cpuOver(pages);
  for (const page of pages) await page.goto('about:blank');

  const origin = await serveFiles({
    '/peerjs-call.html': ['fixtures/peerjs-call.html', 'text/html; charset=utf-8'],
    '/peerjs.min.js': ['node_modules/peerjs/dist/peerjs.min.js', 'text/javascript'],
  });
  const veche = new URL(base);
  const page = (pass, calls) => (id, wait = false) => {
    const query = new URLSearchParams({ host: veche.hostname, port: veche.port, key: pass, id, call: calls.join(',') });
    if (wait) query.set('wait', '1');
    return `${origin}/peerjs-call.html?${query}`;
  };
  // A PeerJS mesh: each page calls those opened before it.
  const mesh = async (prefix, count) => {
    const ids = [];
    for (let i = 0; i < count; i += 1) {
      const id = `${prefix}${i}`;
      await pages[i].goto(page(passes[i], [...ids])(id));
      await pages[i].waitForFunction((peer) => ['open as ' + peer, 'in a call'].includes(document.getElementById('status').textContent), id);
      await framesFrom(pages[i], ids.length);
      ids.push(id);
    }
    return ids;
  };
  const blank = () => Promise.all(pages.map((each) => each.goto('about:blank')));
  figures.peerjs.one = await peerjsJoins(b, page(passes[1], await mesh('one-', 1)), 1);
  await blank();
  figures.peerjs.mesh = await peerjsJoins(d, page(passes[3], await mesh('mesh-', 3)), 3);
  await blank();
  await mesh('cpu-', 4);
  await Promise.all(pages.map((each) => framesFrom(each, 3)));
  figures.peerjs.cpu = await cpuOver(pages);
  console.log(JSON.stringify(figures));
});
