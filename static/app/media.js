// The browser's media connection to the server's SFU (docs/protocol.md `media:join`).
//
// One RTCPeerConnection per screen: optional sending transceivers (microphone, camera, and a small copy of the
// camera) and receive-only "slots" the server fills; `media:layout` says which slot shows whom. The SFU (aiortc)
// does not trickle ICE, so the offer goes out only once gathering is complete (or after a short wait).
//
//   const media = await joinMedia({socket, meetingId, view: 'console', publish: true, videoSlots: 20,
//                                  audioSlots: 3, onLayout, onStats, onClosed, onState});
//   media.videoElementFor(mid)   // the <video> of a receive slot
//   await media.framesDecoded()  // {mid: frames decoded}, from pc.getStats()
//   media.close();
//
// The connection comes back by itself (backoff 1 → 2 → 4 → … → 15 s) after the socket reconnects, after the
// peer connection fails, or after `media:closed` with `replaced`, `server_stopping` or `connection_failed`.
// It stays down after `removed`, `meeting_not_live` and refusals that a retry cannot fix.
import { ApiError, get } from './api.js';
import { t, tMaybe } from './i18n.js';

const JOIN_TIMEOUT_MS = 20000;
const ICE_GATHER_TIMEOUT_MS = 3000;
const BACKOFF_MS = [1000, 2000, 4000, 8000, 15000];
const STABLE_AFTER_MS = 20000; // a connection up this long resets the backoff
const BIG_BITRATE = 600000;
const SMALL_BITRATE = 150000;
const RETRY_CLOSED = new Set(['replaced', 'server_stopping', 'connection_failed', 'connection_closed']);
const STOP_CODES = new Set(['participant_removed', 'conference_not_live', 'forbidden', 'not_found', 'invalid_sdp',
  'invalid_input', 'unauthenticated', 'payload_too_large', 'unknown_event']);
const REPLACED_LIMIT = 3; // replaced this many times within REPLACED_WINDOW_MS: another window has it; stop
const REPLACED_WINDOW_MS = 120000;

/** What the media connection is doing, for an indicator: connecting | connected | retrying | stopped. */
export const MEDIA_STATES = ['connecting', 'connected', 'retrying', 'stopped'];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The ICE servers (STUN/TURN), with the session cookie or a site device token. */
export async function mediaConfig(token) {
  try {
    return await get('/api/media/config', null, token ? { token } : { noAuthRedirect: true });
  } catch (err) {
    console.warn('media config unavailable, connecting without STUN/TURN', err);
    return { ice_servers: [] };
  }
}

/** Camera and microphone; falls back to the microphone alone, then to nothing (the screen still receives). */
async function openDevices() {
  const md = navigator.mediaDevices;
  if (!md || !md.getUserMedia) return { stream: null, error: 'unsupported' };
  try {
    return { stream: await md.getUserMedia({ audio: true, video: { width: 640, height: 360 } }), error: null };
  } catch (err) {
    console.warn('camera + microphone unavailable', err);
    try {
      return { stream: await md.getUserMedia({ audio: true }), error: 'no_camera' };
    } catch (err2) {
      console.warn('microphone unavailable', err2);
      return { stream: null, error: 'no_devices' };
    }
  }
}

function preferCodecs(transceiver, kind) {
  if (typeof transceiver.setCodecPreferences !== 'function' || !globalThis.RTCRtpReceiver
    || typeof RTCRtpReceiver.getCapabilities !== 'function') return;
  const caps = RTCRtpReceiver.getCapabilities(kind);
  if (!caps || !caps.codecs) return;
  // The server forwards VP8 (+ rtx) only; Opus for sound. Offering just these also keeps a 60-slot SDP small.
  const main = kind === 'video' ? 'video/vp8' : 'audio/opus';
  const first = caps.codecs.filter((c) => c.mimeType.toLowerCase() === main);
  if (!first.length) return;
  const rest = kind === 'video' ? caps.codecs.filter((c) => c.mimeType.toLowerCase() === 'video/rtx') : [];
  try { transceiver.setCodecPreferences([...first, ...rest]); } catch (err) { console.warn('setCodecPreferences', err); }
}

async function setMaxBitrate(sender, bitrate) {
  try {
    const params = sender.getParameters();
    if (!params.encodings || !params.encodings.length) params.encodings = [{}];
    params.encodings[0].maxBitrate = bitrate;
    await sender.setParameters(params);
  } catch (err) {
    console.warn('setParameters(maxBitrate)', err);
  }
}

