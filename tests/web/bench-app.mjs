// The web app's benchmark in Debian's Chromium: what the first load costs (JavaScript and
// CSS, gzip bytes) and how long a navigation takes to show a week of meetings, and a month.
//
//   node bench-app.mjs <veche base URL> <session cookie "name=value"> <date YYYY-MM-DD> <meetings in that week> <runs>
//
// Prints one JSON line: {"first_load": {...}, "week": [ms...], "month": [ms...]}.
import { gzipSync } from 'node:zlib';
import { openBrowser, run } from './lib.mjs';

const [base, cookie, date, meetings, runs] = process.argv.slice(2);
const expected = Number(meetings);

/// The scripts and styles the page loads before it can show anything, gzip-compressed as
/// a server would send them.
async function firstLoad() {
  const html = await (await fetch(base + '/', { headers: { cookie } })).text();
  const urls = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]);
  const sizes = { js: 0, css: 0, files: urls.length };
  for (const url of new Set(urls)) {
    const body = Buffer.from(await (await fetch(base + url)).arrayBuffer());
    sizes[url.endsWith('.css') ? 'css' : 'js'] += gzipSync(body, { level: 9 }).length;
  }
  return sizes;
}

/// Milliseconds from starting the navigation to the calendar showing its meetings: the
/// calendar's data has arrived and been drawn (two animation frames later).
async function navigate(page, view) {
  const started = Date.now();
  const answered = page.waitForResponse((r) => r.url().includes('/api/calendar?') && r.status() === 200);
  await page.goto(`${base}/?view=${view}&date=${date}`);
  await answered;
  if (view === 'week') {
    await page.waitForFunction((n) => document.querySelectorAll('.rbc-event').length >= n, expected);
  } else {
    await page.waitForSelector('.rbc-month-view .rbc-event');
  }
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  return Date.now() - started;
}

run(async () => {
  const page = await openBrowser('bench');
  await page.setViewportSize({ width: 1440, height: 900 });
  const [name, value] = cookie.split(/=(.*)/s);
  await page.context().addCookies([{ name, value, url: base }]);
  const result = { first_load: await firstLoad(), week: [], month: [] };
  // One of each first, not measured: the browser's caches and the server's plans warm up.
  await navigate(page, 'week');
  await navigate(page, 'month');
  for (let i = 0; i < Number(runs); i += 1) {
    result.week.push(await navigate(page, 'week'));
    result.month.push(await navigate(page, 'month'));
  }
  const shown = await page.evaluate(() => document.querySelectorAll('.rbc-event').length);
  result.month_events_shown = shown;
  console.log(JSON.stringify(result));
});
