// Captions on the web UI: Megamind's opening tinted blue for 4 s then red for 4 s, indexed by
// `rushes index` with the scripted Florence-2 fixture (bluish keyframes get one sentence,
// reddish ones another) into an index of its own. Each result card shows its own moment's
// caption on a line of its own, the player shows it under the title, and the asset's
// moment list shows it per moment.
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
  // A models folder holding only the Florence-2 stand-in: captions, nothing else.
  const models = path.join(work, 'models');
  fs.mkdirSync(models);
  for (const name of ['florence2-fixture.toml', 'florence2-fixture']) {
    fs.symlinkSync(path.join(FIXTURE, name), path.join(models, name));
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
