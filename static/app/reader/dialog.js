// The reader's small modal with a text area (sticky notes, comments).
import { h } from '../dom.js';
import { t } from '../i18n.js';

/**
 * Opens the dialog; resolves with `{action: 'save', text}`, `{action: 'delete'}` or null (cancelled).
 * `readOnly` shows the text with a close button only; `deleteLabel` adds a delete button.
 */
export function textDialog({ title, text = '', value = '', confirmLabel, testid, readOnly = false, extra = null, deleteLabel = null }) {
  return new Promise((resolve) => {
    const area = h('textarea', { class: 'input', rows: 4, testid: `${testid}-text`, maxlength: 5000, readOnly, 'aria-label': title });
    area.value = value;
    let result = null;
    const dlg = h('dialog', { class: 'dialog', testid });
    const form = h('form', { method: 'dialog', class: 'dialog-form' },
      h('h2', { class: 'dialog-title' }, title),
      text ? h('p', { class: 'dialog-text' }, text) : null,
      extra,
      readOnly && !value ? null : area,
      h('div', { class: 'dialog-actions' },
        deleteLabel ? h('button', { type: 'button', class: 'btn btn-danger-outline', testid: `${testid}-delete`, onclick: () => { result = { action: 'delete' }; dlg.close(); } }, deleteLabel) : null,
        h('button', { type: 'button', class: 'btn', testid: 'dialog-cancel', onclick: () => dlg.close() }, readOnly ? t('common.close') : t('common.cancel')),
        readOnly ? null : h('button', { type: 'submit', class: 'btn btn-primary', testid: 'dialog-confirm' }, confirmLabel || t('common.save'))));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (!area.value.trim()) { area.focus(); return; }
      result = { action: 'save', text: area.value.trim() };
      dlg.close();
    });
    dlg.addEventListener('close', () => { dlg.remove(); resolve(result); });
    dlg.append(form);
    document.body.append(dlg);
    dlg.showModal();
    (readOnly ? form.querySelector('[data-testid="dialog-cancel"]') : area).focus();
  });
}
