// Autosave for the record's texts (PUT /api/record/{doc}/texts/{item}/{field}), through a dropped connection.
//
// Every change goes at once into an outbox in localStorage, one entry per user and text
// (`ms.record.outbox.<user id>.<doc>/<item>/<field>`), so a reload or a closed tab loses nothing and two tabs of
// one person never overwrite each other's unsent text: a tab writes only the text it changed, and adopts what
// another tab wrote (the `storage` event: its outbox for that text, and the revision its save returned); it is sent ~1 s after the typing stops (at once on blur), one change at a time, in order, with
// its own client change id (`X-Command-Id`, also the Idempotency-Key) and the revision it was based on. A change
// that was sent once is never altered: a resend carries the same id and base revision, so the server answers a
// resend with its first answer. A change not yet sent absorbs the next keystrokes of the same text (one PUT per
// pause, not per key). A network failure, 401, `csrf_failed`, 429 or 5xx keeps the outbox for later (every 3 s,
// on `online`, when the socket is back); a stale revision (409 `conflict`/`stale_revision`) stops that text and
// hands both versions to `onConflict`, which must never be resolved silently; other refusals drop the change
// with the server's message (`onRejected`).
import { api, ApiError, newId } from './api.js';
import { formatTime } from './format.js';
import { t } from './i18n.js';
import { live } from './live.js';

const DEBOUNCE_MS = 1000;
const RETRY_MS = 3000;
const CONFLICT_CODES = new Set(['conflict', 'stale_revision', 'revision_conflict']);
const keyOf = (c) => `${c.doc}/${c.item}/${c.field}`;

export const textPath = (doc, item, field) =>
  `/api/record/${encodeURIComponent(doc)}/texts/${encodeURIComponent(item)}/${encodeURIComponent(field)}`;

/** The revision and who saved it, from the server's answer to a PUT or a GET (shapes: `{text: {…}}` or bare). */
export function revisionOf(resp) {
  const x = (resp && (resp.text || resp)) || {};
  return { revision: x.revision ?? null, html: x.html ?? '', by: x.updated_by_name || x.saved_by_name || x.updated_by || '', at: x.updated_at || x.saved_at || null };
}

function retryable(err) {
  if (!(err instanceof ApiError)) return true;
  return err.status === 0 || err.status === 401 || err.status === 429 || err.status >= 500 || err.code === 'csrf_failed' || err.code === 'network';
}

export class Autosaver {
  /**
   * userId: whose outbox; onStatus({state: saved|saving|offline|conflict|error, pending, at}) for the status line;
   * onSaved(change, answer); onConflict(change, err) → Promise of {html} to send on the newer revision, or null to
   * drop the change (the other text is kept); onRejected(change, err).
   */
  constructor({ userId, onStatus = () => {}, onSaved = () => {}, onConflict = async () => null, onRejected = () => {}, onAdopt = () => {} }) {
    this.legacyKey = `ms.record.outbox.${userId}`; // one outbox for every text, before it was split per text
    this.prefix = `ms.record.outbox.${userId}.`;
    this.revisionPrefix = `ms.record.revision.${userId}.`;
    this.handlers = { onStatus, onSaved, onConflict, onRejected, onAdopt };
    this.queue = this.load();
    this.onStorage = (e) => this.adopt(e);
    window.addEventListener('storage', this.onStorage);
    this.timers = new Map();
    this.held = new Set(); // text keys waiting on a conflict's answer
    this.lastSavedAt = null;
    this.offline = false;
    this.closed = false;
    this.retryTimer = null;
    this.onOnline = () => this.kick();
    window.addEventListener('online', this.onOnline);
    window.addEventListener('offline', this.onOnline);
    this.offState = live.onState((s) => { if (s === 'online') this.kick(); });
    this.status();
    if (this.queue.length) this.kick();
  }

