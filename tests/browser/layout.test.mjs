// Corners of the web UI an editor ran into, checked in real Chromium: the collections page
// at desktop and phone width (element boxes: nothing overlaps, names readable), visual-search
// buttons when visual search is off, typing a filter word by word, words a hit lacks, the
// phone layout, the first screen, unknown URLs, the light scheme and small-text contrast.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { BASE, launch, newPage, search, serveOwnIndex, settled } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const DESKTOP = { width: 1280, height: 720 };
const PHONE = { width: 390, height: 844 };

async function json(url, init) {
  const response = await fetch(url, init);
  assert.ok(response.ok, `${url}: HTTP ${response.status}`);
  return response.status === 204 ? null : response.json();
}

/** A collection of two moments (the crowd and the slate), made through the API. */
async function twoMomentCollection(name) {
  const crowd = (await json(`${BASE}/api/search?q=crowd`)).hits[0];
  const slate = (await json(`${BASE}/api/search?q=${encodeURIComponent('scene 42')}`)).hits[0];
  for (const hit of [crowd, slate]) {
    await json(`${BASE}/api/collections/${encodeURIComponent(name)}/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ asset: hit.asset.id, start: hit.start, end: hit.end, note: 'keep the wide' }),
    });
  }
}

/** Boxes of each collection row's parts, and the page's width. */
function collectionBoxes(page) {
  return page.evaluate(() => {
    const box = (node) => {
      const r = node.getBoundingClientRect();
      return { left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width, height: r.height };
    };
    return {
      viewport: window.innerWidth,
      scrollWidth: document.documentElement.scrollWidth,
      rows: [...document.querySelectorAll('.collection-item')].map((row) => ({
        row: box(row),
        name: { ...box(row.querySelector('.name')), text: row.querySelector('.name').textContent, lineHeight: parseFloat(getComputedStyle(row.querySelector('.name')).lineHeight) || 20 },
        parts: [
          ['thumb', box(row.querySelector('.collection-thumb'))],
          ['name', box(row.querySelector('.name'))],
          ['range', box(row.querySelector('.source-range'))],
          ['note', box(row.querySelector('.note-text'))],
          ...[...row.querySelectorAll('.actions button')].map((b) => [b.textContent, box(b)]),
        ],
      })),
    };
  });
}

const overlap = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;

for (const [label, viewport] of [['desktop 1280×720', DESKTOP], ['phone 390×844', PHONE]]) {
  test(`collections page at ${label}: thumbnails, names, source in/out, notes; nothing overlaps`, async () => {
    const name = `layout ${viewport.width}`;
    await twoMomentCollection(name);
    const page = await newPage(browser, viewport);
    await page.goto(`${BASE}/?collection=${encodeURIComponent(name)}`);
    await page.waitForSelector('.collection-item .source-range');
    const { viewport: width, scrollWidth, rows } = await collectionBoxes(page);
    assert.ok(scrollWidth <= width, `page ${scrollWidth}px wide in a ${width}px window`);
    assert.equal(rows.length, 2);
    for (const { row, name: nameBox, parts } of rows) {
      assert.ok(row.right <= width + 0.5, `row runs off the screen: ${row.right}`);
      assert.ok(nameBox.width >= 120, `name "${nameBox.text}" squeezed to ${nameBox.width}px`);
      assert.ok(nameBox.height <= nameBox.lineHeight * 1.6, `name "${nameBox.text}" wraps to ${nameBox.height}px`);
      assert.match(nameBox.text, /^A001_C00[13]_(crowd|slate)\.mp4$/);
      for (let i = 0; i < parts.length; i += 1) {
        for (let j = i + 1; j < parts.length; j += 1) {
          assert.ok(!overlap(parts[i][1], parts[j][1]), `${parts[i][0]} overlaps ${parts[j][0]} at ${label}: ${JSON.stringify([parts[i][1], parts[j][1]])}`);
        }
      }
    }
    assert.ok(!overlap(rows[0].row, rows[1].row), 'rows overlap');
    assert.match(await page.textContent('.collection-item .source-range'), /^\d\d:\d\d:\d\d[:;]\d\d – \d\d:\d\d:\d\d[:;]\d\d · /);
    assert.deepEqual(page.problems, []);
    await page.close();
  });
}

test('with visual search off, "More like this" and "Image…" say why and how to turn it on', async () => {
  const models = fs.mkdtempSync(path.join(os.tmpdir(), 'rushes-no-models-'));
  const { base, stop } = await serveOwnIndex(process.env.RUSHES_BIN, process.env.RUSHES_INDEX_DIR, undefined, { RUSHES_MODELS: models });
  try {
    const status = await json(`${base}/api/status`);
    assert.ok(status.visual_search_notice, 'the server reports visual search off');
    const page = await newPage(browser, DESKTOP);
    await page.goto(`${base}/`);
    // The first screen says what is off and the command that turns it on.
    await page.waitForSelector('#welcome .welcome-off li');
    assert.equal(await page.textContent('#welcome .welcome-off li'), status.visual_search_notice.replace(/`/g, ''));
    await page.waitForFunction(() => document.querySelector('#image-pick').getAttribute('aria-disabled') === 'true');
    // aria-disabled, so playwright would wait for it to be enabled: a person can still click it.
    await page.click('#image-pick', { force: true });
    await page.waitForSelector('#message:not([hidden])');
    assert.match(await page.textContent('#message'), /visual search, which is off/);
    assert.ok(!(await page.$eval('#message', (m) => m.classList.contains('error'))), 'a reason, not an error');

    await search(page, 'crowd');
    const similar = page.locator('#results .card .similar').first();
    assert.equal(await similar.getAttribute('aria-disabled'), 'true');
    assert.match(await similar.getAttribute('title'), /rushes models fetch|visual search is off/);
    await similar.click({ force: true });
    assert.equal(new URL(page.url()).searchParams.get('similar'), null, 'no similar search that can only fail');
    assert.match(await page.textContent('#message'), /“More like this” needs visual search/);
    assert.deepEqual(page.problems, []);
    await page.close();
  } finally {
    stop();
    fs.rmSync(models, { recursive: true, force: true });
  }
});

