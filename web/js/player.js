// The clip player: a <dialog> that plays a moment from its start and pauses (or loops) at its
// end, with an editor's keys (J/K/L shuttle, frame and second steps, I/O marks, Q/W to go to
// them), a running source timecode at the file's real frame rate, and in/out marks that the
// tag/note/collection panel uses. Stills open in the same dialog as an image viewer (zoom,
// the text read from them). Picks the proxy when the original is not browser-playable.

import { assetDetail } from './api.js';
import { fileName, folderOf, formatDuration, formatTime } from './format.js';
import { frameAt, sourceClock, timeOfFrame } from './timecode.js';
import { slateChip } from './library.js';

const dialog = document.getElementById('player');
const video = document.getElementById('player-video');
const title = document.getElementById('player-title');
const sub = document.getElementById('player-sub');
const captionLine = document.getElementById('player-caption');
const notice = document.getElementById('player-notice');
const range = document.getElementById('player-range');
const rangeMoment = range.querySelector('.range-moment');
const rangeHead = range.querySelector('.range-head');
const readout = document.getElementById('player-readout');
const tcText = document.getElementById('player-tc');
const timeText = document.getElementById('player-time');
const marksText = document.getElementById('player-marks');
const speedText = document.getElementById('player-speed');
const loopBox = document.getElementById('player-loop');
const loopLabel = document.getElementById('player-loop-label');
const keyHint = document.getElementById('player-keys');
const openAsset = document.getElementById('player-open-asset');
const still = document.getElementById('player-still');
const stillImg = document.getElementById('player-still-img');
const stillText = document.getElementById('player-still-text');
const zoomBar = document.getElementById('player-zoom');
const zoomLevel = document.getElementById('player-zoom-level');

let item = null;
let moment = null; // the moment as found: { start, end }
let marks = null; // in/out, seconds: the moment's bounds until I or O is pressed
let clock = sourceClock(null, null);
let stoppedAtEnd = false;
let speed = 0; // shuttle: 0 stopped, 1 2 4 8 forward, -1 -2 -4 -8 backward
let reverseTimer = 0;
let zoom = 0; // 0 fits the still to the window, otherwise a scale factor
let closeGuard = null; // () => true when the dialog may close (an unsaved note asks first)
let escapeVerdict = null; // the guard's answer to the Esc being handled, if any

const MAX_SHUTTLE = 8;

function duration() {
  return Number.isFinite(video.duration) && video.duration > 0 ? video.duration : (moment ? moment.end : 0);
}

/** Where in→out playback stops: the out mark, or the end of the file when the mark runs past it. */
function outLimit() {
  return Math.min(marks.end, duration() || marks.end);
}

function isStill() {
  return Boolean(item) && item.asset.kind === 'image';
}

function drawRange() {
  if (!marks || isStill()) return;
  const total = duration() || 1;
  const left = (marks.start / total) * 100;
  const width = Math.max(0.5, ((marks.end - marks.start) / total) * 100);
  rangeMoment.style.setProperty('left', `${left}%`);
  rangeMoment.style.setProperty('width', `${Math.min(width, 100 - left)}%`);
  rangeHead.style.setProperty('left', `${Math.min(100, (video.currentTime / total) * 100)}%`);
  tcText.textContent = clock.at(video.currentTime);
  timeText.textContent = formatTime(video.currentTime);
  const trimmed = Math.abs(marks.start - moment.start) > 1e-6 || Math.abs(marks.end - moment.end) > 1e-6;
  marksText.textContent = `${trimmed ? 'in' : 'moment'} ${clock.at(marks.start)} – ${clock.at(marks.end)}  (${formatDuration(marks.end - marks.start)})`;
  marksText.title = trimmed ? `You marked in and out (the moment was ${clock.at(moment.start)} – ${clock.at(moment.end)})` : 'The moment as found; I and O mark your own in and out';
  marksText.classList.toggle('trimmed', trimmed);
}

function showSpeed() {
  speedText.textContent = speed === 0 || speed === 1 ? '' : `${speed < 0 ? '◀◀' : '▶▶'} ${Math.abs(speed)}×`;
  speedText.dataset.speed = String(speed);
}

// ---------------------------------------------------------------- playback and shuttle

function stopReverse() {
  clearInterval(reverseTimer);
  reverseTimer = 0;
}

// HTML video cannot play backwards reliably (Chrome ignores a negative playbackRate), so J
// emulates reverse play by stepping currentTime back on a timer, at the shuttle speed in
// real time, skipping a tick while the previous seek is still under way.
function startReverse() {
  stopReverse();
  let last = performance.now();
  reverseTimer = setInterval(() => {
    const now = performance.now();
    const elapsed = (now - last) / 1000;
    if (video.seeking) return;
    last = now;
    const next = video.currentTime - elapsed * Math.abs(speed);
    if (next <= 0) {
      video.currentTime = 0;
      setSpeed(0);
      return;
    }
    video.currentTime = next;
  }, 40);
}

