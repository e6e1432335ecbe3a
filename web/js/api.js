// The JSON API client: one place that turns HTTP answers and {"error": …} bodies into
// values or ApiError exceptions with a message fit to show.

import { authHeaders, ensureSession, sessionReady } from './auth.js';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function parse(response) {
  const type = response.headers.get('content-type') || '';
  const body = type.includes('json') ? await response.json().catch(() => null) : null;
  if (!response.ok) {
    const error = body && body.error;
    throw new ApiError(response.status, error ? error.code : 'http', error ? error.message : `HTTP ${response.status}`);
  }
  return body;
}

/** fetch with the access token; after a 401 asks for the token once and retries. */
async function send(url, init = {}) {
  await sessionReady;
  const attempt = () => fetch(url, { ...init, headers: { ...(init.headers || {}), ...authHeaders() } });
  const response = await attempt();
  if (response.status !== 401) return response;
  await ensureSession();
  return attempt();
}

export async function getJson(path, params = {}, signal) {
  const url = new URL(path, location.origin);
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, value);
  }
  return parse(await send(url, { signal, headers: { accept: 'application/json' } }));
}

/** A JSON request (POST, PATCH, DELETE…); answers the parsed body or null (204). */
export async function sendJson(method, path, body) {
  const init = { method, headers: { accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  return parse(await send(new URL(path, location.origin), init));
}

export async function postImage(file, limit, signal) {
  const form = new FormData();
  form.append('image', file, file.name || 'image');
  const url = new URL('/api/search/image', location.origin);
  if (limit) url.searchParams.set('limit', limit);
  return parse(await send(url, { method: 'POST', body: form, signal }));
}

const assetCache = new Map();

/** The asset with its moments and frames, fetched once per page. */
export function assetDetail(id) {
  if (!assetCache.has(id)) {
    const pending = getJson(`/api/assets/${encodeURIComponent(id)}`).catch((error) => {
      assetCache.delete(id);
      throw error;
    });
    assetCache.set(id, pending);
  }
  return assetCache.get(id);
}
