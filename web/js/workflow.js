// Editor and marketing work in the UI: tags, notes and "add to collection" on the moment in
// the player; the Collections view and a collection's page (play in sequence, reorder,
// remove, rename, delete); and the Export dialog (format, handles, crop, progress, cancel,
// download). Talks to /api/assets/{id}/annotations, /api/collections… and /api/exports….

import { getJson, sendJson } from './api.js';
import { el, fileName, folderOf, formatDuration } from './format.js';
import * as player from './player.js';
import { playable } from './playable.js';
import { sourceClock } from './timecode.js';

// ---------------------------------------------------------------- the moment in the player

const panel = document.getElementById('player-workflow');
let current = null; // the item playing
let annotations = []; // the asset's annotations, as last read
let savedNote = ''; // the note as saved for the current range: the textarea differs when unsaved
let warnedUnsaved = false;
// The newest tag, note or collection request: an older one answering late does not overwrite
// its status line (a note saved, then "Added to …" replaced by the note's late "Saved").
let lastAction = 0;

const isStill = (item) => item.asset.kind === 'image';

/** What a tag, note or collection entry applies to: the player's in→out (a still: all of it). */
function rangeOf(item) {
  if (isStill(item)) return {};
  const marks = player.currentRange();
  return marks ? { start: marks.start, end: marks.end } : { start: item.start, end: item.end };
}

const sameTime = (a, b) => Math.abs(a - b) < 0.0005;

async function refreshAnnotations() {
  if (!current) return;
  const list = await getJson(`/api/assets/${encodeURIComponent(current.asset.id)}/annotations`).catch(() => []);
  renderAnnotations(list);
}

function noteBox() {
  return panel.querySelector('.note');
}

function noteUnsaved() {
  return Boolean(current) && noteBox().value.trim() !== savedNote.trim();
}

function renderAnnotations(list, keepNote = false) {
  annotations = list;
  const box = panel.querySelector('.tags');
  box.replaceChildren();
  const range = rangeOf(current);
  const here = range.start === undefined
    ? null
    : list.find((a) => a.range && sameTime(a.range.start, range.start) && sameTime(a.range.end, range.end));
  const whole = list.find((a) => !a.range);
  const scopes = isStill(current) ? [[whole, 'file']] : [[here, 'moment'], [whole, 'file']];
  for (const [annotation, scope] of scopes) {
    for (const tag of annotation ? annotation.tags : []) {
      box.append(el('span', { class: 'chip tag', dataset: { tag, scope }, title: scope === 'file' ? 'on the whole file' : 'on this in→out range' }, tag,
        el('button', { type: 'button', class: 'link remove-tag', 'aria-label': `remove ${tag}`, text: '×', onclick: () => removeTag(tag, scope) })));
    }
  }
  const note = isStill(current) ? whole : here;
  // A note being written stays in the box (for the new range); a saved one gives way to the
  // new range's own note.
  const writing = keepNote && noteUnsaved();
  savedNote = note ? note.note : '';
  if (!writing) noteBox().value = savedNote;
  showScope();
}

function showScope() {
  const scope = panel.querySelector('.wf-scope');
  scope.textContent = isStill(current) ? 'Tags, note and collection apply to the whole image.' : `Applies to in → out: ${player.rangeLabel()}`;
}

async function annotate(body, scope = 'moment') {
  const range = scope === 'moment' ? rangeOf(current) : {};
  const action = ++lastAction;
  const list = await sendJson('POST', `/api/assets/${encodeURIComponent(current.asset.id)}/annotations`, { ...range, ...body });
  renderAnnotations(list, body.note === undefined);
  warnedUnsaved = false;
  if (action === lastAction) flash(body.note !== undefined ? 'Note saved' : 'Saved');
}

function removeTag(tag, scope) {
  annotate({ remove: [tag] }, scope).catch(showError);
}

function flash(text) {
  const status = panel.querySelector('.wf-status');
  status.classList.remove('warn');
  status.textContent = text;
}

function showError(error) {
  flash(error.message || String(error));
}

async function refreshCollectionChoices() {
  const list = await getJson('/api/collections').catch(() => []);
  const options = panel.querySelector('#collection-names');
  options.replaceChildren(...list.map((c) => el('option', { value: c.name })));
}

