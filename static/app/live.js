// The live channel (docs/protocol.md): one socket.io connection per tab, one MeetingChannel per open meeting.
//
// A channel keeps the meeting snapshot and the last applied sequence number (in memory and in
// sessionStorage). Events are applied in order by merging `data.patch`; a hole in the sequence asks the
// server for what was missed (`meeting:sync`); every (re)connect re-joins with the last applied seq.
import { ApiError, get } from './api.js';
import { t, getLang, onLangChange } from './i18n.js';
import { getUser } from './session.js';

const ACK_TIMEOUT_MS = 15000;
const POLL_WHEN_OFFLINE_MS = 15000;
const HOLE_WAIT_MS = 300; // a gap usually closes by itself (the meeting:seq notice, or events published out of order)

/**
 * The socket.io connection. The app's own (`live`, below) signs in with the session cookie; a screen that has no
 * user session (the hall's wall display) makes its own with `new LiveConnection({auth: {token}})`, which
 * authenticates with the site's device token on the socket and as `Authorization: Bearer` on REST fallbacks.
 */
export class LiveConnection {
  constructor({ auth = null, storagePrefix = 'ms.live.' } = {}) {
    this.auth = auth;
    this.storagePrefix = storagePrefix;
    // Options for REST calls made for this connection (catch-up while the socket is down).
    this.restOptions = auth && auth.token ? { token: auth.token, noAuthRedirect: true } : {};
    this.socket = null;
    this.state = 'idle'; // idle | connecting | online | reconnecting | offline
    this.stateListeners = new Set();
    this.channels = new Map(); // meeting_id -> MeetingChannel
    this.listListeners = new Set(); // called with a meeting id when "my meetings" may have changed
    this.noticeListeners = new Set(); // called when I have new in-app notices (notices:changed)
    this.onRevoked = null;
    this.onUnauthenticated = null;
    this.retryTimer = null;
  }

  setState(state) {
    if (state === this.state) return;
    this.state = state;
    for (const fn of this.stateListeners) fn(state);
    for (const ch of this.channels.values()) ch.connectionChanged(state);
  }

  onState(fn) {
    this.stateListeners.add(fn);
    fn(this.state);
    return () => this.stateListeners.delete(fn);
  }

  // The server pushes `meetings:changed` to everyone who gains, keeps or loses a meeting on their list.
  onMeetingsChanged(fn) {
    this.listListeners.add(fn);
    return () => this.listListeners.delete(fn);
  }

  // The server pushes `notices:changed` when the person has new notices (or read some on another screen).
  onNoticesChanged(fn) {
    this.noticeListeners.add(fn);
    return () => this.noticeListeners.delete(fn);
  }

  get connected() {
    return Boolean(this.socket && this.socket.connected);
  }

