// Users: roles (checkboxes), unit, title, active toggle, reset password; add a user.
import { post, patch } from '../api.js';
import { h, replaceChildren, uid } from '../dom.js';
import { t, tMaybe } from '../i18n.js';
import { getUser, loadUnits, loadUsers, invalidate, unitTree, compareVi } from '../session.js';
import { busy, dialog, confirmDialog, pageHeader, loading, emptyState, selectBox, showNotice } from '../ui.js';

const ROLES = ['admin', 'chair', 'secretary', 'delegate', 'site_operator', 'observer'];

function roleBoxes(selected, testidPrefix, onChange) {
  const boxes = ROLES.map((role) => {
    const id = uid('r');
    const cb = h('input', { type: 'checkbox', id, value: role, checked: selected.includes(role), testid: `${testidPrefix}-${role}` });
    if (onChange) cb.addEventListener('change', () => onChange(cb));
    return h('label', { class: 'chip-check', for: id }, cb, h('span', {}, tMaybe('role', role)));
  });
  return h('div', { class: 'chips', role: 'group', 'aria-label': t('admin.users.roles') }, boxes);
}

const checkedRoles = (container) => [...container.querySelectorAll('input[type=checkbox]')].filter((c) => c.checked).map((c) => c.value);

export async function render({ root, setTitle, isCurrent }) {
  setTitle(t('admin.users.title'));
  const tableBox = h('div', { testid: 'users-table', class: 'table-scroll' }, loading());
  const filter = h('input', { type: 'search', class: 'input', placeholder: t('admin.users.filter'), 'aria-label': t('admin.users.filter'), testid: 'users-filter' });
  const count = h('span', { class: 'muted', testid: 'users-count' });

  // add form
  const f = {
    username: h('input', { class: 'input', type: 'text', required: true, autocomplete: 'off', autocapitalize: 'none', maxlength: 64, testid: 'user-new-username', id: uid('nu') }),
    full_name: h('input', { class: 'input', type: 'text', required: true, maxlength: 200, testid: 'user-new-full-name', id: uid('nf') }),
    password: h('input', { class: 'input', type: 'password', required: true, autocomplete: 'new-password', minlength: 8, testid: 'user-new-password', id: uid('np') }),
    title: h('input', { class: 'input', type: 'text', maxlength: 200, testid: 'user-new-title', id: uid('nt') }),
  };
  const unitWrap = h('span');
  const newRoles = roleBoxes(['delegate'], 'user-new-role');
  const addBtn = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'user-add' }, t('admin.users.add'));
  const lbl = (text, input) => h('div', { class: 'field' }, h('label', { for: input.id }, text), input);
  const form = h('form', { class: 'inline-form', testid: 'user-form', novalidate: true },
    h('div', { class: 'field-row' },
      lbl(t('admin.users.username'), f.username), lbl(t('admin.users.fullName'), f.full_name),
      lbl(t('admin.users.password'), f.password)),
    h('div', { class: 'field-row' },
      lbl(t('admin.users.jobTitle'), f.title),
      h('div', { class: 'field' }, h('label', { for: 'user-new-unit' }, t('admin.users.unit')), unitWrap)),
    h('fieldset', { class: 'field plain-fieldset' }, h('legend', {}, t('admin.users.roles')), newRoles),
    h('div', { class: 'form-actions' }, addBtn));

  const formBox = h('details', { class: 'card collapsible', testid: 'user-form-box' },
    h('summary', { class: 'section-title', testid: 'user-form-toggle' }, t('admin.users.add')), form);
  root.append(pageHeader(t('admin.users.title')), formBox,
    h('section', { class: 'card table-card' }, h('div', { class: 'table-tools' }, filter, count), tableBox));

  let users = [];
  let units = [];
  const me = getUser();

  const unitOptions = () => unitTree(units).map(({ unit, depth }) => ({ value: unit.id, label: `${'\u00a0\u00a0\u00a0'.repeat(depth)}${unit.name}` }));

  const applyFilter = () => {
    const q = filter.value.trim().toLowerCase();
    let shown = 0;
    for (const tr of tableBox.querySelectorAll('tbody tr')) {
      const hide = Boolean(q) && !tr.dataset.search.includes(q);
      tr.hidden = hide;
      if (!hide) shown += 1;
    }
    count.textContent = t('admin.users.count', { n: shown });
  };
  filter.addEventListener('input', applyFilter);

  const saveUser = async (user, changes) => {
    const resp = await patch(`/api/users/${encodeURIComponent(user.id)}`, changes);
    Object.assign(user, (resp && (resp.user || resp)) || changes);
    invalidate('users');
  };

  const row = (user) => {
    const unitSel = selectBox({ options: unitOptions(), value: user.unit_id || '', testid: 'user-unit', noneLabel: t('admin.users.noUnit') });
    unitSel.setAttribute('aria-label', `${t('admin.users.unit')}: ${user.full_name}`);
    unitSel.addEventListener('change', () => busy(unitSel, async () => {
      try { await saveUser(user, { unit_id: unitSel.value || null }); showNotice(t('common.saved')); } catch (err) { unitSel.value = user.unit_id || ''; throw err; }
    }));
    const roles = roleBoxes(user.roles || [], 'user-role', (cb) => busy(cb, async () => {
      try { await saveUser(user, { roles: checkedRoles(roles) }); showNotice(t('common.saved')); } catch (err) { cb.checked = !cb.checked; throw err; }
    }));
    const activeId = uid('ua');
    const active = h('input', { type: 'checkbox', id: activeId, checked: user.active !== false, testid: 'user-active', disabled: me && me.id === user.id, 'aria-label': `${t('admin.users.active')}: ${user.full_name}` });
    active.addEventListener('change', () => busy(active, async () => {
      if (!active.checked && !(await confirmDialog(t('admin.users.confirmDeactivate', { name: user.full_name }), { danger: true }))) { active.checked = true; return; }
      try { await saveUser(user, { active: active.checked }); showNotice(t('common.saved')); } catch (err) { active.checked = !active.checked; throw err; }
    }));
    const nameCell = h('span', { testid: 'user-full-name' }, user.full_name);
    const titleCell = h('span', { class: 'muted small', testid: 'user-title' }, user.title || '');
    const editBtn = h('button', { type: 'button', class: 'btn btn-small', testid: 'user-edit' }, t('common.edit'));
    editBtn.addEventListener('click', () => busy(editBtn, async () => {
      const r = await dialog({
        title: t('common.edit'), testid: 'user-edit-dialog', confirmLabel: t('common.save'),
        fields: [{ name: 'full_name', label: t('admin.users.fullName'), value: user.full_name, required: true },
          { name: 'title', label: t('admin.users.jobTitle'), value: user.title || '' }],
      });
      if (!r) return;
      const changes = {};
      if (r.full_name.trim() && r.full_name.trim() !== user.full_name) changes.full_name = r.full_name.trim();
      if (r.title.trim() !== (user.title || '')) changes.title = r.title.trim();
      if (!Object.keys(changes).length) return;
      await saveUser(user, changes);
      nameCell.textContent = user.full_name;
      titleCell.textContent = user.title || '';
      showNotice(t('common.saved'));
    }));
    const pwBtn = h('button', { type: 'button', class: 'btn btn-small', testid: 'user-reset-password' }, t('admin.users.resetPassword'));
    pwBtn.addEventListener('click', () => busy(pwBtn, async () => {
      const r = await dialog({
        title: t('admin.users.resetPassword'), testid: 'password-dialog', confirmLabel: t('admin.users.resetPassword'),
        fields: [{ name: 'password', type: 'password', label: t('admin.users.newPassword', { name: user.full_name }), required: true, minlength: 8, autocomplete: 'new-password' }],
      });
      if (!r) return;
      await saveUser(user, { password: r.password });
      showNotice(t('admin.users.passwordReset', { name: user.full_name }));
    }));
    return h('tr', { testid: 'user-row', dataset: { userId: user.id, username: user.username, search: `${user.username} ${user.full_name} ${user.title || ''}`.toLowerCase() } },
      h('th', { scope: 'row' }, h('div', {}, nameCell), h('div', { class: 'muted small', testid: 'user-username' }, user.username), titleCell),
      h('td', {}, unitSel),
      h('td', {}, roles),
      h('td', {}, h('label', { class: 'switch', for: activeId }, active)),
      h('td', { class: 'actions' }, editBtn, pwBtn));
  };

  const refresh = async () => {
    invalidate('users');
    [users, units] = await Promise.all([loadUsers(), loadUnits()]);
    users = users.map((u) => ({ ...u }));
    if (!isCurrent()) return;
    if (!unitWrap.firstChild) replaceChildren(unitWrap, selectBox({ options: unitOptions(), testid: 'user-new-unit', id: 'user-new-unit', noneLabel: t('admin.users.noUnit') }));
    if (!users.length) { replaceChildren(tableBox, emptyState(t('common.nothingFound'))); return; }
    const sorted = [...users].sort((a, b) => compareVi(a.full_name, b.full_name));
    replaceChildren(tableBox, h('table', { class: 'table users' },
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, t('admin.users.fullName')),
        h('th', { scope: 'col' }, t('admin.users.unit')),
        h('th', { scope: 'col' }, t('admin.users.roles')),
        h('th', { scope: 'col' }, t('admin.users.active')),
        h('th', { scope: 'col' }, t('common.actions')))),
      h('tbody', {}, sorted.map(row))));
    applyFilter();
  };

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    for (const k of ['username', 'full_name', 'password']) {
      if (!f[k].value.trim()) { f[k].focus(); return; }
    }
    if (!form.reportValidity()) return;
    busy(addBtn, async () => {
      const body = {
        username: f.username.value.trim(), full_name: f.full_name.value.trim(), password: f.password.value,
        roles: checkedRoles(newRoles),
      };
      if (f.title.value.trim()) body.title = f.title.value.trim();
      const unitId = unitWrap.querySelector('select')?.value;
      if (unitId) body.unit_id = unitId;
      await post('/api/users', body);
      showNotice(t('admin.users.created', { name: body.full_name }));
      for (const input of Object.values(f)) input.value = '';
      await refresh();
    });
  });

  await refresh();
}