function waitForIce(pc, timeoutMs) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', check);
      resolve();
    };
    const check = () => { if (pc.iceGatheringState === 'complete') done(); };
    const timer = setTimeout(done, timeoutMs);
    pc.addEventListener('icegatheringstatechange', check);
  });
}

/** Emit with an ack; rejects with the server's error, on timeout, or at once when the socket drops meanwhile. */
function emitWithAck(socket, event, payload, timeoutMs) {
  return new Promise((resolve, reject) => {
    if (!socket || !socket.connected) { reject(new ApiError(0, 'network', t('error.network'))); return; }
    const dropped = () => reject(new ApiError(0, 'network', t('error.network')));
    socket.once('disconnect', dropped);
    socket.timeout(timeoutMs).emit(event, payload, (err, ack) => {
      socket.off('disconnect', dropped);
      if (err) reject(new ApiError(0, 'timeout', t('error.timeout')));
      else if (ack && ack.error) reject(new ApiError(0, ack.error.code, ack.error.message));
      else resolve(ack || {});
    });
  });
}

/**
 * `window.__media`: the page's current media connection, for tests and for a look from the devtools console.
 *   await __media.framesDecoded()  → {mid: frames}     __media.layout() → {slots, tier, speaker}
 *   __media.state()  → connecting | connected | retrying | stopped      __media.participant() → "site:…" / "user:…"
 *   await __media.framesFor(key)   → frames decoded in the slot that shows participant `key` now (0 if none)
 */
function exposeForTests(session) {
  globalThis.__media = {
    session,
    framesDecoded: () => session.framesDecoded(),
    stats: () => session.stats(),
    layout: () => session.layout,
    state: () => session.state,
    error: () => session.error,
    participant: () => session.participant,
    async framesFor(key) {
      const slot = session.slotFor(key);
      return slot ? ((await session.framesDecoded())[slot.mid] || 0) : 0;
    },
  };
}

class MediaSession {
  constructor(opts) {
    this.socket = opts.socket;
    this.meetingId = opts.meetingId;
    this.view = opts.view;
    this.wantPublish = Boolean(opts.publish);
    this.videoSlots = Math.max(0, Math.min(100, opts.videoSlots ?? 2));
    this.audioSlots = Math.max(0, Math.min(8, opts.audioSlots ?? 3));
    this.token = opts.token || null;
    this.handlers = {
      onLayout: opts.onLayout, onStats: opts.onStats, onClosed: opts.onClosed, onState: opts.onState,
      onAudioBlocked: opts.onAudioBlocked,
    };
    this.audioContainer = opts.audioContainer || null;
    this.pc = null;
    this.layout = { slots: [], tier: 0, speaker: null };
    this.layoutVersion = 0;
    this.participant = null; // our key, from the join ack
    this.publishes = false;
    this.state = 'connecting';
    this.error = null; // {code, message} of the last refusal or close
    this.deviceError = null; // no_camera | no_devices | unsupported
    this.localStream = null;
    this.closed = false;
    this.attempt = 0;
    this.retryTimer = null;
    this.stableTimer = null;
    this.generation = 0; // bumps on every (re)connect: late answers of an older attempt are dropped
    this.elements = new Map(); // mid -> <video>/<audio>
    this.receiveMids = { audio: [], video: [] };
    this.replacedAt = [];
    this.audioBlocked = false;
    this.iceServers = [];
    this.listeners = [];
    this.running = Promise.resolve(); // attempts run one after the other, never two joins at once
    this.queued = null;
    this.joining = false; // between our media:leave and the join's answer
    this.sentJoin = false; // a join went out on this socket connection: leave it before joining again
  }

  // ---- public -------------------------------------------------------------------------------------------

  videoElementFor(mid) {
    const el = this.elements.get(String(mid));
    return el && el.tagName === 'VIDEO' ? el : null;
  }

  audioElementFor(mid) {
    const el = this.elements.get(String(mid));
    return el && el.tagName === 'AUDIO' ? el : null;
  }

  /**
   * Whether a layout numbered `version` is newer than the one shown. The join's answer can arrive after a
   * later `media:layout`, so an older one must not overwrite it.
   */
  newerLayout(version) {
    if (typeof version !== 'number') return true;
    if (version <= this.layoutVersion) return false;
    this.layoutVersion = version;
    return true;
  }

  /** The video slot (layout entry) showing `key`, preferring the big stream. */
  slotFor(key) {
    const slots = (this.layout.slots || []).filter((s) => s.kind === 'video' && s.source === key);
    return slots.find((s) => s.quality === 'big') || slots[0] || null;
  }

