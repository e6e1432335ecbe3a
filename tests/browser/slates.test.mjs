// Slates as data in the web UI, on the shared footage: make-footage.sh burns "SCENE 42 TAKE 3"
// into A001_C003_slate.mp4. The Scene facet narrows the results to the slated take, whose
// card (and the player) say "Sc 42 · Tk 3"; the Library lists it by scene → take → clip.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { BASE, launch, newPage, search, settled } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

function noProblems(page) {
  assert.deepEqual(page.problems, [], 'script errors or CSP violations');
}

test('the scene facet narrows to the slated take and its card says Sc 42 · Tk 3', async () => {
  const page = await newPage(browser);
  await page.goto(`${BASE}/`);
  await search(page, 'kind:video');
  const scene = page.locator('.facet[data-facet="scene"] .facet-value[data-value="42"]');
  await scene.waitFor();
  const takes = await page.$$eval('.facet[data-facet="take"] .facet-value', (buttons) => buttons.map((b) => b.dataset.value));
  assert.ok(takes.includes('3'), `take facet: ${takes}`);
  await scene.click();
  await settled(page, 'kind:video scene:42');
  assert.equal(new URL(page.url()).searchParams.get('q'), 'kind:video scene:42');
  const cards = await page.$$eval('#results .card', (nodes) => nodes.map((card) => ({
    name: card.querySelector('.name')?.textContent,
    slate: card.querySelector('.chip.slate')?.textContent ?? null,
  })));
  assert.deepEqual(cards, [{ name: 'A001_C003_slate.mp4', slate: 'Sc 42 · Tk 3' }]);

  await page.locator('#results .card').first().click();
  const playerSlate = page.locator('#player-title .chip.slate');
  await playerSlate.waitFor();
  assert.equal(await playerSlate.textContent(), 'Sc 42 · Tk 3');
  noProblems(page);
  await page.close();
});

test('a take filter with no such take finds nothing', async () => {
  const page = await newPage(browser);
  await page.goto(`${BASE}/`);
  await search(page, 'scene:42 take:4');
  assert.equal(await page.locator('#results .card').count(), 0);
  noProblems(page);
  await page.close();
});

test('the library by scene walks scene → take → clip', async () => {
  const page = await newPage(browser);
  await page.goto(`${BASE}/?view=library`);
  await page.locator('#library-by-scene').click();
  const take = page.locator('.scene-group[data-scene="42"] .scene-take[data-take="3"]');
  await take.waitFor();
  assert.equal(new URL(page.url()).searchParams.get('by'), 'scene');
  assert.equal(await take.locator('h3').textContent(), 'Take 3');
  assert.deepEqual(await take.locator('.scene-clip .name').allTextContents(), ['A001_C003_slate.mp4']);
  await take.locator('.scene-clip').first().click();
  const playerSlate = page.locator('#player-title .chip.slate');
  await playerSlate.waitFor();
  assert.equal(await playerSlate.textContent(), 'Sc 42 · Tk 3');
  noProblems(page);
  await page.close();
});
