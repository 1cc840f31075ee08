// The security audit log, newest first: {id, at, kind, actor_id, target_id, ip, detail}.
import { get } from '../api.js';
import { h, asList, replaceChildren, uid } from '../dom.js';
import { formatStamp } from '../format.js';
import { t, tMaybe } from '../i18n.js';
import { loadSites, loadUsers } from '../session.js';
import { busy, pageHeader, loading, emptyState, selectBox } from '../ui.js';

function detailText(detail) {
  if (detail === null || detail === undefined || detail === '') return '';
  if (typeof detail !== 'object') return String(detail);
  return Object.entries(detail)
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : (typeof v === 'object' ? JSON.stringify(v) : v)}`)
    .join(' · ');
}

export async function render({ root, setTitle, isCurrent }) {
  setTitle(t('admin.audit.title'));
  const box = h('div', { class: 'table-scroll', testid: 'audit-table' }, loading());
  const limitId = uid('al');
  const limit = selectBox({ options: [50, 100, 200, 500].map((n) => ({ value: String(n), label: String(n) })), value: '100', testid: 'audit-limit', id: limitId });
  const reload = h('button', { type: 'button', class: 'btn', testid: 'audit-refresh' }, t('common.refresh'));
  root.append(pageHeader(t('admin.audit.title')),
    h('section', { class: 'card table-card' },
      h('div', { class: 'table-tools' }, h('label', { for: limitId }, t('admin.audit.limit')), limit, reload), box));

  const names = new Map();
  await Promise.all([
    loadUsers().then((users) => { for (const u of users) names.set(u.id, u.full_name || u.username); }).catch(() => {}),
    loadSites().then((sites) => { for (const s of sites) names.set(s.id, s.name); }).catch(() => {}),
  ]);

  const refresh = async () => {
    const entries = asList(await get('/api/audit', { limit: limit.value }), 'entries');
    if (!isCurrent()) return;
    if (!entries.length) { replaceChildren(box, emptyState(t('admin.audit.empty'))); return; }
    replaceChildren(box, h('table', { class: 'table audit' },
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, t('admin.audit.time')),
        h('th', { scope: 'col' }, t('admin.audit.action')),
        h('th', { scope: 'col' }, t('admin.audit.actor')),
        h('th', { scope: 'col' }, t('admin.audit.target')),
        h('th', { scope: 'col' }, t('admin.audit.ip')),
        h('th', { scope: 'col' }, t('admin.audit.details')))),
      h('tbody', {}, entries.map((e) => h('tr', { testid: 'audit-row', dataset: { kind: e.kind } },
        h('td', { class: 'nowrap' }, formatStamp(e.at)),
        h('td', {}, h('span', { class: e.kind === 'login_failed' ? 'audit-warn' : '' }, tMaybe('audit', e.kind))),
        h('td', {}, e.actor_id ? names.get(e.actor_id) || e.actor_id : '—'),
        h('td', {}, e.target_id ? names.get(e.target_id) || e.target_id : ''),
        h('td', { class: 'nowrap small' }, e.ip || ''),
        h('td', { class: 'small details' }, detailText(e.detail)))))));
  };
  limit.addEventListener('change', () => busy(limit, refresh));
  reload.addEventListener('click', () => busy(reload, refresh));
  await refresh();
}
