// Attendance (điểm danh) in the pages: the quorum line the chair's console and the wall display show, and the
// delegate's big "Điểm danh" button on the tablet.
//
// The quorum travels in the meeting snapshot as `snap.quorum` (domain/attendance.py Quorum.to_dict: present, base,
// needed, met, line, line_en); each attendance event patches it, so the line follows without a reload and a tablet
// that reconnects gets it with its snapshot. Nothing shows while a snapshot has no quorum.
import { newId } from './api.js';
import { h } from './dom.js';
import { getLang, t } from './i18n.js';
import { live } from './live.js';
import { formatTime } from './format.js';
import { may } from './meeting-common.js';
import { confirmDialog } from './ui.js';

const RECORDING = new Set(['scheduled', 'in_progress']);

/** The quorum's line in the reader's language, as the server words it ("Có mặt 87/124 · đủ điều kiện tiến hành"). */
export function quorumText(quorum) {
  if (!quorum || typeof quorum !== 'object') return '';
  const own = getLang() === 'en' ? quorum.line_en : quorum.line;
  if (own) return String(own);
  return t(quorum.met ? 'attendance.quorumMet' : 'attendance.quorumNotMet', {
    present: quorum.present, base: quorum.base, needed: quorum.needed,
  });
}

/** An element showing the snapshot's quorum line; `update(snap)` after every snapshot change. */
export function quorumLine(testid, className = '') {
  const el = h('p', { class: `quorum-line ${className}`.trim(), testid, role: 'status', hidden: true, dataset: { met: '' } });
  return {
    el,
    update(snap) {
      const quorum = snap && snap.quorum;
      const text = quorumText(quorum);
      el.hidden = !text;
      el.textContent = text;
      el.dataset.met = quorum ? String(Boolean(quorum.met)) : '';
      if (quorum) {
        el.dataset.present = String(quorum.present);
        el.dataset.base = String(quorum.base);
      }
    },
  };
}

/** Where an entry puts the person: "tại hội trường", "tại Điểm cầu xã Tân Trào" (with its site's name), "trực tuyến". */
export function placeText(entry, siteName = () => '') {
  if (!entry || !entry.place) return '';
  const name = entry.place === 'at_site' && entry.site_id ? siteName(entry.site_id) : '';
  return name ? t('attendance.atNamedSite', { site: name }) : t(`attendance.place.${entry.place}`);
}

/** An entry's line as the lists show it: "Có mặt tại hội trường", "Về sớm", "Vắng có lý do". */
export function entryLine(entry, siteName = () => '') {
  if (!entry || !entry.status) return t('attendance.notCheckedIn');
  const status = t(`attendance.status.${entry.status}`);
  return entry.place && entry.status !== 'left_early' ? `${status} ${placeText(entry, siteName)}` : status;
}

export const isPresent = (entry) => Boolean(entry && (entry.status === 'checked_in' || entry.status === 'late'));

/** The delegate's own state as the big button shows it ("Đã điểm danh lúc 08:02 · tại hội trường"). */
export function myStateText(entry, siteName = () => '') {
  if (!entry || !entry.status) return t('attendance.notCheckedIn');
  const time = formatTime(entry.at);
  if (entry.status === 'checked_in') return t('attendance.checkedInAt', { time, place: placeText(entry, siteName) });
  if (entry.status === 'late') return t('attendance.lateAt', { time, place: placeText(entry, siteName) });
  if (entry.status === 'left_early') return t('attendance.leftEarlyAt', { time });
  return entryLine(entry, siteName);
}

/**
 * The tablet's "Điểm danh" block: a big button and the delegate's state, and once they are present a "Về sớm"
 * button. `send(status)` records it (the page chooses the transport and the place) and resolves with the new
 * entry; errors are shown under the buttons. `label` names the big button ("Điểm danh tại Điểm cầu xã Tân Trào").
 */