  /** Per-mid `framesDecoded` (video) and `totalSamplesReceived` (audio) of the inbound streams. */
  async stats() {
    const out = { framesDecoded: {}, frameWidth: {}, audioSamples: {}, bytesReceived: {}, packetsLost: {} };
    const pc = this.pc;
    if (!pc) return out;
    let report;
    try { report = await pc.getStats(); } catch { return out; }
    const midByTrack = new Map();
    for (const tr of pc.getTransceivers()) {
      if (tr.mid != null && tr.receiver && tr.receiver.track) midByTrack.set(tr.receiver.track.id, tr.mid);
    }
    report.forEach((s) => {
      if (s.type !== 'inbound-rtp') return;
      const mid = s.mid != null ? String(s.mid) : midByTrack.get(s.trackIdentifier);
      if (mid == null) return;
      if (s.kind === 'video') {
        out.framesDecoded[mid] = s.framesDecoded || 0;
        if (s.frameWidth) out.frameWidth[mid] = s.frameWidth;
      } else if (s.kind === 'audio') {
        out.audioSamples[mid] = s.totalSamplesReceived || 0;
      }
      out.bytesReceived[mid] = s.bytesReceived || 0;
      out.packetsLost[mid] = s.packetsLost || 0;
    });
    return out;
  }

  async framesDecoded() {
    return (await this.stats()).framesDecoded;
  }

  /** Plays every received sound; call it from a click when the browser blocked autoplay. */
  async unlockAudio() {
    let ok = true;
    for (const el of this.elements.values()) {
      if (el.tagName !== 'AUDIO') continue;
      try { await el.play(); } catch { ok = false; }
    }
    this.audioBlocked = !ok;
    return ok;
  }