  start() {
    if (this.socket) return;
    const io = globalThis.io;
    if (typeof io !== 'function') {
      console.warn('socket.io client not loaded (/vendor/socket.io.min.js); live updates fall back to polling');
      this.setState('offline');
      return;
    }
    this.setState('connecting');
    const options = {
      path: '/socket.io/',
      query: { lang: getLang() }, // the language of error messages in acks
      transports: ['websocket', 'polling'],
      withCredentials: true,
      reconnection: true,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 10000,
      timeout: 20000,
    };
    if (this.auth) options.auth = { ...this.auth }; // a device token instead of the session cookie
    const socket = io(options);
    this.socket = socket;
    socket.on('connect', () => {
      clearTimeout(this.retryTimer);
      this.setState('online');
      for (const ch of this.channels.values()) ch.join();
    });
    socket.on('disconnect', (reason) => {
      if (reason === 'io client disconnect') this.setState('idle');
      else if (reason === 'io server disconnect') {
        // The server closed us on purpose: a restart closes every socket so that clients move to the next
        // process at once (a revocation sends session:revoked first, and stop() has run by now). socket.io
        // does not come back by itself after this, so connect again shortly (spread over 0.5–2 s).
        this.setState('reconnecting');
        clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => {
          if (this.socket === socket && !socket.connected) socket.connect();
        }, 500 + Math.random() * 1500);
      }
      else this.setState('reconnecting');
    });
    socket.io.on('reconnect_attempt', () => this.setState('reconnecting'));
    socket.on('connect_error', (err) => {
      const code = err && err.data && err.data.error && err.data.error.code;
      if (code === 'unauthenticated' && this.onUnauthenticated) {
        this.onUnauthenticated(new ApiError(401, code, err.data.error.message || t('error.sessionRevoked')));
        return;
      }
      if (!socket.active) {
        // Refused by the server (not a network failure): socket.io will not retry by itself.
        this.setState('offline');
        clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => { if (this.socket === socket) socket.connect(); }, 10000);
      } else {
        this.setState(this.state === 'online' || this.state === 'connecting' ? 'connecting' : 'reconnecting');
      }
    });
    socket.on('meeting:event', (ev) => {
      const ch = ev && this.channels.get(ev.meeting_id);
      if (ch) ch.receive(ev);
    });
    socket.on('meeting:seq', (msg) => {
      const ch = msg && this.channels.get(msg.meeting_id);
      if (ch) ch.skip(msg.seqs);
    });
    socket.on('meetings:changed', (msg) => {
      for (const fn of this.listListeners) fn(msg && msg.meeting_id);
    });
    socket.on('notices:changed', () => {
      for (const fn of this.noticeListeners) fn();
    });
    socket.on('connect', () => {
      // After a drop, anything may have changed while we were away.
      for (const fn of this.listListeners) fn(null);
      for (const fn of this.noticeListeners) fn();
    });
    socket.on('presence', (msg) => {
      const ch = msg && this.channels.get(msg.meeting_id);
      if (ch) ch.changePresence(msg.online || [], msg.left || []);
    });
    socket.on('session:revoked', (msg) => {
      this.stop();
      if (this.onRevoked) this.onRevoked((msg && msg.reason) || 'logout');
    });
  }

  stop() {
    clearTimeout(this.retryTimer);
    if (this.socket) {
      const s = this.socket;
      this.socket = null;
      s.removeAllListeners();
      s.io.removeAllListeners();
      s.disconnect();
    }
    this.setState('idle');
  }

  /** Emit with an ack; resolves with the ack or rejects with an ApiError (error shape or timeout). */
  request(event, payload, timeoutMs = ACK_TIMEOUT_MS) {
    return new Promise((resolve, reject) => {
      if (!this.connected) {
        reject(new ApiError(0, 'network', t('error.network')));
        return;
      }
      this.socket.timeout(timeoutMs).emit(event, payload, (err, ack) => {
        if (err) reject(new ApiError(0, 'timeout', t('error.timeout')));
        else if (ack && ack.error) reject(new ApiError(0, ack.error.code, ack.error.message));
        else resolve(ack || {});
      });
    });
  }

  register(channel) { this.channels.set(channel.meetingId, channel); }
  unregister(channel) {
    if (this.channels.get(channel.meetingId) === channel) this.channels.delete(channel.meetingId);
  }
}

export const live = new LiveConnection();
onLangChange((lang) => { if (live.socket) live.socket.io.opts.query = { lang }; }); // used on the next reconnect

function loadStored(key) {
  try {
    const raw = sessionStorage.getItem(key);
    if (!raw) return null;
    const v = JSON.parse(raw);
    return v && typeof v.seq === 'number' && v.snapshot && typeof v.snapshot === 'object' ? v : null;
  } catch {
    return null;
  }
}

export function forgetStoredMeetings() {
  try {
    for (let i = sessionStorage.length - 1; i >= 0; i -= 1) {
      const k = sessionStorage.key(i);
      if (k && k.startsWith('ms.live.')) sessionStorage.removeItem(k);
    }
  } catch { /* ignore */ }
}

/**
 * const ch = new MeetingChannel(id, {onUpdate(snapshot, info), onPresence(list), onError(err)});
 * await ch.open();   // snapshot from sessionStorage or REST, then joins the live channel
 * ch.close();
 */
export class MeetingChannel {
  /** `options.connection`: another LiveConnection than the app's (the wall display's, with a device token). */
  constructor(meetingId, handlers = {}, { connection = live } = {}) {
    this.live = connection;
    this.storageKey = `${connection.storagePrefix}${meetingId}`;
    this.meetingId = meetingId;
    this.handlers = handlers;
    this.snapshot = null;
    this.lastSeq = 0;
    this.presence = [];
    this.syncing = false;
    this.buffer = [];
    this.skipped = new Set(); // numbers of events meant for others (meeting:seq)
    this.holeTimer = null;
    this.closed = false;
    this.joined = false;
    this.pollTimer = null;
  }

  /** Loads a snapshot (sessionStorage, else REST) and joins. Rejects when the meeting cannot be seen. */
  async open() {
    const stored = loadStored(this.storageKey);
    if (stored) {
      this.snapshot = stored.snapshot;
      this.lastSeq = stored.seq;
      this.emitUpdate({ source: 'stored' });
    } else {
      const snap = await get(`/api/meetings/${encodeURIComponent(this.meetingId)}`, null, this.live.restOptions);
      if (this.closed) return;
      this.replace(snap, Number(snap && snap.last_seq) || 0, 'rest');
    }
    this.live.register(this);
    this.connectionChanged(this.live.state);
    if (this.live.connected) this.join();
    else if (stored) this.poll(); // the stored snapshot may be old: catch up over REST until the socket is back
  }

