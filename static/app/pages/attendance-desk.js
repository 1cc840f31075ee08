// The attendance page (/meetings/<id>/attendance), live from the meeting's events.
//
// The secretary's desk (attendance.check_in_others): every member and guest with their line (có mặt tại hội trường /
// tại điểm cầu X / trực tuyến, vắng có lý do, vắng không lý do, đến muộn, về sớm), the time, who recorded it, filters,
// one press to record each, a correction with its reason (the history kept and shown), the quorum line, the list as
// PDF/CSV, and each hall's check-in QR code (the TV view, the door sheet, a new code).
// A commune hall's operator (attendance.check_in_site): the people of their hall, one big press each to record them
// present (many commune delegates have no tablet), and the hall's live count.
import { get, post, withLang } from '../api.js';
import { entryLine, isPresent, quorumLine } from '../attendance.js';
import { h, replaceChildren } from '../dom.js';
import { foldVietnamese, formatStamp, formatTime } from '../format.js';
import { t } from '../i18n.js';
import { MeetingChannel } from '../live.js';
import { may, meetingPath } from '../meeting-common.js';
import { getUser } from '../session.js';
import { busy, confirmDialog, dialog, loading, selectBox, showError, showNotice } from '../ui.js';

const STATUSES = ['checked_in', 'late', 'left_early', 'absent_excused', 'absent_unexcused'];
const PLACES = ['in_hall', 'at_site', 'remote'];
const NONE = 'none'; // the filter's "not checked in"

/** The people the meeting's membership knows (members and guests); anyone else is recorded with their name. */
function knownIds(list) {
  const m = list.membership || {};
  return new Set([...(m.voting || []), ...(m.guests || []), ...(list.entries || []).map((e) => e.person_id)]);
}

/** Everyone the page lists: the participants, and anyone counted in a hall by name only. */
function peopleOf(participants, list) {
  const voting = new Set((list.membership && list.membership.voting) || []);
  const known = knownIds(list);
  const byId = new Map();
  for (const p of participants.people || []) {
    if (p.role === 'site_operator' || p.role === 'observer' || p.role === 'admin') continue;
    byId.set(p.id, { id: p.id, name: p.full_name, unit: p.unit_name || '', unitId: p.unit_id, voting: voting.has(p.id), known: known.has(p.id) });
  }
  for (const id of voting) if (!byId.has(id)) byId.set(id, { id, name: id, unit: '', unitId: null, voting: true, known: true });
  for (const e of list.entries || []) {
    if (!byId.has(e.person_id)) byId.set(e.person_id, { id: e.person_id, name: e.name || e.person_id, unit: '', unitId: null, voting: false, known: true });
  }
  return [...byId.values()].sort((a, b) => (b.voting - a.voting) || a.name.localeCompare(b.name, 'vi'));
}

