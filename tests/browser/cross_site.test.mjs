// Another web site against a running rushes server, in real Chromium (issue 18): a page
// served from another origin — a second small HTTP server started here, reached both as
// http://127.0.0.1:<other port> (same site, other origin) and as http://evil.test:<other
// port> (another site; Chromium resolves evil.test to 127.0.0.1) — tries to read search
// results, media and thumbnails and to split a face, create a collection and tag a file
// with fetch (cors and no-cors) and with a plain HTML form. Nothing is read and, checked
// through the API afterwards, nothing changed. A page whose own name is rebound to the
// server's address (DNS rebinding: http://evil.test:<rushes port>) gets 421, as does a
// foreign Host from node. The UI on its own origin still searches and changes things.
// The server is one of this test's own, on an index of two clips of one face.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

import { chromium } from 'playwright-core';

import { freeLocalPort, serveOwnIndex, settled } from './browser.mjs';

const RUSHES = process.env.RUSHES_BIN;
const ROOT = new URL('../..', import.meta.url).pathname;
const ASTRONAUT = path.join(ROOT, 'runtime/test-images/astronaut.png');

let browser;
let stopServer;
let base;
let work;
let attacker;
let attackerPort;
let person;
let asset;

function ffmpeg(...args) {
  execFileSync('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', ...args]);
}