/** Whether the collection already holds this asset over the same range (or whole). */
async function alreadyCollected(name, asset, range) {
  const page = await getJson(`/api/collections/${encodeURIComponent(name)}`).catch(() => null);
  if (!page) return false;
  return page.items.some((entry) => entry.asset.id === asset && (range.start === undefined
    ? entry.whole
    : !entry.whole && sameTime(entry.start, range.start) && sameTime(entry.end, range.end)));
}

async function collect(name) {
  const action = ++lastAction;
  const range = rangeOf(current);
  const asset = current.asset.id;
  if (await alreadyCollected(name, asset, range)) {
    if (action === lastAction) flash(`Already in ${name}`);
    return;
  }
  await sendJson('POST', `/api/collections/${encodeURIComponent(name)}/items`, { asset, ...range });
  if (action === lastAction) flash(`Added to ${name}`);
  refreshCollectionChoices();
}

function buildPanel() {
  const tagInput = el('input', { type: 'text', class: 'field tag-input', placeholder: 'add a tag', maxlength: '100', 'aria-label': 'Tag' });
  const noteInput = el('textarea', { class: 'field note', rows: '2', placeholder: 'note', maxlength: '10000', 'aria-label': 'Note' });
  const collectionInput = el('input', { type: 'text', class: 'field collection-input', list: 'collection-names', placeholder: 'collection name', maxlength: '200', 'aria-label': 'Collection' });
  noteInput.addEventListener('input', () => { warnedUnsaved = false; });
  panel.replaceChildren(
    el('h3', { class: 'wf-heading', text: 'Tag, note, collect' }),
    el('p', { class: 'wf-scope' }),
    el('div', { class: 'tags' }),
    el('form', { class: 'wf-row tag-form', onsubmit: (event) => {
      event.preventDefault();
      const tag = tagInput.value.trim();
      if (!tag) return;
      annotate({ add: [tag] }).then(() => { tagInput.value = ''; }).catch(showError);
    } }, tagInput, el('button', { type: 'submit', class: 'button', text: 'Tag' })),
    el('div', { class: 'wf-row' }, noteInput,
      el('button', { type: 'button', class: 'button save-note', text: 'Save note', onclick: () => annotate({ note: noteInput.value }).catch(showError) })),
    el('form', { class: 'wf-row collect-form', onsubmit: (event) => {
      event.preventDefault();
      const name = collectionInput.value.trim();
      if (!name) return;
      collect(name).catch(showError);
    } }, collectionInput, el('datalist', { id: 'collection-names' }),
    el('button', { type: 'submit', class: 'button', text: 'Add to collection' })),
    el('div', { class: 'wf-status', role: 'status' }),
  );
}

// An unsaved note: the first Esc (or ×) says so and keeps the player open; the second closes.
player.setCloseGuard(() => {
  if (!noteUnsaved() || warnedUnsaved) return true;
  warnedUnsaved = true;
  flash('The note is not saved: Save note, or press Esc again to close without it.');
  panel.querySelector('.wf-status').classList.add('warn');
  noteBox().focus();
  return false;
});

document.addEventListener('player-marks', () => {
  if (current) renderAnnotations(annotations, true);
});

/** Called by the player for each item it plays. */
export function attach(item) {
  current = item;
  if (!panel.firstChild) buildPanel();
  flash('');
  warnedUnsaved = false;
  savedNote = '';
  noteBox().value = '';
  refreshAnnotations();
  refreshCollectionChoices();
}

// ---------------------------------------------------------------- collections

function thumbUrl(path) {
  if (!path) return null;
  return path.startsWith('/') ? path : `/thumbs/${path}`;
}

function itemToPlay(entry) {
  return playable({ asset: entry.asset, start: entry.start, end: entry.end }, entry.asset);
}

/**
 * Plays `entries` one after the other; each moment hands over to the next when it ends, and
 * the last one says the sequence is over.
 */
export function playSequence(entries, from = 0, name = '') {
  if (from >= entries.length) return;
  player.play({ ...itemToPlay(entries[from]), sequence: { index: from, total: entries.length } });
  const next = () => {
    document.removeEventListener('moment-ended', next);
    document.removeEventListener('player-closed', stop);
    if (from + 1 >= entries.length) {
      const what = name ? `“${name}”` : 'the sequence';
      player.notify(`End of ${what}: played ${entries.length} moment${entries.length === 1 ? '' : 's'}. Esc closes.`);
      return;
    }
    playSequence(entries, from + 1, name);
  };
  const stop = () => {
    document.removeEventListener('moment-ended', next);
    document.removeEventListener('player-closed', stop);
  };
  document.addEventListener('moment-ended', next);
  document.addEventListener('player-closed', stop);
}

