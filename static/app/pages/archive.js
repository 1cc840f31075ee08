// The archive (lưu trữ), /archive: the archived meetings a person may see, by year, unit and kind (họp trực tuyến,
// họp tại chỗ), each with its dossier's download for those allowed (docs/archive.md). Restricted papers stay
// restricted: a meeting's papers open through its own pages, to their audience only.
import { get } from '../api.js';
import { asList, h, replaceChildren } from '../dom.js';
import { formatDateTime } from '../format.js';
import { t } from '../i18n.js';
import { dossierView } from '../dossier.js';
import { emptyState, loading, pageHeader, selectBox, showError } from '../ui.js';

export async function render({ root, setTitle, isCurrent }) {
  setTitle(t('archive.title'));
  const table = h('div', { class: 'card table-card', testid: 'archive-list' }, loading());
  const filters = h('div', { class: 'register-filters', testid: 'archive-filters' });
  let boxes = null;

  async function reload() {
    const query = boxes ? { year: boxes.year.value, unit_id: boxes.unit.value, kind: boxes.kind.value } : {};
    let found;
    try { found = await get('/api/archive', query); } catch (err) { if (isCurrent()) showError(err); return; }
    if (!isCurrent()) return;
    if (!boxes) {
      const facets = found.facets || { years: [], units: [], kinds: [] };
      boxes = {
        year: selectBox({ options: facets.years.map((y) => ({ value: y, label: y })), noneLabel: t('archive.allYears'), testid: 'archive-year' }),
        unit: selectBox({ options: facets.units.map((u) => ({ value: u.id, label: u.name })), noneLabel: t('archive.allUnits'), testid: 'archive-unit' }),
        kind: selectBox({ options: facets.kinds.map((k) => ({ value: k, label: t(`archive.kind.${k}`) })), noneLabel: t('archive.allKinds'), testid: 'archive-kind' }),
      };
      for (const box of Object.values(boxes)) box.addEventListener('change', reload);
      replaceChildren(filters,
        h('label', { class: 'field' }, t('archive.year'), boxes.year),
        h('label', { class: 'field' }, t('archive.unit'), boxes.unit),
        h('label', { class: 'field' }, t('archive.kind'), boxes.kind));
    }
    const rows = asList(found, 'meetings', 'archive');
    if (!rows.length) { replaceChildren(table, emptyState(t('archive.empty'), 'archive-empty')); return; }
    replaceChildren(table, h('table', { class: 'table' },
      h('thead', null, h('tr', null, ['meeting', 'date', 'unit', 'kind', 'dossier'].map((c) => h('th', { scope: 'col' }, t(`archive.col.${c}`))))),
      h('tbody', null, rows.map((m) => h('tr', { testid: 'archive-row', dataset: { meetingId: m.id, year: m.year, kind: m.kind } },
        h('td', null, h('a', { href: `/meetings/${encodeURIComponent(m.id)}`, testid: 'archive-meeting' }, m.title)),
        h('td', null, formatDateTime(m.starts_at)),
        h('td', null, m.unit_name || ''),
        h('td', null, t(`archive.kind.${m.kind}`)),
        h('td', null, m.dossier ? dossierView(m.id, m.dossier) : ''))))));
  }

  root.append(h('div', { class: 'register-page archive-page', testid: 'archive-page' },
    pageHeader(t('archive.title')), filters, table));
  await reload();
}
