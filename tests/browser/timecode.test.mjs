// The UI's one timecode module (web/js/timecode.js) against known SMPTE values, the same
// ones rushes_core::timecode is tested with: drop-frame at 29.97 and 59.94, 23.976 counting
// 24 frames a second, and a file's start timecode plus file time.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { fromFrames, parseTimecode, sourceClock, toFrames } from '../../web/js/timecode.js';

test('29.97 drop-frame skips ;00 and ;01 each minute except every tenth', () => {
  assert.equal(fromFrames(17982, 29.97, true), '00:10:00;00');
  assert.equal(fromFrames(1799, 29.97, true), '00:00:59;29');
  assert.equal(fromFrames(1800, 29.97, true), '00:01:00;02');
  assert.equal(fromFrames(107892, 29.97, true), '01:00:00;00');
  for (const text of ['00:01:00;02', '00:09:59;29', '00:10:00;00', '01:23:45;12']) {
    assert.equal(fromFrames(toFrames(parseTimecode(text), 29.97), 29.97, true), text);
  }
});

test('59.94 drop-frame skips four frame numbers a minute', () => {
  assert.equal(fromFrames(3600, 59.94, true), '00:01:00;04');
  assert.equal(fromFrames(35964, 59.94, true), '00:10:00;00');
});

test('non-drop rates count whole frames', () => {
  assert.equal(fromFrames(24 * 3600, 23.976, false), '01:00:00:00');
  assert.equal(fromFrames(25 * 62 + 13, 25, false), '00:01:02:13');
  assert.equal(parseTimecode('25:00:00:00').hours, 25);
  assert.equal(parseTimecode('01:60:00:00'), null);
  assert.equal(parseTimecode('nonsense'), null);
});

test('a source clock is the start timecode plus the frame on screen', () => {
  const clock = sourceClock('01:00:00:00', 25);
  assert.equal(clock.at(12.4), '01:00:12:10');
  assert.equal(clock.at(0.039), '01:00:00:00');
  assert.equal(clock.at(0.04), '01:00:00:01');
  // No start timecode: counted from zero, drop-frame at 29.97.
  const bare = sourceClock(null, 30000 / 1001);
  assert.equal(bare.known, false);
  assert.equal(bare.at(600), '00:10:00;00');
  // No rate: the fallback, and it says so.
  assert.equal(sourceClock('10:00:00:00', null).rateKnown, false);
});
