// The readers' service worker: the meeting papers and the app shell stay on the tablet, so a delegate whose hall
// loses its link keeps reading. Served by the server at /sw.js (scope /, `Cache-Control: no-cache`).
//
// - Page images, thumbnails and text layers of a paper version (`/api/meetings/*/papers/*/versions/*/pages/*`,
//   `/thumbs/*`, `/text`) are immutable: cache-first, stored only when the answer says `immutable` and not
//   `no-store` (restricted papers, tài liệu mật, are rendered per viewer and never stored). Signed page links
//   (`…/pages/*/signed?f=&e=&s=`, docs/papers.md) are kept under the session route's address (`cacheKey`), so a
//   link renewed every few minutes is still a cache hit; a link refused as expired or not this server's (403,
//   410) is asked again once on the session route.
// - The app shell (index.html for every app path, /static/, the socket.io client): network first, the cached copy
//   when the network fails or is too slow.
// - A few JSON reads the reader needs to open offline (the session, the meeting, its papers, comments): network
//   first, the last good answer when offline. (Annotations are kept by the reader itself, fresher than any
//   cached answer: every stroke, every `annotation.saved`.) They are forgotten at sign-in as another user and at
//   sign-out, and the paper cache is emptied when another person signs in on this device.
/* eslint-env serviceworker */

const VERSION = 'v9';
const SHELL_CACHE = `ms-shell-${VERSION}`;
const DATA_CACHE = 'ms-data-v1';
const PAPER_CACHE = 'ms-papers-v1'; // the same name as static/app/reader/prefetch.js
const NETWORK_TIMEOUT_MS = 5000;
const USER_KEY = '/__ms/user';

const SHELL = [
  '/',
  '/static/app/main.js',
  '/static/app/api.js',
  '/static/app/dom.js',
  '/static/app/format.js',
  '/static/app/i18n.js',
  '/static/app/live.js',
  '/static/app/session.js',
  '/static/app/ui.js',
  '/static/app/unsaved.js',
  '/static/app/meeting-common.js',
  '/static/app/conference-panel.js',
  '/static/app/attendance.js',
  '/static/app/media.js',
  '/static/app/votes.js',
  '/static/app/floor.js',
  '/static/app/hall.js',
  '/static/app/answers.js',
  '/static/app/proxy.js',
  '/static/app/mail.js',
  '/static/app/styles.css',
  '/static/app/icon.svg',
  '/static/app/pages/login.js',
  '/static/app/pages/meetings.js',
  '/static/app/pages/meeting.js',
  '/static/app/pages/editor.js',
  '/static/app/pages/console.js',
  '/static/app/pages/display.js',
  '/static/app/pages/admin-units.js',
  '/static/app/pages/admin-sites.js',
  '/static/app/pages/admin-users.js',
  '/static/app/pages/admin-audit.js',
  '/static/app/pages/papers.js',
  '/static/app/pages/reader.js',
  '/static/app/pages/checkin.js',
  '/static/app/pages/verify.js',
  '/static/app/pages/checkin-tv.js',
  '/static/app/pages/attendance-desk.js',
  '/static/app/pages/record.js',
  '/static/app/record-sign.js',
  '/static/app/record-signer.js',
  '/static/app/pages/register.js',
  '/static/app/pages/profile.js',
  '/static/app/image-field.js',
  '/static/app/pages/archive.js',
  '/static/app/dossier.js',
  '/static/app/pages/search.js',
  '/static/app/richtext.js',
  '/static/app/autosave.js',
  '/static/app/reader/annotations.js',
  '/static/app/reader/channel.js',
  '/static/app/reader/comments.js',
  '/static/app/reader/dialog.js',
  '/static/app/reader/files.js',
  '/static/app/reader/fold.js',
  '/static/app/reader/follow.js',
  '/static/app/reader/highlight.js',
  '/static/app/reader/ink.js',
  '/static/app/reader/nav.js',
  '/static/app/reader/outbox.js',
  '/static/app/reader/panel.js',
  '/static/app/reader/prefetch.js',
  '/static/app/reader/search.js',
  '/static/app/reader/thumbs.js',
  '/static/app/reader/tools.js',
  '/static/app/reader/upload.js',
  '/static/app/reader/viewer.js',
  '/static/app/reader/words.js',
  '/vendor/socket.io.min.js',
];

