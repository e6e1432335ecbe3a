// Saves artifacts/results.png: the results page on real footage, with real thumbnails.
import path from 'node:path';
import fs from 'node:fs';

import { ARTIFACTS, BASE, launch, newPage, settled } from './browser.mjs';

const browser = await launch();
try {
  const page = await newPage(browser, { width: 1600, height: 1000 });
  await page.goto(`${BASE}/?q=day1`);
  await settled(page, 'day1');
  await page.waitForFunction(() => [...document.querySelectorAll('#results .thumb img')].every((img) => img.complete));
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, 'results.png');
  await page.screenshot({ path: file });
  console.log(`saved ${file}`);
} finally {
  await browser.close();
}
