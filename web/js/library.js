// The library (folders and their assets, or slated clips by scene → take) and the asset
// page (facts, an inline player and the asset's moments on a timeline).

import { getJson, assetDetail } from './api.js';
import { el, fileName, formatBytes, formatDate, formatDuration, formatTime } from './format.js';
import { playable } from './playable.js';

const LIBRARY_PAGE = 200;

/** "Sc 42A · Tk 3" for a slate (scene and take, else the roll); '' without one. */
export function slateLabel(slate) {
  if (!slate) return '';
  const parts = [];
  if (slate.scene) parts.push(`Sc ${slate.scene}`);
  if (slate.take) parts.push(`Tk ${slate.take}`);
  if (!parts.length && slate.roll) parts.push(`Roll ${slate.roll}`);
  return parts.join(' · ');
}

/** The chip cards, moment rows and the player show for a slate, or null. */
export function slateChip(slate) {
  const label = slateLabel(slate);
  if (!label) return null;
  const more = [slate.roll ? `roll ${slate.roll}` : '', slate.camera ? `camera ${slate.camera}` : ''].filter(Boolean).join(', ');
  return el('span', { class: 'chip slate', title: `Slate${more ? ` (${more})` : ''}`, text: label });
}

/** The slate span of `slates` (an asset's, in time order) that time `t` falls in. */
export function slateAt(slates, t) {
  let found = null;
  for (const span of slates || []) if (span.start <= t && t < span.end) found = span;
  return found ? found.slate : null;
}

function facts(summary, asset) {
  const media = asset.media || {};
  return [
    summary.kind,
    media.duration ? formatDuration(media.duration) : null,
    media.width && media.height ? `${media.width}×${media.height}` : null,
    media.video_codec,
    media.frame_rate ? `${Number(media.frame_rate.toFixed(3))} fps` : null,
    media.audio_codec ? `audio ${media.audio_codec}` : null,
    summary.camera,
    media.creation_time ? formatDate(media.creation_time) : null,
    media.start_timecode ? `TC ${media.start_timecode}` : null,
    Number.isFinite(summary.size) ? formatBytes(summary.size) : null,
  ].filter((fact) => fact !== null && fact !== undefined && fact !== '' && fact !== 'null');
}

