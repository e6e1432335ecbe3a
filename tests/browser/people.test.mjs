// People in the web UI on real faces: three short ffmpeg-made clips (the scikit-image
// astronaut panned and darkened, opencv-doc's messi5.jpg panned) indexed by `rushes index`
// with the real dlib models into an index of its own, served on its own port. Open People,
// name a person, find them by name, follow a face chip on a result card to that person's
// moments, merge two people choosing the name, page through a person's moments and faces,
// see who a name matched when it matches two people, split a face out and forget that person.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { launch, newPage, search, serveOwnIndex } from './browser.mjs';

const RUSHES = process.env.RUSHES_BIN;
const ROOT = new URL('../..', import.meta.url).pathname;
const ASTRONAUT = path.join(ROOT, 'runtime/test-images/astronaut.png');
const MESSI = '/usr/share/doc/opencv-doc/examples/data/messi5.jpg';

let browser;
let stopServer;
let base;
let work;

function ffmpeg(...args) {
  execFileSync('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', ...args]);
}

/** A still photo as a 3 s, 10 fps H.264 clip through `filter`. */
function clip(photo, filter, out) {
  ffmpeg('-loop', '1', '-framerate', '10', '-i', photo, '-t', '3', '-vf', `${filter},format=yuv420p`,
    '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '26', out);
}

before(async () => {
  assert.ok(RUSHES, 'RUSHES_BIN comes from run.sh');
  assert.ok(fs.existsSync(ASTRONAUT), `${ASTRONAUT} missing: run scripts/setup.sh test`);
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'rushes-people-'));
  const footage = path.join(work, 'footage');
  fs.mkdirSync(footage);
  clip(ASTRONAUT, "scale=640:640,crop=480:480:'60*t/3':'40*t/3'", path.join(footage, 'astronaut_pan.mp4'));
  clip(ASTRONAUT, 'scale=480:480,eq=brightness=-0.10', path.join(footage, 'astronaut_dim.mp4'));
  // Messi's face is about 25 px in the photo: a 4x close-up, panning.
  clip(MESSI, "scale=2192:1368:flags=lanczos,crop=1024:768:'700-60*t/3':100", path.join(footage, 'messi_pan.mp4'));
  const index = path.join(work, 'index');
  execFileSync(RUSHES, ['index', footage, '--index', index], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  ({ base, stop: stopServer } = await serveOwnIndex(RUSHES, index, ROOT));
  browser = await launch();
});

