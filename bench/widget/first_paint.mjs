// first_paint.mjs - time from a click on the widget's launcher to the first frame that shows the
// panel, in headless Chromium (bench/widget/run.sh starts the server and passes its address).
// Each run is a fresh browser context (no session, so the panel opens a new conversation) on
// /widget/demo.html; the clock starts at the click event's timeStamp and stops after the next
// frame (requestAnimationFrame, then a message task: that task runs once the frame is painted),
// recorded with performance marks. Prints the median, min, p90 and max of RUNS runs, and the
// same for a click on the page's heading (no handler: what one frame costs on this machine).
// Usage: node bench/widget/first_paint.mjs http://127.0.0.1:PORT [RUNS]
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { chromium } = await import(join(REPO_ROOT, 'tests', 'browser', 'node_modules', 'playwright-core', 'index.mjs'));
const base = process.argv[2];
const runs = Number(process.argv[3] || 20);
if (!base) {
  console.error('usage: first_paint.mjs http://127.0.0.1:PORT [RUNS]');
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
/* Arms a measurement: the next click on `target` resolves window.__loketPaint with the time from
 * the click to the next painted frame. */
function arm(page, widget) {
  return page.evaluate((widget) => {
    const root = document.querySelector('.loket-widget').shadowRoot;
    const target = widget ? root.querySelector('.loket-launcher') : document.querySelector('h1');
    const panel = root.querySelector('.loket-panel');
    window.__loketPaint = new Promise((ok, fail) => {
      target.addEventListener('click', (event) => {
        performance.mark('loket-click', { startTime: event.timeStamp });
        requestAnimationFrame(() => {
          if (widget && panel.hidden) fail(new Error('the panel is not shown in the next frame'));
          const channel = new MessageChannel();
          channel.port1.onmessage = () => {
            performance.mark('loket-painted');
            ok(performance.measure('loket-first-paint', 'loket-click', 'loket-painted').duration);
          };
          channel.port2.postMessage(0);
        });
      }, { once: true });
    });
  }, widget);
}

const times = [];
const baseline = [];
try {
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(base + '/widget/demo.html');
    const launcher = page.locator('.loket-launcher');
    await launcher.waitFor();
    await arm(page, false);              // a click that changes nothing: the floor of this machine
    await page.locator('h1').click();
    baseline.push(await page.evaluate(() => window.__loketPaint));
    await arm(page, true);
    await launcher.click();
    times.push(await page.evaluate(() => window.__loketPaint));
    await context.close();
  }
} finally {
  await browser.close();
}
function summary(list) {
  list.sort((a, b) => a - b);
  const n = list.length;
  const median = n % 2 ? list[(n - 1) / 2] : (list[n / 2 - 1] + list[n / 2]) / 2;
  const p90 = list[Math.min(n - 1, Math.floor(0.9 * n))];
  return `median ${median.toFixed(1)} ms, min ${list[0].toFixed(1)} ms, p90 ${p90.toFixed(1)} ms, ` +
    `max ${list[n - 1].toFixed(1)} ms`;
}
console.log(`first paint of the panel after a click on the launcher (${times.length} runs): ${summary(times)}`);
console.log(`for comparison, a click on the page that changes nothing: ${summary(baseline)}`);