function setSpeed(value) {
  speed = value;
  stopReverse();
  if (speed > 0) {
    video.playbackRate = speed;
    if (restartIfAtEnd()) return;
    video.play().catch(() => {});
  } else {
    video.pause();
    video.playbackRate = 1;
    if (speed < 0) startReverse();
  }
  showSpeed();
}

/** L (direction 1) or J (-1): start that way at 1×, or double the speed up to 8×. */
function shuttle(direction) {
  if (Math.sign(speed) === direction) setSpeed(Math.max(-MAX_SHUTTLE, Math.min(MAX_SHUTTLE, speed * 2)));
  else setSpeed(direction);
}

/** Space after the end (of the moment or of the file) plays the in→out range again. */
function restartIfAtEnd() {
  const atEnd = video.ended || (stoppedAtEnd && video.currentTime >= outLimit() - 0.05);
  if (!atEnd) return false;
  stoppedAtEnd = false;
  seek(marks.start);
  video.play().catch(() => {});
  return true;
}

function togglePlay() {
  setSpeed(speed !== 0 || !video.paused ? 0 : 1);
}

function seek(seconds) {
  video.currentTime = Math.max(0, Math.min(seconds, duration() || seconds));
  drawRange();
}

/** One frame (or `frames`) on, at the file's real rate: shows exactly the next frame. */
function stepFrames(frames) {
  setSpeed(0);
  const target = frameAt(video.currentTime, clock.fps) + frames;
  const last = Math.max(0, Math.ceil(duration() * clock.fps) - 1);
  seek(timeOfFrame(Math.max(0, Math.min(last, target)), clock.fps));
}

function stepSeconds(seconds) {
  setSpeed(0);
  seek(video.currentTime + seconds);
}

/** I or O: the frame on screen becomes the first (I) or the last (O) frame of the range. */
function setMark(which) {
  const frame = frameAt(video.currentTime, clock.fps);
  if (which === 'in') {
    marks = { start: frame / clock.fps, end: Math.max(marks.end, (frame + 1) / clock.fps) };
  } else {
    marks = { start: Math.min(marks.start, frame / clock.fps), end: (frame + 1) / clock.fps };
  }
  stoppedAtEnd = false;
  drawRange();
  announceMarks();
}

function announceMarks() {
  document.dispatchEvent(new CustomEvent('player-marks', { detail: { ...marks } }));
}

function goToMark(which) {
  setSpeed(0);
  const frame = which === 'in' ? frameAt(marks.start, clock.fps) : Math.max(0, Math.round(outLimit() * clock.fps) - 1);
  seek(timeOfFrame(frame, clock.fps));
}

video.addEventListener('timeupdate', () => {
  if (!marks) return;
  if (speed >= 0 && video.currentTime >= outLimit() - 0.02 && !video.paused) {
    if (loopBox.checked) {
      video.currentTime = marks.start;
    } else if (!stoppedAtEnd) {
      stoppedAtEnd = true;
      setSpeed(0);
      document.dispatchEvent(new CustomEvent('moment-ended'));
    }
  }
  drawRange();
});
video.addEventListener('seeked', drawRange);
// A range that runs to the end of the file ends with the video: loop from in, or say it ended.
video.addEventListener('ended', () => {
  if (!marks) return;
  if (loopBox.checked) {
    video.currentTime = marks.start;
    video.play().catch(() => {});
    return;
  }
  speed = 0;
  showSpeed();
  if (stoppedAtEnd) return;
  stoppedAtEnd = true;
  document.dispatchEvent(new CustomEvent('moment-ended'));
});
// The native controls' pause ends a forward shuttle (reverse play pauses the video itself).
video.addEventListener('pause', () => {
  if (speed > 0) {
    speed = 0;
    video.playbackRate = 1;
    showSpeed();
  }
});
// The native controls' play is a shuttle at 1×.
video.addEventListener('play', () => {
  if (speed <= 0) {
    stopReverse();
    speed = 1;
    showSpeed();
  }
});
video.addEventListener('loadedmetadata', () => {
  if (!marks) return;
  video.currentTime = Math.min(marks.start, Math.max(0, duration() - 0.05));
  drawRange();
  speed = 1;
  video.play().catch(() => { speed = 0; /* autoplay may be refused; the controls remain */ });
});
video.addEventListener('error', () => {
  if (!dialog.open || isStill()) return;
  notice.hidden = false;
  notice.textContent = 'This file could not be played.';
});

