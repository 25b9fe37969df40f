// widget.test.mjs - browser test of the embeddable chat widget (web/widget) against the real
// `loket serve`, embedded the way a municipality does it: a host page on ANOTHER origin (a tiny
// node server on its own 127.0.0.1 port, with a strict Content-Security-Policy that allows only
// the Loket origin for scripts, styles and connections) loads /widget/loket.js from Loket,
// reached through a TCP relay that the test can cut to drop the network for real.
// Loket runs a copy of the demo bot whose bot.yaml allows that origin (channels.web) and whose
// llm: section points at tests/fake/fake_llm.py, so FAQ answers stream token by token.
// Drives Debian's chromium with playwright-core and checks: the launcher, the AI notice, a
// streamed answer with its source link and AI label, a whole booking with the keyboard only, the
// date input, a photo upload, reload, network drops (every seq shown exactly once), start over,
// the transcript download, the language switch, inline mode, the demo page, 320 px, 200% zoom,
// text spacing, reduced motion, axe-core (WCAG 2.1 A/AA) in several states, no console errors.
// Every request to anything other than 127.0.0.1 is blocked.
// Run: node --test tests/browser/   (from the repo root; LOKET_BIN defaults to build/loket)

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, openSync, readFileSync, existsSync, appendFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { HOST, REPO_ROOT, AXE_PATH, AXE_TAGS, loketBin, freePort, sleep, waitUntil, stop } from './lib.mjs';

const WAIT_MS = 15000;
/* A 1x1 PNG. */
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' +
  '1f15c4890000000d49444154789c63f80f00000101000518d84e0000000049454e44ae426082', 'hex');

