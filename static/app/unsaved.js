// Unsaved edits are not lost without a question: a page registers what it holds unsaved, and both leaving the
// app (reload, closing the tab: the browser's own beforeunload prompt) and moving inside it (a link, Back, the
// language switch: our confirmation) ask first while any of it is dirty.
import { t } from './i18n.js';
import { confirmDialog } from './ui.js';

const guards = new Set();

/**
 * isDirty() → whether the page holds edits it has not saved. Returns a function that unregisters it; the
 * router also drops every guard when it renders another page.
 */
export function guardUnsaved(isDirty) {
  const guard = { isDirty };
  guards.add(guard);
  return () => guards.delete(guard);
}

export function hasUnsaved() {
  for (const g of guards) {
    try { if (g.isDirty()) return true; } catch { /* a page half torn down holds nothing */ }
  }
  return false;
}

export function dropGuards() { guards.clear(); }

/** True when the user may leave: nothing unsaved, or they confirmed that the edits may be lost. */
export async function confirmLeave() {
  if (!hasUnsaved()) return true;
  const ok = await confirmDialog(t('unsaved.confirm'), {
    title: t('unsaved.title'), confirmLabel: t('unsaved.leave'), danger: true,
  });
  if (ok) dropGuards();
  return ok;
}

/** A form whose text fields start empty (an "add" form) is dirty once any of them holds text. */
export function typedInto(form) {
  return () => [...form.querySelectorAll('input:not([type=checkbox]):not([type=radio]), textarea')]
    .some((el) => el.value.trim() !== '' && el.value !== el.defaultValue);
}

window.addEventListener('beforeunload', (e) => {
  if (!hasUnsaved()) return;
  e.preventDefault();
  e.returnValue = '';
});
