// SMPTE source timecode in the browser, the same arithmetic as rushes_core::timecode:
// `HH:MM:SS:FF` (`;` before the frames for drop-frame), frame counts at a nominal integer
// rate (30 for 29.97), and 29.97/59.94 drop-frame numbering (two, or four, frame numbers
// skipped at each minute except every tenth). The one place the UI turns seconds into frames.

/** Frames per second used when a file does not say (stills, some audio). */
export const FALLBACK_FPS = 25;

/** A usable frame rate: the probe's, or the fallback. */
export function rateOr(fps) {
  return Number.isFinite(fps) && fps > 0.5 ? fps : FALLBACK_FPS;
}

/** The integer rate frames are counted at (30 for 29.97, 24 for 23.976). */
export function nominalRate(fps) {
  return Math.max(1, Math.round(fps));
}

/** True for 29.97 and 59.94, where drop-frame counting is customary. */
export function isDropFrameRate(fps) {
  return Math.abs(fps - 29.97) < 0.01 || Math.abs(fps - 59.94) < 0.01;
}

/** `01:00:00:00` or `00:59:59;29` → {hours, minutes, seconds, frames, dropFrame}, or null. */
export function parseTimecode(text) {
  const match = /^\s*(\d{1,2})[:;.](\d{1,2})[:;.](\d{1,2})[:;.](\d{1,2})\s*$/.exec(String(text ?? ''));
  if (!match) return null;
  const [, h, m, s, f] = match;
  const dropFrame = /[;.]/.test(String(text));
  if (Number(m) > 59 || Number(s) > 59) return null;
  return { hours: Number(h), minutes: Number(m), seconds: Number(s), frames: Number(f), dropFrame };
}

/** Frames since 00:00:00:00 of a parsed timecode at `fps`, honouring drop-frame numbering. */
export function toFrames(tc, fps) {
  const rate = nominalRate(fps);
  const totalMinutes = tc.hours * 60 + tc.minutes;
  let frames = (totalMinutes * 60 + tc.seconds) * rate + tc.frames;
  if (tc.dropFrame) {
    const droppedPerMinute = Math.floor(rate / 15);
    frames -= droppedPerMinute * (totalMinutes - Math.floor(totalMinutes / 10));
  }
  return frames;
}

/** The timecode text of a frame count at `fps`. */
export function fromFrames(frames, fps, dropFrame) {
  const rate = nominalRate(fps);
  let count = Math.max(0, Math.floor(frames));
  if (dropFrame) {
    const drop = Math.floor(rate / 15);
    const perTenMinutes = rate * 600 - drop * 9;
    const perMinute = rate * 60 - drop;
    const tens = Math.floor(count / perTenMinutes);
    const rest = count % perTenMinutes;
    count += drop * 9 * tens;
    if (rest > drop) count += drop * Math.floor((rest - drop) / perMinute);
  }
  const pad = (n) => String(n).padStart(2, '0');
  const totalSeconds = Math.floor(count / rate);
  const hours = Math.floor(totalSeconds / 3600) % 24;
  const minutes = Math.floor(totalSeconds / 60) % 60;
  return `${pad(hours)}:${pad(minutes)}:${pad(totalSeconds % 60)}${dropFrame ? ';' : ':'}${pad(count % rate)}`;
}

/** The frame on screen at `seconds` of file time (a frame shows from its start until the next). */
export function frameAt(seconds, fps) {
  return Math.max(0, Math.floor(seconds * fps + 1e-6));
}

/** The file time in the middle of frame `frame`: seeking there shows exactly that frame. */
export function timeOfFrame(frame, fps) {
  return (Math.max(0, frame) + 0.5) / fps;
}

/**
 * A file's clock: its start timecode (or 00:00:00:00, drop-frame at 29.97/59.94) and rate.
 * `at(seconds)` is the source timecode of the frame on screen at that file time.
 */
export function sourceClock(startTimecode, frameRate) {
  const fps = rateOr(frameRate);
  const parsed = parseTimecode(startTimecode);
  const dropFrame = parsed ? parsed.dropFrame : isDropFrameRate(fps);
  const origin = parsed ? toFrames(parsed, fps) : 0;
  return {
    fps,
    dropFrame,
    known: Boolean(parsed),
    rateKnown: Number.isFinite(frameRate) && frameRate > 0.5,
    at: (seconds) => fromFrames(origin + frameAt(seconds, fps), fps, dropFrame),
  };
}
