// Shared set-up of the browser tests: Debian's chromium through playwright-core, and the
// server the run script started (RUSHES_URL).
import { spawn } from 'node:child_process';
import net from 'node:net';

import { chromium } from 'playwright-core';

export const BASE = process.env.RUSHES_URL || 'http://127.0.0.1:7878';
export const FOOTAGE = process.env.RUSHES_FOOTAGE || '';
export const ARTIFACTS = process.env.RUSHES_ARTIFACTS || new URL('./artifacts', import.meta.url).pathname;

export async function launch() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

/** A page that fails the test on any script error or CSP violation. */
export async function newPage(browser, viewport = { width: 1440, height: 900 }) {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (error) => page.problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) {
      page.problems.push(`console: ${message.text()}`);
    }
  });
  return page;
}

/** Waits until the results show the answer (or the error) for `query`. */
export async function settled(page, query) {
  await page.waitForFunction(
    (q) => {
      const results = document.querySelector('#results');
      return results.dataset.query === q && (results.dataset.state === 'ready' || results.dataset.state === 'error');
    },
    query.trim(),
    { timeout: 20000 },
  );
}

/** Types a query in the search box like a person and waits for the results to settle. */
export async function search(page, query) {
  await page.fill('#q', '');
  await page.type('#q', query, { delay: 15 });
  await settled(page, query);
}

/** A free TCP port on loopback. */
export function freeLocalPort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/**
 * `rushes serve` on an index of a test's own (with extra environment `env`, e.g. another
 * RUSHES_MODELS), on a free loopback port. Resolves once
 * `/api/status` answers, with `{ base, stop }`.
 */
export async function serveOwnIndex(rushes, index, cwd, env = {}) {
  const port = await freeLocalPort();
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(rushes, ['serve', '--index', index, '--addr', `127.0.0.1:${port}`], { cwd, stdio: 'ignore', env: { ...process.env, ...env } });
  const stop = () => { if (server.exitCode === null) server.kill('SIGTERM'); };
  for (let attempt = 0; attempt < 150; attempt += 1) {
    try {
      if ((await fetch(`${base}/api/status`)).ok) return { base, stop };
    } catch { /* not listening yet */ }
    if (server.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  stop();
  throw new Error(`rushes serve on ${index} did not start listening`);
}