  close() {
    this.closed = true;
    clearInterval(this.pollTimer);
    this.live.unregister(this);
    if (this.live.connected && this.joined) {
      this.live.request('meeting:leave', { meeting_id: this.meetingId }).catch(() => {});
    }
    this.joined = false;
  }

  persist() {
    try {
      sessionStorage.setItem(this.storageKey, JSON.stringify({ seq: this.lastSeq, snapshot: this.snapshot }));
    } catch { /* storage full or disabled: memory is enough */ }
  }

  emitUpdate(info) {
    if (this.handlers.onUpdate && this.snapshot) this.handlers.onUpdate(this.snapshot, info);
  }

  replace(snapshot, seq, source) {
    if (!snapshot || typeof snapshot !== 'object') return;
    // An action's answer is the meeting without the person's own fields: keep the ones we had.
    const own = this.snapshot && !('my_attendance' in snapshot) ? { my_attendance: this.snapshot.my_attendance } : {};
    this.snapshot = { ...own, ...snapshot };
    this.lastSeq = Math.max(0, Number(seq) || Number(snapshot.last_seq) || 0);
    this.snapshot.last_seq = this.lastSeq;
    this.persist();
    this.emitUpdate({ source });
  }

  /** A snapshot fetched over REST (e.g. after a write): used only if it is not older than ours. */
  offerSnapshot(snapshot) {
    if (!snapshot || typeof snapshot !== 'object' || !('last_seq' in snapshot)) return;
    if (Number(snapshot.last_seq) >= this.lastSeq) this.replace(snapshot, snapshot.last_seq, 'rest');
  }

  applyEvent(ev) {
    const patch = (ev.data && ev.data.patch) || {};
    this.snapshot = { ...this.snapshot, ...patch };
    this.lastSeq = ev.seq;
    this.snapshot.last_seq = ev.seq;
    // `my_attendance` is the snapshot's own field for the person it was sent to (docs/protocol.md): an attendance
    // entry about the signed-in person becomes it; everyone else's leaves it alone.
    const entry = ev.data && ev.data.entry;
    const me = getUser();
    if (String(ev.type).startsWith('attendance.') && entry && me && entry.person_id === me.id) {
      this.snapshot.my_attendance = entry;
    }
  }

  setPresence(list) {
    this.presence = Array.isArray(list) ? list : [];
    if (this.handlers.onPresence) this.handlers.onPresence(this.presence);
  }

  // The server sends what changed: entries to upsert by (kind, id) and keys that left.
  changePresence(online, left) {
    const key = (e) => `${e.kind}:${e.id}`;
    const gone = new Set([...left, ...online].map(key));
    const merged = [...this.presence.filter((e) => !gone.has(key(e))), ...online];
    merged.sort((a, b) => (a.kind !== 'site') - (b.kind !== 'site') || String(a.name).localeCompare(String(b.name), 'vi'));
    this.setPresence(merged);
  }

  connectionChanged(state) {
    clearInterval(this.pollTimer);
    this.pollTimer = null;
    if (state !== 'online') {
      this.joined = false;
      if (!this.closed) this.pollTimer = setInterval(() => this.poll(), POLL_WHEN_OFFLINE_MS);
    }
  }

  async join() {
    if (this.closed || !this.live.connected) return;
    const after = this.snapshot ? this.lastSeq : 0;
    this.syncing = true;
    try {
      const ack = await this.live.request('meeting:join', { meeting_id: this.meetingId, after_seq: after });
      if (this.closed) return;
      this.joined = true;
      this.handleCatchUp(ack);
      if (Array.isArray(ack.presence)) this.setPresence(ack.presence);
    } catch (err) {
      this.failed(err);
    } finally {
      this.syncing = false;
      this.drainBuffer();
    }
  }

  /** A refused join/sync: a lost session goes to the login page; a meeting we may no longer see is dropped. */
  failed(err) {
    if (err.code === 'unauthenticated' && this.live.onUnauthenticated) { this.live.onUnauthenticated(err); return; }
    if (err.code === 'not_found' || err.code === 'forbidden') {
      err.fatal = true;
      try { sessionStorage.removeItem(this.storageKey); } catch { /* ignore */ }
    }
    if (this.handlers.onError) this.handlers.onError(err);
  }

