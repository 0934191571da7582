// What the browser scripts share: launching Debian's Chromium with a fake camera and
// microphone, bounding the whole run, and checking that a <video> shows a live stream.
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

/// How long one wait may take: WebRTC on loopback in a busy container can be slow.
export const WAIT_MS = 60_000;
/// The whole script's limit; the Rust test that runs it has a longer one of its own.
const DEADLINE_MS = 150_000;

const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  // A synthetic camera (a moving pattern) and microphone (a beep), granted without asking.
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  // Both browsers are on this machine: offer real host addresses rather than mDNS names
  // (nothing resolves those here), loopback included where it is the only interface.
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--allow-loopback-in-peer-connection',
  // A background tab's timers and media must not be slowed down during the test.
  '--disable-renderer-backgrounding',
  '--disable-background-timer-throttling',
];

const browsers = [];
let stopping = false;

/// Closes every browser (Playwright kills what does not close), then exits.
export async function stop(code) {
  if (stopping) return;
  stopping = true;
  await Promise.race([
    Promise.allSettled(browsers.map((browser) => browser.close())),
    new Promise((resolve) => setTimeout(resolve, 10_000)),
  ]);
  process.exit(code);
}

/// Runs `main`, and exits 0 if it succeeds, 1 with the reason if it fails or outlives the
/// deadline, or as soon as the process that started us is gone (a killed test run).
export function run(main) {
  const deadline = setTimeout(() => {
    console.error(`FAILED: still running after ${DEADLINE_MS / 1000} s`);
    stop(1);
  }, DEADLINE_MS);
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop(1);
  }, 500).unref();
  main().then(
    () => {
      clearTimeout(deadline);
      console.log('PASSED');
      return stop(0);
    },
    (error) => {
      console.error('FAILED:', error && error.stack ? error.stack : error);
      return stop(1);
    },
  );
}

/// A new Chromium process, and a page in it whose console is echoed with a label.
/// `executablePath`: another way to start Debian's Chromium (e.g. in a network namespace);
/// `args`: flags beside the usual ones.
export async function openBrowser(label, { executablePath = '/usr/bin/chromium', args = [] } = {}) {
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: [...CHROMIUM_FLAGS, ...args],
    timeout: WAIT_MS,
  });
  browsers.push(browser);
  const page = await browser.newPage();
  page.setDefaultTimeout(WAIT_MS);
  page.on('console', (message) => console.log(`[${label} console.${message.type()}] ${message.text()}`));
  page.on('pageerror', (error) => console.log(`[${label} page error] ${error.message}`));
  page.on('response', (response) => {
    if (response.status() >= 400) console.log(`[${label}] ${response.status()} from ${response.url()}`);
  });
  return page;
}

/// Waits until the video element found by `selector` shows frames of a live stream: it has
/// a size (a frame was decoded) and its clock moves on (frames keep coming).
export async function expectLiveVideo(page, label, selector) {
  try {
    await page.waitForFunction(
      (s) => { const video = document.querySelector(s); return video && video.videoWidth > 0; },
      selector,
    );
    const before = await page.$eval(selector, (video) => video.currentTime);
    await page.waitForFunction(
      ([s, t]) => document.querySelector(s).currentTime > t + 1,
      [selector, before],
    );
  } catch (error) {
    const shown = await page.evaluate(() => document.body.innerText).catch(() => '(page gone)');
    throw new Error(`${label}: no live video at ${selector}: ${error.message}\npage text:\n${shown}`);
  }
  const size = await page.$eval(selector, (video) => `${video.videoWidth}x${video.videoHeight}`);
  console.log(`${label} receives video (${size}) at ${selector}`);
}

/// Opens the call page of `room` with `token` in its link, joins from the pre-join check,
/// and waits until the page is in the call.
export async function joinCall(page, base, room, token) {
  await page.goto(`${base}/rooms/${room}?access_token=${encodeURIComponent(token)}`);
  await page.getByRole('button', { name: /^(Join now|Присоединиться)$/ }).click();
  await page.waitForFunction(() => document.querySelector('[role=status]')?.dataset.phase === 'in-call');
}

/// What the call page's status line says.
export async function statusOf(page) {
  return page.textContent('[role=status]');
}

/// Serves `files` (path → [file under tests/web, content type]) on loopback, as a frontend
/// of another origin would be served; port 0 takes a free one. Returns the origin.
export async function serveFiles(files, port = 0) {
  const server = createServer(async (request, response) => {
    const file = files[new URL(request.url, 'http://x').pathname];
    if (!file) return response.writeHead(404).end();
    const body = await readFile(new URL(file[0], import.meta.url));
    response.writeHead(200, { 'Content-Type': file[1] }).end(body);
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  server.unref();
  return `http://127.0.0.1:${server.address().port}`;
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/// axe-core on the page as it is: fails on any serious or critical violation.
export async function accessible(page, name) {
  // Evaluated through the DevTools protocol: the app's Content-Security-Policy rightly
  // refuses an injected <script>.
  await page.evaluate(axeSource);
  const results = await page.evaluate(async () => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (bad.length) {
    const said = bad.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
    throw new Error(`${name}: accessibility violations:\n${said.join('\n')}`);
  }
  console.log(`${name}: axe found no serious or critical violation`);
}

/// `look(page, name)`: the page at desktop and at phone width, checked by axe-core and
/// photographed at each into `shots` (`<name>-desktop.png`, `<name>-phone.png`).
export function lookAt(shots) {
  mkdirSync(shots, { recursive: true });
  return async function look(page, name) {
    for (const [size, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
      await page.setViewportSize(viewport);
      await page.waitForTimeout(300);
      await accessible(page, `${name} (${size})`);
      await page.screenshot({ path: join(shots, `${name}-${size}.png`) });
    }
    await page.setViewportSize(DESKTOP);
  };
}
