// The page a scanned check-in QR code opens (/checkin?code=…): the meeting and the hall the code names, and one big
// button that checks the signed-in person in there (tại hội trường, or tại điểm cầu of the code's site). Someone
// not signed in is sent to sign in first and comes back here (the router's `next`). The server checks the code:
// a forged one, another meeting's or an old one is refused with its sentence, shown large.
import { get, post } from '../api.js';
import { checkInBlock } from '../attendance.js';
import { h, replaceChildren } from '../dom.js';
import { formatRange } from '../format.js';
import { t } from '../i18n.js';
import { loading } from '../ui.js';

const RECORDING = new Set(['scheduled', 'in_progress']);

function problem(text) {
  return h('p', { class: 'checkin-problem', testid: 'checkin-error', role: 'alert' }, text);
}

export async function render({ root, query, setTitle, isCurrent }) {
  setTitle(t('checkin.title'));
  const view = h('div', { class: 'checkin-page', testid: 'checkin-page' }, loading());
  root.append(view);
  const code = (query.get('code') || '').trim();
  const heading = h('h1', { class: 'page-title' }, t('checkin.title'));
  if (!code) { replaceChildren(view, heading, problem(t('checkin.noCode'))); return; }
  let page;
  try {
    page = await get('/api/checkin', { code });
  } catch (err) {
    if (isCurrent()) replaceChildren(view, heading, problem(err && err.message ? err.message : t('error.network')));
    return;
  }
  if (!isCurrent()) return;
  const meetingHref = `/meetings/${encodeURIComponent(page.meeting_id)}`;
  const canSelf = (page.capabilities || []).includes('attendance.check_in_self');
  let action;
  if (!RECORDING.has(page.status)) action = problem(t('checkin.notOpen'));
  else if (!canSelf) action = problem(t('checkin.cannot'));
  else {
    const send = async (status) => {
      const path = `/api/meetings/${encodeURIComponent(page.meeting_id)}/attendance/check-in`;
      const answer = status === 'left_early'
        ? await post(path, { status })
        : await post(`/api/meetings/${encodeURIComponent(page.meeting_id)}/attendance/check-in-code`, { code });
      return answer.entry;
    };
    const hallName = (id) => (id === page.site_id ? page.hall : '');
    action = checkInBlock({ entry: page.my_attendance, send, label: t('checkin.button', { hall: page.hall }), siteName: hallName }).el;
  }
  replaceChildren(view,
    heading,
    h('dl', { class: 'facts checkin-facts' },
      h('div', { class: 'fact' }, h('dt', {}, t('checkin.meeting')), h('dd', { testid: 'checkin-meeting' }, page.title)),
      h('div', { class: 'fact' }, h('dt', {}, t('meeting.time')), h('dd', {}, formatRange(page.starts_at))),
      h('div', { class: 'fact' }, h('dt', {}, t('checkin.hall')), h('dd', { testid: 'checkin-hall', class: 'checkin-hall' }, page.hall))),
    action,
    h('a', { href: meetingHref, class: 'btn btn-large', testid: 'checkin-to-meeting' }, t('checkin.toMeeting')));
}