/* tests/fake/fake_llm.py on a free port (it writes the port to a file). */
async function startFakeLlm(dir) {
  const portFile = join(dir, 'fake.port');
  const proc = spawn('python3', [join(REPO_ROOT, 'tests', 'fake', 'fake_llm.py'), '--port', '0',
    '--port-file', portFile, '--dialect', 'llama', '--model', 'fake-model'], { stdio: 'ignore' });
  let port = 0;
  await waitUntil('fake_llm start', () => {
    if (proc.exitCode !== null) throw new Error('fake_llm exited');
    if (existsSync(portFile)) port = Number(readFileSync(portFile, 'utf8').trim());
    return port > 0;
  }, 15000);
  const control = (body) => fetch(`http://${HOST}:${port}/_control`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  return { proc, port, control };
}

/* `loket serve` with a copy of the demo bot that allows the host page's origin and streams
 * answers from the fake model. */
async function startLoket(dir, hostOrigin, llmPort) {
  const bot = join(dir, 'bot');
  cpSync(join(REPO_ROOT, 'bots', 'gemeente-demo'), bot, { recursive: true });
  appendFileSync(join(bot, 'bot.yaml'), `
channels:
  web:
    allowed_origins: ["${hostOrigin}"]
llm:
  base_url: http://${HOST}:${llmPort}/v1
  model: fake-model
  timeout_ms: 6000
  first_token_ms: 3000
  connect_timeout_ms: 500
  retries: 0
  breaker_failures: 50
`);
  const binary = loketBin();
  if (!existsSync(binary)) throw new Error(`loket binary not found at ${binary} (set LOKET_BIN)`);
  const stderrPath = join(dir, 'server.stderr');
  const port = await freePort();
  const out = openSync(stderrPath, 'a');
  const proc = spawn(binary, ['serve', '--bot', bot, '--listen', `${HOST}:${port}`,
    '--db', `sqlite:${join(dir, 'loket.db')}`], { cwd: REPO_ROOT, stdio: ['ignore', out, out] });
  const server = { proc, port, url: `http://${HOST}:${port}`, stderr: () => readFileSync(stderrPath, 'utf8') };
  await waitUntil('loket healthy', async () => {
    if (proc.exitCode !== null) throw new Error(`loket exited (${proc.exitCode}); stderr:\n${server.stderr()}`);
    try {
      return (await fetch(`${server.url}/healthz`)).status === 200;
    } catch { return false; }
  });
  return server;
}

/* A TCP relay in front of Loket: the browser reaches Loket only through it, so the test can cut
 * the network for real (every open connection, the events stream included, is torn down, and new
 * ones are refused until it is restored). Chromium's offline mode alone leaves an open stream be. */
function startRelay(port, target) {
  const sockets = new Set();
  let down = false;
  const server = createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    const upstream = connect(target, HOST);
    sockets.add(client);
    sockets.add(upstream);
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  return new Promise((ok) => server.listen(port, HOST, () => ok({
    server,
    url: `http://${HOST}:${port}`,
    cut() {
      down = true;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
    restore() { down = false; },
    close() {
      this.cut();
      return new Promise((done) => server.close(done));
    },
  })));
}

/* The municipality's site: another origin, strict CSP, one script tag. */
function hostPage(loket, inline) {
  const script = `<script src="${loket}/widget/loket.js" data-bot="gemeente-demo" data-lang="nl"` +
    (inline ? ' data-mode="inline" data-target="#chat"' : '') + ' defer></script>';
  return `<!DOCTYPE html>
<html lang="nl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Gemeente Demo</title>
${script}
</head>
<body>
<header><a href="#main" id="host-link">Naar de inhoud</a></header>
<main id="main"><h1>Gemeente Demo</h1><p>Welkom op de website van de gemeente.</p>
${inline ? '<section id="chat" aria-label="Chat"></section>' : ''}</main>
</body>
</html>`;
}

function startHost(port, loket) {
  const csp = `default-src 'none'; script-src 'self' ${loket}; style-src 'self' ${loket}; ` +
    `connect-src ${loket}; img-src 'self'; base-uri 'none'; form-action 'none'`;
  const server = createHttpServer((req, res) => {
    const path = req.url.split('?')[0];
    if (path !== '/' && path !== '/inline.html') {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': csp,
      'Cache-Control': 'no-store' });
    res.end(hostPage(loket, path === '/inline.html'));
  });
  return new Promise((ok) => server.listen(port, HOST, () => ok(server)));
}

describe('chat widget on another web site', () => {
  let dir;
  let llm;
  let loket;
  let host;
  let hostUrl;
  let relay;
  let browser;
  let context;
  let page;
  const consoleErrors = [];
  const blocked = [];
  const streams = [];   /* every events-stream request, to see the reconnects */
  const axeSource = readFileSync(AXE_PATH, 'utf8');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'loket-widget-'));
    const hostPort = await freePort();
    hostUrl = `http://${HOST}:${hostPort}`;
    llm = await startFakeLlm(dir);
    await llm.control({ scenario: 'echo', token_delay_ms: 15 });
    loket = await startLoket(dir, hostUrl, llm.port);
    relay = await startRelay(await freePort(), loket.port);
    host = await startHost(hostPort, relay.url);
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    context = await browser.newContext({ viewport: { width: 1024, height: 800 }, locale: 'nl-NL',
      reducedMotion: 'reduce', acceptDownloads: true });
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === HOST) return route.continue();
      blocked.push(url.href);
      return route.abort();
    });
    page = await context.newPage();
    page.setDefaultTimeout(WAIT_MS);
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      // axe-core, evaluated by this test (no script URL), adds a <style>; the host page's CSP
      // refuses it. The widget's own scripts have a URL, so their errors still count.
      if (/^Applying inline style/.test(msg.text()) && !msg.location().url) return;
      consoleErrors.push(msg.text());
    });
    page.on('request', (request) => { if (/\/events\?/.test(request.url())) streams.push(request.url()); });
    page.on('pageerror', (err) => consoleErrors.push(String(err)));
    await page.goto(hostUrl + '/');
  });

  after(async () => {
    if (browser) await browser.close();
    if (host) await new Promise((ok) => { host.closeAllConnections(); host.close(ok); });
    if (relay) await relay.close();
    if (loket && loket.proc.exitCode !== null) console.error(loket.stderr());
    await stop(loket && loket.proc);
    await stop(llm && llm.proc);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /* ---- helpers ---- */

  const launcher = () => page.locator('.loket-launcher');
  const panel = () => page.locator('.loket-panel');
  const input = () => page.locator('.loket-composer .loket-input');

  /* Where the keyboard focus is, looking into the widget's shadow root. */
  const focused = () => page.evaluate(() => {
    let a = document.activeElement;
    while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
    if (!a) return null;
    return {
      tag: a.tagName.toLowerCase(), type: a.getAttribute('type') || '', id: a.id,
      cls: String(a.className || ''), text: (a.textContent || '').trim(),
      label: a.labels && a.labels[0] ? a.labels[0].textContent : '',
      inWidget: a.getRootNode() !== document,
    };
  });

  /* Presses key until the focused element matches (at once if it already does; fails after max presses). */
  async function keyTo(key, match, max = 60) {
    const now = await focused();
    if (now && match(now)) return now;
    for (let i = 0; i < max; i++) {
      await page.keyboard.press(key);
      const f = await focused();
      if (f && match(f)) return f;
    }
    throw new Error(`${key} never reached the wanted element; focus is on ${JSON.stringify(await focused())}`);
  }

  const isReply = (label) => (f) => f.cls.includes('loket-reply') && f.text === label;

  /* Every rendered message's seq, in document order. */
  const seqs = () => page.evaluate(() => [...document.querySelector('.loket-widget').shadowRoot
    .querySelectorAll('.loket-log [data-seq]')].map((e) => Number(e.getAttribute('data-seq'))));

  const botCount = () => page.locator('.loket-log .loket-msg--bot[data-seq]').count();

  async function waitForBot(before) {
    await waitUntil('a new bot message', async () => (await botCount()) > before, WAIT_MS);
    await waitUntil('the widget to be idle', async () =>
      (await page.locator('.loket-send').getAttribute('aria-disabled')) !== 'true', WAIT_MS);
  }

  async function typeAndSend(text) {
    const before = await botCount();
    const f = await focused();
    assert.ok(f.cls.includes('loket-input') && f.inWidget, `focus should be in the text field: ${JSON.stringify(f)}`);
    await page.keyboard.type(text);
    await page.keyboard.press('Enter');
    await waitForBot(before);
  }

  async function pressReply(label, key = 'Enter') {
    const before = await botCount();
    await keyTo('Shift+Tab', isReply(label));
    await page.keyboard.press(key);
    await waitForBot(before);
  }

  const lastBotText = () => page.locator('.loket-log .loket-msg--bot[data-seq]').last().innerText();

  const session = () => page.evaluate(() => {
    for (let i = 0; i < sessionStorage.length; i++) {
      const key = sessionStorage.key(i);
      if (key.startsWith('loket-widget:')) return JSON.parse(sessionStorage.getItem(key));
    }
    return null;
  });

  async function axe(state) {
    if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
    const violations = await page.evaluate(async (tags) => {
      const result = await window.axe.run(document, { runOnly: { type: 'tag', values: tags } });
      return result.violations.map((v) => `${v.id}: ${v.help} -> ` +
        v.nodes.map((n) => JSON.stringify(n.target) + ' ' + n.failureSummary).join(' | '));
    }, AXE_TAGS);
    assert.deepEqual(violations, [], `axe (${state})`);
  }

  /* While the network is down Chromium logs each failed request; nothing else may appear. */
  function networkErrorsOnly(list) {
    assert.ok(list.every((e) => /^Failed to load resource: net::ERR_[A-Z_]+$/.test(e)), list.join('\n'));
  }

  function assertSeqsOnce(list, what) {
    assert.equal(new Set(list).size, list.length, `${what}: a seq is shown twice: ${list}`);
    const sorted = [...list].sort((a, b) => a - b);
    sorted.forEach((s, i) => assert.equal(s, i + 1, `${what}: seq ${i + 1} is missing: ${sorted}`));
  }

  async function transcript() {
    const s = await session();
    const response = await fetch(`${loket.url}/api/v1/conversations/${s.id}`,
      { headers: { Authorization: `Bearer ${s.token}` } });
    assert.equal(response.status, 200);
    return (await response.json()).messages;
  }

  /* ---- tests, in order: they share one page and one conversation ---- */

  it('shows only a launcher until it is used, loaded from another origin under a strict CSP', async () => {
    await launcher().waitFor();
    assert.equal(await launcher().innerText(), 'Stel een vraag');
    assert.equal(await launcher().getAttribute('aria-expanded'), 'false');
    assert.equal(await panel().isVisible(), false);
    assert.equal(await session(), null, 'no conversation before the citizen opens the chat');
    const box = await launcher().boundingBox();
    assert.ok(box.x + box.width > 1024 - 40 && box.y + box.height > 800 - 40, 'launcher at the bottom right');
  });

  it('opens with the keyboard, shows the AI notice first and puts focus in the text field', async () => {
    await keyTo('Tab', (f) => f.cls.includes('loket-launcher'));
    await page.keyboard.press('Enter');
    await panel().waitFor();
    assert.equal(await launcher().getAttribute('aria-expanded'), 'true');
    const first = page.locator('.loket-log .loket-msg').first();
    await first.waitFor();
    assert.match(await first.getAttribute('class'), /loket-kind-system/);
    assert.match(await first.innerText(), /AI-assistent/);
    assert.equal(await first.getAttribute('lang'), 'nl');
    const f = await focused();
    assert.ok(f.cls.includes('loket-input'), JSON.stringify(f));
    assert.equal(f.label, 'Uw vraag');
    const log = page.locator('.loket-log');
    assert.equal(await log.getAttribute('role'), 'log');
    assert.equal(await log.getAttribute('aria-live'), 'polite');
    await axe('open, only the AI notice');
  });

  it('has no focus trap: Esc closes and returns focus to the launcher, Tab leaves the panel', async () => {
    await page.keyboard.press('Escape');
    assert.equal(await panel().isVisible(), false);
    assert.ok((await focused()).cls.includes('loket-launcher'));
    assert.equal(await launcher().getAttribute('aria-expanded'), 'false');
    await page.keyboard.press('Enter');
    await panel().waitFor();
    assert.ok((await focused()).cls.includes('loket-input'));
    // Forward from the text field: out of the widget and on to the host page's own link.
    await keyTo('Tab', (f) => f.id === 'host-link', 20);
    // And back in again from the host page.
    await keyTo('Shift+Tab', (f) => f.cls.includes('loket-send'), 20);
    const outline = await page.evaluate(() => {
      let a = document.activeElement;
      while (a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
      const s = getComputedStyle(a);
      return `${s.outlineStyle} ${s.outlineWidth}`;
    });
    assert.equal(outline, 'solid 3px', 'visible focus');
    await keyTo('Shift+Tab', (f) => f.cls.includes('loket-input'), 5);
  });

  it('streams an FAQ answer: a draft hidden from screen readers, then the final message with its source', async () => {
    await page.evaluate(() => {
      const root = document.querySelector('.loket-widget').shadowRoot;
      window.__drafts = [];
      new MutationObserver((list) => list.forEach((m) => m.addedNodes.forEach((n) => {
        if (n.classList && n.classList.contains('loket-msg--draft')) window.__drafts.push(n.getAttribute('aria-hidden'));
      }))).observe(root.querySelector('.loket-log'), { childList: true });
    });
    await typeAndSend('Wat kost een paspoort?');
    assert.deepEqual(await page.evaluate(() => window.__drafts), ['true'], 'one draft, aria-hidden');
    assert.equal(await page.locator('.loket-msg--draft').count(), 0, 'the draft was replaced');
    const answer = page.locator('.loket-log .loket-msg--bot[data-seq]').last();
    assert.match(await answer.locator('.loket-ai-label').innerText(), /Geschreven door AI/);
    const link = answer.locator('a.loket-source').first();
    assert.equal(await link.getAttribute('target'), '_blank');
    assert.match(await link.getAttribute('rel'), /noopener/);
    assert.match(await link.getAttribute('href'), /^https?:\/\//);
    const name = await link.evaluate((a) => a.textContent);
    assert.match(name, /paspoort/i);
    assert.match(name, /opent in een nieuw venster/);
    assert.equal(await answer.getAttribute('lang'), 'nl');
    const user = page.locator('.loket-log .loket-msg--user').last();
    assert.equal(await user.locator('.loket-text').innerText(), 'Wat kost een paspoort?');
    assertSeqsOnce(await seqs(), 'after the answer');
    await axe('with messages');
  });

  it('holds a whole booking with the keyboard only, ending in the reference number', async () => {
    await typeAndSend('Ik wil een afspraak maken');
    assert.match(await lastBotText(), /Waarvoor wilt u een afspraak maken/);
    await axe('a flow question with buttons');
    await pressReply('Paspoort', 'Space');
    assert.match(await lastBotText(), /Op welke locatie/);
    await pressReply('Stadhuis');
    assert.match(await lastBotText(), /Op welke dag/);
    assert.equal(await page.locator('.loket-field input[type="date"]').count(), 1, 'a date input');
    await axe('the date question with the date input');
    // The first free day: its button (keyboard), named as the date input's first allowed day.
    const min = await page.locator('.loket-field input[type="date"]').getAttribute('min');
    assert.match(min, /^\d{4}-\d{2}-\d{2}$/);
    const dayLabel = await page.locator('.loket-reply').first().innerText();
    await pressReply(dayLabel);
    assert.match(await lastBotText(), /Hoe laat/);
    await pressReply('10:00', 'Space');
    assert.match(await lastBotText(), /Wat is uw naam/);
    assert.equal(await page.locator('.loket-label').last().innerText(), 'Uw antwoord');
    await typeAndSend('Fatima el Amrani');
    assert.match(await lastBotText(), /e-mailadres/);
    assert.equal(await input().getAttribute('type'), 'email');
    assert.equal(await input().getAttribute('autocomplete'), 'email');
    assert.equal(await page.locator('.loket-composer .loket-label').innerText(), 'Uw e-mailadres');
    await typeAndSend('fatima@example.nl');
    assert.match(await lastBotText(), /Klopt dit\?/);
    assert.match(await lastBotText(), /Fatima el Amrani/);
    await pressReply('Ja');
    assert.match(await lastBotText(), /AF-[A-Z0-9]+/);
    assert.equal(await input().getAttribute('type'), 'text', 'back to a plain text field');
    // The buttons the citizen pressed show as their labels, not as payloads.
    const users = await page.locator('.loket-log .loket-msg--user .loket-text').allInnerTexts();
    assert.ok(users.includes('Paspoort') && users.includes('10:00') && users.includes(dayLabel), users.join(' | '));
    assert.ok(!users.some((u) => u.startsWith('choose:')), users.join(' | '));
    assertSeqsOnce(await seqs(), 'after the booking');
  });

  it('takes a day from the date input', async () => {
    await typeAndSend('Ik wil een afspraak maken voor mijn rijbewijs');
    await pressReply('Stadhuis');
    const date = page.locator('.loket-field input[type="date"]');
    const max = await date.getAttribute('max');
    const before = await botCount();
    await date.fill(max);            // the last free day: further away than any button offers
    await page.keyboard.press('Enter');
    await waitForBot(before);
    await waitUntil('the time question', async () => /Hoe laat/.test(await lastBotText()), WAIT_MS);
    const shown = await page.locator('.loket-log .loket-msg--user .loket-text').last().innerText();
    assert.match(shown, /\d{4}/, `the chosen day is shown as a date: ${shown}`);
    await pressReply('Stoppen');
    assert.match(await lastBotText(), /gestopt/);
  });

  it('uploads a photo for a report, and refuses a file that is not a photo politely', async () => {
    await typeAndSend('De lantaarnpaal bij ons voor de deur is kapot');
    await pressReply('Straatverlichting / openbare klok');
    await typeAndSend('Raadhuisplein 1');
    assert.match(await lastBotText(), /foto/);
    const file = page.locator('.loket-field input[type="file"]');
    assert.match(await file.getAttribute('accept'), /image\/png/);
    await file.setInputFiles({ name: 'notitie.txt', mimeType: 'text/plain', buffer: Buffer.from('geen foto') });
    await keyTo('Shift+Tab', (f) => f.text === 'Foto versturen', 5);
    const errors = consoleErrors.length;
    await page.keyboard.press('Enter');
    await page.locator('.loket-notice--error').filter({ hasText: 'geen foto' }).waitFor();
    // Chromium logs every 4xx response; this one the test asked for.
    await waitUntil('the 415 in the console', () => consoleErrors.length > errors, WAIT_MS);
    assert.deepEqual(consoleErrors.splice(errors),
      ['Failed to load resource: the server responded with a status of 415 (Unsupported Media Type)']);
    await file.setInputFiles({ name: 'lamp.png', mimeType: 'image/png', buffer: PNG });
    const before = await botCount();
    await keyTo('Shift+Tab', (f) => f.text === 'Foto versturen', 5);
    await page.keyboard.press('Enter');
    await waitForBot(before);
    assert.match(await page.locator('.loket-log .loket-msg--user .loket-text').last().innerText(), /Foto verstuurd: lamp\.png/);
    assert.doesNotMatch(await lastBotText(), /foto/i, 'the flow moved on');
    await pressReply('Stoppen');
    assert.match(await lastBotText(), /gestopt/);
  });

  it('continues the conversation after a reload', async () => {
    const before = await seqs();
    const saved = await session();
    await page.reload();
    await panel().waitFor();   // it was open, so it opens again
    await waitUntil('the history', async () => (await seqs()).length === before.length, WAIT_MS);
    assert.deepEqual(await seqs(), before);
    assert.equal((await session()).id, saved.id);
    assert.match(await page.locator('.loket-log').innerText(), /AF-[A-Z0-9]+/);
    const users = await page.locator('.loket-log .loket-msg--user .loket-text').allInnerTexts();
    assert.ok(users.includes('Paspoort'), users.join(' | '));
    await page.locator('.loket-composer .loket-input').focus();
  });

  it('loses no message and shows none twice after a network drop', async () => {
    const opened = streams.length;
    let errors = consoleErrors.length;
    await context.setOffline(true);
    relay.cut();
    await sleep(1500);
    relay.restore();
    await context.setOffline(false);
    await waitUntil('the events stream to reconnect', () => streams.length > opened, WAIT_MS);
    assert.match(streams[streams.length - 1], /after=[1-9][0-9]*/, 'it asks for what came after the last seq');
    networkErrorsOnly(consoleErrors.splice(errors));
    await typeAndSend('Hoe vraag ik een rijbewijs aan?');
    const shown = await seqs();
    assertSeqsOnce(shown, 'after the drop');
    const stored = (await transcript()).map((m) => m.seq);
    assert.deepEqual([...shown].sort((a, b) => a - b), stored, 'every stored turn is shown once');
    // A drop while an answer is being written: the final message still comes, once.
    await llm.control({ scenario: 'echo', token_delay_ms: 60 });
    const before = await botCount();
    await page.keyboard.type('Wat kost een identiteitskaart?');
    await page.keyboard.press('Enter');
    await page.locator('.loket-msg--draft').waitFor();
    const during = streams.length;
    errors = consoleErrors.length;
    await context.setOffline(true);
    relay.cut();
    await sleep(1000);
    relay.restore();
    await context.setOffline(false);
    await waitForBot(before);
    assert.ok(streams.length > during, 'the stream was opened again');
    networkErrorsOnly(consoleErrors.splice(errors));
    await llm.control({ scenario: 'echo', token_delay_ms: 15 });
    const after = await seqs();
    assertSeqsOnce(after, 'after a drop during an answer');
    assert.deepEqual([...after].sort((a, b) => a - b), (await transcript()).map((m) => m.seq));
    assert.equal(await page.locator('.loket-msg--draft').count(), 0);
  });

  it('downloads the transcript as a text file', async () => {
    await keyTo('Shift+Tab', (f) => f.text === 'Gesprek downloaden', 80);
    const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
    assert.match(download.suggestedFilename(), /^gesprek-\d{4}-\d{2}-\d{2}\.txt$/);
    const text = readFileSync(await download.path(), 'utf8');
    assert.match(text, /AI-assistent/);
    assert.match(text, /U:\r?\n {2}Wat kost een paspoort\?/);
    assert.match(text, /AF-[A-Z0-9]+/);
    assert.match(text, /Bron: .+ - https?:\/\//);
    assert.match(text, /\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}\]/);
  });

  it('starts over: the old conversation is erased on the server', async () => {
    const old = await session();
    await keyTo('Shift+Tab', (f) => f.text === 'Opnieuw beginnen', 10);
    await page.keyboard.press('Enter');
    await waitUntil('a new conversation', async () => {
      const s = await session();
      return s && s.id !== old.id;
    }, WAIT_MS);
    await page.locator('.loket-notice').filter({ hasText: 'opnieuw begonnen' }).waitFor();
    const gone = await fetch(`${loket.url}/api/v1/conversations/${old.id}`,
      { headers: { Authorization: `Bearer ${old.token}` } });
    assert.equal(gone.status, 404);
    assert.deepEqual(await seqs(), [1]);
    assert.match(await page.locator('.loket-msg').first().innerText(), /AI-assistent/);
  });

  it('switches to English (a new conversation in English)', async () => {
    const old = await session();
    await page.locator('.loket-tool--lang').focus();
    assert.equal(await page.locator('.loket-tool--lang').getAttribute('lang'), 'en');
    await page.keyboard.press('Enter');
    await waitUntil('an English conversation', async () => {
      const s = await session();
      return s && s.id !== old.id && s.lang === 'en';
    }, WAIT_MS);
    await page.locator('.loket-msg.loket-kind-system').waitFor();
    assert.match(await page.locator('.loket-msg.loket-kind-system').innerText(), /AI assistant/);
    assert.equal(await page.locator('.loket-msg.loket-kind-system').getAttribute('lang'), 'en');
    assert.equal(await page.locator('.loket-title').innerText(), 'Chat with the municipality');
    assert.equal(await page.locator('.loket-composer .loket-label').innerText(), 'Your question');
    await axe('English');
    await page.locator('.loket-tool--lang').click();
    await waitUntil('Dutch again', async () => ((await session()) || {}).lang === 'nl', WAIT_MS);
    await page.locator('.loket-msg.loket-kind-system').filter({ hasText: 'AI-assistent' }).waitFor();
  });

  it('reflows at 320 px and at 200% zoom, and survives text-spacing overrides', async () => {
    const overflow = () => page.evaluate(() => {
      const root = document.querySelector('.loket-widget').shadowRoot;
      const p = root.querySelector('.loket-panel');
      const bad = [];
      if (document.documentElement.scrollWidth > window.innerWidth) bad.push('page scrolls sideways');
      if (p.scrollWidth > p.clientWidth + 1) bad.push(`panel ${p.scrollWidth} > ${p.clientWidth}`);
      const log = root.querySelector('.loket-log');
      if (log.scrollWidth > log.clientWidth + 1) bad.push('log scrolls sideways');
      root.querySelectorAll('button, input, label, .loket-text, a').forEach((e) => {
        const r = e.getBoundingClientRect();
        if (r.width && (r.left < -1 || r.right > window.innerWidth + 1)) bad.push(`${e.className} outside the window`);
        if (e.tagName === 'BUTTON' && e.scrollWidth > e.clientWidth + 1) bad.push(`${e.textContent} clipped`);
      });
      return bad;
    });
    await typeAndSend('Ik wil een afspraak maken');   // buttons and a long question in the log
    for (const size of [{ width: 320, height: 640 }, { width: 512, height: 400 }, { width: 640, height: 360 }]) {
      await page.setViewportSize(size);
      await sleep(50);
      assert.deepEqual(await overflow(), [], `at ${size.width}x${size.height}`);
      const box = await panel().boundingBox();
      assert.ok(box.width <= size.width, `panel fits at ${size.width}`);
      assert.ok(await page.locator('.loket-close').isVisible());
      assert.ok(await input().isVisible());
    }
    // WCAG 1.4.12 text spacing, inside the widget too.
    await page.evaluate(() => {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync('* { line-height: 1.5 !important; letter-spacing: 0.12em !important; ' +
        'word-spacing: 0.16em !important; } p { margin-bottom: 2em !important; }');
      const root = document.querySelector('.loket-widget').shadowRoot;
      root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
    });
    await page.setViewportSize({ width: 320, height: 640 });
    assert.deepEqual(await overflow(), [], 'text spacing at 320 px');
    await page.setViewportSize({ width: 1024, height: 800 });
    assert.deepEqual(await overflow(), [], 'text spacing at 1024 px');
    await pressReply('Stoppen');
  });

  it('moves only for people who did not ask for reduced motion', async () => {
    const animation = () => panel().evaluate((p) => getComputedStyle(p).animationName);
    await page.emulateMedia({ reducedMotion: 'reduce' });
    assert.equal(await animation(), 'none');
    await page.emulateMedia({ reducedMotion: 'no-preference' });
    assert.equal(await animation(), 'loket-in');
    await page.emulateMedia({ reducedMotion: 'reduce' });
  });

  it('renders inline inside a target element, without a launcher', async () => {
    await page.goto(hostUrl + '/inline.html');
    const inlinePanel = page.locator('#chat .loket-panel');
    await inlinePanel.waitFor();
    assert.equal(await page.locator('.loket-launcher').count(), 0);
    assert.equal(await page.locator('.loket-close').count(), 0);
    await page.locator('.loket-msg.loket-kind-system').first().waitFor();
    const box = await inlinePanel.boundingBox();
    const target = await page.locator('#chat').boundingBox();
    assert.ok(box.y >= target.y && box.x >= target.x - 1, 'the panel is inside the target');
    await axe('inline');
  });

  it('works on its own demo page, served by Loket under its own CSP', async () => {
    await page.goto(loket.url + '/widget/demo.html');
    await launcher().click();
    await page.locator('.loket-msg.loket-kind-system').waitFor();
    assert.match(await page.locator('.loket-msg.loket-kind-system').innerText(), /AI-assistent/);
    await axe('demo page');
  });

  it('logged no console errors and sent nothing off 127.0.0.1', () => {
    assert.deepEqual(consoleErrors, []);
    assert.deepEqual(blocked, []);
  });
});
