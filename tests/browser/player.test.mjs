// The player as an editor uses it, on real footage: J/K/L shuttle, frame and second steps at
// the file's real rate, a running source timecode, I/O marks that a tag, a collection entry
// and an EDL export carry, looping a range that runs to the end of the file, Space after the
// end, the still viewer, and hover scrub on a card.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { BASE, launch, newPage, search } from './browser.mjs';
import { fromFrames, parseTimecode, toFrames } from '../../web/js/timecode.js';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const CROWD = 'A001_C001_crowd.mp4'; // 10 fps, source timecode 01:00:00:00, 6 s

/** Opens the crowd clip in the player, paused, with its rate read from the probe. */
async function openCrowd(page) {
  await page.goto(`${BASE}/`);
  await search(page, 'crowd');
  await page.locator('#results .card', { has: page.locator('.name', { hasText: CROWD }) }).first().click();
  await page.waitForFunction(() => {
    const video = document.querySelector('#player-video');
    return document.querySelector('#player').open && video.readyState >= 2 && video.dataset.fps === '10';
  }, null, { timeout: 60000 });
  await page.keyboard.press('k');
  await page.waitForFunction(() => document.querySelector('#player-video').paused);
}

/** Seeks the player's video (as a click on the bar would) and waits for the frame. */
async function seekTo(page, seconds) {
  await page.evaluate((t) => { document.querySelector('#player-video').currentTime = t; }, seconds);
  await settledAt(page, seconds);
}

async function settledAt(page, seconds) {
  await page.waitForFunction((t) => {
    const video = document.querySelector('#player-video');
    return !video.seeking && Math.abs(video.currentTime - t) < 0.02;
  }, seconds, { timeout: 20000 });
}

const playerTime = (page) => page.$eval('#player-video', (v) => v.currentTime);
const tcShown = (page) => page.textContent('#player-tc');
const crowdTc = (frame) => fromFrames(toFrames(parseTimecode('01:00:00:00'), 10) + frame, 10, false);

