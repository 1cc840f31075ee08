// Background download of every page of the meeting's papers, so that a tablet reads them with no network.
//
// Page images, thumbnails and the text layer are immutable per version (`Cache-Control: private, immutable`):
// they go into Cache Storage (`PAPER_CACHE`), where the service worker (static/sw.js) answers them cache-first.
// Restricted papers (tài liệu mật) are `no-store`, rendered per viewer with their name burnt in: never cached,
// never prefetched. Progress is per paper version: `{done, total, state}` with state
// idle | running | done | paused (no network) | restricted | error.

export const PAPER_CACHE = 'ms-papers-v1';
const CONCURRENCY = 2;
const RETRY_MS = 8000;
const WIDTH_KEY = 'ms.reader.width';

const enc = encodeURIComponent;

export function versionPath(meetingId, paperId, version) {
  return `/api/meetings/${enc(meetingId)}/papers/${enc(paperId)}/versions/${enc(version)}`;
}
// Signed page links (docs/papers.md "Signed page links"): an open paper comes with `page_links` {version, f, e,
// expires_in, s}, and its page images are then fetched from `…/pages/{n}/signed?w=&f=&e=&s=`, which the server
// answers without reading the session or the database. A link lives 150-300 s: near its end (or when the paper
// has none: restricted, or not loaded yet) the session route is used instead, and the prefetcher asks for the
// paper again first. The paper cache keys both routes alike (`paperKey`), so a new link is never a cache miss.
const LINKS = new Map(); // `${meetingId}/${paperId}/${version}` -> {f, e, s, until (this device's clock, ms)}
const LINK_MARGIN_MS = 20000;

/** Keeps the page links of papers just read from the server (the listing or one paper); forgets withdrawn ones. */
export function rememberLinks(meetingId, papers) {
  for (const paper of papers || []) {
    if (!paper || !paper.id) continue;
    const links = paper.page_links;
    for (const key of [...LINKS.keys()]) if (key.startsWith(`${meetingId}/${paper.id}/`)) LINKS.delete(key);
    if (links && Array.isArray(links.s)) {
      LINKS.set(`${meetingId}/${paper.id}/${links.version}`, { ...links, until: Date.now() + Number(links.expires_in) * 1000 });
    }
  }
}

function linkOf(m, p, v, page) {
  const links = LINKS.get(`${m}/${p}/${v}`);
  if (!links || links.until - Date.now() < LINK_MARGIN_MS || !links.s[page - 1]) return null;
  return `f=${links.f}&e=${links.e}&s=${links.s[page - 1]}`;
}

/** Whether the links of this version are missing or about to expire (the paper should be fetched again). */
export function linksStale(m, p, v) {
  const links = LINKS.get(`${m}/${p}/${v}`);
  return !links || links.until - Date.now() < LINK_MARGIN_MS;
}

export function pageUrl(m, p, v, page, width) {
  const link = linkOf(m, p, v, page);
  return link ? `${versionPath(m, p, v)}/pages/${page}/signed?w=${width}&${link}` : `${versionPath(m, p, v)}/pages/${page}?w=${width}`;
}
export function thumbUrl(m, p, v, page) {
  const link = linkOf(m, p, v, page);
  return link ? `${versionPath(m, p, v)}/thumbs/${page}/signed?${link}` : `${versionPath(m, p, v)}/thumbs/${page}`;
}
export const textUrl = (m, p, v) => `${versionPath(m, p, v)}/text`;

/** The paper cache's key of a page image, thumbnail or text: the session route's address without `lang`, so that
 * a signed link (whatever its f, e, s) and the session route find the same entry. The same rule as static/sw.js
 * `cacheKey` (a service worker script cannot import this module). */
export function paperKey(url) {
  const key = new URL(url, window.location.origin);
  for (const name of ['lang', 'f', 'e', 's']) key.searchParams.delete(name);
  key.pathname = key.pathname.replace(/\/signed$/, '');
  return key.href;
}

/**
 * The page image width for this screen: its shorter side (a page fits it in portrait, and fits the height in
 * landscape) times devicePixelRatio, rounded up to one of the widths the server renders (`paper.widths`). Kept
 * for the session of this device, so that what was prefetched is what the reader shows after turning the tablet.
 */