  /** Every text's outbox of this user (an outbox of the older single-key shape is split per text once). */
  load() {
    const parse = (raw) => { try { return (JSON.parse(raw || '[]') || []).filter((c) => c && c.id && c.doc); } catch { return []; } };
    const queue = [];
    try {
      for (let i = 0; i < localStorage.length; i += 1) {
        const key = localStorage.key(i);
        if (key && key.startsWith(this.prefix)) queue.push(...parse(localStorage.getItem(key)));
      }
      const legacy = parse(localStorage.getItem(this.legacyKey));
      if (legacy.length) {
        queue.push(...legacy);
        for (const k of new Set(legacy.map(keyOf))) this.storeText(k, queue);
      }
      localStorage.removeItem(this.legacyKey);
    } catch { /* private mode: memory only */ }
    return queue;
  }

  /** Writes one text's outbox (and nothing of the other texts, which another tab may be writing). */
  storeText(k, queue = this.queue) {
    const mine = queue.filter((c) => keyOf(c) === k);
    try {
      if (mine.length) localStorage.setItem(this.prefix + k, JSON.stringify(mine));
      else localStorage.removeItem(this.prefix + k);
    } catch { /* full or private: memory only */ }
  }

  store(change) { this.storeText(keyOf(change)); }

  /**
   * Another tab of this person wrote a text's outbox (typed, or its save was acknowledged) or the revision its
   * save returned: this tab takes that text's outbox as it now stands and tells the page (`onAdopt`) the newest
   * unsent text, so the editor shows it; the next change here builds on it.
   */
  adopt(e) {
    if (!e.key || e.storageArea !== localStorage) return;
    if (e.key.startsWith(this.revisionPrefix)) {
      const rev = Number(e.newValue);
      if (Number.isFinite(rev)) this.revisions.set(e.key.slice(this.revisionPrefix.length), rev);
      return;
    }
    if (!e.key.startsWith(this.prefix)) return;
    const k = e.key.slice(this.prefix.length);
    let theirs = [];
    try { theirs = (JSON.parse(e.newValue || '[]') || []).filter((c) => c && c.id && c.doc); } catch { theirs = []; }
    clearTimeout(this.timers.get(k));
    this.timers.delete(k);
    this.queue = [...this.queue.filter((c) => keyOf(c) !== k), ...theirs];
    const [doc, item, field] = k.split('/');
    this.handlers.onAdopt({ doc, item, field }, theirs.length ? theirs[theirs.length - 1].html : null);
    this.status();
  }

  /** The newest text not yet on the server for this text (what the editor must show after a reload), or null. */
  pendingHtml(doc, item, field) {
    const k = keyOf({ doc, item, field });
    const mine = this.queue.filter((c) => keyOf(c) === k);
    return mine.length ? mine[mine.length - 1].html : null;
  }

  pendingCount(doc = null) { return this.queue.filter((c) => !doc || c.doc === doc).length; }

  /**
   * A new text typed into {doc, item, field}. The first change of a text is based on the revision the page last
   * set (`setRevision`: what the editor shows); a change behind another one is based on the revision that one's
   * acknowledgement gives (filled when it is sent), so the secretary's own saves never conflict with each other.
   */
  change({ doc, item, field, html }) {
    const k = keyOf({ doc, item, field });
    const last = [...this.queue].reverse().find((c) => keyOf(c) === k);
    if (last && !last.tried) last.html = html;
    else this.queue.push({ id: newId(), doc, item, field, html, base: last ? null : this.revisionFor({ doc, item, field }), chained: Boolean(last), tried: false });
    this.storeText(k);
    this.status();
    clearTimeout(this.timers.get(k));
    this.timers.set(k, setTimeout(() => { this.timers.delete(k); this.kick(); }, DEBOUNCE_MS));
  }

  /** Sends now (the editor lost the focus, the page is left). */
  flush() {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    return this.kick();
  }

  /**
   * Sends what is due, in order; one PUT at a time. Answers a promise that settles when this pass ends (a pass
   * already running picks up what became due meanwhile: it looks for the next change after each answer).
   */
  kick() {
    if (this.closed) return Promise.resolve();
    if (this.running) return this.running;
    clearTimeout(this.retryTimer);
    const pass = (async () => {
      for (;;) {
        const next = this.queue.find((c) => !this.held.has(keyOf(c)) && !this.timers.has(keyOf(c)));
        if (!next) break;
        if (!(await this.send(next))) {
          this.retryTimer = setTimeout(() => this.kick(), RETRY_MS);
          break;
        }
      }
    })();
    // (a pass with nothing to send has already ended here: only now is it marked running, and then not running)
    this.running = pass.catch((err) => console.warn(err)).finally(() => {
      this.running = null;
      this.status();
    });
    return this.running;
  }

