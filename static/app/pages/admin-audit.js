// The security audit log, newest first.
import { get } from '../api.js';
import { h, asList, replaceChildren, uid } from '../dom.js';
import { formatStamp } from '../format.js';
import { t } from '../i18n.js';
import { loadUsers } from '../session.js';
import { busy, pageHeader, loading, emptyState, selectBox } from '../ui.js';

const pick = (obj, ...keys) => {
  for (const k of keys) if (obj[k] !== undefined && obj[k] !== null && obj[k] !== '') return obj[k];
  return '';
};

const SHOWN = new Set(['id', 'at', 'time', 'created_at', 'timestamp', 'actor_id', 'actor', 'actor_name', 'actor_username', 'username',
  'action', 'event', 'kind', 'type', 'target', 'target_id', 'target_type', 'ip', 'remote_addr', 'ip_address']);

function detailsText(entry) {
  const rest = {};
  for (const [k, v] of Object.entries(entry)) if (!SHOWN.has(k) && v !== null && v !== '' && !(typeof v === 'object' && !Object.keys(v).length)) rest[k] = v;
  if (!Object.keys(rest).length) return '';
  return Object.entries(rest).map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`).join(' · ');
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

  let names = new Map();
  loadUsers().then((users) => { names = new Map(users.map((u) => [u.id, u.full_name || u.username])); }).catch(() => {});

  const refresh = async () => {
    const entries = asList(await get('/api/audit', { limit: limit.value }), 'entries', 'audit', 'events');
    if (!isCurrent()) return;
    if (!entries.length) { replaceChildren(box, emptyState(t('admin.audit.empty'))); return; }
    replaceChildren(box, h('table', { class: 'table audit' },
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, t('admin.audit.time')),
        h('th', { scope: 'col' }, t('admin.audit.actor')),
        h('th', { scope: 'col' }, t('admin.audit.action')),
        h('th', { scope: 'col' }, t('admin.audit.target')),
        h('th', { scope: 'col' }, t('admin.audit.ip')),
        h('th', { scope: 'col' }, t('admin.audit.details')))),
      h('tbody', {}, entries.map((e) => {
        const actorId = pick(e, 'actor_id');
        const actor = pick(e, 'actor_name', 'actor_username', 'username', 'actor') || names.get(actorId) || actorId;
        const target = [pick(e, 'target_type'), pick(e, 'target_id', 'target')].filter(Boolean).join(' ');
        return h('tr', { testid: 'audit-row' },
          h('td', { class: 'nowrap' }, formatStamp(pick(e, 'at', 'time', 'created_at', 'timestamp'))),
          h('td', {}, typeof actor === 'object' ? JSON.stringify(actor) : String(actor)),
          h('td', {}, h('code', {}, String(pick(e, 'action', 'event', 'kind', 'type')))),
          h('td', { class: 'small' }, typeof target === 'object' ? JSON.stringify(target) : target),
          h('td', { class: 'nowrap small' }, String(pick(e, 'ip', 'remote_addr', 'ip_address'))),
          h('td', { class: 'small details' }, detailsText(e)));
      }))));
  };
  limit.addEventListener('change', () => busy(limit, refresh));
  reload.addEventListener('click', () => busy(reload, refresh));
  await refresh();
}
