// Administrative units as a tree (tỉnh, thành phố → xã, phường, đặc khu; sở, ban, ngành under either), with add /
// rename / delete, and the import of a province's communes from the official list. Which kind may sit under which
// comes from the server (GET /api/units → kinds), so the page never disagrees with the rules.
import { get, post, patch, del } from '../api.js';
import { h, replaceChildren, uid } from '../dom.js';
import { t, tMaybe } from '../i18n.js';
import { invalidate, unitTree } from '../session.js';
import { busy, dialog, confirmDialog, pageHeader, loading, emptyState, selectBox, showNotice, formError } from '../ui.js';
import { guardUnsaved, typedInto } from '../unsaved.js';
import { imageField } from '../image-field.js';

const KINDS = ['province', 'commune', 'agency', 'district'];

/** "xã" → "Xã": the division type as a badge. */
const capitalised = (text) => (text ? text[0].toUpperCase() + text.slice(1) : '');

export async function render({ root, setTitle, isCurrent }) {
  setTitle(t('admin.units.title'));
  const treeBox = h('div', { testid: 'units-tree' }, loading());
  let units = [];
  let kinds = {};

  // ------------------------------------------------------------ import from the official list
  const provinceBox = h('span', {}, loading());
  const withSites = h('input', { type: 'checkbox', id: uid('uis'), testid: 'unit-import-sites' });
  const importBtn = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'unit-import' }, t('admin.units.import'));
  const importResult = h('p', { class: 'muted', role: 'status', testid: 'unit-import-result' });
  const importErr = formError('unit-import-error');
  const importForm = h('form', { class: 'card inline-form', testid: 'unit-import-form', novalidate: true },
    h('h2', { class: 'section-title' }, t('admin.units.importTitle')),
    h('p', { class: 'muted small' }, t('admin.units.importHint')),
    h('div', { class: 'field-row' },
      h('div', { class: 'field grow' }, h('label', { for: 'unit-import-province' }, t('admin.units.importProvince')), provinceBox),
      h('label', { class: 'check', for: withSites.id }, withSites, h('span', {}, t('admin.units.importSites'))),
      h('div', { class: 'field field-button' }, importBtn)),
    importResult, importErr);

  // ------------------------------------------------------------ add one unit by hand
  const name = h('input', { class: 'input', type: 'text', required: true, maxlength: 300, testid: 'unit-name', id: uid('un') });
  const kind = selectBox({ options: KINDS.map((k) => ({ value: k, label: tMaybe('kind', k) })), value: 'commune', testid: 'unit-kind', id: uid('uk') });
  const divisionWrap = h('span');
  const code = h('input', { class: 'input', type: 'text', maxlength: 32, testid: 'unit-code', id: uid('uc') });
  const parentWrap = h('span');
  const addBtn = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'unit-add' }, t('admin.units.add'));
  const formErr = formError('unit-form-error');
  const form = h('form', { class: 'card inline-form', testid: 'unit-form', novalidate: true },
    h('h2', { class: 'section-title' }, t('admin.units.add')),
    h('div', { class: 'field-row' },
      h('div', { class: 'field grow' }, h('label', { for: name.id }, t('admin.units.name')), name),
      h('div', { class: 'field' }, h('label', { for: kind.id }, t('admin.units.kind')), kind),
      h('div', { class: 'field' }, h('label', { for: 'unit-division' }, t('admin.units.divisionType')), divisionWrap),
      h('div', { class: 'field' }, h('label', { for: 'unit-parent' }, t('admin.units.parent')), parentWrap),
      h('div', { class: 'field' }, h('label', { for: code.id }, t('admin.units.code')), code),
      h('div', { class: 'field field-button' }, addBtn)),
    formErr);
  guardUnsaved(typedInto(form));

  root.append(pageHeader(t('admin.units.title')), importForm, form, h('section', { class: 'card' }, treeBox));

  const parentsOf = (k) => kinds[k]?.parents || [];
  // The division types the chosen kind may have (an agency has none), the kind's usual one first.
  const showDivisionTypes = () => {
    const types = (kinds[kind.value]?.division_types || []).filter(Boolean);
    replaceChildren(divisionWrap, types.length
      ? selectBox({ options: types.map((v) => ({ value: v, label: capitalised(v) })), value: types[0], testid: 'unit-division', id: 'unit-division' })
      : h('span', { class: 'muted', id: 'unit-division' }, '—'));
  };
  // A commune needs a province (or a legacy district) above it, an agency a province or commune: preselect one.
  const suggestParent = () => {
    const sel = parentWrap.querySelector('select');
    if (!sel) return;
    const wanted = parentsOf(kind.value);
    if (!wanted.length) { sel.value = ''; return; }
    const current = units.find((u) => u.id === sel.value);
    if (current && wanted.includes(current.kind)) return;
    const first = unitTree(units).find(({ unit }) => wanted.includes(unit.kind));
    if (first) sel.value = first.unit.id;
  };
  kind.addEventListener('change', () => { showDivisionTypes(); suggestParent(); });

  const addUnder = async (parent, childKind) => {
    const r = await dialog({
      title: t('admin.units.childOf', { name: parent.name }), testid: 'add-child-dialog', confirmLabel: t('common.add'),
      fields: [{ name: 'name', label: `${t('admin.units.name')} (${tMaybe('kind', childKind)})`, required: true },
        { name: 'code', label: t('admin.units.code') }],
    });
    if (!r || !r.name.trim()) return;
    const body = { name: r.name.trim(), kind: childKind, parent_id: parent.id };
    if (r.code.trim()) body.code = r.code.trim();
    await post('/api/units', body);
    showNotice(t('common.saved'));
    await refresh();
  };

  const node = ({ unit, depth }) => {
    const renameBtn = h('button', { type: 'button', class: 'btn btn-small', testid: 'unit-rename' }, t('admin.units.rename'));
    const childButtons = ['commune', 'agency'].filter((k) => parentsOf(k).includes(unit.kind)).map((childKind) => {
      const btn = h('button', { type: 'button', class: 'btn btn-small', testid: `unit-add-${childKind}` }, t(`admin.units.add.${childKind}`));
      btn.addEventListener('click', () => busy(btn, () => addUnder(unit, childKind)));
      return btn;
    });
    const delBtn = h('button', { type: 'button', class: 'btn btn-small btn-danger-outline', testid: 'unit-delete' }, t('common.delete'));
    // the unit's seal image (con dấu), used when its documents are sealed
    const sealBtn = h('button', { type: 'button', class: 'btn btn-small', testid: 'unit-seal' }, t('image.seal.button'));
    sealBtn.addEventListener('click', () => dialog({
      title: t('image.seal.title', { name: unit.name }), testid: 'seal-dialog', confirmLabel: t('common.close'),
      extra: imageField({ url: `/api/units/${encodeURIComponent(unit.id)}/seal-image`, kind: 'seal', testid: 'seal-image' }),
    }));
    renameBtn.addEventListener('click', () => busy(renameBtn, async () => {
      const r = await dialog({
        title: t('admin.units.rename'), testid: 'rename-dialog', confirmLabel: t('common.save'),
        fields: [{ name: 'name', label: t('admin.units.newName', { name: unit.name }), value: unit.name, required: true },
          { name: 'code', label: t('admin.units.code'), value: unit.code || '' }],
      });
      if (!r) return;
      const changes = {};
      if (r.name.trim() && r.name.trim() !== unit.name) changes.name = r.name.trim();
      if ((r.code || '') !== (unit.code || '')) changes.code = r.code.trim() || null;
      if (!Object.keys(changes).length) return;
      await patch(`/api/units/${encodeURIComponent(unit.id)}`, changes);
      showNotice(t('common.saved'));
      await refresh();
    }));
    delBtn.addEventListener('click', () => busy(delBtn, async () => {
      if (!(await confirmDialog(t('admin.units.confirmDelete', { name: unit.name }), { danger: true, confirmLabel: t('common.delete') }))) return;
      await del(`/api/units/${encodeURIComponent(unit.id)}`);
      await refresh();
    }));
    const badge = unit.division_type ? capitalised(unit.division_type) : tMaybe('kind', unit.kind);
    return h('li', { class: ['tree-node', `depth-${Math.min(depth, 3)}`], testid: 'unit-node', dataset: { unitId: unit.id, kind: unit.kind } },
      h('div', { class: 'tree-label' },
        h('span', { class: 'tree-name', testid: 'unit-node-name' }, unit.name),
        h('span', { class: 'badge badge-kind', testid: 'unit-node-kind' }, badge),
        unit.official_code ? h('span', { class: 'muted small', testid: 'unit-node-official', title: t('admin.units.officialCode') }, `${t('admin.units.officialShort')} ${unit.official_code}`) : null,
        unit.code ? h('span', { class: 'muted small' }, unit.code) : null),
      h('div', { class: 'tree-actions' }, renameBtn, ...childButtons, sealBtn, delBtn));
  };

  const refresh = async () => {
    invalidate('units');
    const data = await get('/api/units');
    if (!isCurrent()) return;
    units = data.units || [];
    kinds = data.kinds || {};
    const prev = parentWrap.querySelector('select')?.value || '';
    const parentSel = selectBox({
      options: unitTree(units).map(({ unit, depth }) => ({ value: unit.id, label: `${'\u00a0\u00a0\u00a0'.repeat(depth)}${unit.name}` })),
      value: prev, testid: 'unit-parent', noneLabel: t('admin.units.noParent'), id: 'unit-parent',
    });
    replaceChildren(parentWrap, parentSel);
    if (!divisionWrap.firstChild) showDivisionTypes();
    suggestParent();
    const rows = unitTree(units);
    if (!rows.length) { replaceChildren(treeBox, emptyState(t('admin.units.empty'))); return; }
    replaceChildren(treeBox, h('ul', { class: 'tree' }, rows.map(node)));
  };

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!name.value.trim()) { name.focus(); return; }
    busy(addBtn, async () => {
      const body = { name: name.value.trim(), kind: kind.value };
      const parent = parentWrap.querySelector('select')?.value;
      if (parent) body.parent_id = parent;
      const division = divisionWrap.querySelector('select')?.value;
      if (division) body.division_type = division;
      if (code.value.trim()) body.code = code.value.trim();
      await post('/api/units', body);
      name.value = '';
      code.value = '';
      showNotice(t('common.saved'));
      await refresh();
    }, formErr);
  });

  importForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const province = provinceBox.querySelector('select')?.value;
    if (!province) return;
    busy(importBtn, async () => {
      importResult.textContent = t('admin.units.importing');
      const r = await post('/api/units/import', { province, with_sites: withSites.checked });
      importResult.textContent = t(r.sites_added ? 'admin.units.importedWithSites' : 'admin.units.imported', {
        province: r.province.name, added: r.added, updated: r.updated, sites: r.sites_added,
      });
      await refresh();
    }, importErr).then(() => { if (importResult.textContent === t('admin.units.importing')) importResult.textContent = ''; });
  });

  const showProvinces = async () => {
    const data = await get('/api/units/official-provinces');
    if (!isCurrent()) return;
    const options = (data.provinces || []).map((p) => ({ value: p.code, label: t('admin.units.provinceOption', { name: p.name, count: p.communes }) }));
    replaceChildren(provinceBox, selectBox({ options, testid: 'unit-import-province', id: 'unit-import-province', noneLabel: t('admin.units.pickProvince') }));
  };

  await Promise.all([refresh(), showProvinces()]);
}