export async function render({ root, params, setTitle, isCurrent }) {
  const id = params.id;
  const view = h('div', { class: 'attendance-page', testid: 'attendance-page' }, loading());
  root.append(view);
  let snap = null;
  let list = { entries: [], membership: {} };
  let participants = { people: [], sites: [] };
  let built = false;
  const quorum = quorumLine('attendance-quorum', 'attendance-quorum');
  const head = h('div', { class: 'attendance-head' });
  const qrBox = h('section', { class: 'card attendance-qr', testid: 'attendance-qr' });
  const siteBox = h('section', { class: 'attendance-sites' });
  const deskBox = h('section', { class: 'card table-card attendance-desk', testid: 'attendance-desk' });
  const filter = { status: '', text: '' };
  const deskPlace = { place: 'in_hall', site: '' };
  let qrVersion = Date.now();

  const siteName = (sid) => ((snap && snap.sites) || []).find((s) => s.id === sid)?.name || '';
  const names = () => new Map([...Object.entries(list.recorders || {}), ...(participants.people || []).map((p) => [p.id, p.full_name])]);
  const entriesOf = (pid) => (list.entries || []).filter((e) => e.person_id === pid);
  const latestOf = (pid) => { const all = entriesOf(pid); return all.length ? all[all.length - 1] : null; };
  const desk = () => may(snap, 'attendance.check_in_others');
  const operatedSites = () => ((snap && snap.sites) || []).filter((s) => participants.mine && s.unit_id && s.unit_id === participants.mine);

  let reloading = null;
  let again = false;
  async function reload() {
    if (reloading) { again = true; return reloading; }
    reloading = (async () => {
      try {
        do {
          again = false;
          list = await get(meetingPath(id, '/attendance'));
        } while (again);
        renderLists();
      } catch (err) { if (isCurrent()) showError(err); } finally { reloading = null; }
    })();
    return reloading;
  }

  async function record(button, path, body) {
    await busy(button, async () => {
      await post(meetingPath(id, path), { ...body });
      await reload();
    });
  }

  function recordedBy(entry) {
    const who = names().get(entry.recorded_by) || entry.recorded_by;
    return t('desk.recordedBy', { name: who, how: t(`desk.how.${entry.recorded_as}`) });
  }

  function note(entry) {
    if (entry.correction) return t('desk.correction', { reason: entry.reason });
    return entry.reason ? t('desk.because', { reason: entry.reason }) : '';
  }

  async function correct(button, person) {
    const before = latestOf(person.id);
    const status = selectBox({ options: STATUSES.map((s) => ({ value: s, label: t(`attendance.status.${s}`) })), value: before ? before.status : 'checked_in', testid: 'correct-status' });
    const place = selectBox({ options: PLACES.map((p) => ({ value: p, label: t(`attendance.place.${p}`) })), value: (before && before.place) || 'in_hall', testid: 'correct-place' });
    const site = selectBox({ options: ((snap && snap.sites) || []).map((s) => ({ value: s.id, label: s.name })), value: (before && before.site_id) || '', testid: 'correct-site' });
    const extra = h('div', { class: 'correct-fields' },
      h('label', { class: 'field' }, t('desk.correctStatus'), status),
      h('label', { class: 'field' }, t('desk.correctPlace'), place),
      h('label', { class: 'field' }, t('desk.correctSite'), site));
    const answer = await dialog({
      title: t('desk.correctTitle', { name: person.name }), extra, testid: 'correct-dialog', confirmLabel: t('desk.correct'),
      fields: [{ name: 'reason', label: t('desk.correctReason'), required: true }],
    });
    if (!answer) return;
    const present = status.value !== 'absent_excused' && status.value !== 'absent_unexcused';
    const body = { person_id: person.id, status: status.value, reason: answer.reason, correction: true };
    if (present) Object.assign(body, { place: place.value }, place.value === 'at_site' ? { site_id: site.value } : {});
    await record(button, '/attendance', body);
  }

  // What the person answered to the invitation (the organisers' snapshot carries every answer): an absence
  // announced beforehand, or a stand-in sent, shows on their row and gives the absence its reason.
  const answerOf = (pid) => (snap && snap.answers && snap.answers[pid]) || null;
  const nameOf = (pid) => ((participants.people || []).find((p) => p.id === pid) || {}).full_name || '';
  function announced(person, latest) {
    const a = answerOf(person.id);
    if (!a || latest) return null;
    if (a.kind === 'absent') return h('div', { class: 'muted', testid: 'attendance-announced' }, t('desk.announcedAbsent', { reason: a.reason }));
    if (a.kind === 'stand_in') return h('div', { class: 'muted', testid: 'attendance-announced' }, t('desk.announcedStandIn', { name: nameOf(a.stand_in_id) || a.stand_in_id }));
    return null;
  }

  async function excused(button, person) {
    const told = answerOf(person.id);
    const reason = told && told.kind === 'absent' ? told.reason : told && told.kind === 'stand_in' ? t('desk.standInReason', { name: nameOf(told.stand_in_id) }) : '';
    const answer = await dialog({
      title: t('desk.reasonTitle', { name: person.name }), testid: 'reason-dialog', confirmLabel: t('desk.absentExcused'),
      fields: [{ name: 'reason', label: t('desk.reason'), required: true, value: reason }],
    });
    const named = person.known ? {} : { name: person.name };
    if (answer) await record(button, '/attendance', { person_id: person.id, status: 'absent_excused', reason: answer.reason, ...named });
  }

  function deskButtons(person, latest) {
    const btn = (label, testid, onPress, cls = 'btn btn-small') => {
      const b = h('button', { type: 'button', class: cls, testid }, label);
      b.addEventListener('click', () => onPress(b));
      return b;
    };
    const where = { place: deskPlace.place, ...(deskPlace.place === 'at_site' ? { site_id: deskPlace.site } : {}) };
    const named = person.known ? {} : { name: person.name }; // invited with their unit, not on the list: a guest
    return [
      isPresent(latest) ? null : btn(t('desk.present'), 'desk-present', (b) => record(b, '/attendance', { person_id: person.id, status: 'checked_in', ...where, ...named }), 'btn btn-small btn-primary'),
      isPresent(latest) ? btn(t('desk.leftEarly'), 'desk-left-early', (b) => record(b, '/attendance', { person_id: person.id, status: 'left_early' })) : null,
      latest && !['absent_excused', 'absent_unexcused'].includes(latest.status) ? null
        : btn(t('desk.absentExcused'), 'desk-absent-excused', (b) => excused(b, person)),
      latest ? null : btn(t('desk.absentUnexcused'), 'desk-absent-unexcused', (b) => record(b, '/attendance', { person_id: person.id, status: 'absent_unexcused', ...named })),
      latest ? btn(t('desk.correct'), 'desk-correct', (b) => correct(b, person)) : null,
    ];
  }

  function personRow(person) {
    const history = entriesOf(person.id);
    const latest = history.length ? history[history.length - 1] : null;
    const earlier = history.slice(0, -1).reverse();
    return h('tr', { testid: 'attendance-row', dataset: { personId: person.id, status: latest ? latest.status : NONE } },
      h('th', { scope: 'row' }, h('div', { testid: 'attendance-name' }, person.name), person.unit ? h('div', { class: 'muted' }, person.unit) : null),
      h('td', {}, person.voting ? t('desk.member') : t('desk.guest')),
      h('td', {}, h('span', { class: 'attendance-line', testid: 'attendance-line' }, entryLine(latest, siteName)),
        latest && note(latest) ? h('div', { class: 'muted', testid: 'attendance-note' }, note(latest)) : null,
        announced(person, latest),
        earlier.length ? h('details', { class: 'attendance-history', testid: 'attendance-history' },
          h('summary', {}, t('desk.history', { n: earlier.length })),
          h('ul', {}, earlier.map((e) => h('li', {}, `${formatStamp(e.recorded_at)} · ${entryLine(e, siteName)} · ${recordedBy(e)}${note(e) ? ` · ${note(e)}` : ''}`)))) : null),
      h('td', { testid: 'attendance-time' }, latest ? formatTime(latest.at) : ''),
      h('td', { testid: 'attendance-by' }, latest ? recordedBy(latest) : ''),
      desk() ? h('td', { class: 'attendance-actions' }, h('div', { class: 'button-row' }, deskButtons(person, latest))) : null);
  }

  function renderDesk() {
    if (!desk()) { deskBox.hidden = true; return; }
    deskBox.hidden = false;
    const people = peopleOf(participants, list);
    const stateOf = (p) => { const e = latestOf(p.id); return e ? e.status : NONE; };
    const counts = new Map();
    for (const p of people) counts.set(stateOf(p), (counts.get(stateOf(p)) || 0) + 1);
    const options = [
      ...STATUSES.map((s) => ({ value: s, label: `${t(`attendance.status.${s}`)} (${counts.get(s) || 0})` })),
      { value: NONE, label: `${t('desk.filterNone')} (${counts.get(NONE) || 0})` },
    ];
    const statusSel = selectBox({ options, value: filter.status, testid: 'attendance-filter', noneLabel: `${t('desk.filterAll')} (${people.length})` });
    statusSel.setAttribute('aria-label', t('desk.filter'));
    statusSel.addEventListener('change', () => { filter.status = statusSel.value; renderDesk(); });
    const search = h('input', { type: 'search', class: 'input', value: filter.text, placeholder: t('desk.search'), 'aria-label': t('desk.search'), testid: 'attendance-search' });
    search.addEventListener('input', () => { filter.text = search.value; renderBody(); });
    const placeSel = selectBox({ options: PLACES.map((p) => ({ value: p, label: t(`attendance.place.${p}`) })), value: deskPlace.place, testid: 'desk-place' });
    placeSel.setAttribute('aria-label', t('desk.correctPlace'));
    const siteSel = selectBox({ options: ((snap && snap.sites) || []).map((s) => ({ value: s.id, label: s.name })), value: deskPlace.site, testid: 'desk-site' });
    siteSel.setAttribute('aria-label', t('desk.correctSite'));
    siteSel.hidden = deskPlace.place !== 'at_site';
    placeSel.addEventListener('change', () => { deskPlace.place = placeSel.value; deskPlace.site = deskPlace.site || siteSel.value; renderDesk(); });
    siteSel.addEventListener('change', () => { deskPlace.site = siteSel.value; renderBody(); });
    const body = h('tbody', {});
    function renderBody() {
      const wanted = foldVietnamese(filter.text || '');
      const shown = people.filter((p) => (!filter.status || stateOf(p) === filter.status)
        && (!wanted || foldVietnamese(`${p.name} ${p.unit}`).includes(wanted)));
      replaceChildren(body, shown.length ? shown.map(personRow)
        : h('tr', {}, h('td', { colspan: 6, class: 'muted', testid: 'attendance-empty' }, t('desk.empty'))));
    }
    renderBody();
    replaceChildren(deskBox,
      h('div', { class: 'table-tools' }, statusSel, search, h('span', { class: 'muted' }, t('desk.presentRecords')), placeSel, siteSel),
      h('div', { class: 'table-scroll' }, h('table', { class: 'table attendance-table', testid: 'attendance-table' },
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col' }, t('desk.colName')), h('th', { scope: 'col' }, t('desk.colKind')),
          h('th', { scope: 'col' }, t('desk.colState')), h('th', { scope: 'col' }, t('desk.colTime')),
          h('th', { scope: 'col' }, t('desk.colBy')), desk() ? h('th', { scope: 'col' }, t('desk.colActions')) : null)),
        body)));
  }

  function renderSites() {
    const mine = may(snap, 'attendance.check_in_site') && !desk() ? operatedSites() : [];
    siteBox.hidden = !mine.length;
    const known = knownIds(list);
    replaceChildren(siteBox, mine.map((site) => {
      const people = (participants.people || []).filter((p) => p.unit_id === site.unit_id && p.role !== 'site_operator')
        .sort((a, b) => a.full_name.localeCompare(b.full_name, 'vi'));
      const here = people.filter((p) => { const e = latestOf(p.id); return isPresent(e) && e.site_id === site.id; });
      const rows = people.map((p) => {
        const latest = latestOf(p.id);
        const present = isPresent(latest);
        const btn = h('button', { type: 'button', class: ['btn', 'btn-huge', present ? '' : 'btn-primary'], testid: present ? 'site-leave' : 'site-mark' },
          present ? t('site.leave') : t('site.mark'));
        const named = known.has(p.id) ? {} : { name: p.full_name };
        btn.addEventListener('click', () => record(btn, '/attendance/site', { site_id: site.id, person_id: p.id, status: present ? 'left_early' : 'checked_in', ...named }));
        return h('li', { class: 'site-person', testid: 'site-person', dataset: { personId: p.id, status: latest ? latest.status : NONE } },
          h('div', { class: 'site-person-who' }, h('div', { class: 'site-person-name' }, p.full_name),
            h('div', { class: 'muted', testid: 'site-person-line' }, latest ? `${entryLine(latest, siteName)} · ${formatTime(latest.at)}` : t('attendance.notCheckedIn'))),
          btn);
      });
      return h('div', { class: 'card site-attendance', testid: 'site-attendance', dataset: { siteId: site.id } },
        h('h2', {}, t('site.title', { site: site.name })),
        h('p', { class: 'site-count', testid: 'site-count', role: 'status' }, t('site.count', { present: here.length, total: people.length })),
        rows.length ? h('ul', { class: 'site-people' }, rows) : h('p', { class: 'muted' }, t('site.empty')));
    }));
  }

  function renderQr() {
    const halls = desk() ? [{ id: '', name: t('desk.mainHall') }, ...((snap && snap.sites) || [])] : operatedSites();
    qrBox.hidden = !halls.length;
    if (!halls.length) return;
    const previous = qrBox.querySelector('select');
    const chosen = previous && halls.some((x) => x.id === previous.value) ? previous.value : halls[0].id;
    const sel = selectBox({ options: halls.map((x) => ({ value: x.id, label: x.name })), value: chosen, testid: 'qr-hall' });
    sel.setAttribute('aria-label', t('desk.qrHall'));
    const query = () => (sel.value ? `?site_id=${encodeURIComponent(sel.value)}` : '');
    const img = h('img', { class: 'attendance-qr-preview', testid: 'qr-preview', alt: t('desk.qrTitle'), width: 160, height: 160 });
    const tv = h('a', { class: 'btn', testid: 'qr-tv', target: '_blank', rel: 'noopener' }, t('desk.qrTv'));
    const sheet = h('a', { class: 'btn', testid: 'qr-sheet', download: true }, t('desk.qrSheet'));
    const point = () => {
      img.src = `${meetingPath(id, '/checkin/qr.svg')}${query()}${query() ? '&' : '?'}v=${qrVersion}`;
      tv.href = `/meetings/${encodeURIComponent(id)}/checkin-tv${query()}`;
      sheet.href = withLang(`${meetingPath(id, '/checkin/sheet.pdf')}${query()}`);
    };
    sel.addEventListener('change', point);
    point();
    let renew = null;
    if (desk()) {
      renew = h('button', { type: 'button', class: 'btn btn-danger-outline', testid: 'qr-renew' }, t('desk.renew'));
      renew.addEventListener('click', () => busy(renew, async () => {
        if (!(await confirmDialog(t('desk.renewConfirm'), { confirmLabel: t('desk.renew'), danger: true }))) return;
        const done = await post(meetingPath(id, '/checkin/key'), {});
        qrVersion = Date.now();
        point();
        showNotice(t('desk.renewed', { time: formatTime(done.renewed_at) }));
      }));
    }
    replaceChildren(qrBox, h('h2', {}, t('desk.qrTitle')),
      h('div', { class: 'attendance-qr-row' }, img, h('div', { class: 'button-row' }, sel, tv, sheet, renew)));
  }

  function renderLists() {
    if (!isCurrent() || !snap) return;
    renderDesk();
    renderSites();
  }

  function renderAll() {
    if (!isCurrent() || !snap) return;
    setTitle(`${t('desk.title')} · ${snap.title}`);
    if (!desk() && !may(snap, 'attendance.check_in_site')) {
      replaceChildren(view, h('h1', { class: 'page-title' }, t('desk.title')), h('p', { testid: 'attendance-forbidden' }, t('desk.forbidden')));
      return;
    }
    replaceChildren(head,
      h('a', { href: `/meetings/${encodeURIComponent(id)}`, class: 'back-link', testid: 'attendance-back' }, t('desk.back')),
      h('h1', { class: 'page-title', testid: 'attendance-title' }, `${t('desk.title')} · ${snap.title}`),
      quorum.el,
      desk() ? h('div', { class: 'doc-links button-row' },
        h('a', { href: withLang(meetingPath(id, '/attendance.pdf')), class: 'btn', download: true, testid: 'attendance-pdf' }, t('desk.pdf')),
        h('a', { href: withLang(meetingPath(id, '/attendance.csv')), class: 'btn', download: true, testid: 'attendance-csv' }, t('desk.csv'))) : null);
    quorum.update(snap);
    if (!built) { replaceChildren(view, head, siteBox, qrBox, deskBox); built = true; }
    renderQr();
    renderLists();
  }

  const channel = new MeetingChannel(id, {
    onUpdate: (s, info) => {
      const first = !snap;
      snap = s;
      const events = (info && info.events) || [];
      if (first) renderAll();
      else quorum.update(snap);
      if (events.some((e) => e.type === 'meeting.updated')) { // the invitees or the sites may have changed
        get(meetingPath(id, '/participants')).then((p) => { participants = { ...p, mine: participants.mine }; reload(); })
          .catch(() => { /* the next change tries again */ });
      }
      if (events.some((e) => String(e.type).startsWith('attendance.') && e.type !== 'attendance.checkin_key_renewed')) reload();
      else if (events.some((e) => e.type === 'invitation.answered')) renderDesk(); // an absence announced meanwhile
      if (events.some((e) => e.type === 'attendance.checkin_key_renewed')) { qrVersion = Date.now(); renderQr(); }
      if (!first && !events.length) renderAll();
    },
    onError: (err) => { if (isCurrent()) showError(err); },
  });
  try {
    [participants, list] = await Promise.all([get(meetingPath(id, '/participants')), get(meetingPath(id, '/attendance'))]);
  } catch (err) {
    replaceChildren(view, h('a', { href: '/meetings', class: 'back-link' }, t('meeting.back')));
    throw err;
  }
  participants.mine = (getUser() && getUser().unit_id) || null;
  await channel.open();
  return () => channel.close();
}
