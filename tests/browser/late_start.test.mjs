// Playback of an MP4 whose container timeline starts at 10 s (`-output_ts_offset 10`, as an
// edit list or a camera's running clock leaves it). Moment times count from the first frame;
// Chromium played such a file on its raw timeline, so a seek to the moment's start showed the
// first shot. The clip: 3 s of red, then 3 s of blue with "SCENE 42 TAKE 4" burned in (the
// on-screen text gives the blue shot a hit of its own), indexed into an index of its own.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { launch, newPage, search, serveOwnIndex } from './browser.mjs';

const RUSHES = process.env.RUSHES_BIN;
const ROOT = new URL('../..', import.meta.url).pathname;
const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf';

let browser;
let server;
let work;

before(async () => {
  assert.ok(RUSHES, 'RUSHES_BIN comes from run.sh');
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'rushes-late-start-'));
  const footage = path.join(work, 'footage');
  fs.mkdirSync(footage);
  const clip = path.join(footage, 'late_start.mp4');
  execFileSync('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'color=c=red:s=640x360:r=25:d=3',
    '-f', 'lavfi', '-i', 'color=c=blue:s=640x360:r=25:d=3',
    '-filter_complex',
    `[1]drawtext=fontfile=${FONT}:text='SCENE 42 TAKE 4':fontsize=44:fontcolor=white:box=1:boxcolor=black:boxborderw=14:x=(w-text_w)/2:y=(h-text_h)/2[text];`
    + '[0][text]concat=n=2:v=1:a=0[v]',
    '-map', '[v]', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-output_ts_offset', '10', clip]);
  const start = Number(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=start_time', '-of', 'csv=p=0', clip]));
  assert.ok(start > 9.9, `the clip's timeline starts at ${start} s`);
  const index = path.join(work, 'index');
  execFileSync(RUSHES, ['index', footage, '--index', index, '--no-visual', '--no-speech'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  server = await serveOwnIndex(RUSHES, index, ROOT);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test('clicking the second shot of a file starting at 10 s shows the second shot', async () => {
  const page = await newPage(browser);
  await page.goto(`${server.base}/`);
  await search(page, 'scene 42');
  const card = page.locator('#results .card').first();
  const start = Number(await card.getAttribute('data-start'));
  const end = Number(await card.getAttribute('data-end'));
  assert.ok(Math.abs(start - 3) <= 0.1, `the blue shot's hit starts at 3 s on the first frame's timeline: ${start}`);
  await card.click();
  assert.ok(await page.$eval('#player', (d) => d.open));
  // Wait until the player has sought to the moment and has a frame there, pause, and read
  // the middle of the top edge (outside the burned-in text) through a canvas.
  await page.waitForFunction(
    (from) => {
      const video = document.querySelector('#player-video');
      return video.readyState >= 2 && !video.seeking && video.currentTime >= from - 0.05;
    },
    start,
    { timeout: 20000 },
  );
  const shown = await page.evaluate(() => {
    const video = document.querySelector('#player-video');
    video.pause();
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    const context = canvas.getContext('2d');
    context.drawImage(video, 0, 0);
    const [r, g, b] = context.getImageData(Math.floor(canvas.width / 2), 8, 1, 1).data;
    return { time: video.currentTime, src: video.currentSrc, rgb: [r, g, b] };
  });
  assert.match(shown.src, /\/media\/[0-9a-f]{16}$/, 'an H.264 MP4 plays without the transcoded proxy');
  assert.ok(shown.time >= start - 0.05 && shown.time <= end + 0.05, `player at ${shown.time}, moment ${start}-${end}`);
  const [r, g, b] = shown.rgb;
  assert.ok(b > 150 && r < 80 && g < 80, `the frame at the moment is blue (the second shot), got rgb ${shown.rgb}`);
  assert.deepEqual(page.problems, []);
  await page.close();
});
