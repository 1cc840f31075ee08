// Answers to the invitation (trả lời giấy mời): the delegate's "Trả lời giấy mời" block on the meeting page (three
// big choices — attending and where, absent and why, a stand-in picked from one's unit — and the answer shown back),
// and the organisers' list on the editor (every invitee's answer, the counts, "Nhắc người chưa trả lời").
//
// The delegate reads and sends through GET/POST /api/meetings/{id}/answer; the organisers read GET …/answers again
// on every `invitation.answered` (theirs alone: docs/protocol.md) and on a change of the invitees.
import { get, post } from './api.js';
import { h, replaceChildren } from './dom.js';
import { getLang, t } from './i18n.js';
import { may, meetingPath } from './meeting-common.js';
import { getUser } from './session.js';
import { dialog } from './ui.js';

const OPEN = new Set(['scheduled', 'in_progress']);
const KINDS = ['attending', 'absent', 'stand_in'];
const MODES = ['in_hall', 'at_site', 'remote'];

const message = (err) => (err && err.message ? err.message : t('error.network'));

/** How an answer reads to its author: "Tham dự trực tuyến", "Vắng mặt: Đi công tác", "Cử người dự thay: …". */
export function answerText(answer, { standInName = '', siteName = '' } = {}) {
  if (!answer) return t('answer.none');
  if (answer.kind === 'attending') {
    const where = answer.mode ? ` ${t(`attendance.place.${answer.mode}`)}` : '';
    return `${t('answer.kind.attending')}${where}${siteName ? ` ${siteName}` : ''}`;
  }
  if (answer.kind === 'absent') return `${t('answer.kind.absent')}: ${answer.reason}`;
  return `${t('answer.kind.stand_in')}: ${standInName || answer.stand_in_id}`;
}

function bigChoice(testid, label, pressed, onClick) {
  const b = h('button', { type: 'button', class: 'btn btn-huge answer-choice', testid, 'aria-pressed': String(pressed) }, label);
  b.addEventListener('click', onClick);
  return b;
}

