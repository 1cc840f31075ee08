// Sites (điểm cầu): add, activate, issue a device token (shown once, with a copy button), revoke it.
import { post, patch, del } from '../api.js';
import { h, replaceChildren, uid } from '../dom.js';
import { t } from '../i18n.js';
import { loadSites, loadUnits, invalidate, unitTree, compareVi } from '../session.js';
import {
  busy, dialog, confirmDialog, pageHeader, loading, emptyState, selectBox, showNotice, showError, formError, charCounter,
} from '../ui.js';
import { guardUnsaved, typedInto } from '../unsaved.js';

async function copyText(text, input) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    input.select();
    try { return document.execCommand('copy'); } catch { return false; }
  }
}

function showToken(site, token) {
  const input = h('input', { class: 'input token-value', type: 'text', readOnly: true, value: token, testid: 'site-token-value', 'aria-label': t('admin.sites.token') });
  const status = h('p', { class: 'hint', role: 'status', testid: 'site-token-copy-status' });
  const copyBtn = h('button', { type: 'button', class: 'btn btn-primary', testid: 'site-token-copy' }, t('admin.sites.copy'));
  copyBtn.addEventListener('click', async () => {
    const ok = await copyText(token, input);
    status.textContent = ok ? t('admin.sites.copied') : t('admin.sites.copyFailed');
    if (!ok) input.select();
  });
  input.addEventListener('focus', () => input.select());
  return dialog({
    title: t('admin.sites.tokenTitle', { name: site.name }), text: t('admin.sites.tokenOnce'), confirmLabel: null,
    testid: 'token-dialog', extra: h('div', { class: 'token-box' }, h('div', { class: 'token-row' }, input, copyBtn), status),
  });
}

