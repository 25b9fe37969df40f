// chat.test.mjs - browser test of the chat page (web/chat) against the real `loket serve`.
// Starts the server like tests/e2e/harness.py does (LOKET_BIN, demo bot, temporary SQLite db),
// drives Debian's chromium with playwright-core, and checks what a citizen sees and can do with
// only a keyboard: the AI notice, an accessible log and input, an answer with a source link,
// quick replies, reload continues the conversation, the language switch, deleting, no console
// errors. Every request to anything other than 127.0.0.1 is blocked.
// Run: node --test tests/browser/   (from the repo root; LOKET_BIN defaults to build/loket)

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, openSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { HOST, REPO_ROOT, loketBin, freePort, sleep } from './lib.mjs';

const SCREENSHOT = '/tmp/loket-chat.png';
const WAIT_MS = 15000;

/* Starts `loket serve` on a free port and waits (30 s at most) until /healthz answers. */
async function startServer() {
  const binary = loketBin();
  if (!existsSync(binary)) throw new Error(`loket binary not found at ${binary} (set LOKET_BIN)`);
  const dir = mkdtempSync(join(tmpdir(), 'loket-browser-'));
  const stderrPath = join(dir, 'server.stderr');
  const port = await freePort();
  const out = openSync(stderrPath, 'a');
  const proc = spawn(binary, ['serve', '--bot', 'bots/gemeente-demo', '--listen', `${HOST}:${port}`,
    '--db', `sqlite:${join(dir, 'loket.db')}`], { cwd: REPO_ROOT, stdio: ['ignore', out, out] });
  const server = { proc, port, dir, url: `http://${HOST}:${port}`, stderr: () => readFileSync(stderrPath, 'utf8') };
  const deadline = Date.now() + 30000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`loket exited (${proc.exitCode}); stderr:\n${server.stderr()}`);
    try {
      const response = await fetch(`${server.url}/healthz`);
      if (response.status === 200) return server;
    } catch { /* not listening yet */ }
    await sleep(50);
  }
  proc.kill('SIGKILL');
  throw new Error(`loket did not become healthy in 30 s; stderr:\n${server.stderr()}`);
}

async function stopServer(server) {
  if (!server) return;
  if (server.proc.exitCode === null) {
    const exited = new Promise((ok) => server.proc.once('exit', ok));
    server.proc.kill('SIGTERM');
    const timer = setTimeout(() => server.proc.kill('SIGKILL'), 10000);
    await exited;
    clearTimeout(timer);
  }
  rmSync(server.dir, { recursive: true, force: true });
}

