// fetch wrapper for the REST contract in docs/api.md.
import { t, getLang } from './i18n.js';

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

let csrfToken = null;
let onUnauthenticated = null;

export function setCsrfToken(token) { csrfToken = token || null; }
export function getCsrfToken() { return csrfToken; }
/** Called when a request answers 401 (outside the login call): the app sends the user to the login page. */
export function setUnauthenticatedHandler(fn) { onUnauthenticated = fn; }

/** A random id for Idempotency-Key / command_id. crypto.randomUUID needs a secure context; fall back. */
export function newId() {
  if (globalThis.crypto && typeof crypto.randomUUID === 'function') {
    try { return crypto.randomUUID(); } catch { /* insecure context */ }
  }
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function withLang(path) {
  const url = new URL(path, location.origin);
  if (!url.searchParams.has('lang')) url.searchParams.set('lang', getLang());
  return url.pathname + url.search;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * api('GET', '/api/meetings', null, {query: {scope: 'upcoming'}})
 * opts: query, signal, idempotencyKey, headers (added as given), noAuthRedirect (a 401 does not end the app's session), token (a site
 * device token sent as `Authorization: Bearer`; such calls never end the app's session either).
 * Writes carry X-CSRF-Token and an Idempotency-Key; a write that fails on the network is retried with the
 * same key (the server answers a retry with the first answer and changes nothing twice).
 */
export async function api(method, path, body = undefined, opts = {}) {
  method = method.toUpperCase();
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(opts.query || {})) if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, v);
  url.searchParams.set('lang', getLang());
  const lang = getLang();
  const headers = {
    Accept: 'application/json',
    'Accept-Language': lang === 'en' ? 'en, vi;q=0.5' : 'vi, en;q=0.5',
  };
  const isWrite = WRITE_METHODS.has(method);
  // A screen without a user session (the hall's wall display) authenticates with the site's device token.
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  Object.assign(headers, opts.headers || {}); // e.g. X-Command-Id (the record's autosave)
  if (isWrite) {
    if (csrfToken && !opts.token) headers['X-CSRF-Token'] = csrfToken;
    headers['Idempotency-Key'] = opts.idempotencyKey || newId();
  }
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store', signal: opts.signal };
  if (body instanceof FormData) {
    init.body = body; // multipart (a file upload): the browser sets the type and its boundary
  } else if (body instanceof Blob) {
    headers['Content-Type'] = body.type || 'application/octet-stream'; // a file as the body (a signature image)
    init.body = body;
  } else if (body !== undefined && body !== null) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const attempts = isWrite ? 3 : 2;
  let resp;
  for (let attempt = 1; ; attempt += 1) {
    try {
      resp = await fetch(url.pathname + url.search, init);
      break;
    } catch (err) {
      if (err && err.name === 'AbortError') throw err;
      if (attempt >= attempts) throw new ApiError(0, 'network', t('error.network'));
      await sleep(400 * attempt);
    }
  }
  let data = null;
  const type = resp.headers.get('Content-Type') || '';
  if (resp.status !== 204) {
    if (type.includes('json')) {
      try { data = await resp.json(); } catch { data = null; }
    } else {
      try { data = await resp.text(); } catch { data = null; }
    }
  }
  if (!resp.ok) {
    const e = data && typeof data === 'object' && data.error;
    const err = e && e.message
      ? new ApiError(resp.status, e.code || `http_${resp.status}`, e.message)
      : new ApiError(resp.status, `http_${resp.status}`, t('error.http', { status: resp.status }));
    err.retryAfter = Number(resp.headers.get('Retry-After')) || 0; // seconds, on 429 and 503
    if (resp.status === 401 && !opts.noAuthRedirect && !opts.token && onUnauthenticated) onUnauthenticated(err);
    throw err;
  }
  return data;
}

export const get = (path, query, opts = {}) => api('GET', path, undefined, { ...opts, query });
export const post = (path, body = {}, opts) => api('POST', path, body, opts);
export const patch = (path, body, opts) => api('PATCH', path, body, opts);
export const put = (path, body, opts) => api('PUT', path, body, opts);
export const del = (path, opts) => api('DELETE', path, undefined, opts);
