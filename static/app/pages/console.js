// The chair's console (/meetings/<id>/console): every site's picture, sound level and link health, and the
// chair's decisions (main site, mute, remove, lock, roll call, recording). Decisions go through REST and come
// back as `conference.*` events patching the meeting snapshot; the page renders from the snapshot, so two
// organisers' consoles always agree.
import { post } from '../api.js';
import { quorumLine } from '../attendance.js';
import { h, replaceChildren } from '../dom.js';
import { floorConsole } from '../floor.js';
import { foldVietnamese, formatTime, formatNumber } from '../format.js';
import { t } from '../i18n.js';
import { MeetingChannel, live } from '../live.js';
import { joinMedia } from '../media.js';
import { getUser } from '../session.js';
import { busy, confirmDialog, loading, showError, statusBadge } from '../ui.js';
import { afterWrite, loadParticipantNames, may, meetingPath } from '../meeting-common.js';
import { voteConsole } from '../votes.js';
import { mayOpenRecord, recordPagePath } from './record.js';

const MAX_VIDEO_SLOTS = 64;
const POLL_MS = 1000;
const DENSE_FROM = 13; // more tiles than this: the dense grid that fits a province's 125 halls on one screen
const MIN_DENSE_TILE_PX = 96; // below this the grid scrolls rather than shrink further
const FILTERS = ['all', 'problems', 'online', 'offline'];
// Problem halls first: not connected, lost, poor link; then those that are fine; removed ones last.
const TROUBLE_RANK = { offline: 0, bad: 1, poor: 2, good: 3, removed: 4 };

/**
 * Columns for `count` tiles of aspect 16:9 in a box `width` × `height` with `gap` between them: the fewest that
 * make every row fit (the largest tiles), or, when even the smallest tile would not fit, as many as fit across.
 */
export function denseColumns(count, width, height, gap) {
  for (let cols = 1; cols <= count; cols += 1) {
    const tile = (width - gap * (cols - 1)) / cols;
    if (tile < MIN_DENSE_TILE_PX) break;
    const rows = Math.ceil(count / cols);
    if (rows * (tile * 9) / 16 + gap * (rows - 1) <= height) return cols;
  }
  return Math.max(1, Math.floor((width + gap) / (MIN_DENSE_TILE_PX + gap)));
}

function conferenceOf(snap) {
  const c = (snap && snap.conference) || {};
  return {
    muted: Array.isArray(c.muted) ? c.muted : [],
    locked: Boolean(c.locked),
    removed: Array.isArray(c.removed) ? c.removed : [],
    recording: c.recording || null,
    roll_call: c.roll_call || null,
  };
}

/** One entry per participant key: a site's room PC and its wall display are one tile (the publisher wins). */
function mergeStats(list) {
  const out = new Map();
  for (const p of list || []) {
    if (!p || !p.key) continue;
    const prev = out.get(p.key);
    const views = new Set([...(prev ? prev.views : []), p.view]);
    if (!prev || (p.publishes && !prev.publishes)) out.set(p.key, { ...p, views });
    else prev.views = views;
  }
  return out;
}

function percent(fraction) {
  return formatNumber(Math.round(fraction * 1000) / 10);
}