export function chooseWidth(widths) {
  const list = (Array.isArray(widths) ? widths : []).map(Number).filter((w) => w > 0).sort((a, b) => a - b);
  let stored = 0;
  try { stored = Number(localStorage.getItem(WIDTH_KEY)) || 0; } catch { /* ignore */ }
  const dpr = Math.min(Math.max(window.devicePixelRatio || 1, 1), 3);
  const side = Math.min(window.screen.width || 1280, window.screen.height || 800);
  const wanted = stored || Math.round(Math.min(Math.max(side, 600), 1600) * dpr);
  if (!list.length) return wanted;
  const pick = list.find((w) => w >= wanted * 0.95) || list[list.length - 1];
  if (!stored) { try { localStorage.setItem(WIDTH_KEY, String(wanted)); } catch { /* ignore */ } }
  return pick;
}

/** The next larger rendered width (sharper page when zoomed in), or null. */
export function largerWidth(widths, width) {
  const list = (Array.isArray(widths) ? widths : []).map(Number).sort((a, b) => a - b);
  return list.find((w) => w > width) || null;
}

const hasCaches = () => typeof caches !== 'undefined' && window.isSecureContext;

function cacheable(resp) {
  const cc = (resp.headers.get('Cache-Control') || '').toLowerCase();
  return resp.ok && resp.status === 200 && !cc.includes('no-store') && cc.includes('immutable');
}

/** Fetches `url` into the paper cache unless it is there; resolves true when it is available offline. */
async function fetchInto(cache, url) {
  const key = paperKey(url);
  if (cache) {
    const hit = await cache.match(key);
    if (hit) return true;
  }
  let resp = await fetch(url, { credentials: 'same-origin' });
  if ((resp.status === 403 || resp.status === 410) && new URL(url, window.location.origin).pathname.endsWith('/signed')) {
    resp = await fetch(key, { credentials: 'same-origin' }); // the link expired or is another node's: the session route
  }
  if (!resp.ok) {
    const err = new Error(`HTTP ${resp.status}`);
    err.status = resp.status;
    throw err;
  }
  // With the service worker in control it has stored the answer already; otherwise store it here.
  if (cache && cacheable(resp) && !(navigator.serviceWorker && navigator.serviceWorker.controller)) {
    await cache.put(key, resp.clone());
  }
  await resp.arrayBuffer();
  return true;
}