export async function render({ root, setTitle, isCurrent }) {
  setTitle(t('admin.sites.title'));
  const tableBox = h('div', { testid: 'sites-table' }, loading());
  const name = h('input', { class: 'input', type: 'text', required: true, testid: 'site-name', id: uid('sn') });
  const nameCount = charCounter(name, 300, 'site-name-count');
  const unitWrap = h('span');
  const loc = h('input', { class: 'input', type: 'text', maxlength: 300, testid: 'site-location', id: uid('sl') });
  const capacity = h('input', { class: 'input input-minutes', type: 'number', min: 0, max: 10000, inputmode: 'numeric', testid: 'site-capacity', id: uid('sc') });
  const addBtn = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'site-add' }, t('admin.sites.add'));
  const formErr = formError('site-form-error');
  const form = h('form', { class: 'card inline-form', testid: 'site-form', novalidate: true },
    h('h2', { class: 'section-title' }, t('admin.sites.add')),
    h('div', { class: 'field-row' },
      h('div', { class: 'field grow' }, h('label', { for: name.id }, t('admin.sites.name')), name, nameCount),
      h('div', { class: 'field' }, h('label', { for: 'site-unit' }, t('admin.sites.unit')), unitWrap),
      h('div', { class: 'field grow' }, h('label', { for: loc.id }, t('admin.sites.location')), loc),
      h('div', { class: 'field' }, h('label', { for: capacity.id }, t('admin.sites.capacity')), capacity),
      h('div', { class: 'field field-button' }, addBtn)),
    formErr);
  guardUnsaved(typedInto(form));
  root.append(pageHeader(t('admin.sites.title')), form, h('section', { class: 'card table-card' }, tableBox));

  const refresh = async () => {
    invalidate('sites');
    const [sites, units] = await Promise.all([loadSites(), loadUnits()]);
    if (!isCurrent()) return;
    const unitsById = new Map(units.map((u) => [u.id, u]));
    if (!unitWrap.firstChild) {
      // A site always belongs to a unit (the schema requires unit_id): a prompt to choose, never an empty choice.
      const sel = selectBox({
        options: unitTree(units).map(({ unit, depth }) => ({ value: unit.id, label: `${'\u00a0\u00a0\u00a0'.repeat(depth)}${unit.name}` })),
        testid: 'site-unit', id: 'site-unit',
      });
      sel.required = true;
      sel.prepend(h('option', { value: '', disabled: true, hidden: true }, t('admin.sites.pickUnit')));
      sel.value = '';
      replaceChildren(unitWrap, sel);
    }
    if (!sites.length) { replaceChildren(tableBox, emptyState(t('admin.sites.empty'))); return; }
    const sorted = [...sites].sort((a, b) => compareVi(a.name, b.name));
    replaceChildren(tableBox, h('table', { class: 'table' },
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, t('admin.sites.name')),
        h('th', { scope: 'col' }, t('admin.sites.unit')),
        h('th', { scope: 'col', class: 'hide-narrow' }, t('admin.sites.location')),
        h('th', { scope: 'col', class: 'num hide-narrow' }, t('admin.sites.capacity')),
        h('th', { scope: 'col' }, t('admin.sites.active')),
        h('th', { scope: 'col' }, t('admin.sites.token')),
        h('th', { scope: 'col' }, t('common.actions')))),
      h('tbody', {}, sorted.map((site) => {
        const activeId = uid('sa');
        const active = h('input', { type: 'checkbox', id: activeId, checked: site.active !== false, testid: 'site-active', 'aria-label': `${t('admin.sites.active')}: ${site.name}` });
        active.addEventListener('change', () => busy(active, async () => {
          try {
            await patch(`/api/sites/${encodeURIComponent(site.id)}`, { active: active.checked });
          } catch (err) { active.checked = !active.checked; throw err; }
        }));
        const issueBtn = h('button', { type: 'button', class: 'btn btn-small', testid: 'site-issue-token' }, site.has_token ? t('admin.sites.reissue') : t('admin.sites.issue'));
        issueBtn.addEventListener('click', () => busy(issueBtn, async () => {
          if (site.has_token && !(await confirmDialog(t('admin.sites.confirmIssue', { name: site.name }), { confirmLabel: t('admin.sites.reissue') }))) return;
          const resp = await post(`/api/sites/${encodeURIComponent(site.id)}/token`, {});
          const token = resp && (resp.token || (resp.site && resp.site.token));
          if (!token) { showError(t('error.http', { status: 200 })); return; }
          await showToken(site, token);
          await refresh();
        }));
        const revokeBtn = site.has_token ? h('button', { type: 'button', class: 'btn btn-small btn-danger-outline', testid: 'site-revoke-token' }, t('admin.sites.revoke')) : null;
        revokeBtn?.addEventListener('click', () => busy(revokeBtn, async () => {
          if (!(await confirmDialog(t('admin.sites.confirmRevoke', { name: site.name }), { danger: true, confirmLabel: t('admin.sites.revoke') }))) return;
          await del(`/api/sites/${encodeURIComponent(site.id)}/token`);
          showNotice(t('admin.sites.revoked'));
          await refresh();
        }));
        return h('tr', { testid: 'site-row', dataset: { siteId: site.id } },
          h('th', { scope: 'row', testid: 'site-row-name' }, site.name),
          h('td', {}, unitsById.get(site.unit_id)?.name || ''),
          h('td', { class: 'hide-narrow' }, site.location || ''),
          h('td', { class: 'num hide-narrow' }, site.capacity ?? ''),
          h('td', {}, h('label', { class: 'switch', for: activeId }, active)),
          h('td', {}, h('span', { class: ['badge', site.has_token ? 'badge-ok' : 'badge-muted'], testid: 'site-token-status' }, site.has_token ? t('admin.sites.hasToken') : t('admin.sites.noToken'))),
          h('td', { class: 'actions' }, issueBtn, revokeBtn));
      }))));
  };

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const unitId = unitWrap.querySelector('select')?.value;
    if (!name.value.trim()) { formErr.show(t('admin.sites.nameRequired')); name.focus(); return; }
    if (!unitId) { formErr.show(t('admin.sites.unitRequired')); unitWrap.querySelector('select')?.focus(); return; }
    busy(addBtn, async () => {
      const body = { name: name.value.trim(), unit_id: unitId };
      if (loc.value.trim()) body.location = loc.value.trim();
      if (capacity.value !== '') body.capacity = Math.max(0, Math.round(Number(capacity.value)));
      await post('/api/sites', body);
      name.value = ''; loc.value = ''; capacity.value = '';
      name.updateCounter();
      showNotice(t('common.saved'));
      await refresh();
    }, formErr);
  });

  await refresh();
}