export async function renderAsset(container, id, startAt, { play, showMessage, explain, visualOff = () => null }) {
  container.replaceChildren(el('p', { class: 'muted', text: 'Loading…' }));
  let detail;
  try {
    detail = await assetDetail(id);
  } catch (error) {
    container.replaceChildren();
    showMessage(explain(error), 'error');
    return;
  }
  const { asset, summary, playback, moments } = detail;
  const slates = detail.slates || [];
  const duration = (asset.media && asset.media.duration) || Math.max(0, ...moments.map((m) => m.end)) || 1;

  let media;
  let video = null;
  if (asset.kind === 'image') {
    const thumb = moments[0] && moments[0].thumbnail;
    media = thumb ? el('img', { class: 'asset-still', src: thumb, alt: summary.name, title: 'Open in the viewer', onclick: () => select(0, true) }) : el('div', { class: 'no-thumb', text: 'image' });
  } else {
    video = el('video', { class: 'asset-video', controls: true, preload: 'metadata', playsinline: true, src: playback.url });
    video.addEventListener('loadedmetadata', () => {
      if (startAt > 0) video.currentTime = startAt;
    }, { once: true });
    media = video;
  }

  const head = el('div', { class: 'range-head' });
  const timeline = el('div', { class: 'timeline', title: 'Moments of this asset' },
    moments.map((moment, i) => {
      const block = el('button', {
        type: 'button',
        class: 'timeline-moment',
        title: `${formatTime(moment.start)} – ${formatTime(moment.end)}`,
        dataset: { index: String(i) },
        onclick: () => select(i),
      });
      block.style.setProperty('left', `${(moment.start / duration) * 100}%`);
      block.style.setProperty('width', `${Math.max(0.4, ((moment.end - moment.start) / duration) * 100)}%`);
      return block;
    }),
    head);

  const rows = moments.map((moment, i) => el('li', {
    class: 'moment-row',
    tabindex: '0',
    dataset: { index: String(i) },
    onclick: () => select(i),
    onkeydown: (event) => { if (event.key === 'Enter') { event.stopPropagation(); select(i, true); } },
  },
  moment.thumbnail ? el('img', { src: moment.thumbnail, alt: '', loading: 'lazy' }) : el('div', { class: 'no-thumb' }),
  el('div', { class: 'moment-meta' },
    el('div', { class: 'mono', text: `${moment.timecode ? `${moment.timecode}  ·  ` : ''}${formatTime(moment.start)} – ${formatTime(moment.end)}` }),
    el('div', { class: 'signals' }, slateChip(slateAt(slates, moment.start)), (moment.signals || []).map((s) => el('span', { class: `chip sig-${s}`, text: s })),
      (moment.tags || []).map((t) => el('span', { class: 'chip tag', text: t }))),
    moment.caption ? el('p', { class: 'caption', text: moment.caption }) : null,
    moment.text ? el('p', { class: 'moment-text', text: moment.text }) : null,
    el('div', { class: 'actions' },
      visualOff()
        ? el('span', { class: 'link-off', title: `Off: ${visualOff()}`, 'aria-disabled': 'true', text: 'More like this (visual search off)' })
        : el('a', { class: 'link', href: `/?similar=${encodeURIComponent(asset.id)}&t=${(moment.start + moment.end) / 2}`, 'data-nav': '', text: 'More like this', onclick: (e) => e.stopPropagation() }),
      el('button', { type: 'button', class: 'link', text: asset.kind === 'image' ? 'View' : 'Play moment', onclick: (e) => { e.stopPropagation(); select(i, true); } })),
  )));

  function select(i, inPlayer = false) {
    const moment = moments[i];
    for (const row of rows) row.classList.toggle('selected', row.dataset.index === String(i));
    for (const block of timeline.querySelectorAll('.timeline-moment')) block.classList.toggle('selected', block.dataset.index === String(i));
    if (inPlayer) {
      if (video) video.pause();
      play(playable({ asset, start: moment.start, end: moment.end, caption: moment.caption, slate: slateAt(slates, moment.start) }, summary));
    } else if (video) {
      video.currentTime = moment.start;
    }
  }

  if (video) {
    video.addEventListener('timeupdate', () => {
      head.style.setProperty('left', `${Math.min(100, (video.currentTime / duration) * 100)}%`);
    });
  }

  // replaceChildren, unlike el(), writes a null child as the text "null": leave them out.
  container.replaceChildren(...[
    el('nav', { class: 'crumbs' },
      el('a', { href: '/', 'data-nav': '', text: 'Search' }), ' / ',
      el('a', { href: `/?view=library&folder=${encodeURIComponent(summary.folder)}`, 'data-nav': '', text: summary.folder })),
    el('h1', { class: 'asset-title', text: summary.name }),
    el('div', { class: 'facts' }, facts(summary, asset).map((f) => el('span', { text: f }))),
    playback.native ? null : el('div', { class: 'notice', text: `Playing a proxy: ${playback.reason || 'the original is not browser-playable'}. The first play makes it and may take a moment.` }),
    el('div', { class: 'asset-media' }, media),
    asset.kind === 'image' ? null : timeline,
    el('h2', { text: `${moments.length} moment${moments.length === 1 ? '' : 's'}` }),
    el('ol', { class: 'moments' }, rows),
  ].filter((child) => child !== null));
  const initial = moments.findIndex((m) => startAt >= m.start && startAt < m.end);
  if (initial >= 0) {
    rows[initial].classList.add('selected');
    timeline.querySelector(`[data-index="${initial}"]`)?.classList.add('selected');
  }
  document.title = `${summary.name} — rushes`;
}

