// A server listening beyond loopback: `rushes serve --addr 0.0.0.0:…` prints a token, every
// data request without it gets 401, and the web UI asks for it once, then works (thumbnails
// included, through the session cookie) and remembers it across reloads.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';

import { freeLocalPort, launch, newPage, settled } from './browser.mjs';

const RUSHES = process.env.RUSHES_BIN;
const INDEX = process.env.RUSHES_INDEX_DIR;

let browser;
let server;
let base;
let token;

/** Starts the guarded server and resolves with the token it prints once. */
function startGuardedServer(port) {
  return new Promise((resolve, reject) => {
    server = spawn(RUSHES, ['serve', '--index', INDEX, '--addr', `0.0.0.0:${port}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== 'RUSHES_TOKEN')),
    });
    let out = '';
    let err = '';
    server.stdout.on('data', (chunk) => {
      out += chunk;
      const found = out.match(/^([0-9a-f]{48})$/m);
      if (found) resolve(found[1]);
    });
    server.stderr.on('data', (chunk) => { err += chunk; });
    server.on('exit', (code) => reject(new Error(`rushes serve exited ${code}: ${out}\n${err}`)));
    setTimeout(() => reject(new Error(`no token printed: ${out}\n${err}`)), 30000);
  });
}

async function waitUntilListening() {
  for (let attempt = 0; attempt < 150; attempt += 1) {
    try {
      await fetch(`${base}/`);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  throw new Error('the guarded server did not start listening');
}

before(async () => {
  assert.ok(RUSHES && INDEX, 'RUSHES_BIN and RUSHES_INDEX_DIR come from run.sh');
  const port = await freeLocalPort();
  base = `http://127.0.0.1:${port}`;
  token = await startGuardedServer(port);
  await waitUntilListening();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    server.removeAllListeners('exit');
    server.kill('SIGTERM');
  }
});

test('without the token the API, media and thumbnails answer 401; with it, 200', async () => {
  for (const path of ['/api/search?q=crowd', '/api/status', '/api/assets']) {
    const response = await fetch(base + path);
    assert.equal(response.status, 401, path);
    const body = await response.json();
    assert.equal(body.error.code, 'unauthorized');
  }
  const wrong = await fetch(`${base}/api/search?q=crowd`, { headers: { authorization: 'Bearer 0123456789abcdef0123' } });
  assert.equal(wrong.status, 401);
  const right = await fetch(`${base}/api/search?q=crowd`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(right.status, 200);
  const { hits } = await right.json();
  assert.ok(hits.length > 0, 'the token opens search');
  const thumb = hits.find((hit) => hit.thumbnail)?.thumbnail;
  assert.ok(thumb, 'a hit with a thumbnail');
  assert.equal((await fetch(base + thumb)).status, 401, 'thumbnails need the token too');
});

test('the UI asks for the token once, refuses a wrong one, then shows results and thumbnails', async () => {
  const page = await newPage(browser);
  await page.goto(`${base}/?q=crowd`);
  await page.waitForSelector('#auth-dialog[open]', { timeout: 20000 });
  await page.fill('#auth-token', 'not-the-right-token-at-all');
  await page.click('#auth-dialog button[type=submit]');
  await page.waitForSelector('#auth-error:not([hidden])');
  assert.match(await page.textContent('#auth-error'), /not accepted/);

  await page.fill('#auth-token', token);
  await page.click('#auth-dialog button[type=submit]');
  await settled(page, 'crowd');
  assert.equal(await page.$('#auth-dialog'), null, 'the dialog is gone');
  const names = await page.$$eval('#results .card .name', (nodes) => nodes.map((n) => n.textContent));
  assert.ok(names.includes('A001_C001_crowd.mp4'), `cards: ${names}`);
  // <img> cannot send a header: the session cookie lets the thumbnail through.
  await page.waitForFunction(() => {
    const img = document.querySelector('#results .card .thumb img');
    return img && img.complete && img.naturalWidth > 0;
  }, null, { timeout: 20000 });

  // A reload in the same browser remembers the token: no second prompt.
  await page.reload();
  await settled(page, 'crowd');
  assert.equal(await page.$('#auth-dialog'), null, 'asked only once');
  assert.deepEqual(page.problems, [], 'script errors or CSP violations');
  await page.close();
});