  /** Sends everything now and waits for the answers: true when nothing of `doc` is left unsaved. */
  async settle(doc) {
    this.flush();
    await this.kick();
    return this.pendingCount(doc) === 0;
  }

  /** One change: true when it is settled (saved, conflicting or refused), false to try again later. */
  async send(change) {
    if (change.chained && !change.tried) change.base = this.revisionFor(change);
    change.tried = true;
    this.store(change);
    this.status('saving');
    try {
      const resp = await api('PUT', textPath(change.doc, change.item, change.field), { html: change.html, base_revision: change.base },
        { idempotencyKey: change.id, headers: { 'X-Command-Id': change.id }, noAuthRedirect: true });
      this.offline = false;
      this.drop(change);
      this.revisions.set(keyOf(change), revisionOf(resp).revision);
      try { localStorage.setItem(this.revisionPrefix + keyOf(change), String(revisionOf(resp).revision)); } catch { /* memory only */ }
      this.lastSavedAt = revisionOf(resp).at || new Date().toISOString();
      this.handlers.onSaved(change, resp);
      return true;
    } catch (err) {
      if (retryable(err)) { this.offline = true; return false; }
      this.offline = false;
      if (err.status === 409 && CONFLICT_CODES.has(err.code)) { this.conflict(change, err); return true; }
      this.drop(change);
      this.handlers.onRejected(change, err);
      return true;
    }
  }

  get revisions() {
    if (!this._revisions) this._revisions = new Map();
    return this._revisions;
  }

  /**
   * What the page knows the text's revision is: on load, and on the server's events only while this text has no
   * change waiting (a newer revision by someone else then shows in the editor; with a change waiting, the PUT's
   * stale revision brings the conflict instead).
   */
  setRevision(doc, item, field, revision) { this.revisions.set(keyOf({ doc, item, field }), revision); }

  revisionFor(change) { return this.revisions.get(keyOf(change)) ?? null; }

  drop(change) {
    this.queue = this.queue.filter((c) => c.id !== change.id);
    this.store(change);
  }

  async conflict(change, err) {
    const k = keyOf(change);
    this.held.add(k);
    this.status();
    let answer = null;
    try { answer = await this.handlers.onConflict(change, err); } finally {
      // later changes to the same text were typed on top of the refused one: the answer replaces them all
      this.queue = this.queue.filter((c) => keyOf(c) !== k);
      if (answer && typeof answer.html === 'string') {
        this.queue.push({ id: newId(), doc: change.doc, item: change.item, field: change.field, html: answer.html, base: answer.base ?? null, chained: false, tried: false });
      }
      this.storeText(k);
      this.held.delete(k);
      this.kick();
    }
  }

  /** The status line's state; `state` forces "saving" while a PUT is out. */
  status(state) {
    const pending = this.queue.length;
    let s = state;
    if (!s) {
      if (this.held.size) s = 'conflict';
      else if (pending && (this.offline || !navigator.onLine)) s = 'offline';
      else if (pending) s = 'saving';
      else s = 'saved';
    }
    this.handlers.onStatus({ state: s, pending, at: this.lastSavedAt });
  }

  close() {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    clearTimeout(this.retryTimer);
    window.removeEventListener('online', this.onOnline);
    window.removeEventListener('offline', this.onOnline);
    window.removeEventListener('storage', this.onStorage);
    if (this.offState) this.offState();
  }
}

/** The words of the status line: "Đã lưu lúc 09:14", "Đang lưu…", "Mất kết nối — 2 thay đổi chưa lưu, …". */
export function statusText({ state, pending, at }) {
  if (state === 'saved') return at ? t('autosave.savedAt', { time: formatTime(at) }) : t('autosave.nothing');
  if (state === 'offline') return t('autosave.offline', { n: pending });
  if (state === 'conflict') return t('autosave.conflict');
  return t('autosave.saving');
}
