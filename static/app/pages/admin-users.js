// Users: a compact, searchable (diacritics folded), paged table, one line a person; "Chi tiết" opens the unit,
// roles (checkboxes), name and password under the line. Add a user.
import { post, patch } from '../api.js';
import { h, replaceChildren, uid } from '../dom.js';
import { t, tMaybe } from '../i18n.js';
import { getUser, loadUnits, loadUsers, invalidate, unitTree, compareVi } from '../session.js';
import { foldVietnamese } from '../format.js';
import {
  busy, dialog, confirmDialog, pageHeader, loading, emptyState, selectBox, showNotice, formError,
} from '../ui.js';
import { guardUnsaved, typedInto } from '../unsaved.js';

const PAGE_SIZE = 25;

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
  const count = h('span', { class: 'muted', testid: 'users-count', 'aria-live': 'polite' });
  const prevBtn = h('button', { type: 'button', class: 'btn btn-small', testid: 'users-prev' }, t('admin.users.prev'));
  const nextBtn = h('button', { type: 'button', class: 'btn btn-small', testid: 'users-next' }, t('admin.users.next'));
  const pageNo = h('span', { class: 'muted', testid: 'users-page' });
  const pager = h('div', { class: 'pager' }, prevBtn, pageNo, nextBtn);

  // add form
  const f = {
    username: h('input', { class: 'input', type: 'text', required: true, autocomplete: 'off', autocapitalize: 'none', maxlength: 40, testid: 'user-new-username', id: uid('nu') }),
    full_name: h('input', { class: 'input', type: 'text', required: true, maxlength: 300, testid: 'user-new-full-name', id: uid('nf') }),
    password: h('input', { class: 'input', type: 'password', required: true, autocomplete: 'new-password', minlength: 8, testid: 'user-new-password', id: uid('np') }),
    title: h('input', { class: 'input', type: 'text', maxlength: 300, testid: 'user-new-title', id: uid('nt') }),
    email: h('input', { class: 'input', type: 'email', maxlength: 254, autocomplete: 'off', testid: 'user-new-email', id: uid('ne') }),
  };
  const unitWrap = h('span');
  const newRoles = roleBoxes(['delegate'], 'user-new-role');
  const addBtn = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'user-add' }, t('admin.users.add'));
  const formErr = formError('user-form-error');
  const lbl = (text, input) => h('div', { class: 'field' }, h('label', { for: input.id }, text), input);
  const form = h('form', { class: 'inline-form', testid: 'user-form', novalidate: true },
    h('div', { class: 'field-row' },
      lbl(t('admin.users.username'), f.username), lbl(t('admin.users.fullName'), f.full_name),
      lbl(t('admin.users.password'), f.password)),
    h('div', { class: 'field-row' },
      lbl(t('admin.users.jobTitle'), f.title),
      lbl(t('admin.users.email'), f.email),
      h('div', { class: 'field' }, h('label', { for: 'user-new-unit' }, t('admin.users.unit')), unitWrap)),
    h('fieldset', { class: 'field plain-fieldset' }, h('legend', {}, t('admin.users.roles')), newRoles),
    formErr,
    h('div', { class: 'form-actions' }, addBtn));
  guardUnsaved(typedInto(form));

  const formBox = h('details', { class: 'card collapsible', testid: 'user-form-box' },
    h('summary', { class: 'section-title', testid: 'user-form-toggle' }, t('admin.users.add')), form);
  root.append(pageHeader(t('admin.users.title')), formBox,
    h('section', { class: 'card table-card' }, h('div', { class: 'table-tools' }, filter, count, pager), tableBox));

  let users = [];
  let units = [];
  let unitsById = new Map();
  let page = 0;
  const open = new Set(); // ids of the people whose details are shown
  const me = getUser();

  const unitOptions = () => unitTree(units).map(({ unit, depth }) => ({ value: unit.id, label: `${'\u00a0\u00a0\u00a0'.repeat(depth)}${unit.name}` }));
  const rolesText = (user) => (user.roles || []).map((r) => tMaybe('role', r)).join(', ') || t('admin.users.noRoles');
  const searchKey = (user) => foldVietnamese(`${user.username} ${user.full_name} ${user.title || ''} ${unitsById.get(user.unit_id)?.name || ''}`);

  const saveUser = async (user, changes) => {
    const resp = await patch(`/api/users/${encodeURIComponent(user.id)}`, changes);
    Object.assign(user, (resp && (resp.user || resp)) || changes);
    invalidate('users');
  };

  /** The one-line row, and under it (when opened) the person's unit, roles, name and password. */
  const rows = (user) => {
    const unitText = h('td', { class: 'cell-clip', testid: 'user-unit-name' }, unitsById.get(user.unit_id)?.name || '');
    const rolesCell = h('td', { class: 'cell-clip muted', testid: 'user-roles' }, rolesText(user));
    const nameCell = h('span', { testid: 'user-full-name' }, user.full_name);
    const activeId = uid('ua');
    const active = h('input', { type: 'checkbox', id: activeId, checked: user.active !== false, testid: 'user-active', disabled: me && me.id === user.id, 'aria-label': `${t('admin.users.active')}: ${user.full_name}` });
    active.addEventListener('change', () => busy(active, async () => {
      if (!active.checked && !(await confirmDialog(t('admin.users.confirmDeactivate', { name: user.full_name }), { danger: true }))) { active.checked = true; return; }
      try { await saveUser(user, { active: active.checked }); showNotice(t('common.saved')); } catch (err) { active.checked = !active.checked; throw err; }
    }));
    const toggle = h('button', { type: 'button', class: 'btn btn-small', testid: 'user-details-toggle', 'aria-expanded': String(open.has(user.id)) }, t('admin.users.details'));
    const main = h('tr', { testid: 'user-row', class: 'user-line', dataset: { userId: user.id, username: user.username } },
      h('th', { scope: 'row', class: 'cell-clip' }, nameCell, h('span', { class: 'muted small user-login', testid: 'user-username' }, user.username)),
      unitText,
      rolesCell,
      h('td', {}, h('label', { class: 'switch', for: activeId }, active)),
      h('td', { class: 'actions' }, toggle));

    const detailsErr = formError('user-details-error');
    const unitSel = selectBox({ options: unitOptions(), value: user.unit_id || '', testid: 'user-unit', noneLabel: t('admin.users.noUnit') });
    unitSel.setAttribute('aria-label', `${t('admin.users.unit')}: ${user.full_name}`);
    unitSel.addEventListener('change', () => busy(unitSel, async () => {
      try {
        await saveUser(user, { unit_id: unitSel.value || null });
        unitText.textContent = unitsById.get(user.unit_id)?.name || '';
        showNotice(t('common.saved'));
      } catch (err) { unitSel.value = user.unit_id || ''; throw err; }
    }, detailsErr));
    const roles = roleBoxes(user.roles || [], 'user-role', (cb) => busy(cb, async () => {
      try {
        await saveUser(user, { roles: checkedRoles(roles) });
        rolesCell.textContent = rolesText(user);
        showNotice(t('common.saved'));
      } catch (err) { cb.checked = !cb.checked; throw err; }
    }, detailsErr));
    const titleCell = h('span', { class: 'muted', testid: 'user-title' }, user.title || '');
    const emailCell = h('span', { class: 'muted', testid: 'user-email' }, user.email || t('admin.users.noEmail'));
    const editBtn = h('button', { type: 'button', class: 'btn btn-small', testid: 'user-edit' }, t('common.edit'));
    editBtn.addEventListener('click', () => busy(editBtn, async () => {
      const r = await dialog({
        title: t('common.edit'), testid: 'user-edit-dialog', confirmLabel: t('common.save'),
        fields: [{ name: 'full_name', label: t('admin.users.fullName'), value: user.full_name, required: true },
          { name: 'title', label: t('admin.users.jobTitle'), value: user.title || '' },
          { name: 'email', type: 'email', label: t('admin.users.email'), value: user.email || '' }],
      });
      if (!r) return;
      const changes = {};
      if (r.full_name.trim() && r.full_name.trim() !== user.full_name) changes.full_name = r.full_name.trim();
      if (r.title.trim() !== (user.title || '')) changes.title = r.title.trim();
      if (r.email.trim() !== (user.email || '')) changes.email = r.email.trim();
      if (!Object.keys(changes).length) return;
      await saveUser(user, changes);
      nameCell.textContent = user.full_name;
      titleCell.textContent = user.title || '';
      emailCell.textContent = user.email || t('admin.users.noEmail');
      showNotice(t('common.saved'));
    }, detailsErr));
    const pwBtn = h('button', { type: 'button', class: 'btn btn-small', testid: 'user-reset-password' }, t('admin.users.resetPassword'));
    pwBtn.addEventListener('click', () => busy(pwBtn, async () => {
      const r = await dialog({
        title: t('admin.users.resetPassword'), testid: 'password-dialog', confirmLabel: t('admin.users.resetPassword'),
        fields: [{ name: 'password', type: 'password', label: t('admin.users.newPassword', { name: user.full_name }), required: true, minlength: 8, autocomplete: 'new-password' }],
      });
      if (!r) return;
      await saveUser(user, { password: r.password });
      showNotice(t('admin.users.passwordReset', { name: user.full_name }));
    }, detailsErr));
    const details = h('tr', { testid: 'user-details', class: 'user-details', hidden: !open.has(user.id), dataset: { userId: user.id, username: user.username } },
      h('td', { colspan: 5 },
        h('div', { class: 'user-details-grid' },
          h('div', { class: 'field' }, h('span', { class: 'field-label' }, t('admin.users.jobTitle')), titleCell),
          h('div', { class: 'field' }, h('span', { class: 'field-label' }, t('admin.users.email')), emailCell),
          h('div', { class: 'field' }, h('span', { class: 'field-label' }, t('admin.users.unit')), unitSel),
          h('fieldset', { class: 'field plain-fieldset' }, h('legend', {}, t('admin.users.roles')), roles),
          h('div', { class: 'button-row' }, editBtn, pwBtn)),
        detailsErr));
    toggle.addEventListener('click', () => {
      const show = details.hidden;
      details.hidden = !show;
      toggle.setAttribute('aria-expanded', String(show));
      if (show) open.add(user.id); else open.delete(user.id);
    });
    return [main, details];
  };

  const matching = () => {
    const q = foldVietnamese(filter.value);
    const sorted = [...users].sort((a, b) => compareVi(a.full_name, b.full_name));
    return q ? sorted.filter((u) => searchKey(u).includes(q)) : sorted;
  };

  const show = () => {
    const list = matching();
    const pages = Math.max(1, Math.ceil(list.length / PAGE_SIZE));
    page = Math.min(Math.max(0, page), pages - 1);
    const shown = list.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE);
    count.textContent = list.length
      ? t('admin.users.shown', { from: page * PAGE_SIZE + 1, to: page * PAGE_SIZE + shown.length, n: list.length })
      : t('admin.users.count', { n: 0 });
    pageNo.textContent = t('admin.users.pageOf', { page: page + 1, pages });
    prevBtn.disabled = page === 0;
    nextBtn.disabled = page >= pages - 1;
    pager.hidden = pages < 2;
    if (!shown.length) { replaceChildren(tableBox, emptyState(t('common.nothingFound'))); return; }
    replaceChildren(tableBox, h('table', { class: 'table users' },
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, t('admin.users.fullName')),
        h('th', { scope: 'col' }, t('admin.users.unit')),
        h('th', { scope: 'col' }, t('admin.users.roles')),
        h('th', { scope: 'col' }, t('admin.users.active')),
        h('th', { scope: 'col' }, t('common.actions')))),
      h('tbody', {}, shown.map(rows))));
  };
  filter.addEventListener('input', () => { page = 0; show(); });
  prevBtn.addEventListener('click', () => { page -= 1; show(); });
  nextBtn.addEventListener('click', () => { page += 1; show(); });

  const refresh = async (focusId = null) => {
    invalidate('users');
    [users, units] = await Promise.all([loadUsers(), loadUnits()]);
    users = users.map((u) => ({ ...u }));
    unitsById = new Map(units.map((u) => [u.id, u]));
    if (!isCurrent()) return;
    if (!unitWrap.firstChild) replaceChildren(unitWrap, selectBox({ options: unitOptions(), testid: 'user-new-unit', id: 'user-new-unit', noneLabel: t('admin.users.noUnit') }));
    if (focusId) {
      const at = matching().findIndex((u) => u.id === focusId);
      if (at >= 0) page = Math.floor(at / PAGE_SIZE);
    }
    show();
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
      if (f.email.value.trim()) body.email = f.email.value.trim();
      const unitId = unitWrap.querySelector('select')?.value;
      if (unitId) body.unit_id = unitId;
      const resp = await post('/api/users', body);
      const created = resp && (resp.user || resp);
      showNotice(t('admin.users.created', { name: body.full_name }));
      for (const input of Object.values(f)) input.value = '';
      await refresh(created && created.id);
    }, formErr);
  });

  await refresh();
}