test('player keys: frames at the real rate, seconds, J/K/L shuttle, a running timecode', async () => {
  const page = await newPage(browser);
  await openCrowd(page);
  assert.match(await page.textContent('#player-sub'), /10 fps/);
  assert.match(await page.textContent('#player-sub'), /starts 01:00:00:00/);
  await seekTo(page, 2.05); // frame 20
  assert.equal(await tcShown(page), crowdTc(20));

  // `.` and → step one frame (0.1 s at 10 fps), `,` and ← step back.
  await page.keyboard.press('.');
  await settledAt(page, 2.15);
  assert.equal(await tcShown(page), crowdTc(21));
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await settledAt(page, 2.35);
  assert.equal(await tcShown(page), crowdTc(23));
  await page.keyboard.press(',');
  await page.keyboard.press('ArrowLeft');
  await settledAt(page, 2.15);
  assert.equal(await tcShown(page), '01:00:02:01');
  // Shift+→ one second on, Shift+← one back.
  await page.keyboard.press('Shift+ArrowRight');
  await settledAt(page, 3.15);
  assert.equal(await tcShown(page), '01:00:03:01');
  await page.keyboard.press('Shift+ArrowLeft');
  await settledAt(page, 2.15);

  // L plays, again is twice as fast, then 4×; K stops.
  await page.keyboard.press('l');
  await page.waitForFunction(() => !document.querySelector('#player-video').paused);
  await page.keyboard.press('l');
  assert.equal(await page.$eval('#player-video', (v) => v.playbackRate), 2);
  await page.keyboard.press('l');
  assert.equal(await page.$eval('#player-video', (v) => v.playbackRate), 4);
  assert.match(await page.textContent('#player-speed'), /4×/);
  await page.keyboard.press('k');
  await page.waitForFunction(() => document.querySelector('#player-video').paused);

  // J plays backwards (stepped, the video element stays paused); the timecode runs with it.
  await seekTo(page, 4.05);
  const tcBefore = await tcShown(page);
  await page.keyboard.press('j');
  await page.waitForFunction(() => document.querySelector('#player-video').currentTime < 3.6, null, { timeout: 10000 });
  await page.keyboard.press('k');
  const stoppedAt = await playerTime(page);
  assert.ok(stoppedAt < 3.6, `reverse play moved back to ${stoppedAt}`);
  assert.notEqual(await tcShown(page), tcBefore);
  await page.waitForTimeout(300);
  assert.ok(Math.abs((await playerTime(page)) - stoppedAt) < 0.05, 'K stops reverse play');

  // Keys typed into the panel's fields are text, not player commands.
  await page.click('#player-workflow .tag-input');
  await page.keyboard.type('lj.');
  assert.equal(await page.inputValue('#player-workflow .tag-input'), 'lj.');
  assert.ok(await page.$eval('#player-video', (v) => v.paused), 'typing l did not play');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('in and out marks: a tag, a collection entry and an EDL export carry the trimmed range', async () => {
  const page = await newPage(browser);
  await openCrowd(page);
  await seekTo(page, 1.25); // frame 12
  await page.keyboard.press('i');
  await seekTo(page, 2.05); // frame 20, the last frame in
  await page.keyboard.press('o');
  // In 01:00:01:02, out (exclusive, as in an EDL) 01:00:02:01.
  const marks = await page.textContent('#player-marks');
  assert.match(marks, /01:00:01:02 – 01:00:02:01/);
  assert.match(await page.textContent('#player-workflow .wf-scope'), /01:00:01:02 – 01:00:02:01/);
  // Q and W (and Home/End) go to them.
  await page.keyboard.press('q');
  await settledAt(page, 1.25);
  await page.keyboard.press('End');
  await settledAt(page, 2.05);

  const asset = await page.$eval('#player-video', (v) => v.dataset.assetId);
  await page.fill('#player-workflow .tag-input', 'trimmed beat');
  await page.click('#player-workflow .tag-form button');
  await page.waitForSelector('#player-workflow .chip.tag[data-tag="trimmed beat"]');
  const annotations = await page.evaluate((id) => fetch(`/api/assets/${id}/annotations`).then((r) => r.json()), asset);
  const tagged = annotations.find((a) => a.tags.includes('trimmed beat'));
  assert.ok(tagged && tagged.range, JSON.stringify(annotations));
  assert.ok(Math.abs(tagged.range.start - 1.2) < 1e-6 && Math.abs(tagged.range.end - 2.1) < 1e-6, JSON.stringify(tagged.range));

  const collection = `trimmed picks ${Date.now()}`; // a new one, also on an index used before
  await page.fill('#player-workflow .collection-input', collection);
  await page.click('#player-workflow .collect-form button');
  await page.waitForFunction((name) => document.querySelector('#player-workflow .wf-status').textContent === `Added to ${name}`, collection);
  // The same range again: it is already there.
  await page.click('#player-workflow .collect-form button');
  await page.waitForFunction((name) => document.querySelector('#player-workflow .wf-status').textContent === `Already in ${name}`, collection);
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !document.querySelector('#player').open);

  await page.goto(`${BASE}/?collection=${encodeURIComponent(collection)}`);
  await page.waitForSelector('.collection-item');
  assert.equal(await page.locator('.collection-item').count(), 1);
  assert.match(await page.textContent('.collection-item .source-range'), /01:00:01:02 – 01:00:02:01/);
  await page.click('.export-open');
  await page.selectOption('#export-dialog [name="format"]', 'edl');
  await page.click('#export-dialog .export-start');
  await page.waitForFunction(() => document.querySelector('#export-dialog').dataset.state === 'done', null, { timeout: 60000 });
  assert.match(await page.textContent('#export-dialog .export-state'), /^Done: 1 file ready to download/);
  const href = await page.$eval('#export-dialog .download-link', (a) => a.href);
  const edl = await page.evaluate((url) => fetch(url).then((r) => r.text()), href);
  const event = edl.split('\n').find((line) => line.startsWith('001 '));
  assert.ok(event, edl);
  const columns = event.trim().split(/\s+/);
  assert.deepEqual(columns.slice(4, 6), ['01:00:01:02', '01:00:02:01'], event);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('loop in to out loops a range that runs to the end of the file; Space after the end restarts it', async () => {
  const page = await newPage(browser);
  await openCrowd(page);
  const end = await page.$eval('#player-video', (v) => v.duration);
  await seekTo(page, end - 0.75);
  await page.keyboard.press('i');
  await seekTo(page, end - 0.05); // the last frame of the file
  await page.keyboard.press('o');
  await page.check('#player-loop');
  await page.keyboard.press('q');
  await page.keyboard.press('Space');
  // Plays to the end of the file, then comes round to the in mark and keeps playing.
  await page.waitForFunction((e) => document.querySelector('#player-video').currentTime > e - 0.3, end, { timeout: 20000 });
  await page.waitForFunction((e) => {
    const video = document.querySelector('#player-video');
    return video.currentTime < e - 0.5 && !video.paused;
  }, end, { timeout: 20000 });

  // Without the loop it stops at the end; Space then plays the range again from its in.
  await page.uncheck('#player-loop');
  await page.waitForFunction(() => {
    const video = document.querySelector('#player-video');
    return video.paused || video.ended;
  }, null, { timeout: 20000 });
  await page.keyboard.press('Space');
  await page.waitForFunction((e) => {
    const video = document.querySelector('#player-video');
    return !video.paused && video.currentTime < e - 0.3;
  }, end, { timeout: 20000 });
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('a still opens in the image viewer: zoom, the text read from it, the tag panel', async () => {
  const page = await newPage(browser);
  await page.goto(`${BASE}/`);
  await search(page, 'kind:image');
  const card = page.locator('#results .card', { has: page.locator('.name', { hasText: 'call_sheet_scan.png' }) }).first();
  const assetId = await card.getAttribute('data-asset-id');
  await card.click();
  await page.waitForFunction(() => {
    const img = document.querySelector('#player-still-img');
    return document.querySelector('#player').open && img.complete && img.naturalWidth > 0;
  }, null, { timeout: 20000 });
  assert.ok(await page.isHidden('#player-video'));
  assert.ok(await page.isHidden('#player-notice'), 'no "could not be played"');
  const fitWidth = await page.$eval('#player-still-img', (img) => img.getBoundingClientRect().width);
  const fitLevel = await page.textContent('#player-zoom-level');
  assert.match(fitLevel, /^\d+%$/, 'fitted, the level says the scale the picture is shown at');
  assert.equal(await page.getAttribute('#player-zoom .zoom-fit', 'aria-pressed'), 'true', 'Fit shows pressed while fitted');
  await page.click('#player-zoom .zoom-in');
  await page.click('#player-zoom .zoom-in');
  const zoomed = await page.$eval('#player-still-img', (img) => img.getBoundingClientRect().width);
  assert.ok(zoomed > fitWidth * 1.5, `zoomed ${zoomed} vs fit ${fitWidth}`);
  assert.equal(await page.getAttribute('#player-zoom .zoom-fit', 'aria-pressed'), 'false');
  const natural = await page.$eval('#player-still-img', (img) => img.naturalWidth);
  assert.equal(await page.textContent('#player-zoom-level'), `${Math.round((zoomed / natural) * 100)}%`, 'the level is the scale shown');
  await page.keyboard.press('0');
  assert.equal(await page.getAttribute('#player-zoom .zoom-fit', 'aria-pressed'), 'true', 'Fit shows pressed once fitted');
  assert.equal(await page.textContent('#player-zoom-level'), fitLevel, 'fitted again, the level is the fitted scale again');

  // The text read from it, as the index has it.
  const detail = await page.evaluate((id) => fetch(`/api/assets/${id}`).then((r) => r.json()), assetId);
  const text = detail.moments.map((m) => m.text).filter(Boolean).join('\n').trim();
  if (text) {
    await page.waitForSelector('#player-still-text:not([hidden])');
    assert.ok((await page.textContent('#player-still-text p')).includes(text.split('\n')[0]));
  }
  // The tag panel works on the whole image.
  await page.fill('#player-workflow .tag-input', 'call sheet');
  await page.click('#player-workflow .tag-form button');
  await page.waitForSelector('#player-workflow .chip.tag[data-tag="call sheet"]');
  const annotations = await page.evaluate((id) => fetch(`/api/assets/${id}/annotations`).then((r) => r.json()), assetId);
  assert.ok(annotations.some((a) => !a.range && a.tags.includes('call sheet')), JSON.stringify(annotations));
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('an unsaved note: Esc asks first, a second Esc closes', async () => {
  const page = await newPage(browser);
  await openCrowd(page);
  await page.fill('#player-workflow .note', 'focus buzz at the end');
  await page.keyboard.press('Escape');
  assert.ok(await page.$eval('#player', (d) => d.open), 'the first Esc keeps the player open');
  assert.match(await page.textContent('#player-workflow .wf-status'), /not saved/);
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !document.querySelector('#player').open);
  await page.close();
});

test('hover scrub: moving across a card shows the frames of its moment', async () => {
  const page = await newPage(browser);
  await page.goto(`${BASE}/`);
  await search(page, 'crowd');
  const card = page.locator('#results .card', { has: page.locator('.name', { hasText: CROWD }) }).first();
  const img = card.locator('.thumb img');
  await img.waitFor();
  const original = await img.getAttribute('src');
  const box = await img.boundingBox();
  await page.mouse.move(box.x + 2, box.y + box.height / 2);
  const seen = new Set();
  for (let step = 0; step <= 10; step += 1) {
    await page.mouse.move(box.x + (box.width - 2) * (step / 10), box.y + box.height / 2);
    await page.waitForTimeout(60);
    seen.add(await img.getAttribute('src'));
  }
  seen.delete(original);
  assert.ok(seen.size >= 1, 'the thumbnail changes while scrubbing');
  assert.ok([...seen].every((src) => /^\/thumbs\/[^/]+\/\d+\.jpg$/.test(src)), [...seen].join(' '));
  assert.ok(await card.evaluate((c) => c.classList.contains('scrubbing')));
  await page.mouse.move(0, 0);
  assert.equal(await img.getAttribute('src'), original);
  await page.close();
});
