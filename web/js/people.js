// People in the UI: the People page (everyone found, with a face, a name or "Person 12",
// and counts), one person's page (rename inline, merge another person in choosing the name,
// split a face out, forget for good, their faces and moments, playable, a page at a time),
// the face chips on result cards that search for `person:<id>`, and the note that says who
// a `person:` filter matched when that is not exactly one person. Talks to /api/people…
// and /api/faces/{id}/split.

import { getJson, sendJson } from './api.js';
import { el, fileName, formatTime } from './format.js';
import { playable } from './playable.js';

function faceImage(url, label, className) {
  return url
    ? el('img', { class: className, src: url, alt: '', loading: 'lazy', decoding: 'async', draggable: 'false', title: label })
    : el('div', { class: `${className} no-face`, 'aria-hidden': 'true', text: '?' });
}

function labelOf(person) {
  return person.label || person.name || `Person ${person.id}`;
}

/** "1 face", "3 faces". */
function plural(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function counts(person) {
  return `${plural(person.faces, 'face')} · ${plural(person.moments, 'moment')} · ${plural(person.assets, 'file')}`;
}

/** The query that finds the moments showing a person. */
export function personQuery(id) {
  return `person:${id}`;
}

/** Moments and faces a person's page loads at a time ("More …" loads the next ones). */
const MOMENTS_PAGE = 24;
const FACES_PAGE = 60;

/**
 * Says, above the results, who each `person:` filter matched when that is not exactly one
 * person (`person:Lionel` → both Lionels, each a link to their page); hidden otherwise.
 */
export function showPeopleMatched(node, matches) {
  const notable = (matches || []).filter((match) => (match.people || []).length !== 1);
  node.hidden = notable.length === 0;
  node.replaceChildren(...notable.map((match) => {
    const people = match.people || [];
    if (!people.length) return el('span', { class: 'people-match', text: `person:${match.who} matches nobody. ` });
    const links = people.map((person) => el('a', {
      class: 'link people-match-person', href: `/?person=${person.id}`, 'data-nav': '',
      dataset: { person: String(person.id) }, text: labelOf(person),
    }));
    const list = links.flatMap((link, i) => (i ? [', ', link] : [link]));
    return el('span', { class: 'people-match' }, `person:${match.who} matches ${people.length} people: `, ...list, '. ');
  }));
}

/** Small face chips for a result card; each runs the search `person:<id>`. */
export function faceChips(people, navigate) {
  if (!people || !people.length) return null;
  return el('div', { class: 'face-chips' }, people.map((person) => {
    const label = labelOf(person);
    return el('button', {
      type: 'button',
      class: 'face-chip',
      title: `Moments with ${label}`,
      'aria-label': `Moments with ${label}`,
      dataset: { person: String(person.id) },
      onclick: (event) => {
        event.stopPropagation();
        navigate(`/?q=${encodeURIComponent(personQuery(person.id))}`);
      },
      onkeydown: (event) => event.stopPropagation(),
    }, faceImage(person.thumbnail, label, 'face-chip-img'), el('span', { class: 'face-chip-name', text: label }));
  }));
}

// ---------------------------------------------------------------- the People page

export async function renderPeople(view, { showMessage, explain }) {
  view.replaceChildren(el('h2', { text: 'People' }));
  delete view.dataset.state;
  let answer;
  try {
    answer = await getJson('/api/people');
  } catch (error) {
    showMessage(explain(error), 'error');
    return;
  }
  const people = answer.people || [];
  if (!people.length) {
    view.append(el('p', { class: 'empty', text: 'No faces found yet. Index footage with the face models installed (rushes doctor says whether they are).' }));
    return;
  }
  view.append(el('ul', { class: 'people-grid', 'aria-label': 'People' }, people.map((person) => {
    const label = labelOf(person);
    return el('li', {}, el('a', {
      class: 'person-card',
      href: `/?person=${person.id}`,
      'data-nav': '',
      dataset: { person: String(person.id) },
      title: label,
    },
    faceImage(person.thumbnail, label, 'person-face'),
    el('span', { class: 'person-name', text: label }),
    el('span', { class: 'person-counts', text: counts(person) })));
  })));
  view.dataset.state = 'ready';
}

// ---------------------------------------------------------------- one person

function momentCard(hit, assets, play) {
  const url = hit.thumbnail ? (hit.thumbnail.startsWith('/') ? hit.thumbnail : `/thumbs/${hit.thumbnail}`) : null;
  const name = fileName(hit.asset.path);
  return el('li', {}, el('button', {
    type: 'button',
    class: 'person-moment',
    dataset: { assetId: hit.asset.id, start: String(hit.start), end: String(hit.end) },
    'aria-label': `Play ${name} at ${formatTime(hit.start)}`,
    onclick: () => play(playable(hit)),
  },
  url ? el('img', { src: url, alt: '', loading: 'lazy', decoding: 'async' }) : el('div', { class: 'no-thumb', text: hit.asset.kind }),
  el('span', { class: 'name', title: hit.asset.path, text: name }),
  el('span', { class: 'mono muted', text: `${formatTime(hit.start)} – ${formatTime(hit.end)}` })));
}

function faceTile(face, person, assets, { play, onSplit }) {
  const name = fileName(face.path);
  const info = assets[face.asset_id] || {};
  const playFace = () => play(playable({
    asset: { id: face.asset_id, path: face.path, kind: info.kind || 'video' },
    start: face.time,
    end: face.time + 2,
  }, info));
  return el('li', { class: 'face-tile', dataset: { face: String(face.id) } },
    el('button', { type: 'button', class: 'face-play', 'aria-label': `Play ${name} at ${formatTime(face.time)}`, onclick: playFace },
      faceImage(face.thumbnail, labelOf(person), 'face-img'),
      el('span', { class: 'face-where', title: face.path, text: `${name} ${formatTime(face.time)}` })),
    person.faces > 1
      ? el('button', { type: 'button', class: 'link split-face', text: 'Not them: split out', onclick: () => onSplit(face) })
      : null);
}

/** Page sizes of a person's page; `?page_size=N` in the address asks for others. */
function personPageSizes() {
  const asked = Number(new URLSearchParams(location.search).get('page_size'));
  return Number.isInteger(asked) && asked > 0 && asked <= 200
    ? { moments: asked, faces: asked }
    : { moments: MOMENTS_PAGE, faces: FACES_PAGE };
}

export async function renderPerson(view, id, { showMessage, explain, navigate, play }) {
  const sizes = personPageSizes();
  view.replaceChildren(el('p', { class: 'crumbs' }, el('a', { href: '/?view=people', 'data-nav': '', text: 'People' })));
  delete view.dataset.state;
  let page;
  let everyone;
  try {
    [page, everyone] = await Promise.all([
      getJson(`/api/people/${encodeURIComponent(id)}`, { limit: sizes.moments, faces_limit: sizes.faces }),
      getJson('/api/people'),
    ]);
  } catch (error) {
    showMessage(explain(error), 'error');
    return;
  }
  const person = page.person;
  const label = labelOf(person);
  const status = el('p', { class: 'person-status', role: 'status' });
  const fail = (error) => { status.textContent = explain(error); };
  const reload = () => renderPerson(view, id, { showMessage, explain, navigate, play });

  const nameInput = el('input', {
    type: 'text', class: 'person-name-input', value: person.name || '', placeholder: `Person ${person.id}`,
    maxlength: '200', 'aria-label': 'Name',
  });
  const renameForm = el('form', { class: 'wf-row rename-form', onsubmit: (event) => {
    event.preventDefault();
    sendJson('POST', `/api/people/${person.id}/name`, { name: nameInput.value.trim() })
      .then(reload)
      .catch(fail);
  } }, nameInput, el('button', { type: 'submit', class: 'button', text: 'Save name' }));

  const others = (everyone.people || []).filter((other) => other.id !== person.id);
  const mergeSelect = el('select', { class: 'merge-select', 'aria-label': 'Person to merge into this one' },
    el('option', { value: '', text: 'Merge someone into this person…' }),
    others.map((other) => el('option', { value: String(other.id), text: `${labelOf(other)} (${plural(other.faces, 'face')})` })));
  const mergeChoice = el('div', { class: 'merge-choice-box' });
  const mergeForm = el('form', { class: 'wf-row merge-form', onsubmit: (event) => {
    event.preventDefault();
    const from = Number(mergeSelect.value);
    const other = others.find((candidate) => candidate.id === from);
    if (!other) return;
    // The user chooses the merged person's name, in the page: this one's, the other's, or a new one.
    const otherLabel = labelOf(other);
    const typed = el('input', { type: 'text', class: 'merge-name', maxlength: '200', 'aria-label': 'Another name', placeholder: 'another name' });
    const choices = [[person.name || '', label], [other.name || '', otherLabel]]
      .filter(([, shown], i, all) => all.findIndex(([, s]) => s === shown) === i);
    const radios = choices.map(([value, shown], i) => el('label', { class: 'merge-option' },
      el('input', { type: 'radio', name: 'merge-name', value, checked: i === 0 }), ` ${shown}`));
    const another = el('label', { class: 'merge-option' }, el('input', { type: 'radio', name: 'merge-name', value: '\u0000typed', class: 'merge-typed' }), ' ', typed);
    typed.addEventListener('focus', () => { another.querySelector('input').checked = true; });
    mergeChoice.replaceChildren(el('fieldset', { class: 'merge-choice' },
      el('legend', { text: `Merge ${otherLabel} into ${label}: name of the merged person` }),
      radios, another,
      el('div', { class: 'wf-row' },
        el('button', { type: 'button', class: 'button merge-confirm', text: 'Merge now', onclick: () => {
          const picked = mergeChoice.querySelector('input[name="merge-name"]:checked');
          const name = picked && picked.value === '\u0000typed' ? typed.value : (picked ? picked.value : '');
          sendJson('POST', `/api/people/${person.id}/merge`, { from, name: name.trim() }).then(reload).catch(fail);
        } }),
        el('button', { type: 'button', class: 'button merge-cancel', text: 'Cancel', onclick: () => mergeChoice.replaceChildren() }))));
  } }, mergeSelect, el('button', { type: 'submit', class: 'button', text: 'Merge…' }));

  const forgetButton = el('button', { type: 'button', class: 'button danger forget-person', text: 'Forget this person…', onclick: () => {
    const sure = window.confirm(`Forget ${label} for good? Their faces, face embeddings, face thumbnails and name are deleted from the index permanently. This cannot be undone.`);
    if (!sure) return;
    sendJson('DELETE', `/api/people/${person.id}`)
      .then(() => navigate('/?view=people'))
      .then(() => showMessage(`${label} was forgotten.`))
      .catch(fail);
  } });

  const onSplit = (face) => {
    sendJson('POST', `/api/faces/${face.id}/split`)
      .then((answer) => reload().then(() => showMessage(`That face is now ${labelOf(answer.person)}.`)))
      .catch(fail);
  };

  const assets = page.assets || {};
  const hits = page.hits || [];
  const faces = page.faces || [];
  const momentList = el('ul', { class: 'person-moments' }, hits.map((hit) => momentCard(hit, assets, play)));
  const faceList = el('ul', { class: 'face-tiles' }, faces.map((face) => faceTile(face, person, assets, { play, onSplit })));
  const momentsHead = el('h3', { class: 'moments-head' });
  const facesHead = el('h3', { class: 'faces-head' });
  const shown = { moments: hits.length, faces: faces.length };
  const moreMoments = el('button', { type: 'button', class: 'button more-moments', text: 'More moments' });
  const moreFaces = el('button', { type: 'button', class: 'button more-faces', text: 'More faces' });
  const counted = () => {
    const of = (n, total) => (n < total ? `${n} of ${total}` : String(total));
    momentsHead.textContent = `Moments (${of(shown.moments, page.moments_total ?? shown.moments)})`;
    facesHead.textContent = `Faces (${of(shown.faces, page.faces_total ?? shown.faces)})`;
    moreMoments.hidden = shown.moments >= (page.moments_total ?? 0);
    moreFaces.hidden = shown.faces >= (page.faces_total ?? 0);
  };
  // The next page of one list; the other list's paging stays where it is.
  const loadMore = async (which) => {
    const params = which === 'moments'
      ? { offset: shown.moments, limit: sizes.moments, faces_limit: 1 }
      : { faces_offset: shown.faces, faces_limit: sizes.faces, limit: 1 };
    try {
      const next = await getJson(`/api/people/${encodeURIComponent(id)}`, params);
      Object.assign(assets, next.assets || {});
      if (which === 'moments') {
        momentList.append(...(next.hits || []).map((hit) => momentCard(hit, assets, play)));
        shown.moments += (next.hits || []).length;
        // An empty page ends the list whatever the total says (search ranks 2000 at most).
        page.moments_total = (next.hits || []).length ? next.moments_total : shown.moments;
      } else {
        faceList.append(...(next.faces || []).map((face) => faceTile(face, person, assets, { play, onSplit })));
        shown.faces += (next.faces || []).length;
        page.faces_total = next.faces_total;
      }
      counted();
    } catch (error) {
      fail(error);
    }
  };
  moreMoments.addEventListener('click', () => loadMore('moments'));
  moreFaces.addEventListener('click', () => loadMore('faces'));
  counted();
  view.append(
    el('header', { class: 'person-head' },
      faceImage(person.thumbnail, label, 'person-face large'),
      el('div', { class: 'person-head-text' },
        el('h2', { class: 'person-title', title: label, text: label }),
        // The moments listed below (adjacent ones joined, as search shows them): the same
        // count as the person's card in the People list.
        el('p', { class: 'person-counts', text: counts(person) }),
        el('a', { class: 'link', href: `/?q=${encodeURIComponent(personQuery(person.id))}`, 'data-nav': '', text: 'Search moments with this person' }))),
    renameForm,
    // `append` would write a null as the text "null".
    ...(others.length ? [mergeForm, mergeChoice] : []),
    el('div', { class: 'wf-row' }, forgetButton),
    status,
    momentsHead,
    momentList,
    el('div', { class: 'more' }, moreMoments),
    facesHead,
    faceList,
    el('div', { class: 'more' }, moreFaces),
  );
  view.dataset.state = 'ready';
  view.dataset.person = String(person.id);
}