/** The attacker's site: one page that does nothing until the test runs script in it. */
function startAttacker(port) {
  const server = http.createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end('<!doctype html><title>another site</title><iframe name="sink"></iframe>');
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

/** GET from node (no Origin, no Sec-Fetch-*: a client that is not a browser). */
async function api(urlPath) {
  const response = await fetch(base + urlPath);
  assert.equal(response.status, 200, urlPath);
  return response.json();
}

/** Everything an attack could change, as the API shows it. */
async function snapshot() {
  const people = await api('/api/people');
  const faces = await Promise.all(people.people.map((p) => api(`/api/people/${p.id}`).then((page) => page.faces.map((f) => f.id))));
  return {
    people: people.people.map(({ id, name, faces: count }) => ({ id, name, count })),
    faces,
    collections: await api('/api/collections'),
    annotations: await api(`/api/assets/${asset.id}/annotations`),
  };
}

/** A request from node with any Host header, as a browser sends it after DNS rebinding. */
function getWithHost(urlPath, host) {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const request = http.request({ hostname, port, path: urlPath, headers: { host } }, (response) => {
      let body = '';
      response.on('data', (chunk) => { body += chunk; });
      response.on('end', () => resolve({ status: response.statusCode, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

before(async () => {
  assert.ok(RUSHES, 'RUSHES_BIN comes from run.sh');
  assert.ok(fs.existsSync(ASTRONAUT), `${ASTRONAUT} missing: run scripts/setup.sh test`);
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'rushes-cross-site-'));
  const footage = path.join(work, 'footage');
  fs.mkdirSync(footage);
  // One face in two clips: one person with two faces, so a split would change something.
  for (const [name, filter] of [
    ['astronaut_pan.mp4', "scale=640:640,crop=480:480:'60*t/3':'40*t/3'"],
    ['astronaut_dim.mp4', 'scale=480:480,eq=brightness=-0.10'],
  ]) {
    ffmpeg('-loop', '1', '-framerate', '10', '-i', ASTRONAUT, '-t', '3', '-vf', `${filter},format=yuv420p`,
      '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '26', path.join(footage, name));
  }
  const index = path.join(work, 'index');
  execFileSync(RUSHES, ['index', footage, '--index', index], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  ({ base, stop: stopServer } = await serveOwnIndex(RUSHES, index, ROOT));

  const { people } = await api('/api/people');
  person = people.find((p) => p.faces >= 2);
  assert.ok(person, `a person with two faces: ${JSON.stringify(people)}`);
  asset = (await api('/api/assets')).assets[0];
  assert.ok(asset, 'an asset');

  attackerPort = await freeLocalPort();
  attacker = await startAttacker(attackerPort);
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--host-resolver-rules=MAP evil.test 127.0.0.1',
    ],
  });
});

after(async () => {
  await browser?.close();
  attacker?.close();
  stopServer?.();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** The two pages of other origins: same site (another port) and another site. */
function attackerOrigins() {
  return [`http://127.0.0.1:${attackerPort}`, `http://evil.test:${attackerPort}`];
}

test('a page of another origin can read neither results nor media nor thumbnails', async () => {
  const hits = (await api('/api/search?q=astronaut')).hits;
  assert.ok(hits.length > 0, 'the library has results to steal');
  const thumbnail = hits.find((hit) => hit.thumbnail)?.thumbnail;
  assert.ok(thumbnail, 'a hit with a thumbnail');
  const media = `/media/${hits[0].asset.id}`;
  for (const origin of attackerOrigins()) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${origin}/`);
    const stolen = await page.evaluate(async ({ target, thumbnail, media }) => {
      const out = {};
      try {
        out.cors = await (await fetch(`${target}/api/search?q=astronaut`)).text();
      } catch (error) {
        out.cors = `refused: ${error.name}`;
      }
      const opaque = await fetch(`${target}/api/search?q=astronaut`, { mode: 'no-cors' });
      out.noCors = { type: opaque.type, body: await opaque.text() };
      const video = document.createElement('video');
      video.muted = true;
      out.video = await new Promise((resolve) => {
        video.onloadedmetadata = () => resolve(`duration ${video.duration}`);
        video.onerror = () => resolve('error');
        setTimeout(() => resolve('timeout'), 10000);
        video.src = target + media;
      });
      const image = new Image();
      out.image = await new Promise((resolve) => {
        image.onload = () => resolve(`${image.naturalWidth}x${image.naturalHeight}`);
        image.onerror = () => resolve('error');
        image.src = target + thumbnail;
      });
      return out;
    }, { target: base, thumbnail, media });
    assert.match(stolen.cors, /^refused/, `${origin}: ${JSON.stringify(stolen)}`);
    assert.deepEqual(stolen.noCors, { type: 'opaque', body: '' }, origin);
    assert.equal(stolen.video, 'error', `${origin}: the video's duration leaked`);
    assert.equal(stolen.image, 'error', `${origin}: the thumbnail's size leaked`);
    await context.close();
  }
});

test('a page of another origin cannot change anything: fetch, no-cors fetch, form post', async () => {
  const before = await snapshot();
  const faceId = before.faces[before.people.findIndex((p) => p.id === person.id)][0];
  for (const origin of attackerOrigins()) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${origin}/`);
    const split = `${base}/api/faces/${faceId}/split`;
    const collections = `${base}/api/collections`;
    const annotate = `${base}/api/assets/${asset.id}/annotations`;
    const outcomes = await page.evaluate(async ({ split, collections, annotate }) => {
      const attempt = async (url, init) => {
        try {
          const response = await fetch(url, init);
          return response.type === 'opaque' ? 'opaque' : `status ${response.status}`;
        } catch (error) {
          return `refused: ${error.name}`;
        }
      };
      const json = (body) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const text = (body) => ({ method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: JSON.stringify(body) });
      return [
        await attempt(split, { method: 'POST' }),
        await attempt(split, { method: 'POST', mode: 'no-cors' }),
        await attempt(collections, json({ name: 'stolen' })),
        await attempt(collections, text({ name: 'stolen' })),
        await attempt(annotate, json({ add: ['pwned'] })),
        await attempt(annotate, text({ add: ['pwned'] })),
      ];
    }, { split, collections, annotate });
    // cors requests are stopped by the browser (no CORS headers); the rest never tell.
    for (const outcome of outcomes) assert.match(outcome, /^(refused|opaque)/, `${origin}: ${outcomes}`);

    // Plain HTML forms, posted into the page's iframe: the classic cross-site request.
    const forms = [[split, null], [collections, '{"name":"stolen-form","x":"'], [annotate, '{"add":["pwned"],"x":"']];
    for (const [n, [action, field]] of forms.entries()) {
      // The answer, as soon as it arrives: its frame may then refuse to show it (the server's
      // CSP says frame-ancestors 'none'), which Chromium reports as a failed request.
      const posted = page.waitForResponse((response) => response.url() === action);
      await page.evaluate(({ action, field, n }) => {
        // A fresh frame for each post: a frame that refused the last answer shows an error
        // page, and Chromium may never send a form aimed at it.
        const sink = document.createElement('iframe');
        sink.name = `sink-${n}`;
        document.body.append(sink);
        const form = document.createElement('form');
        form.method = 'POST';
        form.action = action;
        form.target = sink.name;
        if (field) {
          form.enctype = 'text/plain';
          const input = document.createElement('input');
          input.name = field;
          input.value = '"}';
          form.append(input);
        }
        document.body.append(form);
        form.submit();
      }, { action, field, n });
      const response = await posted;
      assert.equal(response.status(), 403, `${origin}: form post to ${action}`);
    }
    await context.close();
  }
  assert.deepEqual(await snapshot(), before, 'nothing changed');
});

test('DNS rebinding: a name other than the server\'s gets 421, from node and in the browser', async () => {
  const port = new URL(base).port;
  for (const urlPath of ['/', '/api/search?q=astronaut', `/api/people/${person.id}`]) {
    const answer = await getWithHost(urlPath, `evil.test:${port}`);
    assert.equal(answer.status, 421, urlPath);
    const { error } = JSON.parse(answer.body);
    assert.equal(error.code, 'misdirected_request');
    assert.match(error.message, /--allow-host evil\.test/);
  }
  // evil.test resolves to 127.0.0.1: the page would be same-origin with everything it asks.
  const context = await browser.newContext();
  const page = await context.newPage();
  const response = await page.goto(`http://evil.test:${port}/`);
  assert.equal(response.status(), 421);
  const status = await page.evaluate(async () => (await fetch('/api/search?q=astronaut')).status);
  assert.equal(status, 421);
  await context.close();
});

test('the UI on its own origin still searches and makes changes', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(`${base}/?q=astronaut`);
  await settled(page, 'astronaut');
  const cards = await page.$$eval('#results .card .name', (nodes) => nodes.map((n) => n.textContent));
  assert.ok(cards.length > 0, 'results on the real origin');
  await page.waitForFunction(() => {
    const img = document.querySelector('#results .card .thumb img');
    return img && img.complete && img.naturalWidth > 0;
  }, null, { timeout: 20000 });

  // The UI's own writes carry its own Origin and Sec-Fetch-Site: same-origin.
  const statuses = await page.evaluate(async ({ assetId }) => {
    const post = (url, body) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const created = await post('/api/collections', { name: 'selects' });
    const tagged = await post(`/api/assets/${assetId}/annotations`, { add: ['keeper'] });
    return [created.status, tagged.status];
  }, { assetId: asset.id });
  assert.ok(statuses.every((s) => s >= 200 && s < 300), `statuses: ${statuses}`);
  const collections = await api('/api/collections');
  assert.ok(collections.some((c) => c.name === 'selects'), JSON.stringify(collections));
  assert.match(JSON.stringify(await api(`/api/assets/${asset.id}/annotations`)), /keeper/);
  assert.deepEqual(problems, []);
  await context.close();
});