range.addEventListener('click', (event) => {
  const box = range.getBoundingClientRect();
  const fraction = (event.clientX - box.left) / box.width;
  video.currentTime = Math.max(0, Math.min(1, fraction)) * duration();
  stoppedAtEnd = true;
});

// ---------------------------------------------------------------- the still viewer

const fitButton = zoomBar.querySelector('.zoom-fit');

function applyZoom() {
  still.classList.toggle('zoomed', zoom > 0);
  if (zoom > 0 && stillImg.naturalWidth) {
    stillImg.style.setProperty('width', `${Math.round(stillImg.naturalWidth * zoom)}px`);
  } else {
    stillImg.style.removeProperty('width');
  }
  // The level is always the scale the picture is shown at; "Fit" is the button's, pressed
  // while the picture fits the window.
  zoomLevel.textContent = `${Math.round((zoom > 0 ? zoom : fitScale()) * 100)}%`;
  fitButton.setAttribute('aria-pressed', String(zoom === 0));
  still.dataset.zoom = String(zoom);
}

function fitScale() {
  if (!stillImg.naturalWidth) return 1;
  return Math.min(still.clientWidth / stillImg.naturalWidth, still.clientHeight / stillImg.naturalHeight) || 1;
}

function zoomBy(factor) {
  const base = zoom > 0 ? zoom : fitScale();
  zoom = Math.max(0.1, Math.min(8, base * factor));
  applyZoom();
}

function zoomFit() {
  zoom = 0;
  applyZoom();
}

zoomBar.querySelector('.zoom-in').addEventListener('click', () => zoomBy(1.5));
zoomBar.querySelector('.zoom-out').addEventListener('click', () => zoomBy(1 / 1.5));
fitButton.addEventListener('click', zoomFit);
window.addEventListener('resize', () => { if (zoom === 0) applyZoom(); });
stillImg.addEventListener('click', () => (zoom > 0 ? zoomFit() : zoomBy(2)));
stillImg.addEventListener('load', applyZoom);

function showStillText(detail) {
  const texts = (detail.moments || []).map((m) => (m.text || '').trim()).filter(Boolean);
  const text = [...new Set(texts)].join('\n');
  stillText.hidden = !text;
  stillText.querySelector('p').textContent = text;
}

function setMode(image) {
  video.hidden = image;
  range.hidden = image;
  readout.hidden = image;
  loopLabel.hidden = image;
  still.hidden = !image;
  zoomBar.hidden = !image;
  stillText.hidden = true;
  keyHint.textContent = image ? '+ − zoom · 0 fit · Esc close' : 'J K L shuttle · ← → frame (Shift: 1 s) · I O mark · Q W go to mark · Space play';
  dialog.classList.toggle('still-mode', image);
}

// ---------------------------------------------------------------- keys

/** A field that takes typed text (a checkbox or a button does not: the keys still work there). */
function typingIn(target) {
  if (target instanceof HTMLInputElement) return !['checkbox', 'radio', 'range', 'button', 'submit', 'reset', 'file'].includes(target.type);
  return target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement
    || (target instanceof HTMLElement && target.isContentEditable);
}

const VIDEO_KEYS = {
  j: () => shuttle(-1),
  k: () => setSpeed(0),
  l: () => shuttle(1),
  ' ': togglePlay,
  ArrowLeft: (event) => (event.shiftKey ? stepSeconds(-1) : stepFrames(-1)),
  ArrowRight: (event) => (event.shiftKey ? stepSeconds(1) : stepFrames(1)),
  ',': () => stepFrames(-1),
  '.': () => stepFrames(1),
  i: () => setMark('in'),
  o: () => setMark('out'),
  q: () => goToMark('in'),
  w: () => goToMark('out'),
  Home: () => goToMark('in'),
  End: () => goToMark('out'),
};

const STILL_KEYS = {
  '+': () => zoomBy(1.5),
  '=': () => zoomBy(1.5),
  '-': () => zoomBy(1 / 1.5),
  0: zoomFit,
};

// Capture phase: the editor's keys win over the video element's own (Space, arrows).
document.addEventListener('keydown', (event) => {
  if (!dialog.open || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.key === 'Escape') {
    escapeVerdict = closeGuard ? closeGuard() : true;
    setTimeout(() => { escapeVerdict = null; });
    if (!escapeVerdict) event.preventDefault();
    return;
  }
  if (typingIn(event.target)) return;
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  const action = (isStill() ? STILL_KEYS : VIDEO_KEYS)[key];
  if (!action) return;
  event.preventDefault();
  event.stopPropagation();
  action(event);
}, true);

// ---------------------------------------------------------------- open and close

