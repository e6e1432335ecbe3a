// The rushes web UI: search as you type with the query in the URL, result cards that scrub
// on hover and play on click, facets, image search, the library and asset pages, live
// indexing progress and keyboard navigation. Plain ES modules, no build step.

import { ApiError, assetDetail, getJson, postImage } from './api.js';
import { el, fileName, folderOf, formatDuration, formatTime, hasFilter, snippetNodes, toggleFilter } from './format.js';
import { sourceClock } from './timecode.js';
import * as player from './player.js';
import { playable } from './playable.js';
import { renderAsset, renderLibrary, renderScenes, slateChip } from './library.js';
import { faceChips, showPeopleMatched, renderPeople, renderPerson } from './people.js';
import { watchProgress } from './progress.js';
import * as workflow from './workflow.js';

const PAGE = 60;
const DEBOUNCE_MS = 250;
// A word being typed may be half a filter (`kind:vi`): its parse error waits for this pause
// (or Enter) before it shows, and the results it would replace stay.
const ERROR_PAUSE_MS = 1500;

const form = document.getElementById('search-form');
const input = document.getElementById('q');
const sortSelect = document.getElementById('sort');
const results = document.getElementById('results');
const count = document.getElementById('result-count');
const peopleMatched = document.getElementById('people-matched');
const moreButton = document.getElementById('more');
const message = document.getElementById('message');
const facetsBox = document.getElementById('facets');
const searchView = document.getElementById('search-view');
const assetView = document.getElementById('asset-view');
const libraryView = document.getElementById('library-view');
const collectionsView = document.getElementById('collections-view');
const peopleView = document.getElementById('people-view');
const notFoundView = document.getElementById('notfound-view');
const imageQuery = document.getElementById('image-query');
const imageFileInput = document.getElementById('image-file');
const dropOverlay = document.getElementById('drop-overlay');

const welcome = document.getElementById('welcome');
const imagePick = document.getElementById('image-pick');
const typingHint = document.getElementById('typing-hint');

const state = {
  hits: [],
  assets: {},
  offset: 0,
  exhausted: true,
  controller: null,
  mode: 'text', // text | image | similar
  imageFile: null,
  // Why visual search (More like this, Image…) is off, from /api/status; null when on.
  visualOff: null,
  // The next search comes from typing (not Enter, a link or Back): a half-typed filter waits.
  typing: false,
};

// ---------------------------------------------------------------- messages

export function showMessage(text, kind = 'info') {
  if (!text) {
    message.hidden = true;
    message.textContent = '';
    return;
  }
  message.hidden = false;
  message.className = `message ${kind}`;
  message.textContent = text;
}

function explain(error) {
  if (error instanceof ApiError) {
    if (error.code === 'bad_query') return `That query can't be read: ${error.message}`;
    if (error.status === 413) return 'That file is too large (20 MB at most).';
    if (error.status === 404) return error.message;
    if (error.status >= 500) return 'Something went wrong on the server; its log has the details.';
    return error.message;
  }
  return 'The server could not be reached.';
}

// ---------------------------------------------------------------- URL and views

function currentParams() {
  return new URLSearchParams(location.search);
}

function showView(name) {
  notFoundView.hidden = name !== 'notfound';
  searchView.hidden = name !== 'search';
  assetView.hidden = name !== 'asset';
  libraryView.hidden = name !== 'library';
  collectionsView.hidden = name !== 'collections';
  peopleView.hidden = name !== 'people';
  facetsBox.hidden = name !== 'search';
  document.body.dataset.view = name;
}

function navigate(url, replace = false) {
  if (url === location.pathname + location.search) return route();
  history[replace ? 'replaceState' : 'pushState'](null, '', url);
  return route();
}

