// The floor (đăng ký phát biểu) in the pages: the delegate's tablet ("Đăng ký phát biểu", "Rút đăng ký", their place
// in the queue, the countdown while they speak), the chair's console (the queue per agenda item, give the floor in
// one press, extend, end, the minutes per speaker) and the wall display (the speaker, their site, the countdown).
//
// The floor travels in the meeting snapshot as `snap.floor` (docs/floor.md: requests, speeches, default_minutes,
// item_minutes); every floor.* event patches it, so the blocks render from the snapshot alone. Countdowns are
// counted here from the speech's `due_at`: no tick events; the server ends a speech whose time runs out
// (`floor.ended`, reason `time_up`).
import { del, post, put } from './api.js';
import { h, replaceChildren } from './dom.js';
import { t } from './i18n.js';
import { may, meetingPath } from './meeting-common.js';
import { getUser } from './session.js';

const KINDS = ['speech', 'reply', 'proposal'];
export const ASKING = new Set(['scheduled', 'in_progress']);
const MINUTE_CHOICES = [1, 3, 5];

/** The speeches and speaking time as CSV, for the minutes (GET /api/meetings/{id}/speeches). */
export const speechesCsvPath = (meetingId) => meetingPath(meetingId, '/speeches?format=csv');

function floorOf(snap) {
  const f = (snap && snap.floor) || {};
  return {
    requests: Array.isArray(f.requests) ? f.requests : [],
    speeches: Array.isArray(f.speeches) ? f.speeches : [],
    default_minutes: Number(f.default_minutes) || 5,
    item_minutes: f.item_minutes || {},
  };
}

/** The running speech, or null. */
export function currentSpeech(snap) {
  const speeches = floorOf(snap).speeches;
  const last = speeches[speeches.length - 1];
  return last && !last.ended_at ? last : null;
}

/** The waiting requests on one item in the server's order (domain/floor.py `queue`): replies first, then arrival. */
export function queueOf(snap, itemId) {
  const rank = (r) => (r.kind === 'reply' ? 0 : 1);
  return floorOf(snap).requests
    .filter((r) => r.item_id === itemId && r.status === 'waiting')
    .sort((a, b) => rank(a) - rank(b) || Date.parse(a.requested_at) - Date.parse(b.requested_at) || (a.id < b.id ? -1 : 1));
}

