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
import { may } from './meeting-common.js';

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

/** The delegate's own state as the big button shows it: `entry` is their latest entry (or null). */
export function myStateText(entry) {
  if (!entry || !entry.status) return t('attendance.notCheckedIn');
  const status = t(`attendance.status.${entry.status}`);
  return entry.place && entry.status !== 'left_early' ? `${status} ${t(`attendance.place.${entry.place}`)}` : status;
}

/**
 * The tablet's "Điểm danh" block: a big button and the delegate's state. `send()` records the check-in (the page
 * chooses the transport and the place) and resolves with the new entry; errors are shown under the button.
 */
export function checkInBlock({ entry = null, send }) {
  const state = h('p', { class: 'attendance-me-state', testid: 'attendance-me-state', role: 'status' });
  const error = h('p', { class: 'attendance-me-error', testid: 'attendance-me-error', role: 'alert', hidden: true });
  const button = h('button', { type: 'button', class: 'btn btn-primary btn-huge attendance-me-button', testid: 'attendance-check-in' },
    t('attendance.checkIn'));
  const show = (current) => {
    state.textContent = myStateText(current);
    const present = Boolean(current && (current.status === 'checked_in' || current.status === 'late'));
    button.disabled = present;
    button.textContent = present ? t('attendance.checkedIn') : t('attendance.checkIn');
    state.dataset.status = current ? current.status : '';
  };
  button.addEventListener('click', async () => {
    button.disabled = true;
    error.hidden = true;
    try {
      show(await send());
    } catch (err) {
      error.textContent = err && err.message ? err.message : t('error.network');
      error.hidden = false;
      button.disabled = false;
    }
  });
  show(entry);
  return { el: h('section', { class: 'attendance-me card', testid: 'attendance-me' }, h('h2', {}, t('attendance.title')), button, state, error), show };
}

/**
 * The meeting page's attendance card on the delegate's tablet: the quorum line and, for one who may check
 * themselves in while the meeting is scheduled or under way, the big button. It sends the `attendance.check_in`
 * command over the socket (docs/protocol.md `command`), in the main hall. The delegate's latest entry
 * comes with the snapshot as `snap.my_attendance` when the server provides it.
 */
export function attendancePanel(meetingId) {
  const quorum = quorumLine('meeting-quorum');
  let block = null;
  const el = h('section', { class: 'card attendance-card', testid: 'attendance-card', hidden: true });
  const send = async () => {
    const args = { meeting_id: meetingId, place: 'in_hall' };
    const ack = await live.request('command', { command_id: newId(), action: 'attendance.check_in', args });
    return (ack && ack.result && ack.result.entry) || { status: 'checked_in', place: 'in_hall' };
  };
  return {
    el,
    update(snap) {
      quorum.update(snap);
      const mine = may(snap, 'attendance.check_in_self') && RECORDING.has(snap.status);
      if (mine && !block) {
        block = checkInBlock({ entry: snap.my_attendance || null, send });
        el.replaceChildren(block.el, quorum.el);
      } else if (mine && snap.my_attendance) {
        block.show(snap.my_attendance);
      } else if (!mine && block) {
        block = null;
        el.replaceChildren(quorum.el);
      } else if (!block && !el.contains(quorum.el)) {
        el.replaceChildren(quorum.el);
      }
      el.hidden = !mine && quorum.el.hidden;
    },
  };
}