async function route() {
  const params = currentParams();
  player.close();
  if (params.has('asset')) {
    showView('asset');
    showMessage('');
    await renderAsset(assetView, params.get('asset'), Number(params.get('t')) || 0, { play: playItem, showMessage, explain, visualOff: () => state.visualOff });
    return;
  }
  if (params.has('collection')) {
    showView('collections');
    showMessage('');
    await workflow.renderCollection(collectionsView, params.get('collection'), { showMessage, explain, navigate });
    return;
  }
  if (params.get('view') === 'collections') {
    showView('collections');
    showMessage('');
    await workflow.renderCollections(collectionsView, { showMessage, explain });
    return;
  }
  if (params.has('person')) {
    showView('people');
    showMessage('');
    await renderPerson(peopleView, params.get('person'), { showMessage, explain, navigate, play: playItem });
    return;
  }
  if (params.get('view') === 'people') {
    showView('people');
    showMessage('');
    await renderPeople(peopleView, { showMessage, explain });
    return;
  }
  if (params.get('view') === 'library' && params.get('by') === 'scene') {
    showView('library');
    showMessage('');
    await renderScenes(libraryView, { showMessage, explain, play: playItem });
    return;
  }
  if (params.get('view') === 'library') {
    showView('library');
    showMessage('');
    await renderLibrary(libraryView, params.get('folder') || '', { showMessage, explain, navigate });
    return;
  }
  if (location.pathname !== '/' && location.pathname !== '/index.html') {
    showNotFound();
    return;
  }
  showView('search');
  const q = params.get('q') || '';
  if (document.activeElement !== input || input.value.trim() !== q.trim()) input.value = q;
  sortSelect.value = params.get('sort') === 'date' ? 'date' : 'relevance';
  if (params.has('similar')) {
    state.mode = 'similar';
    await runSimilar(params.get('similar'), Number(params.get('t')) || 0);
  } else if (state.mode === 'image' && state.imageFile && params.has('image')) {
    await runImage(state.imageFile);
  } else {
    state.mode = 'text';
    imageQuery.hidden = true;
    const typing = state.typing;
    state.typing = false;
    await runSearch(q, false, typing);
  }
  showWelcome(q);
}

/** The UI's own page for a URL it does not know (the server hands every page URL to the UI). */
function showNotFound() {
  showView('notfound');
  showMessage('');
  notFoundView.replaceChildren(
    el('h1', { text: 'Page not found' }),
    el('p', { class: 'muted' }, 'Nothing lives at ', el('code', { text: location.pathname }), '.'),
    el('p', {}, el('a', { href: '/', 'data-nav': '', text: 'Search footage' }), ' · ',
      el('a', { href: '/?view=library', 'data-nav': '', text: 'Library' }), ' · ',
      el('a', { href: '/?view=collections', 'data-nav': '', text: 'Collections' })),
  );
  document.title = 'Not found — rushes';
}

// ---------------------------------------------------------------- searching

function newRequest() {
  if (state.controller) state.controller.abort();
  state.controller = new AbortController();
  return state.controller.signal;
}

function markResults(stateName, q) {
  results.dataset.state = stateName;
  results.dataset.query = q ?? '';
}

let errorTimer = 0;

async function runSearch(q, append, typing = false) {
  const signal = newRequest();
  clearTimeout(errorTimer);
  markResults('loading', q);
  if (!append) state.offset = 0;
  const sort = sortSelect.value;
  try {
    // The facets come in the same step as the results, so both always describe one query.
    const [page, facets] = await Promise.all([
      getJson('/api/search', { q, limit: PAGE, offset: state.offset, sort }, signal),
      append ? null : loadFacets(q, signal),
    ]);
    typingHint.hidden = true;
    showMessage('');
    if (facets) renderFacets(facets, q);
    showHits(page, append, q);
    markResults('ready', q);
  } catch (error) {
    if (error.name === 'AbortError') return;
    if (typing && error instanceof ApiError && error.code === 'bad_query') {
      // Probably half a word (`kind:vi`): keep the results and facets, say so quietly, and
      // show the error only if the typing stops here.
      typingHint.hidden = false;
      typingHint.textContent = 'Finish the word… (Enter checks it now)';
      markResults('incomplete', q);
      errorTimer = setTimeout(() => showSearchFailure(error, q, append), ERROR_PAUSE_MS);
      return;
    }
    showSearchFailure(error, q, append);
  }
}

function showSearchFailure(error, q, append) {
  typingHint.hidden = true;
  showMessage(explain(error), 'error');
  markResults('error', q);
  if (!append) {
    results.replaceChildren();
    count.textContent = '';
    moreButton.hidden = true;
  }
}

async function runSimilar(assetId, t) {
  const signal = newRequest();
  imageQuery.hidden = true;
  markResults('loading', null);
  try {
    const page = await getJson('/api/similar', { asset: assetId, t, limit: PAGE }, signal);
    showMessage('');
    showHits(page, false, null);
    count.textContent = `${page.hits.length} moments that look like ${fileName(page.query || assetId)}`;
    const detail = await assetDetail(assetId).catch(() => null);
    if (detail) count.textContent = `${page.hits.length} moments that look like ${fileName(detail.asset.path)} at ${formatTime(t)}`;
    markResults('ready', null);
  } catch (error) {
    showSearchError(error);
  }
}

