// The clip player: a <dialog> with a video that starts at a moment's start, marks the
// moment on a range bar and pauses (or loops) at its end. Picks the proxy when the
// original is not browser-playable.

import { fileName, folderOf, formatTime } from './format.js';

const dialog = document.getElementById('player');
const video = document.getElementById('player-video');
const title = document.getElementById('player-title');
const sub = document.getElementById('player-sub');
const captionLine = document.getElementById('player-caption');
const notice = document.getElementById('player-notice');
const range = document.getElementById('player-range');
const rangeMoment = range.querySelector('.range-moment');
const rangeHead = range.querySelector('.range-head');
const timeText = document.getElementById('player-time');
const loopBox = document.getElementById('player-loop');
const openAsset = document.getElementById('player-open-asset');

let moment = null; // { start, end }
let stoppedAtEnd = false;

function duration() {
  return Number.isFinite(video.duration) && video.duration > 0 ? video.duration : (moment ? moment.end : 0);
}

function drawRange() {
  if (!moment) return;
  const total = duration() || 1;
  const left = (moment.start / total) * 100;
  const width = Math.max(0.5, ((moment.end - moment.start) / total) * 100);
  rangeMoment.style.setProperty('left', `${left}%`);
  rangeMoment.style.setProperty('width', `${Math.min(width, 100 - left)}%`);
  rangeHead.style.setProperty('left', `${Math.min(100, (video.currentTime / total) * 100)}%`);
  timeText.textContent = `${formatTime(video.currentTime)}  ·  moment ${formatTime(moment.start)} – ${formatTime(moment.end)}`;
}

video.addEventListener('timeupdate', () => {
  if (!moment) return;
  if (video.currentTime >= moment.end - 0.02 && !video.paused) {
    if (loopBox.checked) {
      video.currentTime = moment.start;
    } else if (!stoppedAtEnd) {
      stoppedAtEnd = true;
      video.pause();
      document.dispatchEvent(new CustomEvent('moment-ended'));
    }
  }
  drawRange();
});
video.addEventListener('seeked', drawRange);
// A moment that runs to the end of the file ends with the video, already paused.
video.addEventListener('ended', () => {
  if (!moment || stoppedAtEnd || loopBox.checked) return;
  stoppedAtEnd = true;
  document.dispatchEvent(new CustomEvent('moment-ended'));
});
video.addEventListener('loadedmetadata', () => {
  if (!moment) return;
  video.currentTime = Math.min(moment.start, Math.max(0, duration() - 0.05));
  drawRange();
  video.play().catch(() => { /* autoplay may be refused; the controls remain */ });
});
video.addEventListener('error', () => {
  if (!dialog.open) return;
  notice.hidden = false;
  notice.textContent = 'This file could not be played.';
});
video.addEventListener('play', () => {
  if (moment && video.currentTime >= moment.end - 0.05 && stoppedAtEnd) {
    // Play pressed after the moment ended: carry on through the file.
    stoppedAtEnd = true;
  }
});

range.addEventListener('click', (event) => {
  const box = range.getBoundingClientRect();
  const fraction = (event.clientX - box.left) / box.width;
  video.currentTime = Math.max(0, Math.min(1, fraction)) * duration();
  stoppedAtEnd = true;
});

dialog.addEventListener('close', () => {
  video.pause();
  video.removeAttribute('src');
  video.load();
  moment = null;
  document.dispatchEvent(new CustomEvent('player-closed'));
});
document.getElementById('player-close').addEventListener('click', () => dialog.close());
dialog.addEventListener('click', (event) => {
  if (event.target === dialog) dialog.close();
});

/**
 * Plays one moment. `item` = { asset: {id, path, kind}, start, end, playback: {url, native, reason}, timecode,
 * caption }.
 */
export function play(item) {
  moment = { start: item.start || 0, end: Math.max(item.end || 0, (item.start || 0) + 0.1) };
  stoppedAtEnd = false;
  title.textContent = item.sequence ? `${item.sequence.index + 1}/${item.sequence.total}  ${fileName(item.asset.path)}` : fileName(item.asset.path);
  sub.textContent = [folderOf(item.asset.path), item.timecode ? `TC ${item.timecode}` : null].filter(Boolean).join('  ·  ');
  captionLine.textContent = item.caption || '';
  captionLine.hidden = !item.caption;
  const playback = item.playback || { url: `/media/${item.asset.id}`, native: true };
  notice.hidden = playback.native;
  notice.textContent = playback.native ? '' : `Playing a proxy: ${playback.reason || 'the original is not browser-playable'}. The first play makes it and may take a moment.`;
  openAsset.href = `/?asset=${encodeURIComponent(item.asset.id)}&t=${moment.start}`;
  video.src = playback.url;
  video.dataset.assetId = item.asset.id;
  video.dataset.start = String(moment.start);
  if (!dialog.open) dialog.showModal();
  document.dispatchEvent(new CustomEvent('player-item', { detail: item }));
  drawRange();
  video.focus();
}

export function isOpen() {
  return dialog.open;
}

export function close() {
  if (dialog.open) dialog.close();
}