  async sync() {
    if (this.closed || this.syncing) return;
    if (!this.live.connected) { this.poll(); return; }
    this.syncing = true;
    try {
      const ack = await this.live.request('meeting:sync', { meeting_id: this.meetingId, after_seq: this.lastSeq });
      if (!this.closed) this.handleCatchUp(ack);
    } catch (err) {
      this.failed(err);
    } finally {
      this.syncing = false;
      this.drainBuffer();
    }
  }

  /** While the socket is down: catch up over REST (`GET /events?after=`), same answer shape as the ack. */
  async poll() {
    if (this.closed || this.live.connected || this.syncing) return;
    this.syncing = true;
    try {
      const resp = await get(`/api/meetings/${encodeURIComponent(this.meetingId)}/events`, { after: this.lastSeq }, this.live.restOptions);
      if (!this.closed) this.handleCatchUp(resp);
    } catch { /* still offline; try again later */ } finally {
      this.syncing = false;
    }
  }

  /** A join/sync ack or a REST catch-up: `{last_seq, snapshot}` or `{last_seq, events}`. */
  handleCatchUp(ack) {
    if (!ack) return;
    const serverLast = Number(ack.last_seq);
    if (ack.snapshot) {
      this.replace(ack.snapshot, Number.isFinite(serverLast) ? serverLast : ack.snapshot.last_seq, 'snapshot');
      return;
    }
    let changed = false;
    const events = Array.isArray(ack.events) ? [...ack.events].sort((a, b) => a.seq - b.seq) : [];
    if (!this.snapshot) return;
    for (const ev of events) {
      if (ev.seq <= this.lastSeq) continue;
      this.applyEvent(ev); // the server sends only what we may see, so holes here are expected
      changed = true;
    }
    if (Number.isFinite(serverLast) && serverLast > this.lastSeq) {
      this.lastSeq = serverLast;
      this.snapshot.last_seq = serverLast;
      changed = true;
    }
    if (changed) {
      this.persist();
      this.emitUpdate({ source: 'catch-up', events });
    }
  }

  receive(ev) {
    if (this.closed || typeof ev.seq !== 'number') return;
    if (this.syncing || !this.snapshot) { this.buffer.push(ev); return; }
    if (ev.seq <= this.lastSeq) return; // already applied
    this.skipAhead();
    if (ev.seq === this.lastSeq + 1) {
      this.applyEvent(ev);
      this.skipAhead();
      this.persist();
      this.emitUpdate({ source: 'event', events: [ev] });
      return;
    }
    this.buffer.push(ev); // a hole: wait a moment for the notice or the event that fills it, else ask the log
    this.holeLater();
  }

  /**
   * `meeting:seq`: these numbers belong to events for others (someone's private ink, the organisers' drafts).
   * They are not holes; without the notice every such event would make the next one we get look like a gap.
   */
  skip(seqs) {
    if (this.closed || !Array.isArray(seqs)) return;
    for (const n of seqs) if (Number(n) > this.lastSeq) this.skipped.add(Number(n));
    if (this.syncing || !this.snapshot) return;
    const before = this.lastSeq;
    this.skipAhead();
    if (this.lastSeq !== before) {
      this.persist();
      this.drainBuffer();
    }
  }

  skipAhead() {
    while (this.skipped.has(this.lastSeq + 1)) {
      this.skipped.delete(this.lastSeq + 1);
      this.lastSeq += 1;
      this.snapshot.last_seq = this.lastSeq;
    }
    for (const n of this.skipped) if (n <= this.lastSeq) this.skipped.delete(n);
  }

  holeLater() {
    if (this.holeTimer) return;
    this.holeTimer = setTimeout(() => {
      this.holeTimer = null;
      if (this.buffer.length && !this.closed) this.sync();
    }, HOLE_WAIT_MS);
  }

  drainBuffer() {
    if (!this.buffer.length || this.syncing) return;
    const pending = this.buffer.sort((a, b) => a.seq - b.seq);
    this.buffer = [];
    const applied = [];
    for (let i = 0; i < pending.length; i += 1) {
      const ev = pending[i];
      if (ev.seq <= this.lastSeq) continue;
      this.skipAhead();
      if (ev.seq === this.lastSeq + 1) {
        this.applyEvent(ev);
        this.skipAhead();
        applied.push(ev);
      } else {
        this.buffer = pending.slice(i);
        break;
      }
    }
    if (applied.length) {
      this.persist();
      this.emitUpdate({ source: 'event', events: applied });
    }
    if (this.buffer.length) this.holeLater();
  }
}
