// Live indexing progress from server-sent events (`/api/events`): a panel with files
// done/total, captions and speech lines so far, the current file and failures with their reasons.
// A local index sends its run's `progress`; a library indexed by workers (PostgreSQL) sends its
// whole `queue`: files done, waiting, being indexed (on which machine) and failed.

const panel = document.getElementById('progress-panel');
const text = document.getElementById('progress-text');
const bar = document.getElementById('progress-bar');
const failures = document.getElementById('progress-failures');
const pill = document.getElementById('status-pill');

function render(progress) {
  const done = progress.files_done + progress.files_skipped + progress.files_failed;
  const total = Math.max(progress.files_total, done);
  const running = progress.state === 'running';
  panel.hidden = !running && progress.failures.length === 0;
  panel.dataset.state = progress.state;
  bar.max = Math.max(1, total);
  bar.value = done;
  bar.hidden = !running;
  // Captions and speech lines so far, when the run makes any.
  const described = [
    progress.captions ? `${progress.captions} caption${progress.captions === 1 ? '' : 's'}` : null,
    progress.speech_lines ? `${progress.speech_lines} speech line${progress.speech_lines === 1 ? '' : 's'}` : null,
  ].filter(Boolean).join(', ');
  const extra = described ? ` (${described})` : '';
  if (running) {
    text.textContent = `Indexing ${done} of ${total} files${extra}${progress.current ? ` — ${progress.current}` : ''}`;
  } else if (progress.state === 'failed') {
    text.textContent = `The last index run stopped after ${done} of ${total} files${extra}.`;
  } else {
    text.textContent = `Indexed ${progress.files_done} files${extra}, ${progress.files_skipped} unchanged, ${progress.files_failed} failed.`;
  }
  renderFailures(progress.files_failed, progress.failures);
  pill.hidden = !running;
  pill.textContent = running ? `Indexing ${done}/${total}` : '';
}

function plural(count, word) {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** A worker's name without its process number (`studio-a:812` → `studio-a`). */
function machineOf(worker) {
  return worker ? worker.replace(/:\d+$/, '') : 'this machine';
}

/** ` since 14:05` (the viewer's clock) for a file a worker took at `since` (Unix seconds). */
function sinceText(since) {
  if (!Number.isFinite(since)) return '';
  const taken = new Date(since * 1000);
  const pad = (number) => String(number).padStart(2, '0');
  return ` since ${pad(taken.getHours())}:${pad(taken.getMinutes())}`;
}

function fileName(path) {
  return path.split(/[\\/]/).filter(Boolean).pop() || path;
}

/** Shows the failures list under the panel's line. */
function renderFailures(count, list) {
  failures.hidden = list.length === 0;
  if (!list.length) return;
  failures.querySelector('summary').textContent = `${plural(count, 'file')} could not be indexed`;
  failures.querySelector('ul').replaceChildren(...list.map((failure) => {
    const item = document.createElement('li');
    const path = document.createElement('span');
    path.className = 'mono';
    path.textContent = failure.path;
    item.append(path, ` — ${failure.reason}`);
    return item;
  }));
}

/** The whole queue of a library indexed by workers, and this server's copy of its text
 * index while it is built (words rank in the database, more slowly, until then). */
function renderQueue(queue) {
  const working = queue.in_progress;
  const total = queue.done + queue.waiting + working.length + queue.failed;
  const active = queue.waiting > 0 || working.length > 0;
  const copy = queue.text_copy;
  const busy = active || Boolean(copy);
  panel.hidden = !busy && queue.failed === 0;
  panel.dataset.state = busy ? 'running' : 'done';
  if (active || !copy) {
    bar.max = Math.max(1, total);
    bar.value = queue.done + queue.failed;
  } else {
    bar.max = Math.max(1, copy.total);
    bar.value = copy.done;
  }
  bar.hidden = !busy;
  const parts = [`${queue.done} of ${plural(total, 'file')} done`];
  if (working.length) {
    const shown = working.slice(0, 2).map((file) => `${machineOf(file.worker)}: ${fileName(file.path)}${sinceText(file.since)}`);
    const more = working.length > 2 ? ` and ${working.length - 2} more` : '';
    parts.push(`indexing on ${shown.join(', ')}${more}`);
  }
  if (queue.waiting) parts.push(`${queue.waiting} waiting`);
  if (queue.failed) parts.push(`${queue.failed} failed`);
  if (copy) {
    const count = (n) => n.toLocaleString('en-US');
    parts.push(`readying fast word search: ${count(copy.done)} of ${count(copy.total)} files`);
  }
  text.textContent = parts.join(' · ');
  text.title = working.map((file) => `${file.worker}: ${file.path}${sinceText(file.since)}`).join('\n');
  renderFailures(queue.failed, queue.failures);
  pill.hidden = !busy;
  if (active) {
    pill.textContent = `Indexing ${queue.done + queue.failed}/${total}`;
  } else if (copy) {
    pill.textContent = `Readying search ${Math.floor((100 * copy.done) / Math.max(1, copy.total))}%`;
  } else {
    pill.textContent = '';
  }
}

/** Listens for progress; calls `onFinished` when a run that was seen running ends. */
export function watchProgress({ onFinished }) {
  if (!('EventSource' in window)) return;
  let wasRunning = false;
  const source = new EventSource('/api/events');
  // Renders each `name` event's JSON; calls `onFinished` when indexing seen active stops.
  const listen = (name, show, isActive) => source.addEventListener(name, (event) => {
    let value;
    try {
      value = JSON.parse(event.data);
    } catch {
      return;
    }
    show(value);
    const active = isActive(value);
    if (wasRunning && !active) onFinished();
    wasRunning = active;
  });
  listen('progress', render, (progress) => progress.state === 'running');
  // Workers' files land one by one: results refresh when the queue settles.
  listen('queue', renderQueue, (queue) => queue.waiting > 0 || queue.in_progress.length > 0 || Boolean(queue.text_copy));
  pill.addEventListener('click', () => {
    panel.hidden = !panel.hidden;
  });
}