const refreshing = new Map(); // `${meetingId}/${paperId}` -> the request for the paper under way
/** Asks for the paper again for fresh page links (one request at a time per paper; failure: the session route). */
function refreshLinks(meetingId, paperId) {
  const key = `${meetingId}/${paperId}`;
  if (!refreshing.has(key)) {
    const path = `/api/meetings/${enc(meetingId)}/papers/${enc(paperId)}`;
    const asked = fetch(path, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then((resp) => (resp.ok ? resp.json() : null))
      .then((body) => { if (body && body.paper) rememberLinks(meetingId, [body.paper]); })
      .catch(() => {})
      .finally(() => refreshing.delete(key));
    refreshing.set(key, asked);
  }
  return refreshing.get(key);
}

class Prefetcher {
  constructor() {
    this.jobs = new Map(); // key -> job
    this.order = []; // keys, most wanted first
    this.listeners = new Set();
    this.running = 0;
    this.retryTimer = null;
    window.addEventListener('online', () => this.pump());
  }

  key(meetingId, paperId, version) { return `${meetingId}/${paperId}/${version}`; }

  on(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  emit(job) {
    for (const fn of this.listeners) {
      try { fn(this.progress(job.meetingId, job.paperId, job.version)); } catch (err) { console.warn(err); }
    }
  }

  /** {meetingId, paperId, version, done, total, state} for one paper version (state idle when unknown). */
  progress(meetingId, paperId, version) {
    const job = this.jobs.get(this.key(meetingId, paperId, version));
    if (!job) return { meetingId, paperId, version, done: 0, total: 0, state: 'idle' };
    return { meetingId, paperId, version, done: job.done.size, total: job.total, state: job.state };
  }

  /**
   * Makes sure every page of the paper's current version (and its thumbnails and text) gets downloaded.
   * `first`: fetch this one before the others (the paper open in the reader).
   */
  ensure(meetingId, paper, { first = false } = {}) {
    if (!paper || paper.status === 'withdrawn') return;
    const version = paper.current_version;
    const info = (paper.versions || []).find((v) => v.version === version) || {};
    const total = Number(info.page_count) || 0;
    const k = this.key(meetingId, paper.id, version);
    let job = this.jobs.get(k);
    if (!job) {
      job = {
        meetingId, paperId: paper.id, version, total, width: chooseWidth(paper.widths), done: new Set(),
        pending: [], state: 'idle', extras: true,
      };
      this.jobs.set(k, job);
      // Without Cache Storage (plain http on a LAN address: no service worker either) the pages still go into
      // the browser's HTTP cache, where immutable images stay fresh for a year.
      if (paper.restricted || paper.access === 'restricted') job.state = 'restricted';
      if (job.state === 'idle') {
        for (let n = 1; n <= total; n += 1) job.pending.push(n);
        job.state = total ? 'running' : 'done';
      }
      this.order.push(k);
    }
    if (first) this.order = [k, ...this.order.filter((x) => x !== k)];
    this.emit(job);
    this.pump();
  }

  /** Forgets a withdrawn paper: its cached pages are removed from this device. */
  async forget(meetingId, paperId) {
    for (const [k, job] of [...this.jobs]) {
      if (job.meetingId === meetingId && job.paperId === paperId) {
        job.state = 'gone';
        this.jobs.delete(k);
        this.order = this.order.filter((x) => x !== k);
      }
    }
    if (!hasCaches()) return;
    try {
      const cache = await caches.open(PAPER_CACHE);
      const prefix = `/api/meetings/${enc(meetingId)}/papers/${enc(paperId)}/`;
      for (const req of await cache.keys()) {
        if (new URL(req.url).pathname.startsWith(prefix)) await cache.delete(req);
      }
    } catch { /* ignore */ }
  }

  nextTask() {
    for (const k of this.order) {
      const job = this.jobs.get(k);
      if (!job || (job.state !== 'running' && job.state !== 'done')) continue;
      if (job.pending.length && job.state === 'running') {
        const page = job.pending.shift();
        return { job, page };
      }
      // Once the pages are in, the thumbnails and the text layer (for searching offline).
      if (job.extras && !job.inflight && !job.pending.length) {
        job.extras = false;
        return { job, extras: true };
      }
    }
    return null;
  }

  pump() {
    clearTimeout(this.retryTimer);
    while (this.running < CONCURRENCY) {
      const task = this.nextTask();
      if (!task) return;
      this.running += 1;
      task.job.inflight = (task.job.inflight || 0) + 1;
      this.run(task).finally(() => {
        this.running -= 1;
        task.job.inflight -= 1;
        this.pump();
      });
    }
  }

  async run({ job, page, extras }) {
    const { meetingId, paperId, version } = job;
    let cache = null;
    try { cache = hasCaches() ? await caches.open(PAPER_CACHE) : null; } catch { cache = null; }
    try {
      if (extras) {
        await fetchInto(cache, textUrl(meetingId, paperId, version)).catch(() => {});
        for (let n = 1; n <= job.total; n += 1) await fetchInto(cache, thumbUrl(meetingId, paperId, version, n)).catch(() => {});
        return;
      }
      if (linksStale(meetingId, paperId, version)) await refreshLinks(meetingId, paperId);
      await fetchInto(cache, pageUrl(meetingId, paperId, version, page, job.width));
      job.done.add(page);
      if (job.done.size >= job.total && !job.pending.length) job.state = 'done';
      this.emit(job);
    } catch (err) {
      if (extras) return;
      if (err && (err.status === 404 || err.status === 403)) {
        job.state = 'error'; // withdrawn or no longer ours
        this.emit(job);
        return;
      }
      // No network (or the server is restarting): put it back and try again later.
      job.pending.unshift(page);
      if (job.state === 'running') {
        job.state = 'paused';
        this.emit(job);
      }
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => this.resume(), RETRY_MS);
    }
  }

  resume() {
    for (const job of this.jobs.values()) {
      if (job.state === 'paused') {
        job.state = 'running';
        this.emit(job);
      }
    }
    this.pump();
  }
}

export const prefetcher = new Prefetcher();
window.addEventListener('online', () => prefetcher.resume());

/** Registers the service worker (static/sw.js, served at /sw.js with scope /) once per tab. */
let registered = null;
export function registerServiceWorker() {
  if (registered) return registered;
  if (!('serviceWorker' in navigator) || !window.isSecureContext) {
    registered = Promise.resolve(null);
    return registered;
  }
  registered = navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch((err) => {
    console.warn('service worker not registered', err);
    return null;
  });
  return registered;
}

/**
 * The first time the service worker takes control of this tab, the reads made before it did (the session, the
 * meeting, its papers, my annotations) never went through it: ask for them again so that they are kept for
 * opening the reader offline. Later reads pass through it anyway.
 */
export function keepForOffline(paths) {
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return;
  const warm = () => {
    for (const path of paths) {
      fetch(path, { credentials: 'same-origin', headers: { Accept: 'application/json' } }).catch(() => {});
    }
  };
  if (navigator.serviceWorker.controller) return;
  navigator.serviceWorker.addEventListener('controllerchange', warm, { once: true });
}

