// Shared UI pieces: the message area, dialogs, status badges, check-lists.
import { h, clear, uid } from './dom.js';
import { t, tMaybe } from './i18n.js';
import { foldVietnamese } from './format.js';

// ---------------------------------------------------------------- messages

let messageArea = null;
let noticeTimer = null;

export function mountMessageArea(el) { messageArea = el; }

function show(kind, text, testid) {
  if (!messageArea) return;
  clear(messageArea);
  clearTimeout(noticeTimer);
  if (!text) { messageArea.hidden = true; return; }
  const box = h('div', { class: ['message', `message-${kind}`], testid, role: kind === 'error' ? 'alert' : 'status' },
    h('span', { class: 'message-text', testid: 'message-text' }, text),
    h('button', { type: 'button', class: 'btn btn-ghost message-close', 'aria-label': t('common.dismiss'), onclick: () => clearMessage() }, '×'));
  messageArea.append(box);
  messageArea.hidden = false;
  if (kind !== 'error') noticeTimer = setTimeout(clearMessage, 6000);
}

/** Shows an ApiError's message (the server's text, already in the user's language). */
export function showError(err) {
  if (err && err.name === 'AbortError') return;
  const text = typeof err === 'string' ? err : (err && err.message) || t('error.network');
  if (err && typeof err !== 'string' && err.name !== 'ApiError') console.warn(err);
  show('error', text, 'error-message');
}

/**
 * The place next to a form where a refused save says why (the server's sentence, or the form's own check).
 * Returns the element with show(errOrText) and clear().
 */
export function formError(testid = 'form-error') {
  const el = h('p', { class: 'form-error', role: 'alert', testid, hidden: true });
  el.show = (err) => {
    el.textContent = typeof err === 'string' ? err : (err && err.message) || t('error.network');
    el.hidden = false;
    el.scrollIntoView({ block: 'nearest' });
  };
  el.clear = () => { el.textContent = ''; el.hidden = true; };
  return el;
}

/**
 * "12/300": how many characters a limited field holds, next to it; a paste the limit cut short says so
 * (the browser's maxlength drops the rest silently).
 */
export function charCounter(input, max, testid = 'char-counter') {
  input.maxLength = max;
  const out = h('span', { class: 'char-counter', testid, 'aria-live': 'polite' });
  const update = (cut = false) => {
    const n = input.value.length;
    out.textContent = cut ? t('form.cut', { max }) : t('form.count', { n, max });
    out.classList.toggle('is-full', n >= max || cut);
  };
  input.addEventListener('input', () => update());
  input.addEventListener('paste', (e) => {
    const pasted = (e.clipboardData && e.clipboardData.getData('text')) || '';
    const room = max - input.value.length + (input.selectionEnd - input.selectionStart);
    if (pasted.length > room) setTimeout(() => update(true), 0);
  });
  input.updateCounter = update;
  update();
  return out;
}

export function showNotice(text) { show('notice', text, 'notice-message'); }

export function clearMessage() { show('none', ''); }

/**
 * Runs an async action with a button disabled meanwhile; errors go to `errorBox` (a formError() next to the
 * form that was saved) or else to the message area.
 */
export async function busy(button, fn, errorBox = null) {
  const buttons = Array.isArray(button) ? button : [button];
  for (const b of buttons) if (b) { b.disabled = true; b.setAttribute('aria-busy', 'true'); }
  if (errorBox) errorBox.clear();
  try {
    return await fn();
  } catch (err) {
    if (errorBox && err?.name !== 'AbortError') errorBox.show(err); else showError(err);
    return undefined;
  } finally {
    for (const b of buttons) if (b) { b.disabled = false; b.removeAttribute('aria-busy'); }
  }
}

// ---------------------------------------------------------------- dialogs

/**
 * A modal dialog. `fields`: [{name, label, type, value, required}] → resolves with the values, or null
 * when dismissed. Without fields it is a confirmation (resolves true/false... as {} / null).
 */
