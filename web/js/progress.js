// Live indexing progress from server-sent events (`/api/events`): a panel with files
// done/total, captions and speech lines so far, the current file and failures with their reasons.

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
  failures.hidden = progress.failures.length === 0;
  if (progress.failures.length) {
    failures.querySelector('summary').textContent = `${progress.files_failed} file${progress.files_failed === 1 ? '' : 's'} could not be indexed`;
    const list = failures.querySelector('ul');
    list.replaceChildren(...progress.failures.map((failure) => {
      const item = document.createElement('li');
      const path = document.createElement('span');
      path.className = 'mono';
      path.textContent = failure.path;
      item.append(path, ` — ${failure.reason}`);
      return item;
    }));
  }
  pill.hidden = !running;
  pill.textContent = running ? `Indexing ${done}/${total}` : '';
}

/** Listens for progress; calls `onFinished` when a run that was seen running ends. */
export function watchProgress({ onFinished }) {
  if (!('EventSource' in window)) return;
  let wasRunning = false;
  const source = new EventSource('/api/events');
  source.addEventListener('progress', (event) => {
    let progress;
    try {
      progress = JSON.parse(event.data);
    } catch {
      return;
    }
    render(progress);
    if (wasRunning && progress.state !== 'running') onFinished();
    wasRunning = progress.state === 'running';
  });
  pill.addEventListener('click', () => {
    panel.hidden = !panel.hidden;
  });
}
