// The meeting page: what everyone sees on a tablet or PC, updated live from the meeting's event log.
import { post, withLang } from '../api.js';
import { answerBlock } from '../answers.js';
import { attendancePanel } from '../attendance.js';
import { conferencePanel } from '../conference-panel.js';
import { h, replaceChildren } from '../dom.js';
import { floorTablet } from '../floor.js';
import { hallPanel } from '../hall.js';
import { formatRange } from '../format.js';
import { t, tMaybe } from '../i18n.js';
import { MeetingChannel } from '../live.js';
import { voteBlock, voteConsole } from '../votes.js';
import { proxyBlock } from '../proxy.js';
import { loadSites } from '../session.js';
import { busy, statusBadge, loading, showError, emptyState } from '../ui.js';
import {
  isOrganiser, lifecycleButtons, loadParticipantNames, meetingPath, afterWrite, CLOSED_STATUSES,
} from '../meeting-common.js';
import { papersSection } from './papers.js';
import { mayOpenRecord, recordPagePath } from './record.js';
import { awaitingPanel } from '../record-signer.js';
import { dossierBox } from '../dossier.js';

function fact(label, value, testid) {
  if (!value) return null;
  return h('div', { class: 'fact' }, h('dt', {}, label), h('dd', { testid }, value));
}