/** "4:05" for 245 seconds; a negative time shows "0:00". */
export function clockText(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function remainingText(dueAt) {
  const left = (Date.parse(dueAt) - Date.now()) / 1000;
  return left > 0 ? clockText(left) : t('floor.timeUp');
}

/** Keeps every `[data-due]` (countdown) and `[data-since]` (waiting time) under `root` current, once a second. */
export function ticker(root) {
  const tick = () => {
    for (const el of root.querySelectorAll('[data-due]')) el.textContent = remainingText(el.dataset.due);
    for (const el of root.querySelectorAll('[data-since]')) {
      el.textContent = t('floor.waiting', { time: clockText((Date.now() - Date.parse(el.dataset.since)) / 1000) });
    }
  };
  const timer = setInterval(tick, 1000);
  return { tick, stop: () => clearInterval(timer) };
}

export function countdown(speech, testid, cls = 'floor-countdown') {
  return h('span', { class: cls, testid, role: 'timer', dataset: { due: speech.due_at } }, remainingText(speech.due_at));
}

/** A speaker's name: a hall by the snapshot's sites, a person by `names` (id → name). */
export function speakerName(key, snap, names = new Map()) {
  const [kind, id] = String(key || '').split(':');
  if (kind === 'site') {
    const site = ((snap && snap.sites) || []).find((s) => s.id === id);
    return (site && site.name) || names.get(id) || t('floor.aHall');
  }
  return names.get(id) || t('floor.someone');
}

function siteName(siteId, snap, names) {
  if (!siteId) return t('floor.online');
  return speakerName(`site:${siteId}`, snap, names);
}

/** The agenda item requests go to: the current one, else the first not yet done. */
export function askItem(snap) {
  const items = (snap && snap.agenda) || [];
  return items.find((i) => i.id === snap.current_item_id) || items.find((i) => i.status !== 'done') || null;
}

export function errorLine(testid) {
  const el = h('p', { class: 'floor-error', testid, role: 'alert', hidden: true });
  return {
    el,
    clear() { el.hidden = true; },
    show(err) { el.textContent = err && err.message ? err.message : t('error.network'); el.hidden = false; },
  };
}

/** Runs a write; the snapshot the answer carries (or the event that follows) re-renders the block. */
export function writer(error, onWrite, button) {
  return async (send) => {
    error.clear();
    if (button) button.disabled = true;
    try {
      const resp = await send();
      if (onWrite) await onWrite(resp);
    } catch (err) {
      error.show(err);
    } finally {
      if (button) button.disabled = false;
    }
  };
}

/**
 * The request's fields: one button per kind (phát biểu, tranh luận/trả lời, kiến nghị) and the one-line topic, both
 * kept in `draft` ({kind, topic}) so a re-render keeps them; testids `<kindTestid>-<kind>` and `topicTestid`.
 */
export function askFields(draft, kindTestid, topicTestid) {
  const buttons = KINDS.map((kind) => {
    const b = h('button', { type: 'button', class: 'btn floor-kind', testid: `${kindTestid}-${kind}`, 'aria-pressed': String(draft.kind === kind) }, t(`floor.kind.${kind}`));
    b.addEventListener('click', () => {
      draft.kind = kind;
      for (const other of buttons) other.setAttribute('aria-pressed', String(other === b));
    });
    return b;
  });
  const topic = h('input', { type: 'text', class: 'input floor-topic-input', testid: topicTestid, maxlength: '200', placeholder: t('floor.topicPlaceholder'), 'aria-label': t('floor.topic'), value: draft.topic });
  topic.addEventListener('input', () => { draft.topic = topic.value; });
  return { kinds: h('div', { class: 'floor-kinds', role: 'group', 'aria-label': t('floor.kindLabel') }, buttons), topic };
}

/**
 * The delegate's tablet: on the current agenda item, the kind (phát biểu, tranh luận/trả lời, kiến nghị), a one-line
 * topic and the big "Đăng ký phát biểu" button; once asked, their place in the queue and "Rút đăng ký"; while they
 * speak, "Đang phát biểu" and the countdown. `onWrite(resp)` hands the answer's snapshot to the page's channel.
 */
export function floorTablet({ meetingId, onWrite = null }) {
  const el = h('section', { class: 'floor-me card', testid: 'floor-me', hidden: true });
  const error = errorLine('floor-me-error');
  const tick = ticker(el);
  const draft = { kind: 'speech', topic: '' };
  let shownKey = '';

  function update(snap) {
    const user = getUser();
    const me = user ? `user:${user.id}` : '';
    const item = askItem(snap);
    const show = Boolean(me && item && may(snap, 'floor.request') && ASKING.has(snap.status));
    el.hidden = !show;
    if (!show) { replaceChildren(el); shownKey = ''; return; }
    const speech = currentSpeech(snap);
    const queue = queueOf(snap, item.id);
    const mine = queue.find((r) => r.speaker === me) || null;
    const speaking = speech && speech.speaker === me;
    // Re-render only when something the delegate sees changed: typing in the topic must not be lost.
    const key = JSON.stringify([item.id, speaking ? speech.id + speech.due_at : '', mine ? [mine.id, queue.indexOf(mine)] : '']);
    if (key === shownKey) return;
    shownKey = key;
    const title = h('h2', {}, t('floor.title'));
    const itemLine = h('p', { class: 'floor-item muted', testid: 'floor-me-item' }, t('floor.onItem', { title: item.title }));
    if (speaking) {
      replaceChildren(el, title,
        h('p', { class: 'floor-speaking', testid: 'floor-me-speaking', role: 'status' }, t('floor.speakingNow')),
        countdown(speech, 'floor-me-countdown', 'floor-countdown floor-countdown-big'));
      return;
    }
    if (mine) {
      const withdraw = h('button', { type: 'button', class: 'btn btn-huge', testid: 'floor-withdraw' }, t('floor.withdraw'));
      withdraw.addEventListener('click', () => writer(error, onWrite, withdraw)(() => post(meetingPath(meetingId, `/floor/requests/${encodeURIComponent(mine.id)}/withdraw`), {})));
      replaceChildren(el, title, itemLine,
        h('p', { class: 'floor-place', testid: 'floor-me-place', role: 'status', dataset: { place: String(queue.indexOf(mine) + 1) } },
          t('floor.place', { n: queue.indexOf(mine) + 1 })),
        mine.topic ? h('p', { class: 'floor-topic', testid: 'floor-me-topic' }, mine.topic) : null,
        withdraw, error.el);
      return;
    }
    const { kinds, topic } = askFields(draft, 'floor-kind', 'floor-topic');
    const ask = h('button', { type: 'button', class: 'btn btn-primary btn-huge', testid: 'floor-ask' }, t('floor.ask'));
    ask.addEventListener('click', () => writer(error, onWrite, ask)(async () => {
      const mySite = snap.my_attendance && snap.my_attendance.site_id;
      const body = { item_id: item.id, kind: draft.kind, topic: draft.topic.trim(), ...(mySite ? { site_id: mySite } : {}) };
      const resp = await post(meetingPath(meetingId, '/floor/requests'), body);
      draft.topic = '';
      return resp;
    }));
    replaceChildren(el, title, itemLine, kinds, topic, ask, error.el);
  }

  return { el, update, destroy: tick.stop };
}

/**
 * The chair's console: the speaker with their countdown, "+1/+3/+5 phút" and "Kết thúc phát biểu"; each agenda
 * item's queue in order with site and waiting time, "Mời phát biểu" (one press, with "Chỉ người phát biểu được
 * nói"), "Xóa"; the minutes per speaker; the speeches as CSV for the minutes. `names()` gives id → name.
 */
export function floorConsole({ meetingId, names = () => new Map(), onWrite = null }) {
  const el = h('section', { class: 'floor-console card', testid: 'floor-console', hidden: true });
  const error = errorLine('floor-console-error');
  const tick = ticker(el);
  const onlySpeaker = h('input', { type: 'checkbox', testid: 'floor-only-speaker' });
  const onlyLabel = h('label', { class: 'floor-only-speaker' }, onlySpeaker, ' ', t('floor.onlySpeaker'));
  const base = (path) => meetingPath(meetingId, `/floor${path}`);

  function speakerBlock(snap, speech) {
    if (!speech) return h('p', { class: 'muted', testid: 'floor-no-speaker' }, t('floor.noSpeaker'));
    const extend = MINUTE_CHOICES.map((n) => {
      const b = h('button', { type: 'button', class: 'btn', testid: `floor-extend-${n}` }, t('floor.extendBy', { n }));
      b.addEventListener('click', () => writer(error, onWrite, b)(() => post(base('/extend'), { minutes: n })));
      return b;
    });
    const end = h('button', { type: 'button', class: 'btn btn-danger', testid: 'floor-end' }, t('floor.end'));
    end.addEventListener('click', () => writer(error, onWrite, end)(() => post(base('/end'), {})));
    return h('div', { class: 'floor-current', testid: 'floor-current', dataset: { speaker: speech.speaker } },
      h('p', { class: 'floor-current-name' }, h('strong', { testid: 'floor-current-name' }, speakerName(speech.speaker, snap, names())),
        ' · ', h('span', { testid: 'floor-current-site' }, siteName(speech.site_id, snap, names()))),
      countdown(speech, 'floor-current-countdown', 'floor-countdown floor-countdown-big'),
      h('div', { class: 'button-row' }, ...extend, end));
  }

  function queueRow(snap, r, position, live) {
    const give = h('button', { type: 'button', class: 'btn btn-primary', testid: 'floor-give', disabled: !live }, t('floor.give'));
    give.addEventListener('click', () => writer(error, onWrite, give)(() => post(base(`/requests/${encodeURIComponent(r.id)}/give`), { only_speaker: onlySpeaker.checked })));
    const remove = h('button', { type: 'button', class: 'btn btn-small', testid: 'floor-remove' }, t('floor.remove'));
    remove.addEventListener('click', () => writer(error, onWrite, remove)(() => del(base(`/requests/${encodeURIComponent(r.id)}`))));
    return h('li', { class: 'floor-row', testid: 'floor-queue-row', dataset: { requestId: r.id, speaker: r.speaker, kind: r.kind } },
      h('span', { class: 'floor-position', testid: 'floor-position' }, String(position)),
      h('div', { class: 'floor-row-body' },
        h('div', {}, h('strong', { testid: 'floor-queue-name' }, speakerName(r.speaker, snap, names())),
          ' · ', h('span', { testid: 'floor-queue-site' }, siteName(r.site_id, snap, names())),
          ' · ', h('span', { class: 'badge' }, t(`floor.kind.${r.kind}`))),
        r.topic ? h('div', { class: 'floor-topic', testid: 'floor-queue-topic' }, r.topic) : null,
        h('div', { class: 'muted', testid: 'floor-waiting', dataset: { since: r.requested_at } })),
      h('div', { class: 'button-row' }, give, remove));
  }

  function minutesControl(snap) {
    const floor = floorOf(snap);
    const input = h('input', { type: 'number', class: 'input input-small', testid: 'floor-minutes', min: '1', max: '120', value: String(floor.default_minutes), 'aria-label': t('floor.minutesPerSpeaker') });
    const save = h('button', { type: 'button', class: 'btn btn-small', testid: 'floor-minutes-save' }, t('floor.setMinutes'));
    save.addEventListener('click', () => writer(error, onWrite, save)(() => put(base('/minutes'), { minutes: Number(input.value) })));
    return h('p', { class: 'floor-minutes' }, h('label', {}, t('floor.minutesPerSpeaker'), ' ', input), ' ', save,
      ' ', h('a', { class: 'btn btn-small', href: speechesCsvPath(meetingId), testid: 'floor-speeches-csv' }, t('floor.speechesCsv')));
  }

  /** Minutes spoken per speaker so far (ended speeches), most first: for the chair and the minutes. */
  function spoken(snap) {
    const totals = new Map();
    for (const s of floorOf(snap).speeches) {
      if (!s.ended_at) continue;
      const seconds = (Date.parse(s.ended_at) - Date.parse(s.started_at)) / 1000;
      const prev = totals.get(s.speaker) || { seconds: 0, count: 0 };
      totals.set(s.speaker, { seconds: prev.seconds + seconds, count: prev.count + 1 });
    }
    if (!totals.size) return null;
    const rows = [...totals.entries()].sort((a, b) => b[1].seconds - a[1].seconds);
    return h('div', { class: 'floor-spoken', testid: 'floor-spoken' },
      h('h3', { class: 'floor-queue-title' }, t('floor.spoken')),
      h('ul', { class: 'floor-list' }, ...rows.map(([key, v]) => h('li', { testid: 'floor-spoken-row', dataset: { speaker: key } },
        h('strong', {}, speakerName(key, snap, names())), ' · ',
        h('span', { testid: 'floor-spoken-time' }, t('floor.spokenTime', { time: clockText(v.seconds), n: v.count }))))));
  }

  function update(snap) {
    const show = may(snap, 'floor.manage') && ASKING.has(snap.status);
    el.hidden = !show;
    if (!show) { replaceChildren(el); return; }
    const live = snap.status === 'in_progress';
    const items = (snap.agenda || []).filter((i) => queueOf(snap, i.id).length);
    items.sort((a, b) => (b.id === snap.current_item_id) - (a.id === snap.current_item_id));
    const queues = items.map((item) => h('div', { class: 'floor-queue', testid: 'floor-queue', dataset: { itemId: item.id } },
      h('h3', { class: 'floor-queue-title' }, item.title),
      h('ol', { class: 'floor-list' }, ...queueOf(snap, item.id).map((r, i) => queueRow(snap, r, i + 1, live)))));
    replaceChildren(el, h('h2', {}, t('floor.title')), speakerBlock(snap, currentSpeech(snap)),
      onlyLabel,
      queues.length ? queues : h('p', { class: 'muted', testid: 'floor-queue-empty' }, t('floor.queueEmpty')),
      spoken(snap), minutesControl(snap), error.el);
    tick.tick();
  }

  return { el, update, destroy: tick.stop };
}

/** The wall display: the speaker, their site and the countdown while a speech runs; nothing otherwise. */
export function floorDisplay({ names = () => new Map() } = {}) {
  const el = h('section', { class: 'display-floor', testid: 'display-floor', hidden: true });
  const tick = ticker(el);
  let shown = '';

  function update(snap) {
    const speech = currentSpeech(snap);
    el.hidden = !speech;
    const key = speech ? `${speech.id}|${speech.due_at}|${names().size}` : '';
    if (key === shown) return;
    shown = key;
    if (!speech) { replaceChildren(el); return; }
    el.dataset.speaker = speech.speaker;
    replaceChildren(el,
      h('p', { class: 'display-floor-label' }, t('floor.speakingLabel')),
      h('p', { class: 'display-floor-name', testid: 'display-floor-name' }, speakerName(speech.speaker, snap, names())),
      h('p', { class: 'display-floor-site', testid: 'display-floor-site' }, siteName(speech.site_id, snap, names())),
      countdown(speech, 'display-floor-countdown', 'floor-countdown display-floor-countdown'));
  }

  return { el, update, destroy: tick.stop };
}
