// Small pure helpers: times, names, and turning a server snippet into DOM nodes safely.

/** Seconds as m:ss.s or h:mm:ss. */
export function formatTime(seconds) {
  if (!Number.isFinite(seconds)) return '–';
  const s = Math.max(0, seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const secText = h > 0 ? String(Math.floor(sec)).padStart(2, '0') : sec.toFixed(1).padStart(4, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${secText}` : `${m}:${secText}`;
}

/** A duration in the same form as a time in a file (0:04.2, 1:05.0, 1:02:03), so badges read alike. */
export function formatDuration(seconds) {
  if (!Number.isFinite(seconds)) return '';
  return formatTime(seconds);
}

/** Bytes as 812 KB, 12.4 MB, 3.1 GB. */
export function formatBytes(bytes) {
  if (!Number.isFinite(bytes) || bytes < 0) return '';
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${value} bytes` : `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** An ISO date-time as "1 Mar 2025, 09:30" in the reader's locale (UTC), or '' when unreadable. */
export function formatDate(iso, withTime = true) {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  const options = withTime
    ? { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }
    : { dateStyle: 'medium', timeZone: 'UTC' };
  return date.toLocaleString(undefined, options) + (withTime ? ' UTC' : '');
}

export function fileName(path) {
  const parts = String(path).split(/[\\/]/);
  return parts[parts.length - 1] || String(path);
}

export function folderOf(path) {
  const parts = String(path).split(/[\\/]/);
  parts.pop();
  return parts.join('/') || '/';
}

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", '#39': "'", '#x27': "'", '#34': '"' };

function decodeEntities(text) {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name) => {
    const key = name.toLowerCase();
    if (key in ENTITIES) return ENTITIES[key];
    if (key.startsWith('#x')) return String.fromCodePoint(parseInt(key.slice(2), 16) || 0xfffd);
    if (key.startsWith('#')) return String.fromCodePoint(parseInt(key.slice(1), 10) || 0xfffd);
    return whole;
  });
}

/**
 * The snippet arrives HTML-escaped with <b>…</b> around matches. Build nodes instead of
 * assigning innerHTML: only <b> becomes an element, everything else is text.
 */
export function snippetNodes(snippet) {
  const fragment = document.createDocumentFragment();
  const parts = String(snippet || '').split(/(<b>|<\/b>)/);
  let bold = false;
  for (const part of parts) {
    if (part === '<b>') { bold = true; continue; }
    if (part === '</b>') { bold = false; continue; }
    if (!part) continue;
    const text = document.createTextNode(decodeEntities(part));
    if (bold) {
      const mark = document.createElement('mark');
      mark.append(text);
      fragment.append(mark);
    } else {
      fragment.append(text);
    }
  }
  return fragment;
}

/** `document.createElement` with classes, attributes and children in one call. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Adds or removes one `key:value` filter in a query string (quoting values with spaces). */
export function toggleFilter(query, key, value) {
  const token = /\s/.test(value) ? `${key}:"${value}"` : `${key}:${value}`;
  const escaped = token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`(^|\\s)${escaped}(?=\\s|$)`, 'i');
  if (pattern.test(query)) {
    return query.replace(pattern, ' ').replace(/\s+/g, ' ').trim();
  }
  return `${query.trim()} ${token}`.trim();
}

export function hasFilter(query, key, value) {
  const token = /\s/.test(value) ? `${key}:"${value}"` : `${key}:${value}`;
  const escaped = token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|\\s)${escaped}(?=\\s|$)`, 'i').test(query);
}