export async function renderCollections(view, { explain, showMessage }) {
  view.replaceChildren(el('h2', { text: 'Collections' }));
  let list;
  try {
    list = await getJson('/api/collections');
  } catch (error) {
    showMessage(explain(error), 'error');
    return;
  }
  const nameInput = el('input', { type: 'text', placeholder: 'new collection', maxlength: '200', 'aria-label': 'New collection name' });
  view.append(
    el('form', { class: 'wf-row new-collection', onsubmit: (event) => {
      event.preventDefault();
      const name = nameInput.value.trim();
      if (!name) return;
      sendJson('POST', '/api/collections', { name })
        .then(() => renderCollections(view, { explain, showMessage }))
        .catch((error) => showMessage(explain(error), 'error'));
    } }, nameInput, el('button', { type: 'submit', class: 'button', text: 'Create' })),
    list.length
      ? el('ul', { class: 'collection-list' }, list.map((c) => el('li', {},
        el('a', { href: `/?collection=${encodeURIComponent(c.name)}`, 'data-nav': '', class: 'collection-link', text: c.name }),
        el('span', { class: 'muted', text: `${c.items} moment${c.items === 1 ? '' : 's'}` }))))
      : el('p', { class: 'muted', text: 'No collections yet: add a moment from the player.' }),
  );
}

export async function renderCollection(view, name, { explain, showMessage, navigate }) {
  let page;
  try {
    page = await getJson(`/api/collections/${encodeURIComponent(name)}`);
  } catch (error) {
    view.replaceChildren();
    showMessage(explain(error), 'error');
    return;
  }
  const uri = `/api/collections/${encodeURIComponent(page.name)}`;
  const rerender = () => renderCollection(view, page.name, { explain, showMessage, navigate });
  const fail = (error) => showMessage(explain(error), 'error');
  const reorder = (from, to) => {
    const order = page.items.map((i) => i.id);
    const [moved] = order.splice(from, 1);
    order.splice(to, 0, moved);
    sendJson('PATCH', uri, { order }).then(rerender).catch(fail);
  };
  const renameInput = el('input', { type: 'text', value: page.name, maxlength: '200', 'aria-label': 'Collection name' });
  const rows = page.items.map((entry, index) => el('li', { class: 'collection-item', dataset: { itemId: String(entry.id), assetId: entry.asset.id } },
    el('div', { class: 'collection-thumb' },
      entry.thumbnail ? el('img', { src: thumbUrl(entry.thumbnail), alt: '', loading: 'lazy' }) : el('div', { class: 'no-thumb', text: entry.asset.kind })),
    el('div', { class: 'meta' },
      el('div', { class: 'name', title: entry.asset.path, text: entry.asset.name || fileName(entry.asset.path) }),
      el('div', { class: 'source-range mono', title: 'Source in – out (timecode) and length' }, sourceRange(entry)),
      el('div', { class: 'folder', text: folderOf(entry.asset.path) }),
      entry.note ? el('div', { class: 'note-text', text: entry.note }) : null),
    el('div', { class: 'actions' },
      el('button', { type: 'button', class: 'link play-one', text: 'Play', onclick: () => playSequence(page.items, index, page.name) }),
      el('button', { type: 'button', class: 'link move-up', text: '↑', 'aria-label': 'Move up', disabled: index === 0, onclick: () => reorder(index, index - 1) }),
      el('button', { type: 'button', class: 'link move-down', text: '↓', 'aria-label': 'Move down', disabled: index === page.items.length - 1, onclick: () => reorder(index, index + 1) }),
      el('button', { type: 'button', class: 'link remove-item', text: 'Remove', onclick: () => sendJson('DELETE', `${uri}/items/${entry.id}`).then(rerender).catch(fail) }))));
  view.replaceChildren(
    el('div', { class: 'collection-head' },
      el('h2', { text: page.name }),
      el('a', { href: '/?view=collections', 'data-nav': '', text: 'All collections' })),
    el('div', { class: 'wf-row' },
      el('button', { type: 'button', class: 'button play-all', text: 'Play all', disabled: !page.items.length, onclick: () => playSequence(page.items, 0, page.name) }),
      el('button', { type: 'button', class: 'button export-open', text: 'Export…', disabled: !page.items.length, onclick: () => openExport({ collection: page.name }) }),
      el('form', { class: 'rename-form', onsubmit: (event) => {
        event.preventDefault();
        const newName = renameInput.value.trim();
        if (!newName || newName === page.name) return;
        sendJson('PATCH', uri, { name: newName }).then(() => navigate(`/?collection=${encodeURIComponent(newName)}`, true)).catch(fail);
      } }, renameInput, el('button', { type: 'submit', class: 'button', text: 'Rename' })),
      el('button', { type: 'button', class: 'button danger delete-collection', text: 'Delete', onclick: () => {
        if (!window.confirm(`Delete the collection “${page.name}”? The footage stays.`)) return;
        sendJson('DELETE', uri).then(() => navigate('/?view=collections')).catch(fail);
      } })),
    page.items.length ? el('ol', { class: 'collection-items' }, rows) : el('p', { class: 'muted', text: 'Empty: add moments from the player.' }),
  );
}

