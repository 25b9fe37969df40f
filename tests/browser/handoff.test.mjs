// handoff.test.mjs - browser test of the human handoff (issue 7) against the real `loket serve`:
// TWO browser contexts, a citizen on the widget's demo page (/widget/demo.html) and an agent in
// the console (/agent), both served by Loket on one 127.0.0.1 port.
// The bot is a copy of the demo bot with every team open around the clock and no holidays (the
// lead's patch_handoff from tests/e2e/harness.py, so the test passes at any hour), and agent
// accounts made with `loket agent add` before the server starts: anna (agent, burgerzaken) and
// bram (agent, another team).
// Checks, each step by visible text: the agent logs in with the keyboard only; the citizen asks
// for a person and sees their place in the queue; the conversation appears in the agent's queue
// live; the agent takes it and sees the history; the citizen sees who helps; typing both ways;
// messages both ways; a canned response; closing with a summary; the citizen talks to the bot
// again. Then "Terug naar de bot" (agent) and "Stop met wachten" (citizen). axe-core (wcag2a,
// wcag2aa, wcag21a, wcag21aa) on the console's login, queue and conversation views and on the
// widget with an agent message; no console errors; nothing off 127.0.0.1.
// Run: node --test tests/browser/handoff.test.mjs   (from the repo root; LOKET_BIN, default build/loket)

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { HOST, REPO_ROOT, AXE_PATH, AXE_TAGS, loketBin, freePort, sleep, waitUntil, stop } from './lib.mjs';

const WAIT_MS = 15000;
const PASSWORD = 'lang-en-geheim-wachtwoord-7';
const ASK_PERSON = 'Ik wil een medewerker spreken';

/* The demo bot with every team open all day, every day, and no holidays: the e2e harness's own
 * patch (tests/e2e/harness.py, standard-library Python), so both suites patch the same way. */
function makeBot(dir) {
  const bot = join(dir, 'bot');
  cpSync(join(REPO_ROOT, 'bots', 'gemeente-demo'), bot, { recursive: true });
  const yaml = join(bot, 'bot.yaml');
  const script = [
    'import sys',
    'sys.path.insert(0, sys.argv[1])',
    'from harness import patch_handoff, OPEN_HOURS',
    'p = sys.argv[2]',
    'text = open(p, encoding="utf-8").read()',
    'open(p, "w", encoding="utf-8").write(patch_handoff(text, hours=OPEN_HOURS))',
  ].join('\n');
  const r = spawnSync('python3', ['-c', script, join(REPO_ROOT, 'tests', 'e2e'), yaml], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`patching bot.yaml failed: ${r.stderr}`);
  return bot;
}

/* The team ids of the patched bot, in order (teams: - id: X). */
function teamIds(bot) {
  const text = readFileSync(join(bot, 'bot.yaml'), 'utf8');
  const section = text.slice(text.search(/^handoff:/m));
  return [...section.matchAll(/^\s*-\s+id:\s*([a-z0-9-]+)/gm)].map((m) => m[1]);
}

function agentAdd(bot, db, username, name, role, teams) {
  const r = spawnSync(loketBin(), ['agent', 'add', '--bot', bot, '--db', `sqlite:${db}`, '--username', username,
    '--name', name, '--role', role, '--teams', teams.join(',')],
  { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, LOKET_AGENT_PASSWORD: PASSWORD } });
  if (r.status !== 0) throw new Error(`loket agent add ${username} failed (${r.status}): ${r.stderr}`);
}

async function startLoket(dir, bot, db) {
  const stderrPath = join(dir, 'server.stderr');
  const port = await freePort();
  const out = openSync(stderrPath, 'a');
  const proc = spawn(loketBin(), ['serve', '--bot', bot, '--listen', `${HOST}:${port}`, '--db', `sqlite:${db}`],
    { cwd: REPO_ROOT, stdio: ['ignore', out, out] });
  const server = { proc, port, url: `http://${HOST}:${port}`, stderr: () => readFileSync(stderrPath, 'utf8') };
  await waitUntil('loket healthy', async () => {
    if (proc.exitCode !== null) throw new Error(`loket exited (${proc.exitCode}); stderr:\n${server.stderr()}`);
    try {
      return (await fetch(`${server.url}/healthz`)).status === 200;
    } catch { return false; }
  }, 30000);
  return server;
}