// Esc asks the guard once: the keydown above already did when the cancel comes from it.
dialog.addEventListener('cancel', (event) => {
  const verdict = escapeVerdict ?? (closeGuard ? closeGuard() : true);
  if (!verdict) event.preventDefault();
});
dialog.addEventListener('close', () => {
  setSpeed(0);
  video.pause();
  video.removeAttribute('src');
  video.load();
  stillImg.removeAttribute('src');
  moment = null;
  marks = null;
  item = null;
  document.dispatchEvent(new CustomEvent('player-closed'));
});
function requestClose() {
  if (closeGuard && !closeGuard()) return;
  dialog.close();
}
document.getElementById('player-close').addEventListener('click', requestClose);
dialog.addEventListener('click', (event) => {
  if (event.target === dialog) requestClose();
});

/** The file's rate and start timecode, from the asset's probe (cached per page). */
function loadClock(current) {
  assetDetail(current.asset.id).then((detail) => {
    if (item !== current) return;
    const media = (detail.asset && detail.asset.media) || {};
    clock = sourceClock(media.start_timecode, media.frame_rate);
    video.dataset.fps = String(clock.fps);
    subLine(current);
    drawRange();
    if (isStill()) showStillText(detail);
    announceMarks();
  }).catch((error) => console.warn('player: no probe facts for the timecode', error));
}

function subLine(current) {
  const parts = [folderOf(current.asset.path)];
  if (!isStill()) {
    parts.push(clock.rateKnown ? `${Number(clock.fps.toFixed(3))} fps` : `rate unknown (counting ${clock.fps} fps)`);
    parts.push(clock.known ? `starts ${clock.at(0)}` : 'no source timecode (counting from 00:00:00:00)');
  }
  sub.textContent = parts.join('  ·  ');
}

/**
 * Plays one moment, or shows a still. `item` = { asset: {id, path, kind}, start, end,
 * playback: {url, native, reason}, frameRate?, startTimecode?, caption, sequence? }.
 */
export function play(next) {
  item = next;
  moment = { start: next.start || 0, end: Math.max(next.end || 0, (next.start || 0) + 0.1) };
  marks = { ...moment };
  stoppedAtEnd = false;
  setSpeed(0);
  clock = sourceClock(next.startTimecode, next.frameRate);
  title.textContent = next.sequence ? `${next.sequence.index + 1}/${next.sequence.total}  ${fileName(next.asset.path)}` : fileName(next.asset.path);
  const slate = slateChip(next.slate);
  if (slate) title.append(' ', slate);
  captionLine.textContent = next.caption || '';
  captionLine.hidden = !next.caption;
  const playback = next.playback || { url: `/media/${next.asset.id}`, native: true };
  const image = next.asset.kind === 'image';
  setMode(image);
  notice.hidden = image || playback.native;
  notice.textContent = image || playback.native ? '' : `Playing a proxy: ${playback.reason || 'the original is not browser-playable'}. The first play makes it and may take a moment.`;
  openAsset.href = `/?asset=${encodeURIComponent(next.asset.id)}&t=${moment.start}`;
  video.dataset.assetId = next.asset.id;
  video.dataset.start = String(moment.start);
  if (image) {
    video.removeAttribute('src');
    video.load();
    zoom = 0;
    stillImg.src = playback.url;
    stillImg.alt = fileName(next.asset.path);
    applyZoom();
  } else {
    video.src = playback.url;
  }
  subLine(next);
  if (!dialog.open) dialog.showModal();
  document.dispatchEvent(new CustomEvent('player-item', { detail: next }));
  // The search answer carries the rate and start timecode; otherwise (or for a still's text)
  // the asset's probe facts are asked for.
  video.dataset.fps = clock.rateKnown ? String(clock.fps) : '';
  if (!clock.rateKnown || image) loadClock(next);
  drawRange();
  (image ? still : video).focus();
}

/** The in/out range to tag, note, collect or export: the moment, or the editor's marks. */
export function currentRange() {
  return marks ? { ...marks } : null;
}

/** The in/out range in source timecode, for the panel's "applies to" line. */
export function rangeLabel() {
  if (!marks) return '';
  if (isStill()) return 'the whole image';
  return `${clock.at(marks.start)} – ${clock.at(marks.end)}`;
}

/** Shows a line above the video (a sequence that ended, a note that needs saving). */
export function notify(text) {
  notice.hidden = !text;
  notice.textContent = text || '';
}

/** `guard()` answers whether the player may close now (false keeps it open). */
export function setCloseGuard(guard) {
  closeGuard = guard;
}

export function isOpen() {
  return dialog.open;
}

export function close() {
  if (dialog.open) dialog.close();
}