test('with visual search on, the buttons are live', async () => {
  const page = await newPage(browser, DESKTOP);
  await page.goto(`${BASE}/?q=crowd`);
  await settled(page, 'crowd');
  await page.waitForFunction(() => document.body.dataset.visual === 'on');
  assert.equal(await page.getAttribute('#image-pick', 'aria-disabled'), 'false');
  assert.equal(await page.locator('#results .card .similar').first().getAttribute('aria-disabled'), null);
  await page.close();
});

test('typing a filter word by word neither flashes an error nor wipes the results; facets follow', async () => {
  const page = await newPage(browser, DESKTOP);
  await page.goto(`${BASE}/?q=day1`);
  await settled(page, 'day1');
  const before = await page.locator('#results .card').count();
  assert.ok(before > 0);
  await page.evaluate(() => {
    window.flashes = { errors: 0, emptied: 0 };
    const watch = () => {
      if (document.querySelector('#message.error:not([hidden])')) window.flashes.errors += 1;
      if (document.querySelectorAll('#results .card').length === 0) window.flashes.emptied += 1;
    };
    new MutationObserver(watch).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  });
  await page.click('#q');
  await page.keyboard.press('End');
  // A person's pace: each pause is longer than the search debounce.
  await page.keyboard.type(' kind:vid', { delay: 320 });
  await page.waitForTimeout(400);
  await page.keyboard.type('eo', { delay: 320 });
  await settled(page, 'day1 kind:video');
  assert.deepEqual(await page.evaluate(() => window.flashes), { errors: 0, emptied: 0 });
  const kinds = await page.$$eval('.facet[data-facet="kind"] .facet-value', (buttons) => buttons.map((b) => b.dataset.value));
  assert.deepEqual(kinds, ['video'], 'the kind facet counts what the results show');

  // A real mistake still says so, after a pause (or at once on Enter).
  await page.fill('#q', 'day1 kind:vidoe');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#message.error:not([hidden])');
  assert.match(await page.textContent('#message'), /can't be read/);
  await page.close();
});

test('"scene 42 take 5" finding TAKE 3 says which word it does not contain', async () => {
  const page = await newPage(browser, DESKTOP);
  await page.goto(`${BASE}/`);
  await search(page, 'scene 42 take 5');
  const card = page.locator('#results .card', { has: page.locator('.name', { hasText: 'A001_C003_slate.mp4' }) }).first();
  assert.equal(await card.locator('.missing').textContent(), 'no match for: 5');
  await search(page, 'scene 42 take 3');
  const exact = page.locator('#results .card', { has: page.locator('.name', { hasText: 'A001_C003_slate.mp4' }) }).first();
  assert.equal(await exact.locator('.missing').count(), 0);
  await page.close();
});

test('phone 390×844: nothing wider than the screen, Image… whole, filters reachable', async () => {
  const page = await newPage(browser, PHONE);
  await page.goto(`${BASE}/?q=day1`);
  await settled(page, 'day1');
  const sizes = await page.evaluate(() => {
    const pick = document.querySelector('#image-pick').getBoundingClientRect();
    const facets = document.querySelector('#facets');
    return {
      scrollWidth: document.documentElement.scrollWidth,
      width: window.innerWidth,
      pick: { left: pick.left, right: pick.right, width: pick.width },
      facetsShown: facets.getClientRects().length > 0 && facets.querySelectorAll('.facet-value').length > 0,
    };
  });
  assert.ok(sizes.scrollWidth <= sizes.width, `page is ${sizes.scrollWidth}px wide`);
  assert.ok(sizes.pick.left >= 0 && sizes.pick.right <= sizes.width && sizes.pick.width > 30, JSON.stringify(sizes.pick));
  assert.ok(sizes.facetsShown, 'the filters are on the page');
  await page.locator('.facet[data-facet="kind"] .facet-value[data-value="video"]').click();
  await settled(page, 'day1 kind:video');
  await page.close();
});

test('phone 390×844: the library lists every file within the screen, each fact on one line', async () => {
  const page = await newPage(browser, PHONE);
  await page.goto(`${BASE}/?view=library`);
  await page.waitForSelector('#library-view table.assets tbody tr');
  const rows = await page.evaluate(() => [...document.querySelectorAll('#library-view table.assets tbody tr')].map((row) => {
    const cells = [...row.querySelectorAll('td')].filter((td) => td.getClientRects().length > 0);
    return {
      overflow: row.scrollWidth - row.clientWidth,
      cells: cells.map((td) => {
        const r = td.getBoundingClientRect();
        return { label: td.dataset.label || 'Name', text: td.textContent, left: r.left, right: r.right, height: r.height, line: parseFloat(getComputedStyle(td).lineHeight) || 20 };
      }),
    };
  }));
  const width = await page.evaluate(() => window.innerWidth);
  assert.ok(rows.length >= 2, 'the library lists the footage');
  for (const row of rows) {
    assert.ok(row.overflow <= 0, `a row scrolls sideways by ${row.overflow}px`);
    for (const cell of row.cells) {
      assert.ok(cell.left >= 0 && cell.right <= width, `${cell.label} "${cell.text}" is off screen: ${cell.left}–${cell.right} of ${width}`);
      if (cell.label !== 'Name') assert.ok(cell.height < cell.line * 1.6, `${cell.label} "${cell.text}" wraps (${cell.height}px)`);
    }
    const size = row.cells.find((c) => c.label === 'Size');
    assert.ok(size && /\d/.test(size.text), 'each file shows its size');
  }
  const labels = await page.$eval('#library-view table.assets tbody tr td[data-label="Size"]', (td) => getComputedStyle(td, '::before').content);
  assert.equal(labels, '"Size "', 'a fact says what it is');
  await page.close();
});

test('the first screen says what is indexed; unknown URLs get the UI\'s not-found page', async () => {
  const page = await newPage(browser, DESKTOP);
  await page.goto(`${BASE}/`);
  await page.waitForSelector('#welcome:not([hidden]) .welcome-indexed');
  assert.match(await page.textContent('#welcome .welcome-indexed'), /^Indexed: .*\d+ videos?.* — \d+ moments?\.$/);
  assert.equal(await page.locator('h1').count() >= 1, true, 'the page has a heading');
  const response = await page.goto(`${BASE}/no/such/page`);
  assert.equal(response.status(), 404);
  await page.waitForSelector('#notfound-view:not([hidden])');
  assert.equal(await page.textContent('#notfound-view h1'), 'Page not found');
  await page.click('#notfound-view a[href="/"]');
  await page.waitForSelector('#search-view:not([hidden])');
  assert.deepEqual(page.problems, []);
  await page.close();
});

/** WCAG contrast of a node's text against the page background. */
function contrastOf(page, selector) {
  return page.$eval(selector, (node) => {
    const rgb = (text) => text.match(/[\d.]+/g).slice(0, 3).map(Number);
    const lum = ([r, g, b]) => {
      const [R, G, B] = [r, g, b].map((v) => { const c = v / 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; });
      return 0.2126 * R + 0.7152 * G + 0.0722 * B;
    };
    let back = node;
    let bg = 'rgba(0, 0, 0, 0)';
    while (back && /rgba\(.*, 0\)$/.test(bg)) {
      bg = getComputedStyle(back).backgroundColor;
      back = back.parentElement;
    }
    const a = lum(rgb(getComputedStyle(node).color));
    const b = lum(rgb(bg));
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  });
}

for (const scheme of ['dark', 'light']) {
  test(`${scheme} scheme: honoured, and small labels at 4.5:1 or more`, async () => {
    const context = await browser.newContext({ viewport: DESKTOP, colorScheme: scheme });
    const page = await context.newPage();
    await page.goto(`${BASE}/?q=day1`);
    await settled(page, 'day1');
    const background = await page.$eval('body', (b) => getComputedStyle(b).backgroundColor);
    const level = background.match(/\d+/g).slice(0, 3).map(Number).reduce((x, y) => x + y, 0) / 3;
    assert.ok(scheme === 'light' ? level > 200 : level < 60, `${scheme}: body background ${background}`);
    for (const selector of ['.facet h3', '.facet-count', '#result-count', '#results .card .folder']) {
      const ratio = await contrastOf(page, selector);
      assert.ok(ratio >= 4.5, `${selector}: ${ratio.toFixed(2)}:1 in ${scheme}`);
    }
    await context.close();
  });
}