describe('chat page', () => {
  let server;
  let browser;
  let page;
  const consoleErrors = [];
  const blocked = [];

  before(async () => {
    server = await startServer();
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    const context = await browser.newContext({ viewport: { width: 900, height: 900 }, locale: 'nl-NL', reducedMotion: 'reduce' });
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === HOST) return route.continue();
      blocked.push(url.href);
      return route.abort();
    });
    page = await context.newPage();
    page.setDefaultTimeout(WAIT_MS);
    page.on('console', (msg) => { if (msg.type() === 'error') consoleErrors.push(msg.text()); });
    page.on('pageerror', (err) => consoleErrors.push(String(err)));
    await page.goto(server.url + '/');
  });

  after(async () => {
    if (browser) await browser.close();
    if (server && server.proc.exitCode !== null) console.error(server.stderr());
    await stopServer(server);
  });

  const log = () => page.locator('#log');
  const botMessages = () => page.locator('#log .from-bot');

  it('says up-front that you talk to an AI assistant', async () => {
    const notice = page.locator('#ai-notice');
    assert.ok(await notice.isVisible());
    assert.match(await notice.innerText(), /AI-assistent/);
    const first = page.locator('#log .from-bot.kind-system').first();
    await first.waitFor();
    assert.match(await first.innerText(), /AI-assistent/);
    assert.equal(await page.getAttribute('html', 'lang'), 'nl');
  });

  it('has an accessible log, input and heading', async () => {
    assert.equal(await log().getAttribute('role'), 'log');
    assert.equal(await log().getAttribute('aria-live'), 'polite');
    assert.equal(await page.getByRole('textbox', { name: 'Uw vraag' }).count(), 1);
    assert.equal(await page.getByRole('button', { name: 'Versturen' }).count(), 1);
    assert.equal(await page.getByRole('heading', { level: 1 }).count(), 1);
    const inline = await page.evaluate(() => document.querySelectorAll('script:not([src]), style, [style]').length);
    assert.equal(inline, 0, 'inline script or style breaks a strict CSP');
  });

  it('answers a question typed with the keyboard, with a source link', async () => {
    // Skip link, then straight into the input, with the keyboard only.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.className), 'skip-link');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'chat-input');
    await page.keyboard.type('Hoe vraag ik een rijbewijs aan?');
    await page.keyboard.press('Enter');

    const link = page.locator('#log .from-bot.kind-answer .source-link').first();
    await link.waitFor();
    assert.match(await link.getAttribute('href'), /^https?:\/\//);
    assert.equal(await link.getAttribute('target'), '_blank');
    assert.ok((await link.innerText()).trim().length > 0);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'chat-input', 'focus stays in the input');
    assert.equal(await page.inputValue('#chat-input'), '');
    assert.equal(await page.locator('#log .from-user').last().innerText().then((t) => t.includes('rijbewijs')), true);
    await page.locator('#typing').filter({ hasText: /^$/ }).waitFor({ state: 'attached' });
  });

  it('accepts a quick reply', async () => {
    const before = await botMessages().count();
    const helped = page.getByRole('button', { name: 'Dit heeft me geholpen' });
    assert.equal(await helped.evaluate((node) => node.tagName), 'BUTTON');
    await helped.click();
    await page.waitForFunction((n) => document.querySelectorAll('#log .from-bot').length > n, before);
    assert.equal(await page.locator('#log .quick-reply', { hasText: 'Dit heeft me geholpen' }).count(), 0,
      'used quick replies disappear');
    assert.equal(await page.locator('#log .error').count(), 0, await log().innerText());
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  it('continues the same conversation after a reload', async () => {
    const messagesBefore = await page.locator('#log .message').count();
    const stored = await page.evaluate(() => sessionStorage.getItem('loket.conversation'));
    assert.ok(stored && JSON.parse(stored).id, 'conversation kept in sessionStorage');
    await page.reload();
    await page.locator('#log .from-bot.kind-answer .source-link').first().waitFor();
    assert.equal(await page.locator('#log .message').count(), messagesBefore);
    assert.match(await log().innerText(), /Hoe vraag ik een rijbewijs aan\?/);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('loket.conversation')), stored);
  });

  it('fits a 320 px wide screen', async () => {
    await page.setViewportSize({ width: 320, height: 640 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page scrolls sideways by ${overflow}px at 320 px`);
    await page.setViewportSize({ width: 900, height: 900 });
  });

  it('switches to English', async () => {
    const oldId = await page.evaluate(() => JSON.parse(sessionStorage.getItem('loket.conversation')).id);
    await page.getByRole('button', { name: 'English' }).click();
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    await page.getByRole('textbox', { name: 'Your question' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Send' }).count(), 1);
    const first = page.locator('#log .from-bot.kind-system').first();
    await first.waitFor();
    assert.match(await first.innerText(), /AI assistant/);
    assert.doesNotMatch(await log().innerText(), /rijbewijs/, 'a new conversation starts');
    const newId = await page.evaluate(() => JSON.parse(sessionStorage.getItem('loket.conversation')).id);
    assert.notEqual(newId, oldId);
    assert.equal(await page.getAttribute('.lang-button[data-lang="en"]', 'aria-pressed'), 'true');
  });

  it('deletes the conversation after asking once', async () => {
    const oldId = await page.evaluate(() => JSON.parse(sessionStorage.getItem('loket.conversation')).id);
    const oldToken = await page.evaluate(() => JSON.parse(sessionStorage.getItem('loket.conversation')).token);
    await page.getByRole('button', { name: 'Delete this conversation' }).click();
    await page.getByRole('button', { name: 'Yes, delete the conversation' }).click();
    await page.locator('#log .notice', { hasText: 'has been deleted' }).waitFor();
    const response = await fetch(`${server.url}/api/v1/conversations/${oldId}`,
      { headers: { Authorization: `Bearer ${oldToken}` } });
    assert.equal(response.status, 404);
    const newId = await page.evaluate(() => JSON.parse(sessionStorage.getItem('loket.conversation')).id);
    assert.notEqual(newId, oldId);
  });

  it('shows an error as readable text in the log', async () => {
    await page.fill('#chat-input', 'é'.repeat(2100));  // 2100 characters, 4200 bytes: over the limit
    await page.keyboard.press('Enter');
    await page.locator('#log .notice.error').first().waitFor();
    assert.match(await page.locator('#log .notice.error').first().innerText(), /too long/);
  });

  it('logged no console errors and reached no other host', () => {
    assert.deepEqual(consoleErrors, []);
    assert.deepEqual(blocked, []);
  });
});
