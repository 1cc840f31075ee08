// The hall's wall display (/display, /meetings/<id>/display): the TV in a commune's meeting room.
//
// No user signs in here: the screen is paired once with the site's device token (pasted, or given once as
// `#token=…` in the address), kept in localStorage['ms.siteToken']. With it the screen finds the site's meeting
// that is in progress, follows its event log (current agenda item) and receives its media as the `display` view:
// the main site full screen, the chair inset, the speaker's name. There are no controls; everything follows
// the chair's console.
import { ApiError, get } from '../api.js';
import { quorumLine } from '../attendance.js';
import { h, replaceChildren, asList } from '../dom.js';
import { floorDisplay } from '../floor.js';
import { formatDateTime, vnParts } from '../format.js';
import { t } from '../i18n.js';
import { LiveConnection, MeetingChannel } from '../live.js';
import { namesFrom } from '../meeting-common.js';
import { joinMedia } from '../media.js';
import { voteDisplay } from '../votes.js';

const TOKEN_KEY = 'ms.siteToken';
const RECHECK_MS = 30000;
const POLL_MS = 1000;
const pad = (n) => String(n).padStart(2, '0');

function readToken() {
  try { return localStorage.getItem(TOKEN_KEY) || null; } catch { return null; }
}

function storeToken(token) {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token); else localStorage.removeItem(TOKEN_KEY);
  } catch { /* private mode: the token lives as long as the page */ }
}

/** `#token=…` in the address pairs the screen once; the token is then taken out of the address bar. */
function tokenFromHash() {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash || '');
  if (!m) return null;
  history.replaceState(history.state, '', location.pathname + location.search);
  try { return decodeURIComponent(m[1]).trim() || null; } catch { return null; }
}

function clockParts(now = new Date()) {
  const p = vnParts(now);
  return {
    time: `${pad(p.hour)}:${pad(p.minute)}`,
    date: `${t(`weekday.${p.weekday}`)}, ${pad(p.day)}/${pad(p.month)}/${p.year}`,
  };
}

/**
 * Which of the hall's meetings in progress the screen shows when it is on none: the one whose start is nearest to
 * now (then by id), so two screens of one hall agree. Once on a meeting the screen stays on it while it is in
 * progress: a hall booked into two meetings does not jump to the other one when it starts.
 */
function nearestToNow(live) {
  const now = Date.now();
  const distance = (x) => Math.abs(Date.parse(x.starts_at) - now);
  return [...live].sort((a, b) => distance(a) - distance(b) || String(a.id).localeCompare(String(b.id)))[0] || null;
}

