// What a person does in the rushes web UI, on real footage indexed by `rushes index`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { BASE, FOOTAGE, launch, newPage, search, settled } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function open(url = '/') {
  const page = await newPage(browser);
  await page.goto(BASE + url);
  return page;
}

function noProblems(page) {
  assert.deepEqual(page.problems, [], 'script errors or CSP violations');
}

async function cardNames(page) {
  return page.$$eval('#results .card .name', (nodes) => nodes.map((n) => n.textContent));
}

/** Waits until the player's video has seeked near `start`, and returns its currentTime. */
async function playerTimeNear(page, start) {
  await page.waitForFunction(
    (s) => {
      const video = document.querySelector('#player-video');
      return video.readyState >= 1 && Math.abs(video.currentTime - s) < 0.6;
    },
    start,
    { timeout: 90000 },
  );
  return page.$eval('#player-video', (v) => v.currentTime);
}

test('a file-name word finds the clip, the URL holds the query', async () => {
  const page = await open();
  await search(page, 'crowd');
  const names = await cardNames(page);
  assert.ok(names.includes('A001_C001_crowd.mp4'), `cards: ${names}`);
  assert.equal(new URL(page.url()).searchParams.get('q'), 'crowd');
  const folder = await page.$eval('#results .card .folder', (n) => n.textContent);
  assert.ok(folder.endsWith('footage/day1'), folder);
  // The thumbnail is a real image from the index.
  await page.waitForFunction(() => {
    const img = document.querySelector('#results .card .thumb img');
    return img && img.complete && img.naturalWidth > 0;
  });
  // The clip has source timecode 01:00:00:00: the card shows it.
  const tc = await page.$eval('#results .card .badge.tc', (n) => n.textContent);
  assert.match(tc, /^01:00:\d\d:\d\d$/);
  noProblems(page);
  await page.close();
});

test('on-screen text: "scene 42" finds the slate, clicking plays from the moment start', async () => {
  const page = await open();
  await search(page, 'scene 42');
  const first = page.locator('#results .card').first();
  assert.equal(await first.locator('.name').textContent(), 'A001_C003_slate.mp4');
  const signals = await first.locator('.signals').textContent();
  assert.ok(signals.includes('ocr'), signals);
  assert.ok((await first.locator('.snippet mark').count()) > 0, 'matched words are highlighted');
  const start = Number(await first.getAttribute('data-start'));
  await first.click();
  assert.ok(await page.$eval('#player', (d) => d.open));
  const current = await playerTimeNear(page, start);
  assert.ok(Math.abs(current - start) < 0.6, `currentTime ${current}, moment starts at ${start}`);
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !document.querySelector('#player').open);
  noProblems(page);
  await page.close();
});

test('an AVI plays through an H.264 proxy with a notice', async () => {
  const page = await open();
  await search(page, 'corridor');
  const card = page.locator('#results .card', { has: page.locator('.name', { hasText: 'vtest_corridor.avi' }) }).first();
  const start = Number(await card.getAttribute('data-start'));
  await card.click();
  await page.waitForSelector('#player-notice:not([hidden])');
  assert.match(await page.textContent('#player-notice'), /proxy/i);
  assert.match(await page.$eval('#player-video', (v) => v.currentSrc), /\/proxy$/);
  await playerTimeNear(page, start);
  await page.waitForFunction(() => document.querySelector('#player-video').videoWidth > 0, null, { timeout: 90000 });
  noProblems(page);
  await page.close();
});

test('a facet filter narrows the results and goes into the query', async () => {
  const page = await open();
  await search(page, 'day1');
  const before = await cardNames(page);
  assert.ok(before.length > 0, 'day1 finds footage');
  const kindButton = page.locator('.facet[data-facet="kind"] .facet-value[data-value="video"]');
  await kindButton.waitFor();
  await kindButton.click();
  await settled(page, 'day1 kind:video');
  assert.equal(new URL(page.url()).searchParams.get('q'), 'day1 kind:video');
  const kinds = await page.$$eval('#results .card', (cards) => cards.map((c) => c.querySelector('.no-thumb')?.textContent ?? 'video'));
  assert.ok(kinds.every((k) => k === 'video'), `${kinds}`);

  await search(page, 'kind:image');
  const images = await cardNames(page);
  assert.ok(images.length > 0 && images.every((n) => /\.(jpg|png)$/.test(n)), `${images}`);
  assert.notDeepEqual(images, before);
  noProblems(page);
  await page.close();
});

test('back and forward move between searches', async () => {
  const page = await open();
  await search(page, 'crowd');
  await search(page, 'kind:image');
  await page.goBack();
  await settled(page, 'crowd');
  assert.equal(await page.inputValue('#q'), 'crowd');
  assert.ok((await cardNames(page)).includes('A001_C001_crowd.mp4'));
  await page.goForward();
  await settled(page, 'kind:image');
  assert.equal(await page.inputValue('#q'), 'kind:image');
  await page.close();
});

test('a bad query shows a friendly message', async () => {
  const page = await open();
  await search(page, 'date:2025-13-01');
  const message = page.locator('#message.error');
  await message.waitFor();
  const text = await message.textContent();
  assert.match(text, /can't be read/);
  assert.equal(await page.locator('#results .card').count(), 0);
  noProblems(page);
  await page.close();
});

test('picking an image searches by it', async () => {
  const page = await open();
  await page.setInputFiles('#image-file', path.join(FOOTAGE, 'stills', 'craft_services_fruit.jpg'));
  await page.waitForFunction(() => document.querySelector('#results').dataset.state !== 'loading' && document.querySelector('#results').dataset.state, null, { timeout: 30000 });
  assert.equal(await page.getAttribute('#results', 'data-state'), 'ready', await page.textContent('#message'));
  assert.ok((await page.locator('#results .card').count()) > 0, 'image search returns hits');
  assert.ok(await page.isVisible('#image-query img'));
  noProblems(page);
  await page.close();
});

test('keyboard: / focuses search, arrows move, Enter plays, Esc closes', async () => {
  const page = await open('/?q=day1');
  await settled(page, 'day1');
  await page.click('body', { position: { x: 5, y: 300 } });
  await page.keyboard.press('/');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'q');
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.index), '0');
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.index), '1');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('#player').open);
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !document.querySelector('#player').open);
  assert.equal(await page.evaluate(() => document.activeElement.dataset.index), '1');
  await page.close();
});

test('the asset page shows the moments on a timeline; the library lists folders', async () => {
  const page = await open();
  await search(page, 'scene 42');
  await page.locator('#results .card').first().locator('a', { hasText: 'Asset' }).click();
  await page.waitForSelector('#asset-view .timeline .timeline-moment');
  assert.equal(await page.textContent('#asset-view h1'), 'A001_C003_slate.mp4');
  assert.ok((await page.locator('#asset-view .moment-row').count()) >= 1);
  // A browser-playable video has no proxy notice; the page once said "null" in its place.
  const strayText = await page.$eval('#asset-view', (view) => [...view.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent));
  assert.deepEqual(strayText, []);
  await page.click('#nav-library');
  await page.waitForSelector('#library-view table.assets tbody tr');
  const folders = await page.$$eval('#library-view .folders a', (links) => links.map((a) => a.textContent));
  assert.ok(folders.some((f) => f.startsWith('day1')), `${folders}`);
  noProblems(page);
  await page.close();
});