export async function renderLibrary(container, folder, { showMessage, explain }) {
  container.replaceChildren(el('p', { class: 'muted', text: 'Loading…' }));
  let offset = 0;
  let page;
  try {
    page = await getJson('/api/assets', { folder, limit: LIBRARY_PAGE, offset });
  } catch (error) {
    container.replaceChildren();
    showMessage(explain(error), 'error');
    return;
  }
  const folders = el('ul', { class: 'folders' },
    el('li', {}, el('a', { href: '/?view=library', 'data-nav': '', class: folder ? '' : 'active', text: 'All footage' })),
    el('li', {}, el('a', { href: '/?view=library&by=scene', 'data-nav': '', id: 'library-by-scene', text: 'By scene and take' })),
    page.folders.map((f) => el('li', {}, el('a', {
      href: `/?view=library&folder=${encodeURIComponent(f.path)}`,
      'data-nav': '',
      class: f.path === folder ? 'active' : '',
      title: f.path,
    }, el('span', { class: 'facet-name', text: fileName(f.path) || f.path }), el('span', { class: 'facet-count', text: String(f.count) })))));

  const body = el('tbody');
  const addRows = (assets) => body.append(...assets.map((a) => el('tr', {},
    el('td', {}, el('a', { href: `/?asset=${encodeURIComponent(a.id)}`, 'data-nav': '', text: a.name, title: a.path })),
    el('td', { dataset: { label: 'Kind' }, text: a.kind }),
    el('td', { class: 'mono', dataset: { label: 'Length' }, text: a.duration ? formatDuration(a.duration) : '' }),
    el('td', { class: 'mono', dataset: { label: 'Size' }, text: Number.isFinite(a.size) ? formatBytes(a.size) : '' }),
    el('td', { dataset: { label: 'Picture' }, text: a.width && a.height ? `${a.width}×${a.height}` : '' }),
    el('td', { dataset: { label: 'Codec' }, text: a.video_codec || '' }, a.playback.native ? null : el('span', { class: 'chip proxy', title: a.playback.reason, text: 'proxy' })),
    el('td', { dataset: { label: 'Camera' }, text: a.camera || '' }),
    el('td', { dataset: { label: 'Date' }, text: a.creation_time ? formatDate(a.creation_time, false) : '' }),
  )));
  addRows(page.assets);
  const more = el('button', { type: 'button', class: 'button', text: 'More', hidden: page.assets.length >= page.total });
  more.addEventListener('click', async () => {
    offset += LIBRARY_PAGE;
    const next = await getJson('/api/assets', { folder, limit: LIBRARY_PAGE, offset });
    addRows(next.assets);
    more.hidden = offset + next.assets.length >= next.total;
  });
  container.replaceChildren(el('div', { class: 'library' },
    el('aside', { class: 'library-folders' }, el('h3', { text: 'Folders' }), folders),
    el('section', {},
      el('h1', { class: 'asset-title', text: folder ? fileName(folder) || folder : 'All footage' }),
      el('p', { class: 'muted', text: `${page.total} asset${page.total === 1 ? '' : 's'}${folder ? ` in ${folder}` : ''}` }),
      page.total === 0 ? el('p', { class: 'empty', text: 'Nothing indexed here yet. Run `rushes index <FOLDER>`.' }) : el('table', { class: 'assets' },
        el('thead', {}, el('tr', {}, ['Name', 'Kind', 'Length', 'Size', 'Picture', 'Codec', 'Camera', 'Date'].map((h) => el('th', { text: h })))),
        body),
      more),
  ));
  document.title = 'Library — rushes';
}

/**
 * The Library by scene: every slated clip grouped scene → take → clips, in script order,
 * the way an editor walks dailies. A clip opens the player on its take.
 */
export async function renderScenes(container, { showMessage, explain, play }) {
  container.replaceChildren(el('p', { class: 'muted', text: 'Loading…' }));
  let answer;
  try {
    answer = await getJson('/api/slates', {});
  } catch (error) {
    container.replaceChildren();
    showMessage(explain(error), 'error');
    return;
  }
  const scenes = answer.scenes || [];
  const takeCount = scenes.reduce((n, scene) => n + scene.takes.length, 0);
  const clip = (c) => el('li', {}, el('button', {
    type: 'button',
    class: 'scene-clip',
    title: `${c.path} ${formatTime(c.start)} – ${formatTime(c.end)}`,
    onclick: () => play(playable({ asset: { id: c.asset_id, path: c.path, kind: 'video' }, start: c.start, end: c.end, slate: c.slate }, null)),
  },
  c.thumbnail ? el('img', { src: c.thumbnail, alt: '', loading: 'lazy' }) : el('div', { class: 'no-thumb' }),
  el('span', { class: 'name', text: fileName(c.path) }),
  el('span', { class: 'mono muted', text: `${formatTime(c.start)} – ${formatTime(c.end)}${c.slate.camera ? ` · cam ${c.slate.camera}` : ''}` })));
  const body = scenes.map((scene) => el('section', { class: 'scene-group', dataset: { scene: scene.scene } },
    el('h2', {}, el('a', { href: `/?q=${encodeURIComponent(`scene:${scene.scene}`)}`, 'data-nav': '', title: 'Search this scene', text: `Scene ${scene.scene}` })),
    el('ol', { class: 'scene-takes' }, scene.takes.map((take) => el('li', { class: 'scene-take', dataset: { take: take.take || '' } },
      el('h3', { text: take.take ? `Take ${take.take}` : 'Take not read' }),
      el('ul', { class: 'scene-clips' }, take.clips.map(clip)))))));
  container.replaceChildren(el('div', { class: 'library' },
    el('aside', { class: 'library-folders' }, el('h3', { text: 'Library' }), el('ul', { class: 'folders' },
      el('li', {}, el('a', { href: '/?view=library', 'data-nav': '', text: 'All footage' })),
      el('li', {}, el('a', { href: '/?view=library&by=scene', 'data-nav': '', class: 'active', text: 'By scene and take' })))),
    el('section', { class: 'scene-library' },
      el('h1', { class: 'asset-title', text: 'By scene and take' }),
      el('p', { class: 'muted', text: `${scenes.length} scene${scenes.length === 1 ? '' : 's'}, ${takeCount} take${takeCount === 1 ? '' : 's'}` }),
      scenes.length ? body : el('p', { class: 'empty', text: 'No slates read yet. Slates held up to the camera (SCENE 42 TAKE 3) are read when footage is indexed.' })),
  ));
  document.title = 'Scenes — rushes';
}
