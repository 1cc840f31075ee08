// The outbox of annotation commands: every stroke, highlight, note and deletion goes here first, is kept in
// localStorage (so it survives a reload or a tablet that loses Wi-Fi), and is sent in order when the network
// allows. Annotations carry a client-made id, and `PUT /api/meetings/{id}/annotations/{annotation_id}` is
// idempotent, so sending the same thing twice (a reply lost on the way back, two tabs flushing) changes nothing.
import { getCsrfToken, newId } from '../api.js';
import { getLang } from '../i18n.js';
import { live } from '../live.js';
import { getUser } from '../session.js';

const RETRY_MS = 3000;
const PREFIX = 'ms.outbox.';

/** A client-made annotation or comment id: the server accepts [A-Za-z0-9_-]{8,64}. */
export function clientId(prefix = 'a') {
  return `${prefix}-${newId().replace(/[^A-Za-z0-9]/g, '').slice(0, 30)}`;
}

export class Outbox {
  constructor(userId) {
    this.key = `${PREFIX}${userId || 'anon'}`;
    this.items = this.load();
    this.listeners = new Set();
    this.flushing = null;
    this.retryTimer = null;
    this.stopped = false;
    this.lastError = null;
    this.onStorage = (e) => {
      if (e.key !== this.key) return;
      this.items = this.load();
      this.emit({ type: 'change' });
    };
    this.onOnline = () => this.flush();
    window.addEventListener('storage', this.onStorage);
    window.addEventListener('online', this.onOnline);
  }

  load() {
    try {
      const raw = localStorage.getItem(this.key);
      const list = raw ? JSON.parse(raw) : [];
      return Array.isArray(list) ? list.filter((x) => x && x.id && x.meetingId && x.op) : [];
    } catch {
      return [];
    }
  }

  persist() {
    try {
      if (this.items.length) localStorage.setItem(this.key, JSON.stringify(this.items));
      else localStorage.removeItem(this.key);
    } catch { /* storage full or disabled: the items stay in memory until sent */ }
  }

  /** fn({type: 'change' | 'saved' | 'deleted' | 'error', item, result, error}) */
  on(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  emit(ev) {
    for (const fn of this.listeners) {
      try { fn(ev); } catch (err) { console.warn(err); }
    }
  }

  get size() { return this.items.length; }

  /** Queues saving `annotation` ({id, paper_id, version, page, kind, layer, data}); a newer save of the same id
   * replaces an unsent older one. */
  save(meetingId, annotation) {
    this.items = this.items.filter((x) => !(x.id === annotation.id && x.op === 'save'));
    this.items.push({ op: 'save', meetingId, id: annotation.id, body: annotation, key: newId(), at: Date.now() });
    this.persist();
    this.emit({ type: 'change' });
    this.flush();
  }

  /** Queues deleting an annotation; an unsent save of it is dropped (the delete still goes: it may have been
   * sent by another tab). */
  remove(meetingId, id, paperId) {
    this.items = this.items.filter((x) => x.id !== id);
    this.items.push({ op: 'delete', meetingId, id, paperId, key: newId(), at: Date.now() });
    this.persist();
    this.emit({ type: 'change' });
    this.flush();
  }

  /** What is waiting for one paper: saves by id (the annotations to draw) and ids being deleted. */
  pendingFor(paperId) {
    const saves = new Map();
    const deletes = new Set();
    for (const x of this.items) {
      if (x.op === 'save' && x.body && x.body.paper_id === paperId) saves.set(x.id, x.body);
      if (x.op === 'delete' && (!x.paperId || x.paperId === paperId)) deletes.add(x.id);
    }
    return { saves, deletes };
  }

  pendingCount(paperId) {
    if (!paperId) return this.items.length;
    return this.items.filter((x) => (x.body && x.body.paper_id === paperId) || x.paperId === paperId).length;
  }

  later() {
    clearTimeout(this.retryTimer);
    if (this.stopped || !this.items.length) return;
    this.retryTimer = setTimeout(() => this.flush(), RETRY_MS);
  }

  /** Sends everything queued, in order; stops at the first network failure and tries again later. */
  flush() {
    if (this.stopped) return Promise.resolve();
    if (this.flushing) { this.again = true; return this.flushing; }
    // `.finally` runs after the assignment even when there is nothing to send (no await at all).
    this.flushing = this.drain().finally(() => { this.flushing = null; });
    return this.flushing;
  }

  async drain() {
    do {
      this.again = false;
      while (this.items.length && !this.stopped) {
        const item = this.items[0];
        const outcome = await this.send(item);
        if (outcome === 'retry') { this.later(); return; }
        // Done (or refused for good): drop it unless a newer command for the same id replaced it meanwhile.
        this.items = this.items.filter((x) => x.key !== item.key);
        this.persist();
        this.emit({ type: 'change' });
      }
    } while (this.again);
  }

  async send(item) {
    const path = `/api/meetings/${encodeURIComponent(item.meetingId)}/annotations/${encodeURIComponent(item.id)}`;
    const headers = {
      Accept: 'application/json',
      'Idempotency-Key': item.key,
      'Accept-Language': getLang() === 'en' ? 'en, vi;q=0.5' : 'vi, en;q=0.5',
    };
    const token = getCsrfToken();
    if (token) headers['X-CSRF-Token'] = token;
    const init = { method: item.op === 'save' ? 'PUT' : 'DELETE', headers, credentials: 'same-origin', cache: 'no-store' };
    if (item.op === 'save') {
      const { id, ...body } = item.body; // the id travels in the path
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let resp;
    try {
      resp = await fetch(`${path}?lang=${getLang()}`, init);
    } catch {
      return 'retry'; // no network
    }
    let data = null;
    try { data = await resp.json(); } catch { data = null; }
    if (resp.ok) {
      this.lastError = null;
      this.emit({ type: item.op === 'save' ? 'saved' : 'deleted', item, result: data });
      return 'done';
    }
    const code = data && data.error && data.error.code;
    // Worth another try later: the session or CSRF token is being renewed, the server is busy or restarting.
    if (resp.status === 401 || code === 'csrf_failed' || resp.status >= 500 || resp.status === 429 || resp.status === 408) {
      return 'retry';
    }
    // Refused for good (the paper was withdrawn, the meeting archived, bad data): drop it and say why.
    this.lastError = (data && data.error) || { code: `http_${resp.status}`, message: String(resp.status) };
    this.emit({ type: 'error', item, error: this.lastError });
    return 'done';
  }

  close() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    window.removeEventListener('storage', this.onStorage);
    window.removeEventListener('online', this.onOnline);
  }
}

const outboxes = new Map();

/** One outbox per signed-in user per tab, shared by every page that draws. */
export function outboxFor(userId) {
  let box = outboxes.get(userId);
  if (!box) {
    box = new Outbox(userId);
    outboxes.set(userId, box);
  }
  return box;
}

/** Sends what this user left in the outbox (drawn offline, then the tablet was closed or the page changed). */
export function flushPending() {
  const user = getUser();
  if (!user || !user.id) return;
  let waiting = outboxes.has(user.id);
  if (!waiting) {
    try { waiting = Boolean(localStorage.getItem(`${PREFIX}${user.id}`)); } catch { waiting = false; }
  }
  if (waiting) outboxFor(user.id).flush();
}

// Whatever page is open: send the outbox when the socket (or the network) comes back.
live.onState((state) => { if (state === 'online') flushPending(); });
window.addEventListener('online', () => flushPending());