/** A failed similar/image search: the reason, no results (an aborted request is not shown). */
function showSearchError(error) {
  if (error.name === 'AbortError') return;
  showMessage(explain(error), 'error');
  markResults('error', null);
  results.replaceChildren();
  count.textContent = '';
}

async function runImage(file) {
  const signal = newRequest();
  state.mode = 'image';
  state.imageFile = file;
  const preview = imageQuery.querySelector('img');
  if (preview.dataset.url) URL.revokeObjectURL(preview.dataset.url);
  preview.dataset.url = URL.createObjectURL(file);
  preview.src = preview.dataset.url;
  imageQuery.hidden = false;
  showMessage('Searching by image…');
  markResults('loading', null);
  try {
    const page = await postImage(file, PAGE, signal);
    showMessage('');
    showHits(page, false, null);
    count.textContent = `${page.hits.length} moments that look like this image`;
    markResults('ready', null);
  } catch (error) {
    showSearchError(error);
  }
}

function showHits(page, append, q) {
  const hits = page.hits || [];
  Object.assign(state.assets, page.assets || {});
  if (append) state.hits.push(...hits);
  else state.hits = hits.slice();
  state.exhausted = hits.length < PAGE || state.mode !== 'text';
  state.offset = state.hits.length;
  if (!append) showPeopleMatched(peopleMatched, page.people_matched);
  const cards = hits.map((hit, i) => card(hit, (append ? state.hits.length - hits.length : 0) + i));
  if (append) results.append(...cards);
  else results.replaceChildren(...cards);
  moreButton.hidden = state.exhausted;
  if (q !== null) {
    const n = state.hits.length;
    count.textContent = n === 0
      ? (q.trim() ? 'No moments match.' : 'Nothing indexed yet.')
      : `${n}${state.exhausted ? '' : '+'} moment${n === 1 ? '' : 's'}`;
  }
  if (!append && state.hits.length === 0 && q && q.trim()) {
    results.append(el('p', { class: 'empty', text: 'Try fewer words, or remove a filter.' }));
  }
}

// ---------------------------------------------------------------- cards

/** The last two folders of a path (`footage/day1`): enough to place a clip, short enough to read. */
function shortFolder(folder) {
  const parts = String(folder).split(/[\\/]/).filter(Boolean);
  return parts.length > 2 ? `…/${parts.slice(-2).join('/')}` : `/${parts.join('/')}`;
}

function thumbUrl(path) {
  if (!path) return null;
  return path.startsWith('/') ? path : `/thumbs/${path}`;
}

/** Whether two texts read the same, whitespace aside. */
function sameText(a, b) {
  const squeeze = (text) => String(text).replace(/\s+/g, ' ').trim();
  return squeeze(a) === squeeze(b);
}

export function playItem(item) {
  player.play(item);
}