/** A collection entry's source in and out in timecode, and its length. */
function sourceRange(entry) {
  if (entry.whole || entry.asset.kind === 'image') return entry.asset.kind === 'image' ? 'still' : 'whole file';
  const clock = sourceClock(entry.asset.start_timecode, entry.asset.frame_rate);
  return `${clock.at(entry.start)} – ${clock.at(entry.end)} · ${formatDuration(entry.end - entry.start)}`;
}

// ---------------------------------------------------------------- export dialog

const dialog = document.getElementById('export-dialog');
let exportSource = null;
let polling = null;

function exportField(name) {
  return dialog.querySelector(`[name="${name}"]`);
}

/** Opens the Export dialog for `{collection}` or `{query}`. */
export function openExport(source) {
  exportSource = source;
  delete dialog.dataset.state;
  dialog.querySelector('.export-what').textContent = source.collection ? `Collection “${source.collection}”` : `Search “${source.query}”`;
  dialog.querySelector('.export-progress').hidden = true;
  dialog.querySelector('.export-download').replaceChildren();
  dialog.querySelector('.export-state').textContent = '';
  if (!dialog.open) dialog.showModal();
}

async function startExport() {
  const body = {
    ...exportSource,
    format: exportField('format').value,
    handles: Number(exportField('handles').value) || 0,
    crop: exportField('crop').value || null,
  };
  const progress = dialog.querySelector('.export-progress');
  const bar = progress.querySelector('progress');
  const stateText = dialog.querySelector('.export-state');
  const links = dialog.querySelector('.export-download');
  links.replaceChildren();
  delete dialog.dataset.state;
  let job;
  try {
    job = await sendJson('POST', '/api/exports', body);
  } catch (error) {
    stateText.textContent = error.message;
    return;
  }
  progress.hidden = false;
  dialog.dataset.jobId = job.id;
  const cancel = dialog.querySelector('.export-cancel');
  cancel.hidden = false;
  cancel.onclick = () => sendJson('DELETE', `/api/exports/${job.id}`).catch(() => {});
  clearInterval(polling);
  const show = (view) => {
    bar.max = Math.max(1, view.total);
    bar.value = view.done;
    stateText.textContent = exportStateText(view);
    stateText.className = `export-state ${view.state}`;
    dialog.dataset.state = view.state;
    if (view.state === 'running') return;
    clearInterval(polling);
    cancel.hidden = true;
    links.replaceChildren(el('ul', { class: 'download-list' }, view.files.map((name, n) => el('li', {},
      el('a', { href: view.download[n], download: name, class: 'download-link', text: name })))));
  };
  show(job);
  polling = setInterval(() => {
    getJson(`/api/exports/${job.id}`).then(show).catch((error) => { clearInterval(polling); stateText.textContent = error.message; });
  }, 400);
}

/** "Exporting 1 of 2…", "Done: 2 files ready to download.", "Failed: …". */
function exportStateText(view) {
  const detail = view.message ? ` — ${view.message}` : '';
  if (view.state === 'running') return `Exporting… ${view.done} of ${view.total}${detail}`;
  if (view.state === 'done') {
    const n = view.files.length;
    return `Done: ${n} file${n === 1 ? '' : 's'} ready to download${n ? ' below' : ''}.${detail}`;
  }
  if (view.state === 'cancelled') return `Cancelled after ${view.done} of ${view.total}.`;
  return `${view.state[0].toUpperCase()}${view.state.slice(1)}: ${view.done} of ${view.total}${detail}`;
}

if (dialog) {
  dialog.querySelector('.export-start').addEventListener('click', () => startExport());
  dialog.querySelector('.export-close').addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => clearInterval(polling));
}
