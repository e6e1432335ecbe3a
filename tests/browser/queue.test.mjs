// The progress panel of a library indexed by workers (PostgreSQL): `/api/events` sends the
// whole queue (`queue` events: files done, waiting, in progress by worker, failed). The
// harness serves a local index, so the page here gets its events from a stand-in for
// `/api/events` in the JSON shape the server sends for a database; the server's answer
// itself is checked against a real PostgreSQL library in rushes-cli's
// `postgres::serve_streams_the_whole_job_queue_of_a_postgres_library`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { ARTIFACTS, BASE, launch, newPage } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// When studio-a took its file (Unix seconds), shown on the viewer's clock as HH:MM.
const SINCE = 1796650200;
const SINCE_CLOCK = (() => {
  const taken = new Date(SINCE * 1000);
  return [taken.getHours(), taken.getMinutes()].map((n) => String(n).padStart(2, '0')).join(':');
})();

const BUSY = {
  done: 12,
  waiting: 26,
  in_progress: [{ path: '/footage/day2/clip.mov', worker: 'studio-a:812', since: SINCE }],
  failed: 1,
  failures: [{ path: '/footage/day1/broken.mov', reason: 'not a video: moov atom not found' }],
};
const SETTLED = { done: 40, waiting: 0, in_progress: [], failed: 0, failures: [] };

/** Answers `/api/events` with `queues`, one per connection (the last one repeats). */
async function standInEvents(page, queues) {
  let served = 0;
  await page.route('**/api/events', (route) => {
    const queue = queues[Math.min(served, queues.length - 1)];
    served += 1;
    route.fulfill({
      status: 200,
      headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
      // `retry` makes the browser reconnect soon after this short stream ends.
      body: `retry: 200\nevent: queue\ndata: ${JSON.stringify(queue)}\n\n`,
    });
  });
}

test('the local library sends no queue: /api/status has none', async () => {
  const status = await (await fetch(`${BASE}/api/status`)).json();
  assert.ok(status.index, 'the status of the served index');
  assert.equal('queue' in status, false, 'a local index reports its runs in `progress` only');
});

test('a library indexed by workers shows its whole queue: done, who indexes what, failed', async () => {
  for (const width of [1280, 390]) {
    const page = await newPage(browser, { width, height: width === 390 ? 844 : 720 });
    await standInEvents(page, [BUSY]);
    await page.goto(`${BASE}/`);
    const text = page.locator('#progress-text');
    await text.waitFor({ state: 'visible', timeout: 10000 });
    assert.equal(
      await text.textContent(),
      `12 of 40 files done · indexing on studio-a: clip.mov since ${SINCE_CLOCK} · 26 waiting · 1 failed`,
    );
    assert.equal(await text.getAttribute('title'), `studio-a:812: /footage/day2/clip.mov since ${SINCE_CLOCK}`);
    assert.equal(await page.locator('#status-pill').textContent(), 'Indexing 13/40');
    assert.equal(await page.$eval('#progress-bar', (bar) => [bar.value, bar.max, bar.hidden].join()), '13,40,false');
    const failures = page.locator('#progress-failures');
    assert.equal(await failures.locator('summary').textContent(), '1 file could not be indexed');
    assert.match(await failures.locator('li').first().textContent(), /broken\.mov — not a video/);
    // The whole line is readable at either width (on a phone it wraps above the bar), and
    // nothing overflows the panel.
    const line = await page.$eval('#progress-text', (span) => [span.scrollWidth, span.clientWidth]);
    assert.ok(line[0] <= line[1], `the line is not cut at ${width} px: ${line}`);
    const fits = await page.$eval('#progress-panel', (panel) => panel.scrollWidth <= panel.clientWidth);
    assert.ok(fits, `the progress panel does not overflow at ${width} px`);
    await page.screenshot({ path: path.join(ARTIFACTS, `queue-${width}.png`) });
    assert.deepEqual(page.problems, []);
    await page.context().close();
  }
});

test('two workers at once are both named, and the panel goes when the queue is done', async () => {
  const two = {
    ...BUSY,
    waiting: 0,
    in_progress: [
      { path: '/footage/day2/a.mov', worker: 'studio-a:812' },
      { path: '/footage/day2/b.mov', worker: 'render-2:77' },
    ],
    failed: 0,
    failures: [],
  };
  const page = await newPage(browser);
  await standInEvents(page, [two, SETTLED]);
  await page.goto(`${BASE}/`);
  // The line as the first event left it, read in the same turn it showed (the next event
  // comes 200 ms later and replaces it).
  const shown = await page.waitForFunction(() => {
    const line = document.querySelector('#progress-text').textContent;
    return line.includes('render-2') && line;
  }, null, { timeout: 10000 });
  assert.equal(await shown.jsonValue(), '12 of 14 files done · indexing on studio-a: a.mov, render-2: b.mov');
  assert.equal(await page.locator('#progress-failures').isHidden(), true);
  // The next event: everything done, nothing failed — the panel and the pill go away.
  await page.waitForFunction(() => document.querySelector('#progress-panel').hidden, null, { timeout: 10000 });
  assert.equal(await page.locator('#status-pill').isHidden(), true);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a server readying its copy of the text index says how far it is, then the panel goes', async () => {
  const readying = { ...SETTLED, text_copy: { done: 40000, total: 100000 } };
  for (const width of [1280, 390]) {
    const page = await newPage(browser, { width, height: width === 390 ? 844 : 720 });
    await standInEvents(page, [readying, readying, SETTLED]);
    await page.goto(`${BASE}/`);
    const shown = await page.waitForFunction(() => {
      const line = document.querySelector('#progress-text').textContent;
      const pill = document.querySelector('#status-pill').textContent;
      const bar = document.querySelector('#progress-bar');
      return line.includes('readying') && [line, pill, bar.value, bar.max, bar.hidden].join('|');
    }, null, { timeout: 10000 });
    assert.equal(
      await shown.jsonValue(),
      '40 of 40 files done · readying fast word search: 40,000 of 100,000 files|Readying search 40%|40000|100000|false',
    );
    if (width === 390) await page.screenshot({ path: path.join(ARTIFACTS, 'queue-text-copy-390.png') });
    const fits = await page.$eval('#progress-panel', (panel) => panel.scrollWidth <= panel.clientWidth);
    assert.ok(fits, `the progress panel does not overflow at ${width} px`);
    // Built: nothing left to show.
    await page.waitForFunction(() => document.querySelector('#progress-panel').hidden, null, { timeout: 10000 });
    assert.equal(await page.locator('#status-pill').isHidden(), true);
    assert.deepEqual(page.problems, []);
    await page.context().close();
  }
});