function card(hit, index) {
  const info = state.assets[hit.asset.id] || {};
  const img = el('img', { alt: '', loading: 'lazy', decoding: 'async', draggable: 'false' });
  const thumbnail = thumbUrl(hit.thumbnail);
  if (thumbnail) img.src = thumbnail;
  const length = hit.end - hit.start;
  const thumb = el('div', { class: 'thumb' },
    thumbnail ? img : el('div', { class: 'no-thumb', text: hit.asset.kind }),
    hit.asset.kind === 'image' ? null : el('span', {
      class: 'badge tc mono',
      title: hit.timecode ? 'Source timecode of the moment' : 'Time in the file (it has no source timecode)',
      text: hit.timecode || formatTime(hit.start),
    }),
    hit.asset.kind !== 'image' && length > 0 ? el('span', { class: 'badge dur mono', text: formatDuration(length) }) : null,
    el('div', { class: 'scrub' }, el('div', { class: 'scrub-bar' })),
  );
  // A listing by filters alone has no signals: the filters it matched are its reason.
  const signals = (hit.signals || []).length
    ? el('div', { class: 'signals' }, hit.signals.map((s) => el('span', { class: `chip sig-${s}`, text: s })))
    : el('div', { class: 'signals' }, (hit.filters || []).map((f) => el('span', { class: 'chip sig-filter', title: 'Listed because it matches this filter', text: f })));
  const snippet = el('p', { class: 'snippet' }, snippetNodes(hit.snippet));
  // The caption has a line of its own; a snippet that only repeats it gives it its highlights.
  const captionInSnippet = Boolean(hit.caption) && sameText(snippet.textContent, hit.caption);
  const caption = hit.caption
    ? el('p', { class: 'caption', title: 'What the caption model sees in the keyframe' },
      captionInSnippet ? snippetNodes(hit.snippet) : hit.caption)
    : null;
  const article = el('article', {
    class: 'card',
    tabindex: '0',
    role: 'listitem',
    dataset: { index: String(index), assetId: hit.asset.id, start: String(hit.start), end: String(hit.end) },
    'aria-label': `${fileName(hit.asset.path)} at ${formatTime(hit.start)}`,
  },
  thumb,
  el('div', { class: 'meta' },
    el('div', { class: 'name', title: hit.asset.path, text: fileName(hit.asset.path) }),
    el('div', { class: 'folder', title: folderOf(hit.asset.path), text: shortFolder(info.folder || folderOf(hit.asset.path)) }),
    el('div', { class: 'line' },
      el('span', { class: 'mono when', text: `${formatTime(hit.start)} – ${formatTime(hit.end)}` }),
      slateChip(hit.slate),
      info.playback && !info.playback.native ? el('span', { class: 'chip proxy', title: info.playback.reason || '', text: 'proxy' }) : null),
    signals,
    (hit.missing || []).length ? el('p', {
      class: 'missing',
      title: 'The query words this moment does not contain: check it is the take you want',
      text: `no match for: ${hit.missing.join(', ')}`,
    }) : null,
    faceChips(hit.people, navigate),
    caption,
    hit.snippet && !captionInSnippet ? snippet : null,
    (hit.hand_tags || []).length ? el('div', { class: 'hand-tags' }, hit.hand_tags.map((t) => el('span', { class: 'chip tag', title: 'your tag', text: t }))) : null,
    (hit.notes || []).length ? el('p', { class: 'card-note', title: 'your note' }, hit.notes.join(' · ')) : null,
    el('div', { class: 'actions' },
      similarButton(hit),
      el('a', { class: 'link', href: `/?asset=${encodeURIComponent(hit.asset.id)}&t=${hit.start}`, 'data-nav': '', text: 'Asset', onclick: (event) => event.stopPropagation() }),
    ),
  ));
  article.addEventListener('click', () => playItem(playable(hit)));
  if (hit.asset.kind === 'video') attachScrub(article, img, hit, thumbnail);
  return article;
}

/** "More like this": a search for frames that look like the moment's, or why it is off. */
function similarButton(hit) {
  return el('button', {
    type: 'button',
    class: 'link similar',
    text: 'More like this',
    'aria-disabled': state.visualOff ? 'true' : null,
    title: state.visualOff ? `Off: ${state.visualOff}` : 'Moments that look like this one',
    onclick: (event) => {
      event.stopPropagation();
      if (state.visualOff) {
        visualOffMessage('“More like this”');
        return;
      }
      navigate(`/?similar=${encodeURIComponent(hit.asset.id)}&t=${(hit.start + hit.end) / 2}`);
    },
  });
}

/**
 * Frames of an asset inside [start, end], from the asset detail: the server lists them at
 * the top level (`frames`); per-moment lists are read too, in case an older server sends them.
 */
export function framesIn(detail, start, end) {
  const all = [...(detail.frames || []), ...(detail.moments || []).flatMap((m) => m.frames || [])];
  const seen = new Set();
  const frames = [];
  for (const frame of all) {
    const time = frame.time ?? frame.t;
    const url = thumbUrl(frame.thumbnail);
    if (!url || seen.has(url) || !(time >= start - 0.01 && time <= end + 0.01)) continue;
    seen.add(url);
    frames.push({ time, url });
  }
  frames.sort((a, b) => a.time - b.time);
  return frames;
}