const APP_PATHS = /^\/(?:$|login\/?$|checkin\/?$|meetings(?:\/.*)?$|admin(?:\/.*)?$|display\/?$|register\/?$|search\/?$)/;
const PAPER_FILES = /^\/api\/meetings\/[^/]+\/papers\/[^/]+\/versions\/[^/]+\/(?:(?:pages|thumbs)\/[^/]+(?:\/signed)?|text)$/;
const DATA_READS = [
  /^\/api\/auth\/session$/,
  /^\/api\/meetings$/,
  /^\/api\/meetings\/[^/]+$/,
  /^\/api\/meetings\/[^/]+\/participants$/,
  /^\/api\/meetings\/[^/]+\/papers$/,
  /^\/api\/meetings\/[^/]+\/papers\/[^/]+$/,
  /^\/api\/meetings\/[^/]+\/papers\/[^/]+\/comments$/,
];

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL_CACHE);
    // One missing file must not stop the others (or the worker) from being installed.
    await Promise.allSettled(SHELL.map(async (path) => {
      const resp = await fetch(path, { cache: 'no-cache', credentials: 'same-origin' });
      if (resp.ok) await cache.put(path, resp);
    }));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('ms-shell-') && name !== SHELL_CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

function immutable(resp) {
  const cc = (resp.headers.get('Cache-Control') || '').toLowerCase();
  return resp.status === 200 && !cc.includes('no-store') && cc.includes('immutable');
}

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), ms);
    promise.then((v) => { clearTimeout(timer); resolve(v); }, (e) => { clearTimeout(timer); reject(e); });
  });
}

/** The cache key of a request: its address without `lang` (the language does not change an image or a text),
 * and a signed page link's as its session route's (without `/signed`, f, e, s: the same image). The same rule as
 * `paperKey` in static/app/reader/prefetch.js. */
function cacheKey(url) {
  const key = new URL(url);
  for (const name of ['lang', 'f', 'e', 's']) key.searchParams.delete(name);
  key.pathname = key.pathname.replace(/\/signed$/, '');
  return key.href;
}

async function paperFile(request) {
  const cache = await caches.open(PAPER_CACHE);
  const key = cacheKey(request.url);
  const hit = await cache.match(key);
  if (hit) return hit;
  let resp = await fetch(request);
  if ((resp.status === 403 || resp.status === 410) && new URL(request.url).pathname.endsWith('/signed')) {
    resp = await fetch(key, { credentials: 'same-origin' }); // an expired or another node's link: the session route
  }
  if (immutable(resp)) {
    try { await cache.put(key, resp.clone()); } catch { /* storage full: still show the page */ }
  }
  return resp;
}

async function networkFirst(request, cacheName, key, { keep = (r) => r.ok } = {}) {
  const cache = await caches.open(cacheName);
  const network = fetch(request).then(async (resp) => {
    if (keep(resp)) {
      try { await cache.put(key, resp.clone()); } catch { /* ignore */ }
    } else if (resp.status === 401 || resp.status === 404 || resp.status === 403) {
      await cache.delete(key);
    }
    return resp;
  });
  try {
    return await withTimeout(network, NETWORK_TIMEOUT_MS);
  } catch (err) {
    const hit = await cache.match(key);
    if (hit) {
      network.catch(() => {}); // the late answer still refreshes the cache
      return hit;
    }
    return network; // nothing cached: wait for the network after all (or its error)
  }
}

async function forgetData() {
  await caches.delete(DATA_CACHE);
}

/** Sign-in: when another person signs in on this device, the previous person's papers and data go. */
async function afterLogin(resp) {
  if (!resp.ok) return;
  try {
    const body = await resp.clone().json();
    const id = body && body.user && body.user.id;
    const data = await caches.open(DATA_CACHE);
    const before = await data.match(USER_KEY);
    const previous = before ? await before.text() : null;
    if (previous && id && previous !== id) await caches.delete(PAPER_CACHE);
    await forgetData();
    if (id) await (await caches.open(DATA_CACHE)).put(USER_KEY, new Response(id));
  } catch { /* ignore */ }
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const path = url.pathname;

  if (request.method !== 'GET') {
    if (path === '/api/auth/logout') {
      event.respondWith(fetch(request).then(async (resp) => {
        const data = await caches.open(DATA_CACHE);
        for (const req of await data.keys()) if (new URL(req.url).pathname !== USER_KEY) await data.delete(req);
        return resp;
      }));
    } else if (path === '/api/auth/login') {
      event.respondWith(fetch(request).then(async (resp) => { await afterLogin(resp); return resp; }));
    }
    return; // writes go straight to the network (the reader's outbox retries them)
  }

  if (path.startsWith('/socket.io/')) return;

  if (PAPER_FILES.test(path)) {
    event.respondWith(paperFile(request));
    return;
  }
  if (DATA_READS.some((re) => re.test(path))) {
    // The language parameter does not change what is cached for offline reading.
    event.respondWith(networkFirst(request, DATA_CACHE, cacheKey(url.href)));
    return;
  }
  if (path.startsWith('/api/')) return;

  if (request.mode === 'navigate' && APP_PATHS.test(path)) {
    event.respondWith(networkFirst(request, SHELL_CACHE, '/'));
    return;
  }
  if (path.startsWith('/static/') || path.startsWith('/vendor/')) {
    event.respondWith(networkFirst(request, SHELL_CACHE, url.origin + path));
  }
});