export async function render({ root, params, setTitle }) {
  const wantedId = params.id || null;
  let token = tokenFromHash() || readToken();
  if (token && token !== readToken()) storeToken(token);

  const page = h('div', { class: 'display-page', testid: 'display-page', dataset: { state: 'loading' } });
  root.append(page);
  setTitle(t('display.title'));

  let conn = null; // LiveConnection with the device token
  let meeting = null; // {id, channel, media, snap, ...} while showing a meeting
  let recheckTimer = null;
  let clockTimer = null;
  let destroyed = false;
  let checking = false;
  let checkAgain = false;
  const clockEls = new Set();
  const offs = [];

  function tick(prune = true) {
    const c = clockParts();
    for (const el of clockEls) {
      if (prune && !el.isConnected) { clockEls.delete(el); continue; }
      el.textContent = el.dataset.part === 'date' ? c.date : c.time;
    }
  }

  function clock(part, cls, testid) {
    const el = h('span', { class: cls, testid, dataset: { part } });
    clockEls.add(el);
    tick(false); // not in the page yet
    return el;
  }

  // One connection indicator per connection, moved between the waiting screen and the meeting.
  let connBadge = null;
  function connectionBadge() {
    if (connBadge) return connBadge;
    const text = h('span', { class: 'conn-text' });
    const el = h('span', { class: 'conn display-conn', testid: 'display-connection', role: 'status', 'aria-label': t('conn.label') },
      h('span', { class: 'conn-dot', 'aria-hidden': 'true' }), text);
    const update = (state) => {
      const shown = state === 'idle' ? 'offline' : state;
      el.dataset.state = shown;
      text.textContent = t(`conn.${shown}`);
    };
    if (conn) offs.push(conn.onState(update)); else update('offline');
    connBadge = el;
    return el;
  }

  // ---- pairing -------------------------------------------------------------------------------------------

  function showPairing(errorText) {
    leaveMeeting();
    stopConnection();
    page.dataset.state = 'pair';
    const input = h('input', {
      type: 'password', class: 'input display-pair-input', testid: 'display-pair-token', id: 'display-pair-token',
      autocomplete: 'off', spellcheck: 'false', required: true,
    });
    const error = h('p', { class: 'display-pair-error', testid: 'display-pair-error', role: 'alert', hidden: !errorText }, errorText || '');
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'display-pair-submit' }, t('display.pairSubmit'));
    const form = h('form', { class: 'display-pair card', testid: 'display-pair' },
      h('h1', { class: 'page-title' }, t('display.pairTitle')),
      h('p', {}, t('display.pairIntro')),
      h('div', { class: 'field' }, h('label', { for: 'display-pair-token' }, t('display.pairToken')), input),
      error,
      h('div', { class: 'form-actions' }, submit));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const value = input.value.trim();
      if (!value) { error.textContent = t('display.pairEmpty'); error.hidden = false; return; }
      submit.disabled = true;
      try {
        await get('/api/meetings', { scope: 'all' }, { token: value });
        storeToken(value);
        token = value;
        start();
      } catch (err) {
        error.textContent = err.status === 401 || err.status === 403 ? t('display.pairInvalid') : err.message;
        error.hidden = false;
      } finally {
        submit.disabled = false;
      }
    });
    replaceChildren(page, h('div', { class: 'display-pair-wrap' }, form));
    input.focus();
  }

  function forgetToken(message) {
    storeToken(null);
    token = null;
    showPairing(message || t('display.pairInvalid'));
  }

  // ---- waiting -------------------------------------------------------------------------------------------

  let waitingShown = null; // what the waiting screen shows now: not rebuilt every 30 s for nothing
  function showWaiting({ next = null, note = '' } = {}) {
    const signature = JSON.stringify([next && next.id, next && next.title, next && next.starts_at, note]);
    if (page.dataset.state === 'waiting' && waitingShown === signature) return;
    waitingShown = signature;
    page.dataset.state = 'waiting';
    page.dataset.meetingId = '';
    replaceChildren(page, h('div', { class: 'display-waiting', testid: 'display-waiting' },
      h('div', { class: 'display-waiting-top' },
        h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, '★'),
        h('span', { class: 'display-app-name' }, t('app.name')),
        connectionBadge()),
      h('div', { class: 'display-waiting-body' },
        clock('time', 'display-clock-big', 'display-clock'),
        clock('date', 'display-date'),
        h('p', { class: 'display-waiting-text', testid: 'display-waiting-text' }, t('display.waiting')),
        note ? h('p', { class: 'display-waiting-hint' }, note) : null,
        next ? h('p', { class: 'display-next', testid: 'display-next' },
          h('span', { class: 'display-next-label' }, t('display.next')),
          h('span', { class: 'display-next-title' }, next.title),
          h('span', { class: 'display-next-time' }, formatDateTime(next.starts_at))) : null,
        h('p', { class: 'display-waiting-hint' }, t('display.waitingHint')))));
  }

  // ---- the meeting --------------------------------------------------------------------------------------

  function leaveMeeting() {
    if (!meeting) return;
    const m = meeting;
    meeting = null;
    clearInterval(m.poll);
    m.floor.destroy();
    if (m.media) m.media.close();
    m.closed = true;
    m.channel.close();
  }

  function showMeeting(summary) {
    leaveMeeting();
    page.dataset.state = 'meeting';
    page.dataset.meetingId = summary.id;
    const m = { id: summary.id, snap: summary, media: null, closed: false, lastFrames: {}, removedSeen: null };
    meeting = m;

    const mainBox = h('div', { class: 'display-main', testid: 'display-main', dataset: { source: '', playing: 'false' } });
    const mainEmpty = h('div', { class: 'display-empty' }, t('display.noVideo'));
    const mainName = h('span', { class: 'display-label display-main-name', testid: 'display-main-name', hidden: true });
    const chairBox = h('div', { class: 'display-chair', testid: 'display-chair', hidden: true, dataset: { source: '', playing: 'false' } });
    const chairName = h('span', { class: 'display-label', testid: 'display-chair-name' });
    const speaker = h('div', { class: 'display-speaker', testid: 'display-speaker', hidden: true });
    const item = h('div', { class: 'display-agenda-item', testid: 'display-agenda-item' });
    const title = h('div', { class: 'display-meeting-title', testid: 'display-meeting-title' });
    const quorum = quorumLine('display-quorum', 'display-quorum');
    const others = h('div', { class: 'display-others', testid: 'display-others', hidden: true });
    const notice = h('div', { class: 'display-notice', testid: 'display-notice', role: 'status', hidden: true });
    const unmute = h('button', { type: 'button', class: 'display-unmute', testid: 'display-unmute', hidden: true }, t('display.unmute'));
    const audioBox = h('div', { class: 'media-audio-box', 'aria-hidden': 'true' });
    mainBox.append(mainEmpty, mainName);
    chairBox.append(chairName);
    m.els = { mainBox, mainEmpty, mainName, chairBox, chairName, speaker, item, title, others, notice, unmute, audioBox };

    unmute.addEventListener('click', async () => {
      if (m.media && await m.media.unlockAudio()) unmute.hidden = true;
    });

    m.vote = voteDisplay({ meetingId: summary.id, restOptions: () => (m.channel ? m.channel.live.restOptions : {}) });
    m.names = new Map();
    m.floor = floorDisplay({ names: () => m.names }); // the speaker, their site, the countdown
    replaceChildren(page, h('div', { class: 'display-stage' },
      mainBox, chairBox, m.vote.el, m.floor.el,
      h('div', { class: 'display-top' }, clock('time', 'display-clock', 'display-clock'), connectionBadge()),
      h('div', { class: 'display-bottom' }, speaker, item, title, quorum.el, others),
      notice, unmute, audioBox));

    const place = (box, el, before) => {
      const current = box.querySelector('video');
      if (current === el) return;
      if (current) current.remove();
      if (el) {
        box.insertBefore(el, before);
        const played = el.play();
        if (played && played.catch) played.catch(() => {});
      }
    };

    m.renderLayout = () => {
      if (m.closed) return;
      const layout = (m.media && m.media.layout) || { slots: [] };
      const videos = (layout.slots || []).filter((s) => s.kind === 'video' && s.source);
      const big = videos.find((s) => s.quality === 'big') || videos[0] || null;
      const inset = videos.find((s) => s !== big) || null;
      const bigEl = big && m.media ? m.media.videoElementFor(big.mid) : null;
      const insetEl = inset && m.media ? m.media.videoElementFor(inset.mid) : null;
      place(mainBox, bigEl, mainEmpty);
      mainEmpty.hidden = Boolean(bigEl);
      mainBox.dataset.source = big ? big.source : '';
      mainBox.dataset.role = big ? big.role : '';
      mainName.hidden = !big;
      mainName.textContent = big ? big.name : '';
      place(chairBox, insetEl, chairName);
      chairBox.hidden = !insetEl;
      chairBox.dataset.source = inset ? inset.source : '';
      chairName.textContent = inset ? inset.name : '';
      const who = layout.speaker;
      speaker.hidden = !who;
      speaker.dataset.key = who ? who.key : '';
      speaker.textContent = who ? t('display.speaker', { name: who.name }) : '';
    };

    m.renderMediaState = (state, error) => {
      if (m.closed) return;
      const stopped = state === 'stopped' || state === 'retrying';
      notice.hidden = !(stopped && error && error.message);
      notice.textContent = notice.hidden ? '' : error.message;
      notice.dataset.code = error && error.code ? error.code : '';
      page.dataset.media = state;
    };

    /** The hall's other meetings in progress (booked twice): named, never switched to behind the chair's back. */
    m.showOthers = (list) => {
      others.hidden = !list.length;
      others.textContent = list.length ? t('display.alsoLive', { titles: list.map((x) => `“${x.title}”`).join(', ') }) : '';
    };

    m.renderSnap = () => {
      if (m.closed) return;
      const snap = m.snap;
      setTitle(snap.title);
      title.textContent = snap.title;
      const current = (snap.agenda || []).find((x) => x.id === snap.current_item_id);
      item.hidden = !current;
      item.dataset.itemId = current ? current.id : '';
      quorum.update(snap);
      replaceChildren(item, current ? [h('span', { class: 'display-item-label' }, t('meeting.current')), h('span', { class: 'display-item-title' }, current.title)] : []);
    };

    m.channel = new MeetingChannel(summary.id, {
      onUpdate: (snap, info) => {
        if (m.closed) return;
        m.snap = snap;
        if (snap.status !== 'in_progress') { leaveMeeting(); recheck(); return; }
        m.renderSnap();
        m.vote.update(snap, info);
        m.floor.update(snap);
        const removed = JSON.stringify((snap.conference && snap.conference.removed) || []);
        if (m.media && m.removedSeen !== null && removed !== m.removedSeen && m.media.state === 'stopped') m.media.rejoin();
        m.removedSeen = removed;
        if (!m.media && !m.starting) startMedia(m);
      },
      onError: (err) => {
        if (m.closed) return;
        if (err.fatal) { leaveMeeting(); recheck(); }
      },
    }, { connection: conn });
    m.renderSnap();
    get(`/api/meetings/${encodeURIComponent(summary.id)}/participants`, null, conn.restOptions)
      .then((body) => { if (!m.closed) { m.names = namesFrom(body); m.floor.update(m.snap); } })
      .catch(() => {});
    m.poll = setInterval(() => pollPlayback(m).catch(() => {}), POLL_MS);
    m.channel.open().catch(() => { if (!m.closed) { leaveMeeting(); recheck(); } });
  }

  async function startMedia(m) {
    m.starting = true;
    try {
      const session = await joinMedia({
        socket: conn.socket, meetingId: m.id, view: 'display', publish: false, videoSlots: 2, audioSlots: 3, token,
        audioContainer: m.els.audioBox,
        onLayout: () => m.renderLayout(),
        onState: (state, error) => m.renderMediaState(state, error),
        onClosed: (reason) => { if (reason === 'meeting_not_live') { leaveMeeting(); recheck(); } },
        onAudioBlocked: () => { if (!m.closed) m.els.unmute.hidden = false; },
      });
      if (m.closed) { session.close(); return; }
      m.media = session;
      if (session.audioBlocked) m.els.unmute.hidden = false;
      m.renderMediaState(session.state, session.error);
      m.renderLayout();
    } catch (err) {
      if (m.closed) return;
      if (err.code === 'conference_not_live' || err.code === 'not_found') { leaveMeeting(); recheck(); return; }
      m.renderMediaState('stopped', err);
      // a refusal (removed, locked out…): ask again when the snapshot changes or on the next recheck
      setTimeout(() => { if (!m.closed && !m.media) startMedia(m); }, RECHECK_MS);
    } finally {
      m.starting = false;
    }
  }

  async function pollPlayback(m) {
    if (m.closed || !m.media) return;
    const frames = await m.media.framesDecoded();
    for (const box of [m.els.mainBox, m.els.chairBox]) {
      const el = box.querySelector('video');
      const mid = el && el.dataset.mid;
      box.dataset.playing = String(Boolean(el && el.videoWidth > 0 && (frames[mid] || 0) > (m.lastFrames[mid] || 0)));
    }
    m.lastFrames = frames;
  }

  // ---- which meeting -------------------------------------------------------------------------------------

  async function recheck() {
    if (checking) { checkAgain = true; return; } // news during a check: check once more after it
    if (destroyed || !token) return;
    checking = true;
    checkAgain = false;
    try {
      const list = asList(await get('/api/meetings', { scope: 'all' }, { token }), 'meetings');
      if (destroyed) return;
      const live = list.filter((x) => x.status === 'in_progress');
      let pick = null;
      if (wantedId) pick = live.find((x) => x.id === wantedId) || null;
      else pick = (meeting && live.find((x) => x.id === meeting.id)) || nearestToNow(live);
      if (pick) {
        if (!meeting || meeting.id !== pick.id) showMeeting(pick);
        meeting.showOthers(live.filter((x) => x.id !== pick.id));
        return;
      }
      if (meeting) leaveMeeting();
      const now = Date.now();
      const upcoming = list.filter((x) => x.status === 'scheduled' && (!wantedId || x.id === wantedId)
        && Date.parse(x.ends_at || x.starts_at) >= now)
        .sort((a, b) => String(a.starts_at).localeCompare(String(b.starts_at)));
      const known = wantedId ? list.find((x) => x.id === wantedId) : null;
      showWaiting({ next: upcoming[0] || null, note: wantedId && !known ? t('display.notFound') : '' });
    } catch (err) {
      if (destroyed) return;
      if (err instanceof ApiError && err.status === 401) { forgetToken(); return; }
      if (!meeting && page.dataset.state !== 'waiting') showWaiting({ note: err.message });
    } finally {
      checking = false;
      if (checkAgain) recheck();
    }
  }

  function stopConnection() {
    clearInterval(recheckTimer);
    recheckTimer = null;
    for (const off of offs.splice(0)) off();
    connBadge = null;
    if (conn) { conn.stop(); conn = null; }
  }

  function start() {
    stopConnection();
    conn = new LiveConnection({ auth: { token }, storagePrefix: 'ms.live.display.' });
    conn.onUnauthenticated = () => forgetToken();
    conn.onRevoked = () => forgetToken();
    offs.push(conn.onMeetingsChanged(() => recheck()));
    conn.start();
    recheckTimer = setInterval(recheck, RECHECK_MS);
    page.dataset.state = 'loading';
    replaceChildren(page, h('p', { class: 'display-loading', role: 'status' }, t('common.loading')));
    recheck();
  }

  clockTimer = setInterval(tick, 1000);
  if (token) start(); else showPairing();

  return () => {
    destroyed = true;
    clearInterval(clockTimer);
    leaveMeeting();
    stopConnection();
  };
}
