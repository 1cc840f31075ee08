// Invitations that reach people: my in-app notices (a badge and a list on "Cuộc họp của tôi"), and the organiser's
// view of the invitation mail per invitee, with "Gửi lại" for a failed one (GET /api/meetings/<id>/mail).
// The server pushes `notices:changed` when I have new notices; the list refetches then.
import { get, post } from './api.js';
import { h, replaceChildren } from './dom.js';
import { formatDateTime } from './format.js';
import { t } from './i18n.js';
import { live } from './live.js';
import { emptyState, showError } from './ui.js';

const MAIL_POLL_MS = 10000; // while some mail is still waiting to be sent

/** The notices panel: a button with the unread count that opens the list. Returns {el, stop}. */
export function noticesPanel() {
  const count = h('span', { class: 'badge notice-count', testid: 'notice-count', hidden: true });
  const toggle = h('button', { type: 'button', class: 'btn notice-toggle', testid: 'notice-toggle', 'aria-expanded': 'false' },
    t('notices.title'), ' ', count);
  const list = h('div', { class: 'notice-list', testid: 'notice-list', hidden: true });
  const readAll = h('button', { type: 'button', class: 'btn', testid: 'notice-read-all' }, t('notices.markAllRead'));
  const box = h('div', { class: 'notices-panel', testid: 'notices-panel' }, toggle, list);
  let latest = { notices: [], unread: 0 };

  function draw() {
    count.hidden = !latest.unread;
    count.textContent = String(latest.unread);
    toggle.setAttribute('aria-label', t('notices.unread', { n: latest.unread }));
    const items = latest.notices.map((n) => h('li', { class: ['notice-item', n.read ? 'is-read' : 'is-unread'], testid: 'notice-item', dataset: { kind: n.kind } },
      h('a', { href: `/meetings/${encodeURIComponent(n.meeting_id)}`, class: 'notice-link' },
        h('strong', {}, t(`notices.kind.${n.kind}`)), ': ', n.title,
        h('span', { class: 'muted small notice-time' }, ` · ${formatDateTime(n.created_at)}`))));
    replaceChildren(list,
      items.length ? h('ul', { class: 'notice-items' }, items) : emptyState(t('notices.empty'), 'notices-empty'),
      latest.unread ? readAll : null);
  }

  async function refresh() {
    try {
      latest = await get('/api/notices');
      draw();
    } catch (err) {
      showError(err);
    }
  }

  toggle.addEventListener('click', () => {
    const open = list.hidden;
    list.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
  });
  readAll.addEventListener('click', async () => {
    try {
      await post('/api/notices/read', {});
      await refresh();
    } catch (err) {
      showError(err);
    }
  });
  const stopListening = live.onNoticesChanged(() => refresh());
  refresh();
  return { el: box, stop: stopListening };
}

function mailRow(m, onResend) {
  const resendable = m.status === 'failed' || m.status === 'no_address';
  return h('tr', { testid: 'mail-row', dataset: { status: m.status, personId: m.person_id } },
    h('td', {}, m.full_name),
    h('td', {}, m.address || '—'),
    h('td', {}, t(`mail.kind.${m.kind}`)),
    h('td', {}, h('span', { class: ['badge', `mail-${m.status}`], testid: 'mail-status' }, t(`mail.status.${m.status}`)),
      m.last_error ? h('div', { class: 'small muted mail-error', testid: 'mail-error' }, m.last_error) : null),
    h('td', {}, resendable
      ? h('button', { type: 'button', class: 'btn', testid: 'mail-resend', onclick: () => onResend(m) }, t('mail.resend'))
      : null));
}

/** The organiser's card: the invitations' mail of one meeting. Returns {el, stop}. */
export function mailCard(meetingId) {
  const body = h('div', { testid: 'mail-body' });
  const refreshBtn = h('button', { type: 'button', class: 'btn', testid: 'mail-refresh' }, t('mail.refresh'));
  const el = h('section', { class: 'card mail-card', testid: 'mail-card', 'aria-labelledby': 'mail-h' },
    h('h2', { id: 'mail-h', class: 'section-title' }, t('mail.title')), body, refreshBtn);
  let timer = null;

  async function resend(m) {
    try {
      await post(`/api/meetings/${encodeURIComponent(meetingId)}/mail/${encodeURIComponent(m.id)}/resend`, {});
      await refresh();
    } catch (err) {
      showError(err);
    }
  }

  async function refresh() {
    let page;
    try {
      page = await get(`/api/meetings/${encodeURIComponent(meetingId)}/mail`);
    } catch (err) {
      showError(err);
      return;
    }
    const c = page.counts || {};
    const summary = h('p', { testid: 'mail-summary' },
      t('mail.summary', { sent: c.sent || 0, queued: c.queued || 0, failed: c.failed || 0, none: c.no_address || 0 }));
    const waiting = page.smtp_configured ? null
      : h('p', { class: 'warning', testid: 'mail-not-configured' }, t('mail.notConfigured'));
    const rows = page.mails || [];
    replaceChildren(body, waiting, summary, rows.length
      ? h('table', { class: 'table mail-table', testid: 'mail-table' },
        h('thead', {}, h('tr', {}, ...['person', 'address', 'kind', 'status', 'action'].map((k) => h('th', {}, t(`mail.col.${k}`))))),
        h('tbody', {}, rows.map((m) => mailRow(m, resend))))
      : emptyState(t('mail.empty'), 'mail-empty'));
    clearTimeout(timer);
    if (c.queued && page.smtp_configured) timer = setTimeout(() => { if (!document.hidden) refresh(); }, MAIL_POLL_MS);
  }

  refreshBtn.addEventListener('click', () => refresh());
  refresh();
  return { el, stop: () => clearTimeout(timer) };
}