after(async () => {
  await browser?.close();
  stopServer?.();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

async function people() {
  const answer = await fetch(`${base}/api/people`).then((r) => r.json());
  return answer.people;
}

/** The files a person's faces are in. */
async function filesOf(id) {
  const page = await fetch(`${base}/api/people/${id}`).then((r) => r.json());
  return [...new Set(page.faces.map((face) => path.basename(face.path)))].sort();
}

async function cardNames(page) {
  return page.$$eval('#results .card .name', (nodes) => [...new Set(nodes.map((n) => n.textContent))].sort());
}

async function openPeople(page) {
  await page.click('#nav-people');
  await page.waitForFunction(() => document.querySelector('#people-view').dataset.state === 'ready');
}

async function openPerson(page, id) {
  await openPeople(page);
  await page.click(`.person-card[data-person="${id}"]`);
  await page.waitForFunction((want) => {
    const view = document.querySelector('#people-view');
    return view.dataset.state === 'ready' && view.dataset.person === String(want);
  }, id);
}

test('name, find, follow a face chip, merge, split and forget people', async () => {
  // The astronaut is one person across both clips; Messi is someone else.
  const found = await people();
  let astronaut;
  let messi;
  for (const person of found) {
    const files = await filesOf(person.id);
    // Most faces first: the first person in a clip is its main face (HOG may also fire on
    // a textured patch and make a small extra "person").
    if (!astronaut && files.includes('astronaut_pan.mp4')) astronaut = { ...person, files };
    if (!messi && files.includes('messi_pan.mp4')) messi = { ...person, files };
  }
  assert.ok(astronaut && messi, `people found: ${JSON.stringify(found)}`);
  assert.deepEqual(astronaut.files, ['astronaut_dim.mp4', 'astronaut_pan.mp4']);
  assert.notEqual(astronaut.id, messi.id);

  const page = await newPage(browser);
  await page.goto(`${base}/`);
  await openPeople(page);
  const labels = await page.$$eval('.person-card .person-name', (nodes) => nodes.map((n) => n.textContent));
  assert.ok(labels.includes(`Person ${astronaut.id}`), `cards: ${labels}`);
  await page.waitForFunction(() => [...document.querySelectorAll('.person-card img')].every((img) => img.complete && img.naturalWidth > 0));

  // Rename inline, by keyboard.
  await openPerson(page, astronaut.id);
  await page.fill('.person-name-input', 'Eileen (astronaut)');
  await page.press('.person-name-input', 'Enter');
  await page.waitForFunction(() => document.querySelector('.person-title')?.textContent === 'Eileen (astronaut)');

  // Found by name; each card shows her face chip.
  await search(page, 'person:"Eileen"');
  assert.deepEqual(await cardNames(page), ['astronaut_dim.mp4', 'astronaut_pan.mp4']);
  const chips = await page.$$eval('#results .card', (cards) => cards.map((card) => [...card.querySelectorAll('.face-chip-name')].map((n) => n.textContent)));
  assert.ok(chips.length > 0 && chips.every((names) => names.includes('Eileen (astronaut)')), `chips: ${JSON.stringify(chips)}`);

  // A face chip on Messi's card runs "moments with this person".
  await search(page, 'kind:video');
  await page.click(`#results .card .face-chip[data-person="${messi.id}"]`);
  await page.waitForFunction((want) => {
    const results = document.querySelector('#results');
    return results.dataset.query === want && results.dataset.state === 'ready';
  }, `person:${messi.id}`);
  assert.deepEqual(await cardNames(page), ['messi_pan.mp4']);
  assert.equal(await page.evaluate(() => document.querySelector('#player').open), false, 'the chip does not play the card');

  // A moment on a person's page plays.
  await openPerson(page, astronaut.id);
  await page.click('.person-moment');
  await page.waitForFunction(() => document.querySelector('#player').open && document.querySelector('#player-video').readyState >= 2, null, { timeout: 20000 });
  await page.keyboard.press('Escape');

  // Merge Messi into Eileen, choosing a new name in the page's choice (no browser prompt)
  // that shows both names: one person with all the faces, under that name; Messi's card is gone.
  await page.selectOption('.merge-select', String(messi.id));
  const option = await page.$eval(`.merge-select option[value="${messi.id}"]`, (o) => o.textContent);
  assert.match(option, /\(\d+ faces?\)$/);
  assert.ok(!/\(1 faces\)/.test(option), option);
  await page.click('.merge-form button');
  const mergePrompt = await page.textContent('.merge-choice legend');
  await page.fill('.merge-choice .merge-name', 'Eileen Collins');
  await page.click('.merge-choice .merge-confirm');
  await page.waitForFunction(() => document.querySelector('.person-title')?.textContent === 'Eileen Collins');
  assert.ok(mergePrompt.includes('Eileen (astronaut)') && mergePrompt.includes(`Person ${messi.id}`), mergePrompt);
  const merged = astronaut.faces + messi.faces;
  await page.waitForFunction((n) => document.querySelector('.face-tiles')?.children.length === n, merged);
  await openPeople(page);
  assert.equal(await page.$(`.person-card[data-person="${messi.id}"]`), null);

  // A page of one at a time: "More" adds the next moment and face, with the totals shown.
  const whole = await fetch(`${base}/api/people/${astronaut.id}`).then((r) => r.json());
  assert.ok(whole.moments_total >= 2 && whole.faces_total === merged, JSON.stringify(whole.faces_total));
  // The People list counts what the person's page pages through (adjacent moments of a
  // file joined, as search joins them), on the card and in the API.
  assert.equal((await people()).find((person) => person.id === astronaut.id).moments, whole.moments_total);
  assert.match(await page.textContent(`.person-card[data-person="${astronaut.id}"] .person-counts`),
    new RegExp(`\\b${whole.moments_total} moments?\\b`));
  await page.goto(`${base}/?person=${astronaut.id}&page_size=1`);
  await page.waitForFunction(() => document.querySelector('#people-view').dataset.state === 'ready');
  const counts = () => page.evaluate(() => [document.querySelectorAll('.person-moment').length, document.querySelectorAll('.face-tile').length]);
  assert.deepEqual(await counts(), [1, 1]);
  // The header counts the moments the list pages through, and nothing stray is written.
  assert.match(await page.textContent('.person-counts'), new RegExp(`\\b${whole.moments_total} moments?\\b`));
  assert.ok(!/\bnull\b/.test(await page.textContent('#people-view')), 'no stray "null" on the person page');
  assert.equal(await page.textContent('.moments-head'), `Moments (1 of ${whole.moments_total})`);
  await page.click('.more-moments');
  await page.waitForFunction(() => document.querySelectorAll('.person-moment').length === 2);
  await page.click('.more-faces');
  await page.waitForFunction(() => document.querySelectorAll('.face-tile').length === 2);
  assert.equal(await page.textContent('.faces-head'), `Faces (2 of ${merged})`);
  const shownFaces = await page.$$eval('.face-tile', (tiles) => tiles.map((tile) => Number(tile.dataset.face)));
  assert.deepEqual(shownFaces, whole.faces.slice(0, 2).map((face) => face.id));

  // Split a face out, then forget that new person, confirming it is permanent.
  await openPerson(page, astronaut.id);
  const before = (await people()).map((person) => person.id);
  await page.click('.face-tile:last-child .split-face');
  await page.waitForFunction(() => /is now Person \d+/.test(document.querySelector('#message').textContent));
  const split = (await people()).find((person) => !before.includes(person.id));
  assert.ok(split, 'a new person from the split face');

  // Two people share a name: the results say who `person:Eileen` matched, each card why.
  await fetch(`${base}/api/people/${split.id}/name`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Eileen Junior' }),
  });
  await search(page, 'person:Eileen');
  await page.waitForSelector('#people-matched:not([hidden])');
  const note = await page.textContent('#people-matched');
  assert.ok(note.includes('matches 2 people') && note.includes('Eileen Collins') && note.includes('Eileen Junior'), note);
  const reasons = await page.$$eval('#results .card .chip.sig-filter', (chips) => [...new Set(chips.map((c) => c.textContent))].sort());
  assert.deepEqual(reasons, ['person:Eileen Collins', 'person:Eileen Junior']);
  await search(page, 'person:Nobodyxyz');
  await page.waitForFunction(() => document.querySelector('#people-matched').textContent.includes('matches nobody'));
  await openPerson(page, split.id);
  let warning = '';
  page.once('dialog', (dialog) => { warning = dialog.message(); dialog.accept(); });
  await page.click('.forget-person');
  await page.waitForFunction(() => document.querySelector('#people-view').dataset.state === 'ready' && !document.querySelector('.person-title'));
  assert.match(warning, /permanently/);
  await page.waitForFunction(() => document.querySelector('#message').textContent.includes('forgotten'));
  assert.equal(await page.$(`.person-card[data-person="${split.id}"]`), null, 'forgotten person gone');
  assert.ok(await page.$(`.person-card[data-person="${astronaut.id}"]`), 'the others stay');
  assert.equal((await fetch(`${base}/api/people/${split.id}`)).status, 404);
  assert.deepEqual(page.problems, [], 'script errors or CSP violations');
  await page.close();
});