function attachScrub(article, img, hit, original) {
  let frames = null;
  const bar = article.querySelector('.scrub-bar');
  article.addEventListener('mouseenter', async () => {
    if (frames) return;
    try {
      frames = framesIn(await assetDetail(hit.asset.id), hit.start, hit.end);
      for (const frame of frames) new Image().src = frame.url; // warm the cache
    } catch {
      frames = [];
    }
  });
  article.addEventListener('mousemove', (event) => {
    if (!frames || frames.length < 2) return;
    const box = img.getBoundingClientRect();
    const fraction = Math.max(0, Math.min(0.999, (event.clientX - box.left) / box.width));
    const frame = frames[Math.floor(fraction * frames.length)];
    if (img.getAttribute('src') !== frame.url) img.src = frame.url;
    article.classList.add('scrubbing');
    bar.style.setProperty('width', `${fraction * 100}%`);
  });
  article.addEventListener('mouseleave', () => {
    article.classList.remove('scrubbing');
    if (original) img.src = original;
  });
}

// ---------------------------------------------------------------- facets

const FACET_TITLES = { kind: 'Kind', folder: 'Folder', camera: 'Camera', date: 'Date', tag: 'Tag', scene: 'Scene', take: 'Take' };

/** Accepts {kind: [{value, count}]} or {kinds: {video: 3}} style answers. */
function facetGroups(answer) {
  const groups = [];
  const source = answer && answer.facets ? answer.facets : answer || {};
  for (const [rawKey, rawValues] of Object.entries(source)) {
    const key = rawKey.replace(/s$/, '').replace(/^folde$/, 'folder');
    let values = [];
    if (Array.isArray(rawValues)) {
      values = rawValues.map((v) => (Array.isArray(v) ? { value: v[0], count: v[1] } : { value: v.value ?? v.name, count: v.count }));
    } else if (rawValues && typeof rawValues === 'object') {
      values = Object.entries(rawValues).map(([value, n]) => ({ value, count: n }));
    }
    values = values.filter((v) => v.value !== undefined && v.value !== null && v.value !== '');
    if (values.length) groups.push({ key, values });
  }
  const order = Object.keys(FACET_TITLES);
  groups.sort((a, b) => (order.indexOf(a.key) + 1 || 99) - (order.indexOf(b.key) + 1 || 99));
  return groups;
}

/** The facet groups of `q`, or [] when the facets cannot be read (the results still show). */
async function loadFacets(q, signal) {
  try {
    return facetGroups(await getJson('/api/facets', { q }, signal));
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    if (error instanceof ApiError && error.code === 'bad_query') throw error;
    return [];
  }
}

function renderFacets(groups, q) {
  const sections = groups.map(({ key, values }) => el('section', { class: 'facet', dataset: { facet: key } },
    el('h3', { text: FACET_TITLES[key] || key }),
    el('ul', {}, values.slice(0, 12).map(({ value, count: n }) => {
      const active = hasFilter(q, key, String(value));
      return el('li', {}, el('button', {
        type: 'button',
        class: `facet-value${active ? ' active' : ''}`,
        'aria-pressed': active ? 'true' : 'false',
        dataset: { facet: key, value: String(value) },
        title: String(value),
        onclick: () => {
          input.value = toggleFilter(input.value, key, String(value));
          submitQuery();
        },
      }, el('span', { class: 'facet-name', text: key === 'folder' ? fileName(String(value)) || String(value) : String(value) }), el('span', { class: 'facet-count', text: String(n) })));
    })),
  ));
  facetsBox.replaceChildren(...sections);
}

// ---------------------------------------------------------------- input

let debounceTimer = 0;

function urlForQuery() {
  const params = new URLSearchParams();
  const q = input.value.trim();
  if (q) params.set('q', q);
  if (sortSelect.value !== 'relevance') params.set('sort', sortSelect.value);
  const text = params.toString();
  return text ? `/?${text}` : '/';
}

function submitQuery() {
  clearTimeout(debounceTimer);
  state.mode = 'text';
  navigate(urlForQuery());
}

// The query language's filter keys: a last word that could still become `key:value` waits.
const FILTER_KEYS = ['kind', 'folder', 'camera', 'tag', 'date', 'duration', 'asset', 'person', 'scene', 'take', 'roll'];
const INCOMPLETE_PAUSE_MS = 900;