/** The delegate's block; `update(snap)` after every snapshot change. */
export function answerBlock(meetingId) {
  const el = h('section', { class: 'card answer-me', testid: 'answer-me', hidden: true });
  let mine = null; // GET …/answer
  let loading = null;
  let snap = null;
  let chosen = null; // the kind being filled in
  let mode = null;
  let done = false;
  let lastTold = null; // the snapshot's word on my answer, last time it was read
  let wasOpen = false;

  const load = () => {
    if (loading) return loading;
    loading = (async () => {
      try {
        mine = await get(meetingPath(meetingId, '/answer'));
        chosen = mine.answer ? mine.answer.kind : null;
        mode = mine.answer ? mine.answer.mode : null;
        render();
      } catch { /* the next snapshot tries again */ } finally { loading = null; }
    })();
    return loading;
  };

  function render() {
    if (!mine || !snap) return;
    el.hidden = !mine.invited && !mine.stands_in_for;
    const sites = snap.sites || [];
    const colleagues = mine.colleagues || [];
    const nameOf = (id) => (colleagues.find((c) => c.id === id) || {}).full_name || '';
    const siteOf = (id) => (sites.find((s) => s.id === id) || {}).name || '';
    const current = mine.answer;
    const shown = h('p', { class: 'answer-current', testid: 'answer-current', role: 'status', dataset: { kind: current ? current.kind : '' } },
      current ? t('answer.yours', { answer: answerText(current, { standInName: nameOf(current.stand_in_id), siteName: siteOf(current.site_id) }) }) : t('answer.notYet'));
    const standsIn = mine.stands_in_for
      ? h('p', { class: 'answer-stands-in badge', testid: 'answer-stands-in-for' }, t('answer.standsInFor', { name: mine.stands_in_for_name || mine.stands_in_for }))
      : null;
    const error = h('p', { class: 'answer-error', testid: 'answer-error', role: 'alert', hidden: true });
    const kinds = KINDS.filter((k) => k !== 'stand_in' || !mine.stands_in_for); // a stand-in sends no stand-in
    const choices = h('div', { class: 'answer-choices', role: 'group', 'aria-label': t('answer.title') },
      ...kinds.map((k) => bigChoice(`answer-kind-${k}`, t(`answer.kind.${k}`), chosen === k, () => { chosen = k; done = false; render(); })));
    const details = [];
    let collect = () => null;
    if (chosen === 'attending') {
      const usable = MODES.filter((m) => m !== 'at_site' || sites.length);
      const siteSelect = h('select', { class: 'input input-large', testid: 'answer-site', 'aria-label': t('answer.site') },
        ...sites.map((s) => h('option', { value: s.id, selected: current && current.site_id === s.id }, s.name)));
      details.push(h('div', { class: 'answer-modes', role: 'group', 'aria-label': t('answer.how') },
        ...usable.map((m) => bigChoice(`answer-mode-${m}`, t(`answer.mode.${m}`), mode === m, () => { mode = m; render(); }))));
      if (mode === 'at_site') details.push(h('label', { class: 'field' }, h('span', {}, t('answer.site')), siteSelect));
      collect = () => (mode ? { kind: 'attending', mode, ...(mode === 'at_site' ? { site_id: siteSelect.value } : {}) } : null);
    } else if (chosen === 'absent') {
      const reason = h('textarea', { class: 'input', rows: 3, maxlength: 500, testid: 'answer-reason', placeholder: t('answer.reasonHint') });
      reason.value = current && current.kind === 'absent' ? current.reason : '';
      details.push(h('label', { class: 'field' }, h('span', {}, t('answer.reason')), reason));
      collect = () => ({ kind: 'absent', reason: reason.value });
    } else if (chosen === 'stand_in') {
      const pick = h('select', { class: 'input input-large', testid: 'answer-stand-in', 'aria-label': t('answer.standIn') },
        h('option', { value: '' }, t('answer.pickStandIn')),
        ...colleagues.map((c) => h('option', { value: c.id, selected: current && current.stand_in_id === c.id },
          c.title ? `${c.full_name} — ${c.title}` : c.full_name)));
      const note = h('textarea', { class: 'input', rows: 2, maxlength: 500, testid: 'answer-stand-in-reason', placeholder: t('answer.reasonOptional') });
      note.value = current && current.kind === 'stand_in' ? current.reason : '';
      details.push(h('label', { class: 'field' }, h('span', {}, t('answer.standIn')), pick),
        colleagues.length ? null : h('p', { class: 'hint', testid: 'answer-no-colleagues' }, t('answer.noColleagues')),
        h('label', { class: 'field' }, h('span', {}, t('answer.reasonOptional')), note));
      collect = () => (pick.value ? { kind: 'stand_in', stand_in_id: pick.value, reason: note.value } : null);
    }
    const send = chosen
      ? h('button', { type: 'button', class: 'btn btn-primary btn-huge', testid: 'answer-send' }, t('answer.send'))
      : null;
    if (send) {
      send.addEventListener('click', async () => {
        const body = collect();
        if (!body) { error.textContent = t(chosen === 'stand_in' ? 'answer.pickStandIn' : 'answer.pickHow'); error.hidden = false; return; }
        send.disabled = true;
        try {
          const resp = await post(meetingPath(meetingId, '/answer'), body);
          mine = { ...mine, answer: resp.answer, stands_in_for: resp.stands_in_for };
          done = true;
          render();
        } catch (err) {
          error.textContent = message(err);
          error.hidden = false;
          send.disabled = false;
        }
      });
    }
    replaceChildren(el, h('h2', {}, t('answer.title')), standsIn, shown,
      done ? h('p', { class: 'answer-done', testid: 'answer-done', role: 'status' }, t('answer.sent')) : null,
      choices, ...details, send, error);
  }

  return {
    el,
    update(next) {
      snap = next;
      const open = may(snap, 'invitation.answer') && OPEN.has(snap.status);
      if (!open) { el.hidden = true; wasOpen = false; return; }
      const me = getUser();
      const told = JSON.stringify(me && snap.answers ? snap.answers[me.id] || null : null);
      // First showing, or a snapshot telling an answer someone recorded for me since. Nothing is redrawn on other
      // events: a reason being typed stays as it is.
      if (!mine || told !== lastTold) { lastTold = told; load(); } else if (!wasOpen) render();
      wasOpen = true;
    },
  };
}