  /** Try again now (e.g. the chair readmitted us, or the user pressed "retry"). */
  rejoin() {
    if (this.closed) return;
    this.attempt = 0;
    this.replacedAt = [];
    this.schedule(0);
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.stableTimer);
    for (const [event, fn] of this.listeners) this.socket.off(event, fn);
    this.listeners = [];
    if (this.pc && this.socket && this.socket.connected) {
      this.socket.emit('media:leave', { meeting_id: this.meetingId });
    }
    this.dropPc();
    if (this.localStream) for (const track of this.localStream.getTracks()) track.stop();
    if (this.smallTrack) this.smallTrack.stop();
    for (const el of this.elements.values()) {
      el.srcObject = null;
      el.remove();
    }
    this.elements.clear();
    if (globalThis.__media && globalThis.__media.session === this) globalThis.__media = null;
    this.setState('stopped');
  }

  // ---- internals ----------------------------------------------------------------------------------------

  setState(state, error = null) {
    this.state = state;
    if (error !== undefined) this.error = error;
    if (this.handlers.onState) this.handlers.onState(state, this.error);
  }

  on(event, fn) {
    this.socket.on(event, fn);
    this.listeners.push([event, fn]);
  }

  async start() {
    this.on('media:layout', (msg) => {
      if (!msg || msg.meeting_id !== this.meetingId || this.closed) return;
      if (!this.newerLayout(msg.version)) return;
      this.layout = { slots: msg.slots || [], tier: msg.tier || 0, speaker: msg.speaker || null };
      if (this.handlers.onLayout) this.handlers.onLayout(this.layout);
    });
    this.on('media:stats', (msg) => {
      if (!msg || msg.meeting_id !== this.meetingId || this.closed) return;
      if (this.handlers.onStats) this.handlers.onStats(msg.participants || []);
    });
    this.on('media:closed', (msg) => {
      if (!msg || msg.meeting_id !== this.meetingId || this.closed) return;
      // While we leave and join again, a close is about our previous connection: the new one is on its way.
      if (this.joining || !this.pc) return;
      this.closedByServer(msg.reason || 'closed');
    });
    this.on('connect', () => {
      if (this.closed) return;
      this.sentJoin = false; // a new socket: the server dropped our media with the old one
      this.attempt = 0;
      this.schedule(0);
    });
    this.on('disconnect', () => {
      if (this.closed) return;
      this.generation += 1;
      clearTimeout(this.retryTimer);
      this.dropPc();
      this.setState('retrying', { code: 'network', message: t('error.network') });
    });
    const config = await mediaConfig(this.token);
    this.iceServers = Array.isArray(config.ice_servers) ? config.ice_servers : [];
    if (this.wantPublish) {
      const { stream, error } = await openDevices();
      if (this.closed) { if (stream) stream.getTracks().forEach((tr) => tr.stop()); return; }
      this.localStream = stream;
      this.deviceError = error;
      const cam = stream && stream.getVideoTracks()[0];
      if (cam) {
        this.smallTrack = cam.clone();
        try {
          await this.smallTrack.applyConstraints({ width: 320, height: 180, frameRate: 15 });
          this.smallScaled = true;
        } catch (err) {
          console.warn('small copy: applyConstraints failed, the encoder scales it instead', err);
          this.smallScaled = false;
        }
      }
    }
    if (this.closed) return;
    await this.connect();
  }

  dropPc() {
    const pc = this.pc;
    this.pc = null;
    if (pc) {
      pc.onconnectionstatechange = null;
      pc.ontrack = null;
      try { pc.close(); } catch { /* closed already */ }
    }
  }

  schedule(delay) {
    clearTimeout(this.retryTimer);
    if (this.closed) return;
    this.retryTimer = setTimeout(() => { this.connect(); }, delay);
  }

  retryLater(error) {
    const delay = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    this.attempt += 1;
    this.setState('retrying', error);
    this.schedule(delay);
  }

  stop(error) {
    this.generation += 1;
    clearTimeout(this.retryTimer);
    this.dropPc();
    this.setState('stopped', error);
  }

  closedByServer(reason) {
    this.generation += 1;
    this.dropPc();
    const known = tMaybe('media.closed', reason);
    const error = { code: reason, message: known === String(reason) ? t('media.closed.other') : known };
    if (this.handlers.onClosed) this.handlers.onClosed(reason);
    if (reason === 'replaced') {
      const now = Date.now();
      this.replacedAt = [...this.replacedAt.filter((at) => now - at < REPLACED_WINDOW_MS), now];
      if (this.replacedAt.length >= REPLACED_LIMIT) {
        this.stop({ code: 'replaced_elsewhere', message: t('media.closed.replaced_elsewhere') });
        return;
      }
    }
    if (RETRY_CLOSED.has(reason)) this.retryLater(error);
    else this.stop(error);
  }

  elementFor(kind, mid) {
    let el = this.elements.get(mid);
    if (el && el.tagName.toLowerCase() === kind) return el;
    if (kind === 'video') {
      el = document.createElement('video');
      el.muted = true; // sound comes through the audio slots
      el.autoplay = true;
      el.playsInline = true;
      el.setAttribute('playsinline', '');
      el.setAttribute('muted', '');
      el.className = 'media-video';
    } else {
      el = document.createElement('audio');
      el.autoplay = true;
      el.className = 'media-audio';
      if (this.audioContainer) this.audioContainer.append(el);
    }
    el.dataset.mid = mid;
    this.elements.set(mid, el);
    return el;
  }

  attach(transceiver) {
    const mid = transceiver.mid == null ? null : String(transceiver.mid);
    const track = transceiver.receiver && transceiver.receiver.track;
    if (mid == null || !track) return;
    const kind = this.receiveMids.video.includes(mid) ? 'video' : (this.receiveMids.audio.includes(mid) ? 'audio' : null);
    if (!kind) return;
    const el = this.elementFor(kind, mid);
    const current = el.srcObject && el.srcObject.getTracks()[0];
    if (current !== track) el.srcObject = new MediaStream([track]);
    const played = el.play();
    if (played && typeof played.catch === 'function') {
      played.catch((err) => {
        if (err && err.name === 'NotAllowedError' && kind === 'audio') {
          this.audioBlocked = true;
          if (this.handlers.onAudioBlocked) this.handlers.onAudioBlocked();
        }
      });
    }
  }

  /** Queues one attempt after the one running now (several calls meanwhile make one attempt). */
  connect() {
    if (this.queued) return this.queued;
    const run = this.running.then(() => {
      this.queued = null;
      return this.attemptJoin();
    });
    this.queued = run;
    this.running = run.catch(() => {});
    return run;
  }

  async attemptJoin() {
    if (this.closed) return;
    clearTimeout(this.retryTimer);
    clearTimeout(this.stableTimer);
    const generation = ++this.generation;
    try {
      this.joining = true;
      await this.joinOnce(generation);
    } finally {
      this.joining = false;
    }
  }

  async joinOnce(generation) {
    this.dropPc();
    if (!this.socket.connected) { this.setState('retrying', { code: 'network', message: t('error.network') }); return; }
    this.setState(this.attempt ? 'retrying' : 'connecting', this.error);
    const pc = new RTCPeerConnection({ iceServers: this.iceServers, bundlePolicy: 'max-bundle' });
    this.pc = pc;
    const stale = () => this.closed || generation !== this.generation;
    let ack;
    try {
      const sending = {};
      const stream = this.localStream;
      if (stream) {
        const mic = stream.getAudioTracks()[0];
        const cam = stream.getVideoTracks()[0];
        if (mic) sending.audio = pc.addTransceiver(mic, { direction: 'sendonly', streams: [stream] });
        if (cam) {
          sending.video = pc.addTransceiver(cam, { direction: 'sendonly', streams: [stream], sendEncodings: [{ maxBitrate: BIG_BITRATE }] });
          const small = this.smallTrack;
          if (small) {
            const enc = { maxBitrate: SMALL_BITRATE };
            if (!this.smallScaled) { enc.scaleResolutionDownBy = 2; enc.maxFramerate = 15; }
            sending.video_small = pc.addTransceiver(small, { direction: 'sendonly', streams: [stream], sendEncodings: [enc] });
          }
        }
      }
      const audioRecv = [];
      const videoRecv = [];
      for (let i = 0; i < this.audioSlots; i += 1) audioRecv.push(pc.addTransceiver('audio', { direction: 'recvonly' }));
      for (let i = 0; i < this.videoSlots; i += 1) videoRecv.push(pc.addTransceiver('video', { direction: 'recvonly' }));
      for (const tr of pc.getTransceivers()) {
        const kind = tr === sending.audio || audioRecv.includes(tr) ? 'audio' : 'video';
        preferCodecs(tr, kind);
      }
      pc.ontrack = (ev) => { if (!stale()) this.attach(ev.transceiver); };
      pc.onconnectionstatechange = () => {
        if (stale()) return;
        const st = pc.connectionState;
        if (st === 'connected') {
          this.setState('connected', null);
          clearTimeout(this.stableTimer);
          this.stableTimer = setTimeout(() => { if (!stale()) { this.attempt = 0; this.replacedAt = []; } }, STABLE_AFTER_MS);
        } else if (st === 'failed') {
          this.generation += 1;
          this.dropPc();
          this.retryLater({ code: 'connection_failed', message: t('media.closed.connection_failed') });
        }
      };
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      await waitForIce(pc, ICE_GATHER_TIMEOUT_MS);
      if (stale()) return;
      if (this.sentJoin) {
        // Close our previous connection first, so that the new one does not "replace" it (the server would
        // then tell this socket `media:closed replaced`, which we could not tell from another window's).
        await emitWithAck(this.socket, 'media:leave', { meeting_id: this.meetingId }, 5000).catch(() => {});
        if (stale()) return;
      }
      const mid = (tr) => (tr && tr.mid != null ? String(tr.mid) : undefined);
      const publish = {};
      for (const [stream, tr] of Object.entries(sending)) if (mid(tr)) publish[stream] = mid(tr);
      this.receiveMids = { audio: audioRecv.map(mid), video: videoRecv.map(mid) };
      this.sentJoin = true;
      this.layoutVersion = 0; // a new connection: the server numbers its layouts from 1
      ack = await emitWithAck(this.socket, 'media:join', {
        meeting_id: this.meetingId, view: this.view, type: 'offer', sdp: pc.localDescription.sdp,
        publish, receive: this.receiveMids,
      }, JOIN_TIMEOUT_MS);
      if (stale()) return;
      await pc.setRemoteDescription({ type: 'answer', sdp: ack.sdp });
      if (stale()) return;
      if (sending.video) setMaxBitrate(sending.video.sender, BIG_BITRATE);
      if (sending.video_small) setMaxBitrate(sending.video_small.sender, SMALL_BITRATE);
      for (const tr of [...audioRecv, ...videoRecv]) this.attach(tr);
    } catch (err) {
      if (stale()) return;
      this.dropPc();
      const code = (err && err.code) || 'error';
      const error = { code, message: (err && err.message) || t('error.network') };
      if (!(err instanceof ApiError)) console.warn('media connection failed', err);
      if (STOP_CODES.has(code)) this.stop(error);
      else this.retryLater(error);
      return;
    }
    this.participant = ack.participant || null;
    this.publishes = Boolean(ack.publishes);
    if (Array.isArray(ack.slots) && this.newerLayout(ack.layout_version)) {
      this.layout = { ...this.layout, slots: ack.slots };
      if (this.handlers.onLayout) this.handlers.onLayout(this.layout);
    }
    if (pc.connectionState === 'connected') this.setState('connected', null);
  }
}

/**
 * Connects this screen's media to the meeting. Resolves once the first attempt is answered (or is being
 * retried); rejects with the server's error when the first attempt is refused for good (e.g. the meeting is not
 * under way, or this participant was removed).
 */
export async function joinMedia(opts) {
  const session = new MediaSession(opts);
  exposeForTests(session);
  await session.start();
  if (session.state === 'stopped' && session.error && !session.closed) {
    const err = new ApiError(0, session.error.code, session.error.message);
    session.close();
    throw err;
  }
  return session;
}
