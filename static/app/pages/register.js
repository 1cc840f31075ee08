// The register (sổ đăng ký văn bản), /register: every numbered document (giấy mời, biên bản, thông báo kết luận)
// with filters by issuing unit, kind, year and confidentiality, and the same list as CSV (`/api/register.csv`).
import { get, withLang } from '../api.js';
import { asList, h, replaceChildren } from '../dom.js';
import { t, tMaybe } from '../i18n.js';
import { loadUnits } from '../session.js';
import { emptyState, loading, pageHeader, selectBox, showError } from '../ui.js';

const KINDS = ['giay_moi', 'bien_ban', 'thong_bao'];
/** "2027-01-05" → "05/01/2027" (a calendar day, no time zone to apply). */
const formatDay = (iso) => (iso ? `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}` : '');

export async function render({ root, setTitle, isCurrent }) {
  setTitle(t('register.title'));
  const units = await loadUnits().catch(() => []);
  const year = new Date().getFullYear();
  const unit = selectBox({ options: units.map((u) => ({ value: u.id, label: u.name })), noneLabel: t('register.allUnits'), testid: 'register-unit' });
  const kind = selectBox({ options: KINDS.map((k) => ({ value: k, label: t(`record.kind.${k}`) })), noneLabel: t('register.allKinds'), testid: 'register-kind' });
  const years = selectBox({ options: [0, 1, 2, 3, 4].map((d) => ({ value: String(year - d), label: String(year - d) })), value: String(year), noneLabel: t('register.allYears'), testid: 'register-year' });
  const secret = selectBox({ options: [{ value: 'false', label: t('register.open') }, { value: 'true', label: t('register.confidential') }], noneLabel: t('register.both'), testid: 'register-confidential' });
  const csv = h('a', { class: 'btn', testid: 'register-csv' }, t('register.csv'));
  const table = h('div', { class: 'card table-card', testid: 'register-list' }, loading());
  const query = () => ({ unit: unit.value, kind: kind.value, year: years.value, confidential: secret.value });

  async function reload() {
    const q = new URLSearchParams(Object.entries(query()).filter(([, v]) => v));
    csv.href = withLang(`/api/register.csv?${q}`);
    let rows;
    try { rows = asList(await get('/api/register', query()), 'entries', 'register'); } catch (err) { if (isCurrent()) showError(err); return; }
    if (!isCurrent()) return;
    if (!rows.length) { replaceChildren(table, emptyState(t('register.empty'), 'register-empty')); return; }
    replaceChildren(table, h('table', { class: 'table' },
      h('thead', null, h('tr', null, ['number', 'date', 'kind', 'summary', 'signer', 'meeting', 'confidential'].map((c) => h('th', { scope: 'col' }, t(`register.col.${c}`))))),
      h('tbody', null, rows.map((r) => h('tr', { testid: 'register-row', dataset: { kind: r.kind, number: r.number } },
        h('td', { testid: 'register-number' }, r.link ? h('a', { href: withLang(r.link), target: '_blank', rel: 'noopener' }, r.number_text) : r.number_text),
        h('td', null, formatDay(r.issued_on)),
        h('td', null, tMaybe('record.kind', r.kind)),
        h('td', null, r.summary || ''),
        h('td', null, r.signer || ''),
        h('td', null, r.meeting_id ? h('a', { href: `/meetings/${encodeURIComponent(r.meeting_id)}/record` }, r.meeting_title || r.meeting_id) : ''),
        h('td', null, r.confidential ? t('register.confidential') : ''))))));
  }

  for (const s of [unit, kind, years, secret]) s.addEventListener('change', reload);
  root.append(h('div', { class: 'register-page', testid: 'register-page' },
    pageHeader(t('register.title'), csv),
    h('div', { class: 'register-filters' },
      h('label', { class: 'field' }, t('register.unit'), unit),
      h('label', { class: 'field' }, t('register.kind'), kind),
      h('label', { class: 'field' }, t('register.year'), years),
      h('label', { class: 'field' }, t('register.secret'), secret)),
    table));
  await reload();
}
