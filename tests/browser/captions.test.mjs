// Captions on the web UI: Megamind's opening tinted blue for 4 s then red for 4 s, indexed by
// `rushes index` with the scripted Florence-2 fixture (bluish keyframes get one sentence,
// reddish ones another) into an index of its own. Each result card shows its own moment's
// caption on a line of its own, the player shows it under the title, and the asset's
// moment list shows it per moment. With the real all-MiniLM-L6-v2 beside the fixture, a
// query in other words finds a caption by meaning: its card and the player show the matched
// caption with its similarity in a hover title.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { launch, newPage, search, serveOwnIndex } from './browser.mjs';

const RUSHES = process.env.RUSHES_BIN;
const ROOT = new URL('../..', import.meta.url).pathname;
const MEGAMIND = '/usr/share/doc/opencv-doc/examples/data/Megamind.avi';
const FIXTURE = path.join(ROOT, 'tests/fixtures/models');
// The sentences tests/fixtures/models/make_florence2_fixture.py scripts for each tint.
const RED_CAPTION = 'a red clapperboard on the camera dolly';
const BLUE_CAPTION = 'the boom operator stands by the blue screen';

let browser;
let server;
let work;

before(async () => {
  assert.ok(RUSHES, 'RUSHES_BIN comes from run.sh');
  assert.ok(fs.existsSync(MEGAMIND), `${MEGAMIND} missing: run scripts/setup.sh test`);
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'rushes-captions-'));
  const footage = path.join(work, 'footage');
  fs.mkdirSync(footage);
  execFileSync('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', '-t', '8', '-i', MEGAMIND,
    '-filter_complex',
    '[0:v]split[a][b];'
    + "[a]trim=0:4,setpts=PTS-STARTPTS,lutrgb=r='val*0.2':g='val*0.3':b='val*0.5+128'[blue];"
    + "[b]trim=4:8,setpts=PTS-STARTPTS,lutrgb=r='val*0.5+128':g='val*0.3':b='val*0.2'[red];"
    + '[blue][red]concat=n=2:v=1:a=0[v]',
    '-map', '[v]', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', path.join(footage, 'dolly_move.mp4')]);
  // A models folder holding the Florence-2 stand-in and the real sentence model: captions
  // and their semantic text units, nothing else.
  const models = path.join(work, 'models');
  fs.mkdirSync(models);
  for (const name of ['florence2-fixture.toml', 'florence2-fixture']) {
    fs.symlinkSync(path.join(FIXTURE, name), path.join(models, name));
  }
  for (const name of ['all-minilm-l6-v2.toml', 'all-minilm-l6-v2']) {
    fs.symlinkSync(path.join(ROOT, 'models', name), path.join(models, name));
  }
  const index = path.join(work, 'index');
  execFileSync(RUSHES, ['index', footage, '--index', index, '--no-ocr', '--no-visual', '--no-speech'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, RUSHES_MODELS: models },
  });
  server = await serveOwnIndex(RUSHES, index, ROOT);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** The cards on the page: start, end, caption line and the words marked in it. */
function cardsOf(page) {
  return page.$$eval('#results .card', (cards) => cards.map((card) => ({
    start: Number(card.dataset.start),
    end: Number(card.dataset.end),
    caption: card.querySelector('.caption')?.textContent ?? null,
    highlighted: [...card.querySelectorAll('.caption mark')].map((mark) => mark.textContent),
  })));
}

test('each result card shows the caption of its own moment on a line of its own', async () => {
  const page = await newPage(browser);
  await page.goto(`${server.base}/`);
  await search(page, 'clapperboard');
  const [red] = await cardsOf(page);
  assert.ok(red && Math.abs(red.start - 4) <= 0.5, `the red shot (4-8 s) first: ${JSON.stringify(red)}`);
  assert.equal(red.caption, RED_CAPTION);
  assert.deepEqual(red.highlighted, ['clapperboard'], 'the matched word is marked in the caption');

  await search(page, 'boom operator');
  const [blue] = await cardsOf(page);
  assert.ok(blue && blue.start < 0.5 && blue.end <= 4.5, `the blue shot (0-4 s) first: ${JSON.stringify(blue)}`);
  assert.equal(blue.caption, BLUE_CAPTION);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('the player and the asset moment list show the caption', async () => {
  const page = await newPage(browser);
  await page.goto(`${server.base}/`);
  await search(page, 'boom operator');
  await page.click('#results .card');
  await page.waitForSelector('#player[open]');
  assert.equal(await page.textContent('#player-caption'), BLUE_CAPTION);
  assert.equal(await page.isVisible('#player-caption'), true);
  await page.click('#player-close');

  await page.click('#results .card a.link[data-nav]');
  await page.waitForSelector('.moment-row');
  const captions = await page.$$eval('.moment-row', (rows) => rows.map((row) => row.querySelector('.caption')?.textContent ?? null));
  assert.deepEqual(captions, [BLUE_CAPTION, RED_CAPTION]);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('a caption found by meaning shows the matched caption and its score on hover', async () => {
  const page = await newPage(browser);
  await page.goto(`${server.base}/`);
  // No word of the query is in any caption: only the semantic branch finds the blue shot.
  await search(page, 'microphone guy beside the chroma key backdrop');
  const first = await page.$eval('#results .card', (card) => ({
    start: Number(card.dataset.start),
    end: Number(card.dataset.end),
    matched: card.querySelector('.semantic-match')?.textContent ?? null,
    title: card.querySelector('.semantic-match')?.getAttribute('title') ?? '',
    chip: card.querySelector('.chip.sig-semantic')?.getAttribute('title') ?? '',
  }));
  assert.equal(first.matched, BLUE_CAPTION);
  // It plays from the blue shot's caption (the red shot's caption passes the cut-off too,
  // more weakly, and its touching window joins the hit).
  assert.ok(first.start < 0.5 && first.end > first.start, `the blue shot's caption window: ${JSON.stringify(first)}`);
  assert.match(first.title, /^Found by meaning \(caption\): similarity 0\.\d\d$/);
  assert.equal(first.chip, first.title);
  const similarity = Number(first.title.split(' ').pop());
  assert.ok(similarity >= 0.24, `at or above the calibrated cut-off: ${similarity}`);

  await page.click('#results .card');
  await page.waitForSelector('#player[open]');
  // The matched caption is the player's caption line, its score on hover (not said twice).
  assert.equal(await page.textContent('#player-caption'), BLUE_CAPTION);
  assert.match(await page.getAttribute('#player-caption', 'title'), /^Found by meaning: similarity 0\.\d\d$/);
  assert.equal(await page.isVisible('#player-semantic'), false);
  await page.click('#player-close');
  assert.deepEqual(page.problems, []);
  await page.close();
});