export function checkInBlock({ entry = null, send, label = t('attendance.checkIn'), siteName = () => '' }) {
  const state = h('p', { class: 'attendance-me-state', testid: 'attendance-me-state', role: 'status' });
  const error = h('p', { class: 'attendance-me-error', testid: 'attendance-me-error', role: 'alert', hidden: true });
  const button = h('button', { type: 'button', class: 'btn btn-primary btn-huge attendance-me-button', testid: 'attendance-check-in' }, label);
  const leave = h('button', { type: 'button', class: 'btn btn-huge attendance-me-leave', testid: 'attendance-leave-early', hidden: true },
    t('attendance.leaveEarly'));
  let shown = entry;
  const show = (current) => {
    shown = current;
    state.textContent = myStateText(current, siteName);
    const present = isPresent(current);
    button.disabled = present;
    button.textContent = present ? t('attendance.checkedIn') : label;
    leave.hidden = !present;
    leave.disabled = false;
    state.dataset.status = current ? current.status : '';
  };
  const press = (target, status) => async () => {
    if (status === 'left_early' && !(await confirmDialog(t('attendance.leaveEarlyConfirm'), {
      confirmLabel: t('attendance.leaveEarly'), title: t('attendance.leaveEarly'),
    }))) return;
    target.disabled = true;
    error.hidden = true;
    try {
      show(await send(status));
    } catch (err) {
      error.textContent = err && err.message ? err.message : t('error.network');
      error.hidden = false;
      show(shown);
    }
  };
  button.addEventListener('click', press(button, 'checked_in'));
  leave.addEventListener('click', press(leave, 'left_early'));
  show(entry);
  return {
    el: h('section', { class: 'attendance-me card', testid: 'attendance-me' }, h('h2', {}, t('attendance.title')), button, state, leave, error),
    show,
  };
}

/**
 * The meeting page's attendance card on the delegate's tablet: the quorum line and, for one who may check
 * themselves in while the meeting is scheduled or under way, the big button. It sends the `attendance.check_in`
 * command over the socket (docs/protocol.md `command`), in the main hall (or "Về sớm" from where they are). The
 * delegate's latest entry comes with their snapshot as `snap.my_attendance`, kept by the live channel from the
 * attendance events about them. For the desk and a hall's operator, a link to the attendance page.
 */
export function attendancePanel(meetingId) {
  const quorum = quorumLine('meeting-quorum');
  let block = null;
  let siteNames = new Map();
  const siteName = (id) => siteNames.get(id) || '';
  const el = h('section', { class: 'card attendance-card', testid: 'attendance-card', hidden: true });
  const deskLink = h('a', { href: `/meetings/${encodeURIComponent(meetingId)}/attendance`, class: 'btn', testid: 'attendance-desk-link', hidden: true },
    t('attendance.deskOpen'));
  const send = async (status) => {
    const args = status === 'left_early' ? { meeting_id: meetingId, status } : { meeting_id: meetingId, place: 'in_hall' };
    const ack = await live.request('command', { command_id: newId(), action: 'attendance.check_in', args });
    return (ack && ack.result && ack.result.entry) || { status, place: 'in_hall' };
  };
  return {
    el,
    update(snap) {
      siteNames = new Map(((snap && snap.sites) || []).map((s) => [s.id, s.name]));
      quorum.update(snap);
      const mine = may(snap, 'attendance.check_in_self') && RECORDING.has(snap.status);
      if (mine && !block) block = checkInBlock({ entry: snap.my_attendance || null, send, siteName });
      else if (mine) block.show(snap.my_attendance || null);
      else block = null;
      deskLink.hidden = !(may(snap, 'attendance.check_in_others') || may(snap, 'attendance.check_in_site'));
      const children = [block ? block.el : null, quorum.el, deskLink].filter(Boolean);
      if (children.some((c, i) => el.children[i] !== c) || el.children.length !== children.length) el.replaceChildren(...children);
      el.hidden = !mine && quorum.el.hidden && deskLink.hidden;
    },
  };
}
