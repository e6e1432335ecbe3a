// Editor and marketing work in the web UI on real footage: tag a moment and find it by
// tag:, add it to a collection, export the collection (CSV download read back, an mp4 job
// that completes), and play the collection in sequence.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { BASE, launch, newPage, search } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function exportAs(page, format) {
  await page.click('.export-open');
  await page.selectOption('#export-dialog [name="format"]', format);
  await page.click('#export-dialog .export-start');
  await page.waitForFunction(() => {
    const state = document.querySelector('#export-dialog').dataset.state;
    return state && state !== 'running';
  }, null, { timeout: 120000 });
  const state = await page.$eval('#export-dialog', (d) => d.dataset.state);
  assert.equal(state, 'done', await page.$eval('#export-dialog .export-state', (n) => n.textContent));
  return page.$$eval('#export-dialog .download-link', (links) => links.map((a) => ({ href: a.href, name: a.download })));
}

test('tag a moment, collect it, export it and play the collection', async () => {
  const page = await newPage(browser);
  await page.goto(`${BASE}/`);
  await search(page, 'crowd');
  await page.click('#results .card');
  await page.waitForSelector('#player-workflow .tag-input', { state: 'visible' });
  const moment = await page.$eval('#player-video', (v) => ({ asset: v.dataset.assetId, start: Number(v.dataset.start) }));

  await page.fill('#player-workflow .tag-input', 'wardrobe oops');
  await page.click('#player-workflow .tag-form button');
  await page.waitForSelector('#player-workflow .chip.tag[data-tag="wardrobe oops"]');
  await page.fill('#player-workflow .note', 'hat falls off');
  await page.click('#player-workflow .save-note');
  await page.waitForFunction(async (id) => {
    const list = await fetch(`/api/assets/${id}/annotations`).then((r) => r.json());
    return list.some((a) => a.note === 'hat falls off');
  }, moment.asset, { timeout: 20000, polling: 200 });
  await page.fill('#player-workflow .collection-input', 'browser picks');
  await page.click('#player-workflow .collect-form button');
  await page.waitForFunction(() => document.querySelector('#player-workflow .wf-status').textContent.includes('browser picks'));
  await page.keyboard.press('Escape');

  // The tag is searchable (the server's reader picks up the commit shortly after).
  await page.waitForFunction(async () => {
    const answer = await fetch('/api/search?q=tag:%22wardrobe%20oops%22').then((r) => r.json());
    return answer.hits.length > 0;
  }, null, { timeout: 20000, polling: 300 });
  await search(page, 'tag:"wardrobe oops"');
  const names = await page.$$eval('#results .card .name', (nodes) => nodes.map((n) => n.textContent));
  assert.deepEqual([...new Set(names)], ['A001_C001_crowd.mp4']);

  // A second moment (the slate) in the same collection, then the collection page.
  await search(page, 'scene 42');
  await page.click('#results .card');
  await page.waitForSelector('#player-workflow .collection-input', { state: 'visible' });
  await page.fill('#player-workflow .collection-input', 'browser picks');
  await page.click('#player-workflow .collect-form button');
  await page.waitForFunction(() => document.querySelector('#player-workflow .wf-status').textContent.includes('browser picks'));
  await page.keyboard.press('Escape');
  await page.click('#nav-collections');
  await page.click('.collection-link');
  await page.waitForSelector('.collection-item');
  const order = () => page.$$eval('.collection-item .name', (nodes) => nodes.map((n) => n.textContent));
  assert.deepEqual(await order(), ['A001_C001_crowd.mp4', 'A001_C003_slate.mp4']);
  await page.click('.collection-item:nth-child(2) .move-up');
  await page.waitForFunction(() => document.querySelector('.collection-item .name').textContent === 'A001_C003_slate.mp4');
  await page.click('.collection-item:nth-child(1) .move-down');
  await page.waitForFunction(() => document.querySelector('.collection-item .name').textContent === 'A001_C001_crowd.mp4');

  // CSV export: the download holds the moment's file, source timecode, tag and note.
  const [csvLink] = await exportAs(page, 'csv');
  assert.equal(csvLink.name, 'browser_picks.csv');
  const csv = await page.evaluate((href) => fetch(href).then((r) => r.text()), csvLink.href);
  assert.match(csv, /A001_C001_crowd\.mp4/);
  assert.match(csv, /01:00:\d\d:\d\d/);
  assert.match(csv, /wardrobe oops/);
  assert.match(csv, /hat falls off/);
  await page.click('#export-dialog .export-close');

  // MP4 export: one clip per moment, downloadable.
  const clips = await exportAs(page, 'mp4');
  assert.equal(clips.length, 2);
  const clipBytes = await page.evaluate((href) => fetch(href).then((r) => r.arrayBuffer()).then((b) => b.byteLength), clips[0].href);
  assert.ok(clipBytes > 1000, `clip has ${clipBytes} bytes`);
  await page.click('#export-dialog .export-close');

  // Play all: the first moment, then the player moves on to the second by itself.
  await page.click('.play-all');
  await page.waitForFunction((id) => document.querySelector('#player-video').dataset.assetId === id, moment.asset);
  await page.waitForFunction(() => document.querySelector('#player-title').textContent.startsWith('2/2'), null, { timeout: 60000 });
  const second = await page.$eval('#player-title', (n) => n.textContent);
  assert.match(second, /A001_C003_slate\.mp4/);
  assert.deepEqual(page.problems, [], 'script errors or CSP violations');
  await page.close();
});