/** The organisers' list on the editor; `update(snap, info)` after every snapshot change. */
export function answersPanel(meetingId) {
  const el = h('section', { class: 'card answers-panel', testid: 'answers-panel', hidden: true });
  let table = null;
  let loading = null;
  let note = '';

  const load = () => {
    if (loading) return loading;
    loading = (async () => {
      try { table = await get(meetingPath(meetingId, '/answers')); render(); } catch { /* next event retries */ } finally { loading = null; }
    })();
    return loading;
  };

  function render() {
    if (!table) return;
    el.hidden = false;
    const c = table.counts || {};
    const counts = h('p', { class: 'answers-counts', testid: 'answers-counts', role: 'status' },
      t('answer.counts', { attending: c.attending || 0, absent: c.absent || 0, stand_in: c.stand_in || 0, none: c.none || 0 }));
    const en = getLang() === 'en';
    const error = h('p', { class: 'answer-error', testid: 'answers-error', role: 'alert', hidden: true });
    const fail = (err) => { error.textContent = message(err); error.hidden = false; };
    const recordFor = async (p) => { // after a phone call: the desk records the answer on the invitee's behalf
      const choice = h('select', { class: 'input input-large', testid: 'answer-for-kind' },
        h('option', { value: 'attending:in_hall' }, `${t('answer.kind.attending')} ${t('attendance.place.in_hall')}`),
        h('option', { value: 'attending:remote' }, `${t('answer.kind.attending')} ${t('attendance.place.remote')}`),
        h('option', { value: 'absent:' }, t('answer.kind.absent')));
      const given = await dialog({
        title: t('answer.recordFor', { name: p.full_name }), testid: 'answer-for-dialog', confirmLabel: t('answer.send'),
        extra: h('label', { class: 'field' }, h('span', {}, t('answer.title')), choice),
        fields: [{ name: 'reason', label: t('answer.reasonIfAbsent') }],
      });
      if (given === null) return;
      const [kind, mode] = choice.value.split(':');
      const body = kind === 'absent' ? { kind, reason: given.reason } : { kind, mode };
      try { await post(meetingPath(meetingId, '/answers'), { person_id: p.person_id, ...body }); await load(); } catch (err) { fail(err); }
    };
    const rows = (table.people || []).map((p) => h('li', {
      class: ['answers-row', p.kind ? `answer-${p.kind}` : 'answer-none'], testid: 'answers-row', dataset: { personId: p.person_id, kind: p.kind || 'none' },
    },
    h('span', { class: 'answers-name' }, p.full_name),
    p.unit_name ? h('span', { class: 'muted' }, p.unit_name) : null,
    h('span', { class: 'answers-line', testid: 'answers-line' }, en ? p.line_en : p.line),
    p.stands_in_for ? h('span', { class: 'badge', testid: 'answers-stands-in-for' }, t('answer.standsInForShort', { name: p.stands_in_for_name })) : null,
    h('button', { type: 'button', class: 'btn btn-small', testid: 'answers-record-for', onclick: () => recordFor(p) }, t('answer.recordForShort'))));
    const remind = h('button', { type: 'button', class: 'btn btn-large', testid: 'answers-remind', disabled: !c.none }, t('answer.remind'));
    remind.addEventListener('click', async () => {
      remind.disabled = true;
      try {
        const resp = await post(meetingPath(meetingId, '/remind'), {});
        note = t('answer.reminded', { n: (resp.person_ids || []).length });
        render();
      } catch (err) {
        fail(err);
        remind.disabled = false;
      }
    });
    replaceChildren(el, h('h2', { class: 'section-title' }, t('answer.listTitle')), counts,
      h('ul', { class: 'answers-list' }, ...rows),
      h('div', { class: 'button-row' }, remind),
      note ? h('p', { class: 'notice', testid: 'answers-reminded', role: 'status' }, note) : null, error);
  }

  return {
    el,
    update(snap, info) {
      if (!may(snap, 'invitation.answers') || snap.status === 'draft') { el.hidden = true; return; }
      const events = (info && info.events) || [];
      const news = events.some((e) => e.type === 'invitation.answered' || e.type === 'meeting.updated');
      if (!table || news || (info && info.source !== 'event')) load();
    },
  };
}