export function dialog({ title, text, fields = [], confirmLabel, danger = false, testid = 'dialog', extra = null }) {
  return new Promise((resolve) => {
    const inputs = {};
    const form = h('form', { method: 'dialog', class: 'dialog-form' });
    const dlg = h('dialog', { class: 'dialog', testid, 'aria-labelledby': uid('dlg') });
    const titleId = dlg.getAttribute('aria-labelledby');
    form.append(h('h2', { id: titleId, class: 'dialog-title' }, title));
    if (text) form.append(h('p', { class: 'dialog-text' }, text));
    if (extra) form.append(extra);
    for (const f of fields) {
      const id = uid('dlgf');
      const input = h('input', {
        id, name: f.name, type: f.type || 'text', value: f.value ?? '', required: Boolean(f.required),
        autocomplete: f.autocomplete || 'off', minlength: f.minlength, testid: `dialog-field-${f.name}`, class: 'input',
      });
      inputs[f.name] = input;
      form.append(h('div', { class: 'field' }, h('label', { for: id }, f.label), input));
    }
    let result = null;
    const cancelBtn = h('button', { type: 'button', class: 'btn', testid: 'dialog-cancel', onclick: () => dlg.close() }, confirmLabel === null ? t('common.close') : t('common.cancel'));
    const okBtn = confirmLabel === null ? null : h('button', {
      type: 'submit', class: ['btn', danger ? 'btn-danger' : 'btn-primary'], testid: 'dialog-confirm',
    }, confirmLabel || t('common.confirm'));
    form.append(h('div', { class: 'dialog-actions' }, cancelBtn, okBtn));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (!form.reportValidity()) return;
      result = {};
      for (const [name, input] of Object.entries(inputs)) result[name] = input.value;
      dlg.close();
    });
    dlg.addEventListener('close', () => { dlg.remove(); resolve(result); });
    dlg.append(form);
    document.body.append(dlg);
    dlg.showModal();
    const first = Object.values(inputs)[0] || okBtn || cancelBtn;
    first.focus();
  });
}

export async function confirmDialog(text, { confirmLabel, danger = false, title } = {}) {
  const r = await dialog({ title: title || t('common.confirm'), text, confirmLabel, danger, testid: 'confirm-dialog' });
  return r !== null;
}

// ---------------------------------------------------------------- small components

export function statusBadge(status, testid = 'status-badge') {
  return h('span', { class: ['badge', `badge-${status}`], testid, dataset: { status } }, tMaybe('status', status));
}

export function pageHeader(title, ...actions) {
  return h('div', { class: 'page-header' },
    h('h1', { class: 'page-title', testid: 'page-title' }, title),
    actions.length ? h('div', { class: 'page-actions' }, actions) : null);
}

export function emptyState(text, testid = 'empty-state') {
  return h('p', { class: 'empty', testid }, text);
}

export function loading() {
  return h('p', { class: 'loading', role: 'status', testid: 'loading' }, t('common.loading'));
}

/**
 * A touch-friendly multi-select: a filter box, "select all" and a scrollable list of checkboxes.
 * options: [{value, label, hint}] · returns {el, getValues(), setValues(values)}
 */