export async function render({ root, params, setTitle, isCurrent }) {
  const id = params.id;
  const user = getUser();
  const selfKey = user ? `user:${user.id}` : null;
  const view = h('div', { class: 'console-page', testid: 'console-page', dataset: { meetingId: id } }, loading());
  root.append(view);

  let snap = null;
  let names = new Map();
  let stats = new Map();
  let media = null;
  let mediaStarting = false;
  let destroyed = false;
  let lastFrames = {};
  const tiles = new Map(); // key -> tile
  let selfVideo = null;

  // ---- persistent page structure ---------------------------------------------------------------------------
  const titleEl = h('h1', { class: 'page-title console-title', testid: 'console-title' });
  const statusBox = h('span', { class: 'console-status' });
  const agendaEl = h('p', { class: 'console-agenda', testid: 'console-agenda-item' });
  const quorum = quorumLine('console-quorum', 'console-quorum');
  const mediaDot = h('span', { class: 'conn-dot', 'aria-hidden': 'true' });
  const mediaText = h('span', { class: 'media-state-text' });
  const mediaState = h('span', { class: 'media-state', testid: 'console-media-state', role: 'status' }, mediaDot, mediaText);
  const mediaNote = h('div', { class: 'console-note', testid: 'console-media-error', hidden: true });
  const notLive = h('p', { class: 'console-not-live', testid: 'console-not-live', hidden: true });

  const lockBtn = h('button', { type: 'button', class: 'btn', testid: 'console-lock' });
  const lockedBadge = h('span', { class: 'badge badge-locked', testid: 'console-locked', hidden: true }, t('console.locked'));
  const rollBtn = h('button', { type: 'button', class: 'btn', testid: 'console-roll-call' }, t('console.rollCall'));
  const rollCloseBtn = h('button', { type: 'button', class: 'btn', testid: 'console-roll-call-close', hidden: true }, t('console.rollCallClose'));
  const rollCount = h('span', { class: 'roll-call-count', testid: 'roll-call-count', hidden: true });
  const recordBtn = h('button', { type: 'button', class: 'btn', testid: 'console-record' });
  const recIndicator = h('span', { class: 'recording-indicator', testid: 'recording-indicator', role: 'status', hidden: true }, t('console.recording'));
  const connectedCount = h('span', { class: 'console-connected muted', testid: 'console-connected-count' });
  const muteSitesBtn = h('button', { type: 'button', class: 'btn', testid: 'console-mute-sites' }, t('console.muteSites'));
  let filter = 'all';
  let search = '';
  const filterBtns = FILTERS.map((name) => {
    const b = h('button', { type: 'button', class: 'btn btn-small console-filter', testid: `console-filter-${name}`, 'aria-pressed': String(name === filter), dataset: { filter: name } });
    b.addEventListener('click', () => { filter = name; renderTiles(); });
    return b;
  });
  const searchInput = h('input', {
    type: 'search', class: 'input input-small console-search', testid: 'console-search', placeholder: t('console.searchPlaceholder'),
    'aria-label': t('console.search'),
  });
  searchInput.addEventListener('input', () => { search = foldVietnamese(searchInput.value); renderTiles(); });
  const filterBar = h('div', { class: 'console-filters', role: 'group', 'aria-label': t('console.filters') }, filterBtns, searchInput);

  const toolbar = h('div', { class: 'console-toolbar', testid: 'console-toolbar', role: 'toolbar', 'aria-label': t('console.toolbar') },
    h('div', { class: 'button-row' }, lockBtn, lockedBadge),
    h('div', { class: 'button-row' }, rollBtn, rollCloseBtn, rollCount),
    h('div', { class: 'button-row' }, recordBtn, recIndicator),
    h('div', { class: 'button-row' }, muteSitesBtn));

  const votes = voteConsole({ meetingId: id }); // "Biểu quyết": open / close a vote, its turnout and result
  // "Đăng ký phát biểu": the queue per item, give the floor in one press, extend, end, the minutes per speaker
  const floor = floorConsole({ meetingId: id, names: () => names, onWrite: (resp) => afterWrite(channel, resp) });
  const mainBox = h('div', { class: 'console-main', testid: 'console-main' });
  const mainEmpty = h('div', { class: 'console-main-empty', testid: 'console-main-empty' }, t('console.noMainSite'));
  const grid = h('div', { class: 'console-grid', testid: 'console-grid' });
  const gridTitle = h('h2', { class: 'section-title' });
  const audioBox = h('div', { class: 'media-audio-box', 'aria-hidden': 'true' });

  // ---- actions ---------------------------------------------------------------------------------------------
  const act = (button, path, body = {}) => busy(button, async () => {
    const resp = await post(meetingPath(id, `/conference/${path}`), body);
    await afterWrite(channel, resp);
  });

  lockBtn.addEventListener('click', () => act(lockBtn, conferenceOf(snap).locked ? 'unlock' : 'lock'));
  rollBtn.addEventListener('click', () => act(rollBtn, 'roll-call'));
  rollCloseBtn.addEventListener('click', () => act(rollCloseBtn, 'roll-call/close'));
  recordBtn.addEventListener('click', () => act(recordBtn, conferenceOf(snap).recording ? 'recording/stop' : 'recording/start'));
  muteSitesBtn.addEventListener('click', async () => {
    await act(muteSitesBtn, 'mute-sites');
    if (snap && !destroyed) renderToolbar(); // busy() enabled it again: nothing is left to mute
  });

  // ---- tiles -----------------------------------------------------------------------------------------------
  function nameOf(key) {
    const s = stats.get(key);
    if (key.startsWith('site:')) {
      const site = ((snap && snap.sites) || []).find((x) => `site:${x.id}` === key);
      if (site) return site.name;
    }
    if (s && s.name) return s.name;
    const ident = key.slice(key.indexOf(':') + 1);
    if (key === selfKey && user) return user.full_name || user.username;
    return names.get(ident) || ident;
  }

  function createTile(key) {
    const isSelf = key === selfKey;
    const isSite = key.startsWith('site:');
    const tile = { key, videoEl: null };
    tile.name = h('span', { class: 'tile-name', testid: 'tile-name' });
    tile.badges = h('span', { class: 'tile-badges' });
    tile.levelBar = h('span', { class: 'tile-level-bar' });
    tile.level = h('span', {
      class: 'tile-level', testid: 'tile-level', role: 'meter', 'aria-label': t('console.level'),
      'aria-valuemin': '0', 'aria-valuemax': '127', 'aria-valuenow': '0', dataset: { level: '0' },
    }, tile.levelBar);
    tile.placeholder = h('span', { class: 'tile-placeholder' });
    tile.mediaBox = h('div', { class: 'tile-media' }, tile.placeholder, tile.level);
    tile.healthBadge = h('span', { class: 'health-badge' });
    tile.healthDetail = h('span', { class: 'health-detail' });
    tile.health = h('div', { class: 'tile-health', testid: 'tile-health' }, tile.healthBadge, tile.healthDetail);
    tile.roll = h('div', { class: 'tile-roll-call', testid: 'tile-roll-call', hidden: true });
    tile.mainBtn = isSite ? h('button', { type: 'button', class: 'btn btn-small', testid: 'tile-main' }, t('console.setMain')) : null;
    tile.muteBtn = h('button', { type: 'button', class: 'btn btn-small', testid: 'tile-mute' });
    tile.removeBtn = isSelf ? null : h('button', { type: 'button', class: 'btn btn-small btn-danger-outline', testid: 'tile-remove' }, t('console.remove'));
    tile.readmitBtn = isSelf ? null : h('button', { type: 'button', class: 'btn btn-small btn-primary-outline', testid: 'tile-readmit', hidden: true }, t('console.readmit'));
    const participant = { participant: key };
    if (tile.mainBtn) tile.mainBtn.addEventListener('click', () => act(tile.mainBtn, 'main-site', { site_id: key.slice(5) }));
    tile.muteBtn.addEventListener('click', () => act(tile.muteBtn, conferenceOf(snap).muted.includes(key) ? 'unmute' : 'mute', participant));
    if (tile.removeBtn) {
      tile.removeBtn.addEventListener('click', async () => {
        const name = nameOf(key);
        const ok = await confirmDialog(t('console.confirmRemove', { name }), {
          title: t('console.remove'), confirmLabel: t('console.remove'), danger: true,
        });
        if (ok) await act(tile.removeBtn, 'remove', participant);
      });
      tile.readmitBtn.addEventListener('click', () => act(tile.readmitBtn, 'readmit', participant));
    }
    tile.el = h('article', {
      class: ['tile', isSelf ? 'is-self' : ''], testid: 'site-tile',
      dataset: { key, playing: 'false', connected: 'false' }, 'aria-label': key,
    },
    tile.mediaBox,
    h('div', { class: 'tile-info' },
      h('div', { class: 'tile-head' }, tile.name, tile.badges),
      tile.health,
      tile.roll),
    h('div', { class: 'tile-actions' }, tile.mainBtn, tile.muteBtn, tile.removeBtn, tile.readmitBtn));
    return tile;
  }

  function setVideo(tile, el) {
    if (tile.videoEl === el) return;
    if (tile.videoEl && tile.videoEl.parentNode === tile.mediaBox) tile.videoEl.remove();
    tile.videoEl = el;
    tile.el.dataset.playing = 'false';
    if (el) {
      el.setAttribute('data-testid', 'tile-video');
      tile.mediaBox.prepend(el);
      const played = el.play();
      if (played && played.catch) played.catch(() => {});
    }
  }

  function updateTile(tile, { isMain }) {
    const { key } = tile;
    const conf = conferenceOf(snap);
    const s = stats.get(key);
    const isSelf = key === selfKey;
    const connected = Boolean(s) || (isSelf && media && media.state === 'connected');
    const muted = conf.muted.includes(key);
    const removed = conf.removed.includes(key);
    const viewOnly = Boolean(s && !s.publishes);
    const name = nameOf(key);
    tile.el.classList.toggle('is-main', isMain);
    tile.el.classList.toggle('is-offline', !connected);
    tile.el.classList.toggle('is-removed', removed);
    tile.el.dataset.connected = String(connected);
    tile.el.dataset.muted = String(muted);
    tile.el.dataset.removed = String(removed);
    tile.el.dataset.main = String(isMain);
    tile.el.setAttribute('aria-label', name);
    if (tile.name.textContent !== name) tile.name.textContent = name;

    const badges = [];
    if (isMain) badges.push(h('span', { class: 'badge badge-main' }, t('meeting.mainSite')));
    if (isSelf) badges.push(h('span', { class: 'badge badge-kind' }, t('console.you')));
    if (muted) badges.push(h('span', { class: 'badge badge-muted', testid: 'tile-muted' }, t('console.muted')));
    if (removed) badges.push(h('span', { class: 'badge badge-removed', testid: 'tile-removed' }, t('console.removed')));
    if (viewOnly) badges.push(h('span', { class: 'badge badge-kind' }, t('console.viewOnly')));
    replaceChildren(tile.badges, badges);

    // video: the slot the server fills with this participant (our own camera for our tile)
    let el = null;
    if (isSelf) el = selfVideo;
    else if (media) {
      const slot = media.slotFor(key);
      el = slot ? media.videoElementFor(slot.mid) : null;
    }
    setVideo(tile, el);
    tile.placeholder.textContent = connected ? t('console.noVideo') : t('console.notConnected');

    const level = s ? Math.max(0, Math.min(127, Number(s.level) || 0)) : 0;
    tile.level.dataset.level = String(level);
    tile.level.setAttribute('aria-valuenow', String(level));
    tile.levelBar.style.setProperty('--level', String(level / 127));
    tile.level.hidden = !connected;

    const health = connected ? ((s && s.health) || 'good') : 'offline';
    tile.health.dataset.health = health;
    tile.healthBadge.className = `health-badge health-${health}`;
    tile.healthBadge.textContent = t(`console.health.${health}`);
    const parts = [];
    if (s) {
      if (s.bitrate_kbps != null) parts.push(t('console.bitrate', { n: formatNumber(Math.round(s.bitrate_kbps)) }));
      if (typeof s.rtt_ms === 'number' && s.rtt_ms >= 0) parts.push(t('console.rtt', { n: formatNumber(Math.round(s.rtt_ms)) }));
      const losses = [s.uplink_loss, s.downlink_loss].filter((x) => typeof x === 'number');
      if (losses.length) parts.push(t('console.loss', { n: percent(Math.max(...losses)) }));
      if (s.last_seen_s != null && s.last_seen_s >= 2 && s.publishes) parts.push(t('console.lastSeen', { n: formatNumber(Math.round(s.last_seen_s)) }));
    }
    tile.healthDetail.textContent = parts.join(' · ');
    tile.el.title = [name, t(`console.health.${health}`), ...parts].join(' · ');
    tile.trouble = removed ? 'removed' : health;
    tile.el.dataset.trouble = tile.trouble;

    const roll = conf.roll_call;
    if (roll && !isSelf) {
      const at = roll.answered && roll.answered[key];
      tile.roll.hidden = false;
      tile.roll.dataset.answered = String(Boolean(at));
      tile.roll.className = ['tile-roll-call', at ? 'is-answered' : 'is-waiting'].join(' ');
      tile.roll.textContent = at ? t('console.rollCallAnswered', { time: formatTime(at) }) : t('console.rollCallWaiting');
    } else {
      tile.roll.hidden = true;
    }

    if (tile.mainBtn) tile.mainBtn.hidden = isMain || removed;
    tile.muteBtn.textContent = muted ? t('console.unmute') : t('console.mute');
    tile.muteBtn.setAttribute('aria-pressed', String(muted));
    tile.muteBtn.hidden = removed;
    if (tile.removeBtn) {
      tile.removeBtn.hidden = removed;
      tile.readmitBtn.hidden = !removed;
    }
  }

  function participantKeys() {
    const conf = conferenceOf(snap);
    const keys = new Set();
    if (selfKey && media && media.publishes) keys.add(selfKey);
    for (const s of (snap && snap.sites) || []) keys.add(`site:${s.id}`);
    for (const k of stats.keys()) keys.add(k);
    for (const k of conf.removed) keys.add(k);
    return [...keys];
  }

  function renderTiles() {
    if (!snap) return;
    const mainKey = snap.main_site_id ? `site:${snap.main_site_id}` : null;
    const keys = participantKeys();
    const wanted = new Set(keys);
    for (const [key, tile] of tiles) {
      if (!wanted.has(key)) { setVideo(tile, null); tile.el.remove(); tiles.delete(key); }
    }
    for (const key of keys) if (!tiles.has(key)) tiles.set(key, createTile(key));
    for (const tile of tiles.values()) updateTile(tile, { isMain: tile.key === mainKey });

    // the main site big; the others in a grid: ourselves first, then the connected ones, by name
    const mainTile = mainKey ? tiles.get(mainKey) : null;
    if (mainTile) {
      if (mainTile.el.parentNode !== mainBox) replaceChildren(mainBox, mainTile.el);
    } else if (mainEmpty.parentNode !== mainBox) replaceChildren(mainBox, mainEmpty);
    const rest = [...tiles.values()].filter((tile) => tile !== mainTile);
    // ourselves first, then the halls in trouble (not connected, lost, poor link), then by name
    rest.sort((a, b) => (b.key === selfKey) - (a.key === selfKey)
      || TROUBLE_RANK[a.trouble] - TROUBLE_RANK[b.trouble]
      || String(nameOf(a.key)).localeCompare(String(nameOf(b.key)), 'vi'));
    const current = [...grid.children];
    if (current.length !== rest.length || rest.some((tile, i) => current[i] !== tile.el)) {
      for (const tile of rest) grid.append(tile.el); // moves in place: playing videos keep playing
    }
    gridTitle.textContent = t('console.participants', { n: rest.length });
    renderFilters(rest);

    const sites = (snap.sites || []).map((s) => `site:${s.id}`);
    const connectedSites = sites.filter((k) => stats.has(k)).length;
    connectedCount.textContent = t('console.connectedCount', { n: connectedSites, total: sites.length });
    const conf = conferenceOf(snap);
    const roll = conf.roll_call;
    if (roll) {
      const answered = sites.filter((k) => roll.answered && roll.answered[k]).length;
      rollCount.hidden = false;
      rollCount.dataset.answered = String(answered);
      rollCount.dataset.total = String(sites.length);
      rollCount.dataset.open = String(Boolean(roll.open));
      rollCount.textContent = t(roll.open ? 'console.rollCallCount' : 'console.rollCallCountClosed', { n: answered, total: sites.length });
    } else {
      rollCount.hidden = true;
    }
  }

  const matches = {
    all: () => true,
    problems: (tile) => ['offline', 'bad', 'poor'].includes(tile.trouble),
    online: (tile) => tile.el.dataset.connected === 'true',
    offline: (tile) => tile.el.dataset.connected !== 'true',
  };

  /** Filters (all / problems / online / offline, a name typed without tones) over the grid, then fit it. */
  function renderFilters(rest) {
    for (const b of filterBtns) {
      const name = b.dataset.filter;
      b.textContent = t(`console.filter.${name}`, { n: rest.filter(matches[name]).length });
      b.setAttribute('aria-pressed', String(name === filter));
      b.classList.toggle('is-on', name === filter);
    }
    let shown = 0;
    for (const tile of rest) {
      const hit = matches[filter](tile) && (!search || foldVietnamese(nameOf(tile.key)).includes(search));
      tile.el.hidden = !hit;
      shown += hit ? 1 : 0;
    }
    view.classList.toggle('is-dense', rest.length >= DENSE_FROM);
    document.body.classList.toggle('is-console-dense', rest.length >= DENSE_FROM);
    fitGrid(shown);
  }

  /** The dense grid: as many columns as make every tile fit between the grid's top and the window's bottom. */
  function fitGrid(shown = grid.querySelectorAll('.tile:not([hidden])').length) {
    const side = view.querySelector('.console-side');
    if (!view.classList.contains('is-dense')) {
      grid.style.removeProperty('--cols');
      if (side) side.style.removeProperty('max-height');
      return;
    }
    // The side column scrolls within the window, so the page itself never does.
    if (side) side.style.maxHeight = `${Math.max(200, window.innerHeight - side.getBoundingClientRect().top - 8)}px`;
    const gap = 4;
    const top = grid.getBoundingClientRect().top;
    const height = window.innerHeight - top - 8;
    grid.style.setProperty('--cols', String(denseColumns(Math.max(1, shown), grid.clientWidth, height, gap)));
  }
  const onResize = () => fitGrid();
  window.addEventListener('resize', onResize);

  // Decoded frames per slot: a tile plays when its picture has a size and new frames keep arriving.
  async function pollPlayback() {
    if (!media || destroyed) return;
    const frames = await media.framesDecoded();
    for (const tile of tiles.values()) {
      const el = tile.videoEl;
      let playing = false;
      if (el && el === selfVideo) playing = el.videoWidth > 0 && !el.paused;
      else if (el) {
        const mid = el.dataset.mid;
        playing = el.videoWidth > 0 && (frames[mid] || 0) > (lastFrames[mid] || 0);
      }
      tile.el.dataset.playing = String(playing);
    }
    lastFrames = frames;
  }

  function renderToolbar() {
    const conf = conferenceOf(snap);
    const isLive = snap.status === 'in_progress';
    lockBtn.textContent = conf.locked ? t('console.unlock') : t('console.lock');
    lockBtn.setAttribute('aria-pressed', String(conf.locked));
    lockedBadge.hidden = !conf.locked;
    const open = Boolean(conf.roll_call && conf.roll_call.open);
    rollBtn.hidden = open;
    rollCloseBtn.hidden = !open;
    recordBtn.textContent = conf.recording ? t('console.stopRecord') : t('console.record');
    recordBtn.classList.toggle('btn-danger', Boolean(conf.recording));
    recordBtn.setAttribute('aria-pressed', String(Boolean(conf.recording)));
    recIndicator.hidden = !conf.recording;
    const sitesToMute = (snap.sites || []).some((x) => x.id !== snap.main_site_id && !conf.muted.includes(`site:${x.id}`));
    muteSitesBtn.hidden = (snap.sites || []).length < 2;
    muteSitesBtn.disabled = !isLive || !sitesToMute;
    for (const b of [lockBtn, rollBtn, rollCloseBtn, recordBtn]) b.disabled = !isLive;
    toolbar.hidden = !isLive;
  }

  function renderHead() {
    setTitle(t('console.pageTitle', { title: snap.title }));
    titleEl.textContent = snap.title;
    replaceChildren(statusBox, statusBadge(snap.status, 'meeting-status'));
    const item = (snap.agenda || []).find((x) => x.id === snap.current_item_id);
    agendaEl.textContent = item ? t('console.currentItem', { title: item.title }) : t('console.noCurrentItem');
    agendaEl.dataset.itemId = item ? item.id : '';
    quorum.update(snap);
  }

  function renderMediaState(state, error) {
    mediaState.dataset.state = state;
    const tier = media && media.layout ? media.layout.tier : 0;
    mediaText.textContent = state === 'connected' && tier ? t(`media.tier.${tier}`) : t(`media.state.${state}`);
    const notes = [];
    if (error && (state === 'stopped' || state === 'retrying')) notes.push(h('span', {}, error.message));
    if (media && media.deviceError) notes.push(h('span', {}, t(`console.device.${media.deviceError}`)));
    if (state === 'stopped' && snap && snap.status === 'in_progress') {
      const retry = h('button', { type: 'button', class: 'btn btn-small', testid: 'console-media-retry' }, t('console.retry'));
      retry.addEventListener('click', () => { if (media) media.rejoin(); else startMedia(); });
      notes.push(retry);
    }
    replaceChildren(mediaNote, notes);
    mediaNote.hidden = !notes.length;
  }

  async function startMedia() {
    if (media || mediaStarting || destroyed || !snap || snap.status !== 'in_progress') return;
    if (!live.socket) { renderMediaState('stopped', { message: t('error.network') }); return; }
    mediaStarting = true;
    renderMediaState('connecting', null);
    const videoSlots = Math.min(MAX_VIDEO_SLOTS, ((snap.sites || []).length) + 4);
    try {
      const session = await joinMedia({
        socket: live.socket, meetingId: id, view: 'console', publish: true, videoSlots, audioSlots: 3,
        audioContainer: audioBox,
        onLayout: () => { if (!destroyed) { renderTiles(); renderMediaState(media ? media.state : 'connecting', media && media.error); } },
        onStats: (list) => { if (!destroyed) { stats = mergeStats(list); renderTiles(); } },
        onState: (state, error) => { if (!destroyed) { renderMediaState(state, error); if (state !== 'connected') stats = new Map(); renderTiles(); } },
      });
      if (destroyed) { session.close(); return; }
      media = session;
      if (session.localStream && session.localStream.getVideoTracks().length) {
        selfVideo = h('video', { class: 'media-video', testid: 'tile-video' });
        selfVideo.muted = true;
        selfVideo.autoplay = true;
        selfVideo.playsInline = true;
        selfVideo.srcObject = session.localStream;
      }
      renderMediaState(session.state, session.error);
      renderTiles();
    } catch (err) {
      if (!destroyed) {
        renderMediaState('stopped', err);
        showError(err);
      }
    } finally {
      mediaStarting = false;
    }
  }

  function stopMedia() {
    if (media) { media.close(); media = null; }
    if (selfVideo) { selfVideo.srcObject = null; selfVideo = null; }
    stats = new Map();
  }

  function renderAll() {
    if (!isCurrent() || !snap || destroyed) return;
    if (!may(snap, 'conference.console')) {
      stopMedia();
      setTitle(t('error.forbiddenPage'));
      replaceChildren(view, h('h1', { class: 'page-title', testid: 'console-forbidden' }, t('error.forbiddenPage')));
      return;
    }
    if (!view.contains(toolbar)) {
      replaceChildren(view,
        h('a', { href: `/meetings/${encodeURIComponent(id)}`, class: 'back-link', testid: 'console-back' }, t('console.back')),
        h('div', { class: 'console-head' },
          h('div', { class: 'meeting-title-row' }, h('span', { class: 'console-kicker' }, t('console.heading')), statusBox, mediaState, connectedCount),
          titleEl,
          agendaEl, quorum.el,
          h('a', { href: `/meetings/${encodeURIComponent(id)}/attendance`, class: 'btn btn-small', testid: 'console-attendance' }, t('attendance.deskOpen')),
          mayOpenRecord(snap) ? h('a', { href: recordPagePath(id), class: 'btn btn-small', testid: 'console-record-page' }, t('record.open')) : null),
        notLive, toolbar, mediaNote,
        // The main site, then the floor's queue and the votes beside the grid (not above it): a province's 125
        // halls keep the whole window's height, and the chair sees the queue next to the halls that asked.
        h('section', { class: 'console-stage' }, h('div', { class: 'console-side', testid: 'console-side' }, mainBox, floor.el, votes.el),
          h('div', { class: 'console-grid-wrap' }, h('div', { class: 'console-grid-head' }, gridTitle, filterBar), grid)),
        audioBox);
    }
    renderHead();
    renderToolbar();
    const isLive = snap.status === 'in_progress';
    notLive.hidden = isLive;
    notLive.textContent = ['draft', 'scheduled'].includes(snap.status) ? t('console.notStarted') : t('console.ended');
    if (isLive) startMedia();
    else { stopMedia(); renderMediaState('stopped', null); }
    if (media && media.state === 'stopped' && media.error && media.error.code === 'removed') {
      // we were removed: once readmitted, connect again
      if (!conferenceOf(snap).removed.includes(selfKey)) media.rejoin();
    }
    renderTiles();
  }

  const channel = new MeetingChannel(id, {
    onUpdate: (s, info) => { snap = s; renderAll(); votes.update(s, info); floor.update(s); },
    onError: (err) => {
      if (!isCurrent()) return;
      if (err.fatal) {
        destroyed = true;
        stopMedia();
        replaceChildren(view, h('a', { href: '/meetings', class: 'back-link' }, t('meeting.back')));
        showError(err);
      } else {
        showError(t('error.liveFailed', { message: err.message }));
      }
    },
  });

  const poll = setInterval(() => { pollPlayback().catch(() => {}); }, POLL_MS);
  try {
    await channel.open();
  } catch (err) {
    clearInterval(poll);
    window.removeEventListener('resize', onResize);
    channel.close();
    replaceChildren(view, h('a', { href: '/meetings', class: 'back-link' }, t('meeting.back')));
    throw err;
  }
  loadParticipantNames(id).then((map) => { names = map; if (!destroyed) { renderTiles(); if (snap) floor.update(snap); } });
  return () => {
    destroyed = true;
    clearInterval(poll);
    window.removeEventListener('resize', onResize);
    document.body.classList.remove('is-console-dense');
    stopMedia();
    floor.destroy();
    channel.close();
  };
}
