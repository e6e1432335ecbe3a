// Saves a picture of each view of the web UI, on real footage with real thumbnails, at a
// laptop (1280×720) and a phone (390×844) size, into artifacts/: <view>-<width>.png.
import path from 'node:path';
import fs from 'node:fs';

import { ARTIFACTS, BASE, launch, newPage, settled } from './browser.mjs';

const SIZES = [{ width: 1280, height: 720 }, { width: 390, height: 844 }];
const COLLECTION = 'screenshot picks';

async function thumbsLoaded(page) {
  // Lazy images below the fold never load: only the ones on screen count.
  await page.waitForFunction(() => [...document.querySelectorAll('img')]
    .filter((img) => { const r = img.getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight && r.width > 0; })
    .every((img) => img.complete), null, { timeout: 20000 });
}

async function api(method, url, body) {
  const response = await fetch(`${BASE}${url}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  return response.status === 204 ? null : response.json();
}

/** A collection with a couple of moments and a note, so its page has something to show. */
async function ensureCollection() {
  const page = await api('GET', `/api/collections/${encodeURIComponent(COLLECTION)}`);
  if (page && page.items && page.items.length) return;
  for (const q of ['crowd', 'scene 42']) {
    const hit = (await api('GET', `/api/search?q=${encodeURIComponent(q)}`)).hits[0];
    await api('POST', `/api/collections/${encodeURIComponent(COLLECTION)}/items`, { asset: hit.asset.id, start: hit.start, end: hit.end, note: q === 'crowd' ? 'wide for the opener' : '' });
  }
}

/** Each view: a name and how to get there. */
const VIEWS = [
  ['welcome', async (page) => { await page.goto(`${BASE}/`); await settled(page, ''); }],
  ['results', async (page) => { await page.goto(`${BASE}/?q=day1`); await settled(page, 'day1'); }],
  ['missing-word', async (page) => { await page.goto(`${BASE}/?q=${encodeURIComponent('scene 42 take 5')}`); await settled(page, 'scene 42 take 5'); }],
  ['player', async (page) => {
    await page.goto(`${BASE}/?q=crowd`);
    await settled(page, 'crowd');
    await page.click('#results .card');
    await page.waitForFunction(() => document.querySelector('#player-video').readyState >= 2 && document.querySelector('#player-video').dataset.fps, null, { timeout: 60000 });
    await page.keyboard.press('k');
    await page.keyboard.press('i');
    await page.keyboard.press('Shift+ArrowRight');
    await page.keyboard.press('o');
  }],
  ['still', async (page) => {
    await page.goto(`${BASE}/?q=${encodeURIComponent('kind:image')}`);
    await settled(page, 'kind:image');
    await page.locator('#results .card', { hasText: 'call_sheet_scan' }).first().click();
    await page.waitForFunction(() => document.querySelector('#player-still-img').naturalWidth > 0);
    await page.waitForTimeout(300);
  }],
  ['asset', async (page) => {
    const hit = (await api('GET', `/api/search?q=${encodeURIComponent('scene 42')}`)).hits[0];
    await page.goto(`${BASE}/?asset=${hit.asset.id}`);
    await page.waitForSelector('#asset-view h1');
  }],
  ['library', async (page) => { await page.goto(`${BASE}/?view=library`); await page.waitForSelector('#library-view table'); }],
  ['collections', async (page) => { await page.goto(`${BASE}/?view=collections`); await page.waitForSelector('.collection-list, #collections-view .muted'); }],
  ['collection', async (page) => { await page.goto(`${BASE}/?collection=${encodeURIComponent(COLLECTION)}`); await page.waitForSelector('.collection-item'); }],
  ['export', async (page) => {
    await page.goto(`${BASE}/?collection=${encodeURIComponent(COLLECTION)}`);
    await page.waitForSelector('.collection-item');
    await page.click('.export-open');
    await page.selectOption('#export-dialog [name="format"]', 'edl');
    await page.click('#export-dialog .export-start');
    await page.waitForFunction(() => document.querySelector('#export-dialog').dataset.state === 'done', null, { timeout: 60000 });
  }],
  ['people', async (page) => { await page.goto(`${BASE}/?view=people`); await page.waitForSelector('#people-view h2, #people-view h1, #people-view .empty'); }],
  ['not-found', async (page) => { await page.goto(`${BASE}/no/such/page`); await page.waitForSelector('#notfound-view h1'); }],
];

const only = process.argv.slice(2);
fs.mkdirSync(ARTIFACTS, { recursive: true });
await ensureCollection();
const browser = await launch();
try {
  for (const size of SIZES) {
    for (const [name, open] of VIEWS) {
      if (only.length && !only.includes(name)) continue;
      const page = await newPage(browser, size);
      try {
        await open(page);
        await thumbsLoaded(page);
        const file = path.join(ARTIFACTS, `${name}-${size.width}.png`);
        await page.screenshot({ path: file });
        console.log(`saved ${file}`);
      } catch (error) {
        console.error(`${name} at ${size.width}: ${error.message}`);
        process.exitCode = 1;
      } finally {
        await page.close();
      }
    }
  }
} finally {
  await browser.close();
}