export function checkList({ options, values = [], testid, label, hint, onChange }) {
  const selected = new Set(values);
  const listId = uid('cl');
  const count = h('span', { class: 'checklist-count', testid: `${testid}-count` });
  const list = h('ul', { class: 'checklist-items', id: listId, testid: `${testid}-list`, role: 'group', 'aria-label': label });
  const filter = h('input', {
    type: 'search', class: 'input checklist-filter', placeholder: t('common.filter'), 'aria-label': t('common.filter'),
    testid: `${testid}-filter`, 'aria-controls': listId,
  });
  const boxes = new Map();
  const updateCount = () => { count.textContent = t('common.selected', { n: selected.size, total: options.length }); };
  for (const opt of options) {
    const id = uid('cb');
    const cb = h('input', {
      type: 'checkbox', id, value: opt.value, checked: selected.has(opt.value), testid: `${testid}-option`,
      onchange: () => {
        if (cb.checked) selected.add(opt.value); else selected.delete(opt.value);
        updateCount();
        if (onChange) onChange([...selected]);
      },
    });
    boxes.set(opt.value, cb);
    list.append(h('li', { class: 'checklist-item', dataset: { value: opt.value, search: foldVietnamese(`${opt.label} ${opt.hint || ''}`) } },
      h('label', { for: id, class: 'check' }, cb,
        h('span', { class: 'check-label' }, opt.label, opt.hint ? h('small', { class: 'check-hint' }, opt.hint) : null))));
  }
  const visibleBoxes = () => [...list.children].filter((li) => !li.hidden).map((li) => boxes.get(li.dataset.value));
  const setAll = (on) => {
    for (const cb of visibleBoxes()) {
      cb.checked = on;
      if (on) selected.add(cb.value); else selected.delete(cb.value);
    }
    updateCount();
    if (onChange) onChange([...selected]);
  };
  filter.addEventListener('input', () => {
    const q = foldVietnamese(filter.value);
    for (const li of list.children) li.hidden = Boolean(q) && !li.dataset.search.includes(q);
  });
  updateCount();
  const el = h('fieldset', { class: 'checklist', testid },
    h('legend', {}, label),
    hint ? h('p', { class: 'hint' }, hint) : null,
    h('div', { class: 'checklist-tools' },
      options.length > 8 ? filter : null,
      h('button', { type: 'button', class: 'btn btn-small', testid: `${testid}-select-all`, onclick: () => setAll(true) }, t('common.selectAll')),
      h('button', { type: 'button', class: 'btn btn-small', testid: `${testid}-clear-all`, onclick: () => setAll(false) }, t('common.clearAll')),
      count),
    options.length ? list : h('p', { class: 'empty' }, t('common.nothingFound')));
  return {
    el,
    getValues: () => options.map((o) => o.value).filter((v) => selected.has(v)),
    setValues: (vals) => {
      selected.clear();
      for (const v of vals) selected.add(v);
      for (const [v, cb] of boxes) cb.checked = selected.has(v);
      updateCount();
    },
  };
}

/**
 * A one-paragraph text box that grows with its text (long Vietnamese titles stay readable on a tablet).
 * Enter does not add a new line: it leaves the box, which fires `change`.
 */
export function autoGrowText(props) {
  const ta = h('textarea', { rows: 1, class: 'input input-autogrow', ...props });
  const grow = () => {
    if (!ta.isConnected) return;
    ta.style.height = 'auto';
    ta.style.height = `${ta.scrollHeight + 2}px`;
  };
  ta.addEventListener('input', grow);
  ta.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.isComposing) { e.preventDefault(); ta.blur(); }
  });
  ta.addEventListener('change', () => { ta.value = ta.value.replace(/\s*\n\s*/g, ' '); });
  ta.grow = () => requestAnimationFrame(grow);
  ta.setValue = (v) => { ta.value = v; ta.grow(); ta.updateCounter?.(); };
  ta.grow();
  return ta;
}

let resizeTimer = null;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => { for (const ta of document.querySelectorAll('textarea.input-autogrow')) ta.grow?.(); }, 150);
});

/** <select> with an optional "none" option. options: [{value, label}] */
export function selectBox({ options, value = '', testid, noneLabel, id }) {
  const sel = h('select', { class: 'input', testid, id });
  if (noneLabel !== undefined) sel.append(h('option', { value: '' }, noneLabel));
  for (const o of options) sel.append(h('option', { value: o.value, selected: o.value === value }, o.label));
  sel.value = value || '';
  return sel;
}
