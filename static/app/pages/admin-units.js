// Administrative units as a tree (tỉnh → huyện → xã), with add / rename / delete.
import { post, patch, del } from '../api.js';
import { h, replaceChildren, uid } from '../dom.js';
import { t, tMaybe } from '../i18n.js';
import { loadUnits, invalidate, unitTree } from '../session.js';
import { busy, dialog, confirmDialog, pageHeader, loading, emptyState, selectBox, showNotice } from '../ui.js';

const KINDS = ['province', 'district', 'commune'];
const CHILD_KIND = { province: 'district', district: 'commune', commune: 'commune' };

export async function render({ root, setTitle, isCurrent }) {
  setTitle(t('admin.units.title'));
  const treeBox = h('div', { testid: 'units-tree' }, loading());

  const name = h('input', { class: 'input', type: 'text', required: true, maxlength: 200, testid: 'unit-name', id: uid('un') });
  const kind = selectBox({ options: KINDS.map((k) => ({ value: k, label: tMaybe('kind', k) })), value: 'commune', testid: 'unit-kind', id: uid('uk') });
  const code = h('input', { class: 'input', type: 'text', maxlength: 50, testid: 'unit-code', id: uid('uc') });
  const parentWrap = h('span');
  const addBtn = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'unit-add' }, t('admin.units.add'));
  const form = h('form', { class: 'card inline-form', testid: 'unit-form', novalidate: true },
    h('h2', { class: 'section-title' }, t('admin.units.add')),
    h('div', { class: 'field-row' },
      h('div', { class: 'field grow' }, h('label', { for: name.id }, t('admin.units.name')), name),
      h('div', { class: 'field' }, h('label', { for: kind.id }, t('admin.units.kind')), kind),
      h('div', { class: 'field' }, h('label', { for: 'unit-parent' }, t('admin.units.parent')), parentWrap),
      h('div', { class: 'field' }, h('label', { for: code.id }, t('admin.units.code')), code),
      h('div', { class: 'field field-button' }, addBtn)));

  root.append(pageHeader(t('admin.units.title')), form, h('section', { class: 'card' }, treeBox));

  let units = [];
  const PARENT_KIND = { district: 'province', commune: 'district' };
  // A district needs a province above it and a commune a district: preselect the first that fits.
  const suggestParent = () => {
    const sel = parentWrap.querySelector('select');
    if (!sel) return;
    const current = units.find((u) => u.id === sel.value);
    const wanted = PARENT_KIND[kind.value];
    if (!wanted) { sel.value = ''; return; }
    if (current && current.kind === wanted) return;
    const first = unitTree(units).find(({ unit }) => unit.kind === wanted);
    if (first) sel.value = first.unit.id;
  };
  kind.addEventListener('change', suggestParent);
  const refresh = async () => {
    invalidate('units');
    units = await loadUnits();
    if (!isCurrent()) return;
    const prev = parentWrap.querySelector('select')?.value || '';
    const parentSel = selectBox({
      options: unitTree(units).map(({ unit, depth }) => ({ value: unit.id, label: `${'\u00a0\u00a0\u00a0'.repeat(depth)}${unit.name}` })),
      value: prev, testid: 'unit-parent', noneLabel: t('admin.units.noParent'), id: 'unit-parent',
    });
    replaceChildren(parentWrap, parentSel);
    suggestParent();
    const rows = unitTree(units);
    if (!rows.length) { replaceChildren(treeBox, emptyState(t('admin.units.empty'))); return; }
    replaceChildren(treeBox, h('ul', { class: 'tree' }, rows.map(({ unit, depth }) => {
      const renameBtn = h('button', { type: 'button', class: 'btn btn-small', testid: 'unit-rename' }, t('admin.units.rename'));
      const childBtn = unit.kind !== 'commune'
        ? h('button', { type: 'button', class: 'btn btn-small', testid: 'unit-add-child' }, t('admin.units.addChild')) : null;
      const delBtn = h('button', { type: 'button', class: 'btn btn-small btn-danger-outline', testid: 'unit-delete' }, t('common.delete'));
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
      childBtn?.addEventListener('click', () => busy(childBtn, async () => {
        const r = await dialog({
          title: t('admin.units.childOf', { name: unit.name }), testid: 'add-child-dialog', confirmLabel: t('common.add'),
          fields: [{ name: 'name', label: t('admin.units.name'), required: true }, { name: 'code', label: t('admin.units.code') }],
        });
        if (!r || !r.name.trim()) return;
        const body = { name: r.name.trim(), kind: CHILD_KIND[unit.kind], parent_id: unit.id };
        if (r.code.trim()) body.code = r.code.trim();
        await post('/api/units', body);
        showNotice(t('common.saved'));
        await refresh();
      }));
      delBtn.addEventListener('click', () => busy(delBtn, async () => {
        if (!(await confirmDialog(t('admin.units.confirmDelete', { name: unit.name }), { danger: true, confirmLabel: t('common.delete') }))) return;
        await del(`/api/units/${encodeURIComponent(unit.id)}`);
        await refresh();
      }));
      return h('li', { class: ['tree-node', `depth-${Math.min(depth, 3)}`], testid: 'unit-node', dataset: { unitId: unit.id, kind: unit.kind } },
        h('div', { class: 'tree-label' },
          h('span', { class: 'tree-name', testid: 'unit-node-name' }, unit.name),
          h('span', { class: 'badge badge-kind' }, tMaybe('kind', unit.kind)),
          unit.code ? h('span', { class: 'muted small' }, unit.code) : null),
        h('div', { class: 'tree-actions' }, renameBtn, childBtn, delBtn));
    })));
  };

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!name.value.trim()) { name.focus(); return; }
    busy(addBtn, async () => {
      const body = { name: name.value.trim(), kind: kind.value };
      const parent = parentWrap.querySelector('select')?.value;
      if (parent) body.parent_id = parent;
      if (code.value.trim()) body.code = code.value.trim();
      await post('/api/units', body);
      name.value = '';
      code.value = '';
      showNotice(t('common.saved'));
      await refresh();
    });
  });

  await refresh();
}
