// lib.mjs - what the browser tests share: where things are, a free loopback port, waiting for a
// condition, and stopping a `loket serve` child politely (SIGTERM, then SIGKILL after 10 s).
import { createServer } from 'node:net';
import { join, resolve, dirname, isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';

export const HOST = '127.0.0.1';
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const AXE_PATH = join(REPO_ROOT, 'tests', 'browser', 'node_modules', 'axe-core', 'axe.min.js');
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/* The binary under test: $LOKET_BIN (relative to the repo root) or build/loket. */
export function loketBin() {
  const path = process.env.LOKET_BIN || 'build/loket';
  return isAbsolute(path) ? path : join(REPO_ROOT, path);
}

/* A port on 127.0.0.1 that nobody listened on a moment ago. */
export function freePort() {
  return new Promise((ok, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, HOST, () => {
      const { port } = probe.address();
      probe.close(() => ok(port));
    });
  });
}

export const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/* Polls fn every 50 ms until it returns something truthy (returned), or throws after ms. */
export async function waitUntil(what, fn, ms = 30000) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last;
    await sleep(50);
  }
  throw new Error(`${what} did not happen in ${ms} ms`);
}

/* Stops a child process: SIGTERM, SIGKILL after 10 s; resolves when it exited. */
export function stop(proc) {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  const exited = new Promise((ok) => proc.once('exit', ok));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 10000);
  return exited.finally(() => clearTimeout(timer));
}