export async function render({ root, params, setTitle, isCurrent }) {
  const id = params.id;
  const view = h('div', { class: 'meeting-page', testid: 'meeting-page', dataset: { meetingId: id } }, loading());
  root.append(view);

  let names = new Map();
  let siteNames = new Map();
  let presence = [];
  let snap = null;
  let shownCurrent; // undefined until the first render

  const headerBox = h('div', { class: 'meeting-head' });
  const controlsBox = h('div', { class: 'meeting-controls' });
  const agendaBox = h('section', { class: 'card agenda-card', 'aria-labelledby': 'agenda-h' });
  const presenceBox = h('section', { class: 'card presence-card', testid: 'presence', 'aria-labelledby': 'presence-h' });
  const sitesBox = h('section', { class: 'card sites-card', testid: 'meeting-sites' });
  const media = conferencePanel(id); // "Hình và tiếng": shown while the meeting is in progress
  const papers = papersSection(id); // "Tài liệu họp": the papers by agenda item, the organisers' upload form
  const attendance = attendancePanel(id); // "Điểm danh": the delegate's check-in and the quorum line
  const vote = voteBlock({ meetingId: id }); // "Biểu quyết": the open vote's big buttons, the result after the close
  // "Đăng ký phát biểu": ask, withdraw, the place in the queue, the countdown while speaking
  const floor = floorTablet({ meetingId: id, onWrite: (resp) => afterWrite(channel, resp) });
  const answer = answerBlock(id); // "Trả lời giấy mời": attending where, absent why, or a stand-in of one's unit
  const proxy = proxyBlock(id); // "Ủy quyền cho …": a member authorises another present member
  // A commune hall's operator: the hall's state, its floor request, its show of hands (static/app/hall.js)
  const hall = hallPanel({ meetingId: id, onWrite: (resp) => afterWrite(channel, resp) });
  const voteManager = voteConsole({ meetingId: id, managersOnly: true }); // the secretary's: prepare, edit, open, close (vote.manage only)
  // "Văn bản chờ bạn ký": this meeting's documents whose signature slot waiting is this person's (record-signer.js)
  const awaiting = awaitingPanel(id);

  const nameOf = (userId, fallback) => fallback || (userId ? names.get(userId) || '' : '');

  function renderHead() {
    const main = (snap.sites || []).find((s) => s.id === snap.main_site_id);
    const mainName = main ? main.name : siteNames.get(snap.main_site_id);
    setTitle(snap.title);
    replaceChildren(headerBox,
      h('a', { href: '/meetings', class: 'back-link', testid: 'back-to-list' }, t('meeting.back')),
      h('div', { class: 'meeting-title-row' },
        h('h1', { class: 'page-title meeting-title', testid: 'meeting-title' }, snap.title),
        statusBadge(snap.status, 'meeting-status')),
      h('dl', { class: 'facts' },
        fact(t('meeting.time'), formatRange(snap.starts_at, snap.ends_at), 'meeting-time'),
        fact(t('meeting.location'), snap.location, 'meeting-location'),
        fact(t('meeting.mainSite'), mainName, 'meeting-main-site'),
        fact(t('meeting.chair'), nameOf(snap.chair_id), 'meeting-chair'),
        fact(t('meeting.secretary'), nameOf(snap.secretary_id), 'meeting-secretary')),
      snap.status === 'cancelled' && snap.cancel_reason
        ? h('p', { class: 'cancel-reason', testid: 'meeting-cancel-reason' }, t('meeting.cancelReason', { reason: snap.cancel_reason })) : null,
      snap.description ? h('p', { class: 'meeting-description', testid: 'meeting-description' }, snap.description) : null,
      h('div', { class: 'doc-links', role: 'group', 'aria-label': t('meeting.documents') },
        h('a', { href: withLang(meetingPath(id, '/invitation.pdf')), class: 'btn', download: true, testid: 'invitation-pdf' }, t('meeting.invitationPdf')),
        h('a', { href: withLang(meetingPath(id, '/invitation.ics')), class: 'btn', download: true, testid: 'invitation-ics' }, t('meeting.ics'))));
  }

  function renderControls() {
    if (!isOrganiser(snap)) { replaceChildren(controlsBox); controlsBox.hidden = true; return; }
    const edit = CLOSED_STATUSES.includes(snap.status)
      ? null
      : h('a', { href: `/meetings/${encodeURIComponent(id)}/edit`, class: 'btn', testid: 'meeting-edit' }, t('meeting.edit'));
    const consoleLink = snap.status === 'in_progress'
      ? h('a', { href: `/meetings/${encodeURIComponent(id)}/console`, class: 'btn btn-primary', testid: 'open-console' }, t('console.open'))
      : null;
    // the record (biên bản, thông báo kết luận): the secretary writes it, the chair reviews it
    const recordLink = mayOpenRecord(snap)
      ? h('a', { href: recordPagePath(id), class: 'btn', testid: 'open-record' }, t('record.open'))
      : null;
    // an archived meeting's dossier (hồ sơ cuộc họp): being built, then its download (docs/archive.md)
    const dossier = snap.status === 'archived' ? dossierBox(id, () => controlsBox.isConnected) : null;
    const buttons = [consoleLink, ...lifecycleButtons(snap, channel), edit, recordLink, dossier].filter(Boolean);
    // An archived or cancelled meeting offers nothing to change (only the way to its record): no empty bar either.
    controlsBox.hidden = !buttons.length;
    replaceChildren(controlsBox,
      h('h2', { class: 'visually-hidden' }, t('meeting.controls')),
      h('div', { class: 'button-row', testid: 'lifecycle-actions' }, buttons));
  }

  function renderAgenda() {
    const items = Array.isArray(snap.agenda) ? snap.agenda : [];
    const canSetCurrent = isOrganiser(snap) && snap.status === 'in_progress';
    const list = h('ol', { class: 'agenda-list', testid: 'agenda-list' });
    items.forEach((item, i) => {
      const current = item.id === snap.current_item_id || item.status === 'current';
      const presenter = nameOf(item.presenter_id, item.presenter_name);
      let action = null;
      if (canSetCurrent) {
        const btn = h('button', { type: 'button', class: ['btn', 'btn-small', current ? '' : 'btn-primary-outline'], testid: current ? 'agenda-clear-current' : 'agenda-set-current' },
          current ? t('meeting.clearCurrent') : t('meeting.setCurrent'));
        btn.addEventListener('click', () => busy(btn, async () => {
          const resp = await post(meetingPath(id, '/agenda/current'), { item_id: current ? null : item.id });
          await afterWrite(channel, resp);
        }));
        action = h('div', { class: 'agenda-actions' }, btn);
      }
      list.append(h('li', {
        class: ['agenda-item', current ? 'is-current' : '', item.status === 'done' ? 'is-done' : ''],
        testid: 'agenda-item', dataset: { itemId: item.id, status: current ? 'current' : item.status || 'pending' },
        'aria-current': current ? 'step' : null,
      },
      h('span', { class: 'agenda-no', 'aria-hidden': 'true' }, String(i + 1)),
      h('div', { class: 'agenda-body' },
        h('div', { class: 'agenda-title', testid: 'agenda-item-title' }, item.title),
        h('div', { class: 'agenda-meta' },
          presenter ? h('span', { testid: 'agenda-item-presenter' }, t('meeting.presenter', { name: presenter })) : null,
          item.planned_minutes ? h('span', { testid: 'agenda-item-minutes' }, t('common.minutes', { n: item.planned_minutes })) : null,
          current ? h('span', { class: 'badge badge-current', testid: 'agenda-item-current' }, t('meeting.current')) : null,
          !current && item.status === 'done' ? h('span', { class: 'badge badge-done' }, t('meeting.done')) : null),
        item.description ? h('p', { class: 'agenda-desc' }, item.description) : null),
      action));
    });
    replaceChildren(agendaBox,
      h('h2', { id: 'agenda-h', class: 'section-title' }, t('meeting.agenda')),
      items.length ? list : emptyState(t('meeting.agendaEmpty'), 'agenda-empty'));
    // When the chair moves to another item, bring it into view on every screen.
    const currentId = snap.current_item_id || null;
    if (shownCurrent !== undefined && currentId && currentId !== shownCurrent) {
      const el = list.querySelector('.agenda-item.is-current');
      const reduce = window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches;
      if (el) el.scrollIntoView({ block: 'nearest', behavior: reduce ? 'auto' : 'smooth' });
    }
    shownCurrent = currentId;
  }

  function renderPresence() {
    const sites = presence.filter((p) => p.kind === 'site');
    const people = presence.filter((p) => p.kind !== 'site');
    const entry = (p) => h('li', { class: ['presence-entry', `presence-${p.kind}`], testid: 'presence-entry', dataset: { kind: p.kind, id: p.id, role: p.role } },
      h('span', { class: 'presence-dot', 'aria-hidden': 'true' }),
      h('span', { class: 'presence-name', testid: 'presence-name' }, p.name),
      p.role ? h('span', { class: 'presence-role muted' }, tMaybe('role', p.role)) : null,
      p.devices > 1 ? h('span', { class: 'presence-devices muted' }, t('meeting.devices', { n: p.devices })) : null);
    const group = (label, list, testid) => (list.length
      ? h('div', { class: 'presence-group', testid },
        h('h3', { class: 'presence-group-title' }, `${label} (${list.length})`),
        h('ul', { class: 'presence-list' }, list.map(entry)))
      : null);
    replaceChildren(presenceBox,
      h('h2', { id: 'presence-h', class: 'section-title', testid: 'presence-title' }, t('meeting.online', { n: presence.length })),
      presence.length ? [group(t('meeting.onlineSites'), sites, 'presence-sites'), group(t('meeting.onlinePeople'), people, 'presence-people')]
        : emptyState(t('meeting.onlineEmpty'), 'presence-empty'));
    renderSites();
  }

  function renderSites() {
    const sites = (snap && snap.sites) || [];
    if (!sites.length) { sitesBox.hidden = true; return; }
    sitesBox.hidden = false;
    const online = new Set(presence.filter((p) => p.kind === 'site').map((p) => p.id));
    const sorted = [...sites].sort((a, b) => (b.id === snap.main_site_id) - (a.id === snap.main_site_id)
      || (online.has(b.id) - online.has(a.id)) || String(a.name).localeCompare(String(b.name), 'vi'));
    replaceChildren(sitesBox,
      h('details', { class: 'sites-details', open: sites.length <= 12 },
        h('summary', { class: 'section-title' }, t('meeting.sites', { n: sites.length })),
        h('ul', { class: 'site-list' }, sorted.map((s) => h('li', {
          class: ['site-entry', online.has(s.id) ? 'is-online' : ''], testid: 'meeting-site', dataset: { siteId: s.id },
        },
        h('span', { class: 'presence-dot', 'aria-hidden': 'true' }),
        h('span', {}, s.name),
        s.id === snap.main_site_id ? h('span', { class: 'badge badge-main' }, t('meeting.mainSite')) : null)))));
  }

  function renderAll(info) {
    if (!isCurrent() || !snap) return;
    if (!view.contains(headerBox)) {
      replaceChildren(view,
        headerBox, controlsBox,
        h('div', { class: 'meeting-layout' },
          h('div', { class: 'meeting-main' }, awaiting.el, hall.el, vote.el, voteManager.el, proxy.el, floor.el, media.el, agendaBox, papers.el),
          h('aside', { class: 'meeting-side' }, answer.el, attendance.el, presenceBox, sitesBox)));
    }
    renderHead();
    renderControls();
    media.update(snap);
    attendance.update(snap);
    renderAgenda();
    papers.update(snap, info);
    vote.update(snap, info);
    floor.update(snap);
    answer.update(snap);
    proxy.update(snap, info);
    hall.update(snap, info);
    voteManager.update(snap, info);
    renderPresence();
    if (((info && info.events) || []).some((e) => /^record\./.test(e.type))) awaiting.refresh();
  }

  const channel = new MeetingChannel(id, {
    onUpdate: (s, info) => { snap = s; renderAll(info); },
    onPresence: (list) => { presence = list; if (snap && isCurrent()) renderPresence(); },
    onError: (err) => {
      if (!isCurrent()) return;
      if (err.fatal) {
        snap = null;
        media.destroy();
        papers.destroy();
        floor.destroy();
        hall.destroy();
        channel.close();
        replaceChildren(view, h('a', { href: '/meetings', class: 'back-link' }, t('meeting.back')));
        showError(err);
      } else {
        showError(t('error.liveFailed', { message: err.message }));
      }
    },
  });

  try {
    await channel.open();
  } catch (err) {
    media.destroy();
    papers.destroy();
    floor.destroy();
    hall.destroy();
    channel.close();
    replaceChildren(view, h('a', { href: '/meetings', class: 'back-link' }, t('meeting.back')));
    throw err;
  }
  loadParticipantNames(id).then((map) => { names = map; renderAll(); });
  loadSites().then((sites) => { siteNames = new Map(sites.map((s) => [s.id, s.name])); renderAll(); }).catch(() => {});
  return () => {
    media.destroy();
    papers.destroy();
    floor.destroy();
    hall.destroy();
    channel.close();
  };
}
