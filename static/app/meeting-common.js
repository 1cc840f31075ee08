// Pieces shared by the meeting page and the meeting editor.
import { get, post } from './api.js';
import { h } from './dom.js';
import { getLang, t } from './i18n.js';
import { live } from './live.js';
import { busy, confirmDialog, dialog } from './ui.js';

export const CLOSED_STATUSES = ['ended', 'archived', 'cancelled'];
// Papers and their ink stay writable after the meeting ends (minutes, late reading), not once it is archived or
// cancelled (domain.papers.CLOSED_MEETING): then uploads, paper actions and the drawing tools are not offered.
export const PAPERS_CLOSED_STATUSES = ['archived', 'cancelled'];
export const papersOpen = (snapshot) => Boolean(snapshot) && !PAPERS_CLOSED_STATUSES.includes(snapshot.status);

export const meetingPath = (id, rest = '') => `/api/meetings/${encodeURIComponent(id)}${rest}`;

/** Whether the server says this person may do `permission` in the meeting (`capabilities` of its snapshot). */
export function may(snapshot, permission) {
  return Boolean(snapshot && (snapshot.capabilities || []).includes(permission));
}

export const isOrganiser = (snapshot) => may(snapshot, 'meeting.organize');

/** id → display name, from any answer holding objects with an id and a name (participants, users, sites). */
export function namesFrom(...sources) {
  const names = new Map();
  const visit = (x, depth) => {
    if (!x || typeof x !== 'object' || depth > 4) return;
    if (Array.isArray(x)) { for (const y of x) visit(y, depth + 1); return; }
    const name = x.full_name || x.name;
    if (typeof x.id === 'string' && typeof name === 'string' && !names.has(x.id)) names.set(x.id, name);
    for (const v of Object.values(x)) if (v && typeof v === 'object') visit(v, depth + 1);
  };
  for (const s of sources) visit(s, 0);
  return names;
}

export async function loadParticipantNames(meetingId) {
  try {
    return namesFrom(await get(meetingPath(meetingId, '/participants')));
  } catch {
    return new Map();
  }
}

/** The server's warnings on a saved meeting (a hall booked into another meeting at the same time), as one text. */
export function bookingWarnings(resp) {
  const list = (resp && Array.isArray(resp.warnings) && resp.warnings) || [];
  if (!list.length) return '';
  return [t('editor.bookingWarning'), ...list.map((w) => (getLang() === 'en' ? w.message_en : w.message))].join(' ');
}

/** After a REST write: use the answer if it is a snapshot, else refetch when the live channel is down. */
export async function afterWrite(channel, resp) {
  if (!channel) return;
  if (resp && typeof resp === 'object' && 'last_seq' in resp && Array.isArray(resp.agenda)) {
    channel.offerSnapshot(resp);
  } else if (!live.connected) {
    try { channel.offerSnapshot(await get(meetingPath(channel.meetingId))); } catch { /* next poll catches up */ }
  }
}

const LIFECYCLE = {
  draft: ['schedule', 'cancel'],
  scheduled: ['start', 'unschedule', 'cancel'],
  in_progress: ['end'],
  ended: ['archive'],
  archived: [],
  cancelled: [],
};

/** The lifecycle buttons (Lên lịch / Bắt đầu họp / Kết thúc / Lưu trữ / Hủy) for the meeting's status. */
export function lifecycleButtons(snapshot, channel) {
  const actions = LIFECYCLE[snapshot.status] || [];
  return actions.map((action) => {
    const btn = h('button', {
      type: 'button', testid: `action-${action}`,
      class: ['btn', action === 'cancel' ? 'btn-danger-outline' : (['schedule', 'start'].includes(action) ? 'btn-primary' : '')],
    }, t(`action.${action}`));
    btn.addEventListener('click', () => busy(btn, async () => {
      let body = {};
      if (action === 'cancel') {
        const r = await dialog({
          title: t('action.cancel'), text: t('confirm.cancel'), danger: true, confirmLabel: t('action.cancel'),
          fields: [{ name: 'reason', label: t('confirm.cancelReason') }], testid: 'cancel-dialog',
        });
        if (!r) return;
        body = r.reason ? { reason: r.reason } : {};
      } else if (action === 'end' || action === 'archive') {
        if (!(await confirmDialog(t(`confirm.${action}`), { confirmLabel: t(`action.${action}`), title: t(`action.${action}`) }))) return;
      }
      const resp = await post(meetingPath(snapshot.id, `/${action}`), body);
      await afterWrite(channel, resp);
    }));
    return btn;
  });
}