/* A tiny cookie-aware agent client (node fetch), for checks the test makes behind the UI. */
async function apiLogin(base, username) {
  const r = await fetch(`${base}/api/v1/agent/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  assert.equal(r.status, 200, `login ${username}`);
  const body = await r.json();
  const cookie = (r.headers.get('set-cookie') || '').split(';')[0];
  const call = async (method, path, json) => {
    const res = await fetch(`${base}/api/v1/agent${path}`, {
      method, body: json === undefined ? undefined : JSON.stringify(json),
      headers: { Cookie: cookie, 'X-CSRF-Token': body.csrf, 'Content-Type': 'application/json' },
    });
    return { status: res.status, body: res.status === 204 ? null : await res.json().catch(() => null) };
  };
  return { body, call };
}

describe('human handoff: the citizen in the widget, the agent in the console', () => {
  let dir;
  let loket;
  let browser;
  let citizenCtx;
  let agentCtx;
  let citizen;
  let agent;
  let teams;
  const consoleErrors = [];
  const blocked = [];
  const axeSource = readFileSync(AXE_PATH, 'utf8');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'loket-handoff-'));
    const bot = makeBot(dir);
    teams = teamIds(bot);
    assert.ok(teams.includes('burgerzaken') && teams.length >= 2, `teams of the demo bot: ${teams}`);
    const db = join(dir, 'loket.db');
    agentAdd(bot, db, 'anna', 'Anna', 'agent', ['burgerzaken']);
    agentAdd(bot, db, 'bram', 'Bram', 'agent', [teams.find((x) => x !== 'burgerzaken')]);
    agentAdd(bot, db, 'carla', 'Carla', 'agent', ['burgerzaken']);
    loket = await startLoket(dir, bot, db);
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    const open = async (name) => {
      const ctx = await browser.newContext({ viewport: { width: 1200, height: 900 }, locale: 'nl-NL',
        reducedMotion: 'reduce' });
      await ctx.route('**/*', (route) => {
        const url = new URL(route.request().url());
        if (url.hostname === HOST) return route.continue();
        blocked.push(url.href);
        return route.abort();
      });
      const page = await ctx.newPage();
      page.setDefaultTimeout(WAIT_MS);
      page.on('console', (msg) => {
        if (msg.type() !== 'error') return;
        // axe-core, evaluated by this test (no script URL), adds a <style> that the CSP refuses.
        if (/^Applying inline style/.test(msg.text()) && !msg.location().url) return;
        consoleErrors.push(`${name}: ${msg.text()}`);
      });
      page.on('pageerror', (err) => consoleErrors.push(`${name}: ${err}`));
      return { ctx, page };
    };
    ({ ctx: citizenCtx, page: citizen } = await open('citizen'));
    ({ ctx: agentCtx, page: agent } = await open('agent'));
  });

  after(async () => {
    if (browser) await browser.close();
    if (loket && loket.proc.exitCode !== null) console.error(loket.stderr());
    await stop(loket && loket.proc);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /* ---- helpers ---- */

  /* Where the keyboard focus is (looking into the widget's shadow root). */
  const focused = (page) => page.evaluate(() => {
    let a = document.activeElement;
    while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
    if (!a) return null;
    return { tag: a.tagName.toLowerCase(), id: a.id, cls: String(a.className || ''),
      text: (a.textContent || '').trim() };
  });

  /* Presses key until the focused element matches (at once if it already does). */
  async function keyTo(page, key, match, max = 60) {
    const now = await focused(page);
    if (now && match(now)) return now;
    for (let i = 0; i < max; i++) {
      await page.keyboard.press(key);
      const f = await focused(page);
      if (f && match(f)) return f;
    }
    throw new Error(`${key} never reached the wanted element; focus is on ${JSON.stringify(await focused(page))}`);
  }

  async function axe(page, state) {
    if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
    const violations = await page.evaluate(async (tags) => {
      const result = await window.axe.run(document, { runOnly: { type: 'tag', values: tags } });
      return result.violations.map((v) => `${v.id}: ${v.help} -> ` +
        v.nodes.map((n) => JSON.stringify(n.target) + ' ' + n.failureSummary).join(' | '));
    }, AXE_TAGS);
    assert.deepEqual(violations, [], `axe (${state})`);
  }

  const text = (page, selector) => page.locator(selector).innerText();
  const waitText = (page, selector, re, what) => waitUntil(what || `${selector} ~ ${re}`, async () => {
    const loc = page.locator(selector);
    return (await loc.count()) && re.test(await loc.first().innerText()) ? true : false;
  });

  /* The citizen types (and sends with Enter) in the widget's text field. */
  async function citizenSays(words) {
    await citizen.locator('.loket-composer .loket-input').focus();
    await citizen.keyboard.type(words, { delay: 10 });
    await citizen.keyboard.press('Enter');
  }

  const citizenMsgs = (selector) => citizen.locator(`.loket-log ${selector}`);
  const lastCitizenBot = () => citizenMsgs('.loket-msg--bot[data-seq]').last().innerText();
  const convId = () => citizen.evaluate(() => {
    for (let i = 0; i < sessionStorage.length; i++) {
      const key = sessionStorage.key(i);
      if (key.startsWith('loket-widget:')) return JSON.parse(sessionStorage.getItem(key)).id;
    }
    return null;
  });

  async function askForPerson() {
    const before = await citizenMsgs('.loket-kind-handoff').count();
    await citizenSays(ASK_PERSON);
    await waitUntil('the handoff notice', async () => (await citizenMsgs('.loket-kind-handoff').count()) > before);
    await waitText(citizen, '.loket-status', /nummer 1 in de wachtrij/, 'the queue position');
  }

  /* ---- the story ---- */

  it('the console: login with the keyboard only', async () => {
    await agent.goto(loket.url + '/agent');
    await agent.locator('#login-username').waitFor();
    assert.equal(await agent.getAttribute('html', 'lang'), 'nl');
    await axe(agent, 'console: login');
    await waitUntil('the login form has the focus', async () => (await focused(agent)).id === 'login-username');
    // A wrong password first: a clear message, focus back in the form.
    await agent.keyboard.type('anna');
    await agent.keyboard.press('Tab');
    await agent.keyboard.type('verkeerd-wachtwoord-123');
    await agent.keyboard.press('Enter');
    await waitText(agent, '#login-error', /klopt niet/);
    assert.equal((await focused(agent)).id, 'login-password');
    consoleErrors.splice(0);   // Chromium logs the 401
    await agent.keyboard.type(PASSWORD);
    await agent.keyboard.press('Enter');
    await agent.locator('#view-queue').waitFor();
    assert.equal((await focused(agent)).id, 'queue-title', 'the queue heading has the focus');
    const cookies = await agentCtx.cookies();
    const session = cookies.find((c) => c.name === 'loket_agent');
    assert.ok(session, 'the session cookie was accepted');
    assert.equal(session.httpOnly, true);
    assert.match(await text(agent, '#who'), /Anna/);
    await waitText(agent, '#waiting', /Burgerzaken/);
    await waitText(agent, '#waiting', /Er wacht niemand/);
    await axe(agent, 'console: empty queue');
  });

  it('the citizen asks for a person; the conversation appears in the queue live', async () => {
    await citizen.goto(loket.url + '/widget/demo.html');
    await citizen.locator('.loket-launcher').click();
    await citizenMsgs('.loket-msg.loket-kind-system').first().waitFor();
    await askForPerson();
    assert.match(await text(citizen, '.loket-status'), /U bent nummer 1 in de wachtrij\. Wachttijd: ongeveer \d+ minu/);
    const notice = citizenMsgs('.loket-kind-handoff').last();
    assert.ok(await notice.locator('.loket-reply', { hasText: 'Stop met wachten' }).count(), 'a Stop met wachten button');
    // The agent did nothing: the queue updates itself.
    const id = await convId();
    await agent.locator(`#waiting li[data-conv="${id}"]`).waitFor();
    const row = await text(agent, `#waiting li[data-conv="${id}"]`);
    assert.match(row, /Nummer 1/);
    assert.match(row, /medewerker spreken/, 'the preview of what the citizen said');
    await waitText(agent, '#announce', /Nieuw in de wachtrij: Burgerzaken/);
    assert.match(await text(agent, '#nav-queue-count'), /\(1\)/);
    await axe(agent, 'console: a waiting citizen');
    // Bram works in another team: he does not see it.
    const bram = await apiLogin(loket.url, 'bram');
    const queue = await bram.call('GET', '/queue');
    assert.equal(queue.status, 200);
    assert.ok(!queue.body.waiting.some((h) => h.conv_id === id), 'another team does not see it');
    assert.equal((await bram.call('POST', '/claim', { conv_id: id })).status, 403);
  });

  it('the agent takes it with the keyboard and sees the history; the citizen sees who helps', async () => {
    const f = await keyTo(agent, 'Tab', (x) => x.tag === 'button' && /^Aannemen/.test(x.text));
    assert.match(f.text, /nummer 1 van Burgerzaken/, 'the button says which conversation');
    await agent.keyboard.press('Enter');
    await agent.locator('#view-conv').waitFor();
    await waitUntil('the conversation heading has the focus', async () => (await focused(agent)).id === 'conv-title');
    await waitText(agent, '#conv-title', /Burgerzaken/);
    await waitText(agent, '#history', /medewerker spreken/);
    const history = await text(agent, '#history');
    assert.match(history, /Burger:/, 'the citizen is labelled');
    assert.match(history, /Bot( \(melding\))?:/, 'the bot is labelled');
    assert.match(await text(agent, '#details'), /in behandeling bij Anna/);
    assert.match(await text(agent, '#flow'), /\S/);
    assert.ok(await agent.locator('#reply-text').isVisible());
    await waitText(citizen, '.loket-status', /Anna helpt u nu/);
    await waitUntil('the citizen sees that Anna helps', async () =>
      /Anna/.test(await citizenMsgs('.loket-kind-handoff').last().innerText()));
    assert.equal(await citizenMsgs('.loket-reply', { hasText: 'Stop met wachten' }).count(), 0,
      'no Stop met wachten once someone helps');
    await axe(agent, 'console: conversation');
    assert.equal(await text(citizen, '.loket-composer .loket-label'), 'Uw bericht', 'the citizen writes to a person now');
  });

  it('the console reflows at 320 px and at 200% zoom', async () => {
    const overflow = () => agent.evaluate(() => {
      const bad = [];
      if (document.documentElement.scrollWidth > window.innerWidth) bad.push(`page ${document.documentElement.scrollWidth} > ${window.innerWidth}`);
      document.querySelectorAll('button, input, textarea, select, label, .msg, h1, h2, dd').forEach((e) => {
        const r = e.getBoundingClientRect();
        if (r.width && (r.left < -1 || r.right > window.innerWidth + 1)) bad.push(`${e.tagName}#${e.id}.${e.className} outside`);
        if (e.tagName === 'BUTTON' && e.scrollWidth > e.clientWidth + 1) bad.push(`${e.textContent} clipped`);
      });
      return bad;
    });
    // 320 CSS px wide, and a 1280x800 window at 200% zoom (640x400 CSS px).
    for (const size of [{ width: 320, height: 640 }, { width: 640, height: 400 }]) {
      await agent.setViewportSize(size);
      await sleep(50);
      assert.deepEqual(await overflow(), [], `at ${size.width}x${size.height}`);
      assert.ok(await agent.locator('#reply-text').isVisible());
    }
    await agent.setViewportSize({ width: 1200, height: 900 });
  });

  it('typing shows on both sides; messages go both ways', async () => {
    // The citizen types: the agent sees "Burger typt…".
    await citizen.locator('.loket-composer .loket-input').focus();
    await citizen.keyboard.type('Mijn paspoort', { delay: 20 });
    await waitText(agent, '#citizen-typing', /Burger typt/);
    await citizen.keyboard.type(' is verlopen.', { delay: 5 });
    await citizen.keyboard.press('Enter');
    await waitText(agent, '#history', /Mijn paspoort is verlopen\./);
    assert.equal(await text(agent, '#citizen-typing'), '', 'the typing line goes with the message');
    // The agent types: the citizen sees "Anna typt…"; Enter sends.
    await keyTo(agent, 'Tab', (x) => x.id === 'reply-text');
    await agent.keyboard.type('Goedemiddag, ik help u graag', { delay: 20 });
    await waitText(citizen, '.loket-typing', /Anna typt/);
    await agent.keyboard.press('Shift+Enter');
    await agent.keyboard.type('met uw paspoort.');
    assert.match(await agent.locator('#reply-text').inputValue(), /graag\nmet uw/, 'Shift+Enter is a new line');
    await agent.keyboard.press('Enter');
    await waitText(agent, '#history .msg--agent', /Anna \(medewerker\):[\s\S]*ik help u graag/);
    assert.equal(await agent.locator('#reply-text').inputValue(), '');
    const reply = citizenMsgs('.loket-msg--agent').last();
    await reply.waitFor();
    assert.match(await reply.innerText(), /Anna \(medewerker\):/);
    assert.match(await reply.innerText(), /ik help u graag\nmet uw paspoort\./);
    assert.equal(await reply.locator('.loket-ai-label').count(), 0, 'a person wrote it, not AI');
    await axe(citizen, 'widget: an agent message');
    // The citizen answers again; the agent sees it.
    await citizenSays('Kan ik morgen langskomen?');
    await waitText(agent, '#history', /Kan ik morgen langskomen\?/);
  });

  it('a canned response goes into the reply box and is sent', async () => {
    const canned = agent.locator('#canned .canned-button');
    assert.ok(await canned.count() > 0, 'canned responses for Dutch');
    const first = (await canned.first().innerText()).trim();
    await keyTo(agent, 'Tab', (x) => x.cls.includes('canned-button') && x.text === first);
    await agent.keyboard.press('Enter');
    assert.equal((await focused(agent)).id, 'reply-text', 'back in the reply box');
    assert.equal((await agent.locator('#reply-text').inputValue()).trim(), first);
    await agent.keyboard.press('Enter');
    await waitUntil('the canned text at the citizen', async () =>
      (await citizenMsgs('.loket-msg--agent').last().innerText()).includes(first));
  });

  it('the agent closes with a summary; the citizen sees it and talks to the bot again', async () => {
    const id = await convId();
    await keyTo(agent, 'Tab', (x) => x.id === 'act-close');
    await agent.keyboard.press('Enter');
    await agent.locator('#close-form').waitFor();
    assert.equal((await focused(agent)).id, 'close-summary');
    assert.notEqual((await agent.locator('#close-summary').inputValue()).trim(), '', 'a summary draft');
    await agent.keyboard.press('Control+A');
    await agent.keyboard.type('Paspoort verlopen; uitgelegd hoe een afspraak te maken.');
    await keyTo(agent, 'Tab', (x) => x.text === 'Gesprek afsluiten');
    await agent.keyboard.press('Enter');
    await agent.locator('#view-queue').waitFor();
    await waitText(agent, '#flash', /afgesloten/);
    await waitUntil('not in my list any more', async () =>
      (await agent.locator(`#mine li[data-conv="${id}"]`).count()) === 0);
    // The citizen: a closing notice, no status line, the bot answers again.
    await waitUntil('the closing notice', async () =>
      !(await citizen.locator('.loket-status').isVisible()));
    const before = await citizenMsgs('.loket-msg--bot[data-seq]').count();
    await citizenSays('Wat kost een paspoort?');
    await waitUntil('the bot answers', async () => (await citizenMsgs('.loket-msg--bot[data-seq]').count()) > before &&
      !(await citizenMsgs('.loket-msg--bot[data-seq]').last().getAttribute('class')).includes('agent'));
    assert.match(await lastCitizenBot(), /AI-assistent:/);
    // The summary is stored.
    const anna = await apiLogin(loket.url, 'anna');
    const conv = await anna.call('GET', `/conversations/${id}`);
    assert.equal(conv.status, 200);
    assert.equal(conv.body.handoff.status, 'closed');
    assert.equal(conv.body.summary, 'Paspoort verlopen; uitgelegd hoe een afspraak te maken.');
  });

  it('"Terug naar de bot" (agent) and "Stop met wachten" (citizen)', async () => {
    await askForPerson();
    const id = await convId();
    const row = agent.locator(`#waiting li[data-conv="${id}"]`);
    await row.waitFor();
    await row.locator('button').click();
    await agent.locator('#view-conv').waitFor();
    await waitText(citizen, '.loket-status', /Anna helpt u nu/);
    await keyTo(agent, 'Tab', (x) => x.id === 'act-return');
    await agent.keyboard.press('Enter');
    await agent.locator('#view-queue').waitFor();
    await waitText(agent, '#flash', /teruggegeven aan de bot/);
    await waitUntil('the status line goes', async () => !(await citizen.locator('.loket-status').isVisible()));
    let before = await citizenMsgs('.loket-msg--bot[data-seq]').count();
    await citizenSays('Wat kost een rijbewijs?');
    await waitUntil('the bot answers again', async () => (await citizenMsgs('.loket-msg--bot[data-seq]').count()) > before);
    assert.match(await lastCitizenBot(), /AI-assistent:/);

    // Stop met wachten: the citizen leaves the queue; the agent's queue empties live.
    await askForPerson();
    await row.waitFor();
    before = await citizenMsgs('.loket-msg--bot[data-seq]').count();
    const stopButton = citizenMsgs('.loket-kind-handoff').last().locator('.loket-reply', { hasText: 'Stop met wachten' });
    await stopButton.focus();
    await citizen.keyboard.press('Enter');
    await waitUntil('an answer to Stop met wachten', async () => (await citizenMsgs('.loket-msg--bot[data-seq]').count()) > before);
    await waitUntil('the status line goes', async () => !(await citizen.locator('.loket-status').isVisible()));
    assert.equal(await citizenMsgs('.loket-reply', { hasText: 'Stop met wachten' }).count(), 0);
    await waitUntil('the queue empties', async () => (await row.count()) === 0);
    await waitText(agent, '#waiting', /Er wacht niemand/);
  });

  it('a colleague was first: the console says so politely; an empty queue too', async () => {
    await askForPerson();
    const id = await convId();
    const row = agent.locator(`#waiting li[data-conv="${id}"]`);
    await row.waitFor();
    // Hold the console's queue refreshes, so the row is still there when Carla takes it.
    const held = [];
    await agent.route('**/api/v1/agent/queue', (route) => { held.push(route); });
    const carla = await apiLogin(loket.url, 'carla');
    assert.equal((await carla.call('POST', '/claim', { conv_id: id })).status, 200);
    await waitText(citizen, '.loket-status', /Carla helpt u nu/);
    const errors = consoleErrors.length;
    await row.locator('button').focus();
    await agent.keyboard.press('Enter');
    await waitText(agent, '#flash', /collega heeft dit gesprek net aangenomen/);
    assert.equal(await agent.locator('#view-queue').isVisible(), true, 'still in the queue');
    await agent.unroute('**/api/v1/agent/queue');
    held.forEach((route) => route.continue());
    await waitUntil('the row leaves the waiting list', async () => (await row.count()) === 0);
    await waitText(agent, '#others', /bij Carla/);
    // "Volgende aannemen" with nobody waiting.
    await agent.locator('#claim-next').focus();
    await agent.keyboard.press('Enter');
    await waitText(agent, '#flash', /Er wacht nu niemand in uw teams/);
    // Chromium logs the 409 and the 404 the test asked for.
    await waitUntil('the two errors in the console', () => consoleErrors.length >= errors + 2);
    const logged = consoleErrors.splice(errors);
    assert.ok(logged.every((e) => /status of (409|404)/.test(e)), logged.join('\n'));
    assert.equal((await carla.call('POST', `/conversations/${id}/close`, {})).status, 200);
    await waitUntil('the status line goes', async () => !(await citizen.locator('.loket-status').isVisible()));
    await waitText(agent, '#others', /Collega's hebben nu geen gesprekken/);
  });

  it('the console speaks English on request', async () => {
    await agent.locator('#lang-button').focus();
    assert.equal(await agent.getAttribute('#lang-button', 'lang'), 'en');
    await agent.keyboard.press('Enter');
    assert.equal(await agent.getAttribute('html', 'lang'), 'en');
    assert.equal(await text(agent, '#queue-title'), 'Queue');
    assert.equal(await text(agent, '#claim-next'), 'Take the next one');
    await waitText(agent, '#waiting', /Nobody is waiting/);
    await axe(agent, 'console: English');
    await agent.keyboard.press('Enter');
    assert.equal(await agent.getAttribute('html', 'lang'), 'nl');
    assert.equal(await text(agent, '#queue-title'), 'Wachtrij');
  });

  it('logged no console errors and sent nothing off 127.0.0.1', () => {
    assert.deepEqual(consoleErrors, []);
    assert.deepEqual(blocked, []);
  });
});