/** Whether the word being typed is probably half a filter (`ki`, `kind:`, `tag:"red`). */
function halfFilter(text) {
  if (/\s$/.test(text)) return false;
  const last = text.split(/\s+/).pop().replace(/^-/, '').toLowerCase();
  if (!last) return false;
  if ((last.match(/"/g) || []).length % 2 === 1) return true;
  if (/^[a-z]+:$/.test(last)) return true;
  return /^[a-z]+$/.test(last) && FILTER_KEYS.some((key) => key.startsWith(last) && key !== last);
}

input.addEventListener('input', () => {
  clearTimeout(debounceTimer);
  clearTimeout(errorTimer);
  debounceTimer = setTimeout(() => {
    state.typing = true;
    submitQuery();
  }, halfFilter(input.value) ? INCOMPLETE_PAUSE_MS : DEBOUNCE_MS);
});
form.addEventListener('submit', (event) => {
  event.preventDefault();
  submitQuery();
});
sortSelect.addEventListener('change', submitQuery);
document.getElementById('export-results').addEventListener('click', () => {
  const q = currentParams().get('q') || '';
  if (q.trim()) workflow.openExport({ query: q });
  else showMessage('Search first, then export the results.');
});
document.addEventListener('player-item', (event) => workflow.attach(event.detail));
moreButton.addEventListener('click', () => runSearch(currentParams().get('q') || '', true));

// ---------------------------------------------------------------- first screen and status

let status = null;

const KIND_NAMES = { video: ['video', 'videos'], audio: ['audio file', 'audio files'], image: ['still', 'stills'] };

function kindCount(kind, n) {
  const [one, many] = KIND_NAMES[kind] || [kind, kind];
  return `${n} ${n === 1 ? one : many}`;
}

/** What is off, each with its one command: visual search, and whatever else the server lists. */
function offNotices() {
  if (!status) return [];
  const notices = [];
  if (status.visual_search_notice) notices.push(status.visual_search_notice);
  for (const entry of Array.isArray(status.notices) ? status.notices : []) {
    const text = typeof entry === 'string' ? entry : entry && (entry.notice || entry.message);
    if (text && !notices.includes(text)) notices.push(text);
  }
  return notices;
}

/** The first screen (no query): what is indexed, what is off and how to turn it on. */
function showWelcome(q) {
  if (!status || q.trim() || state.mode !== 'text') {
    welcome.hidden = true;
    return;
  }
  const index = status.index || {};
  const kinds = Object.entries(index.assets_by_kind || {}).filter(([, n]) => n > 0).map(([kind, n]) => kindCount(kind, n));
  const indexed = index.assets
    ? `Indexed: ${kinds.join(', ')} — ${index.moments} moment${index.moments === 1 ? '' : 's'}.`
    : 'Nothing indexed yet.';
  // replaceChildren would print a null as "null": the lines that do not apply are left out.
  welcome.replaceChildren(...[
    el('h2', { class: 'welcome-title', text: 'Search your footage' }),
    el('p', { class: 'welcome-indexed', text: indexed }),
    index.assets ? null : el('p', {}, 'Index a folder of footage: ', el('code', { text: 'rushes index <FOLDER>' }), ', then reload.'),
    offNotices().length ? el('ul', { class: 'welcome-off' }, offNotices().map((text) => el('li', {}, commandNodes(text)))) : null,
    index.assets ? el('p', { class: 'muted welcome-tips' }, 'Type words, on-screen text or filters (', el('code', { text: 'kind:video' }), ', ',
      el('code', { text: 'tag:' }), ', ', el('code', { text: 'camera:' }), ', ', el('code', { text: 'date:' }), ', ', el('code', { text: 'scene:42' }), ', ', el('code', { text: 'take:3' }), '). ',
      el('kbd', { text: '/' }), ' focuses the search; arrows and Enter play a result.') : null,
  ].filter(Boolean));
  welcome.hidden = false;
}

/** A notice with its `command` in backticks shown as code. */
function commandNodes(text) {
  return String(text).split(/(`[^`]+`)/).filter(Boolean)
    .map((part) => (part.startsWith('`') && part.endsWith('`') ? el('code', { text: part.slice(1, -1) }) : part));
}

/** Marks the visual-search buttons as off, with the reason and the command as their title. */
function applyVisualState() {
  const off = state.visualOff;
  imagePick.setAttribute('aria-disabled', off ? 'true' : 'false');
  imagePick.title = off ? `Image search is off: ${off}` : 'Search by an image (or drop one anywhere)';
  for (const button of results.querySelectorAll('.similar')) {
    if (off) button.setAttribute('aria-disabled', 'true');
    else button.removeAttribute('aria-disabled');
    button.title = off ? `Off: ${off}` : 'Moments that look like this one';
  }
}

async function loadStatus() {
  try {
    status = await getJson('/api/status');
  } catch {
    return;
  }
  state.visualOff = status.visual_search_notice || null;
  document.body.dataset.visual = state.visualOff ? 'off' : 'on';
  applyVisualState();
  if (!searchView.hidden) showWelcome(currentParams().get('q') || '');
}

function visualOffMessage(what) {
  showMessage(`${what} needs visual search, which is off: ${state.visualOff}`, 'info');
}

// ---------------------------------------------------------------- image search

function searchByImage(file) {
  if (state.visualOff) {
    visualOffMessage('Searching by an image');
    return;
  }
  if (!file || !file.type.startsWith('image/')) {
    showMessage('Drop an image file (JPEG, PNG, WebP) to search by it.', 'error');
    return;
  }
  state.imageFile = file;
  state.mode = 'image';
  welcome.hidden = true;
  history.pushState(null, '', '/?image=1');
  showView('search');
  runImage(file);
}

imagePick.addEventListener('click', () => {
  if (state.visualOff) visualOffMessage('Searching by an image');
  else imageFileInput.click();
});
imageFileInput.addEventListener('change', () => {
  if (imageFileInput.files && imageFileInput.files[0]) searchByImage(imageFileInput.files[0]);
  imageFileInput.value = '';
});
document.getElementById('image-clear').addEventListener('click', () => {
  state.imageFile = null;
  navigate('/');
});

let dragDepth = 0;
window.addEventListener('dragenter', (event) => {
  if (!event.dataTransfer || ![...event.dataTransfer.types].includes('Files')) return;
  dragDepth += 1;
  dropOverlay.hidden = false;
});
window.addEventListener('dragleave', () => {
  dragDepth = Math.max(0, dragDepth - 1);
  if (dragDepth === 0) dropOverlay.hidden = true;
});
window.addEventListener('dragover', (event) => event.preventDefault());
window.addEventListener('drop', (event) => {
  event.preventDefault();
  dragDepth = 0;
  dropOverlay.hidden = true;
  const file = event.dataTransfer && event.dataTransfer.files[0];
  if (file) searchByImage(file);
});

// ---------------------------------------------------------------- navigation and keys

document.addEventListener('click', (event) => {
  const link = event.target.closest('a[data-nav]');
  if (!link || event.defaultPrevented || event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
  const url = new URL(link.href, location.origin);
  if (url.origin !== location.origin) return;
  event.preventDefault();
  navigate(url.pathname + url.search);
});
window.addEventListener('popstate', route);

function cards() {
  return [...results.querySelectorAll('.card')];
}

function columns() {
  const list = cards();
  if (list.length < 2) return 1;
  const top = list[0].offsetTop;
  const n = list.findIndex((c) => c.offsetTop !== top);
  return n === -1 ? list.length : n;
}

document.addEventListener('keydown', (event) => {
  const typing = event.target instanceof HTMLInputElement || event.target instanceof HTMLSelectElement || event.target instanceof HTMLTextAreaElement;
  if (event.key === '/' && !typing && !player.isOpen()) {
    event.preventDefault();
    if (searchView.hidden) navigate(urlForQuery());
    input.focus();
    input.select();
    return;
  }
  if (event.key === 'Escape' && !player.isOpen() && document.activeElement === input) {
    input.blur();
    return;
  }
  if (player.isOpen()) return;
  const list = cards();
  if (!list.length || searchView.hidden) return;
  const current = list.indexOf(document.activeElement);
  if (event.key === 'ArrowDown' && event.target === input) {
    event.preventDefault();
    list[0].focus();
    return;
  }
  if (current === -1) return;
  const moves = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: columns(), ArrowUp: -columns() };
  if (event.key in moves) {
    event.preventDefault();
    const next = current + moves[event.key];
    if (next < 0 && event.key === 'ArrowUp') input.focus();
    else list[Math.max(0, Math.min(list.length - 1, next))].focus();
  } else if (event.key === 'Enter') {
    event.preventDefault();
    playItem(playable(state.hits[current]));
  }
});

let lastFocusedCard = null;
results.addEventListener('focusin', (event) => {
  if (event.target.classList.contains('card')) lastFocusedCard = event.target;
});
document.addEventListener('player-closed', () => {
  if (lastFocusedCard && lastFocusedCard.isConnected) lastFocusedCard.focus();
});

// ---------------------------------------------------------------- start

watchProgress({
  onFinished: () => {
    if (!searchView.hidden && state.mode === 'text') runSearch(currentParams().get('q') || '', false);
    loadStatus();
  },
});
route();
loadStatus();
